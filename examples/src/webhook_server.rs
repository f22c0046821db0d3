//! The real-time push from Huma's profile webhooks to Azure AD, as an axum server.
//!
//! `POST /webhooks/huma`: the raw body (at most [`MAX_BODY`] bytes) is verified with the webhook's
//! client secret (`HUMA_WEBHOOK_SECRET`, header `huma-hmac-sha256`) and/or access token
//! (`HUMA_WEBHOOK_TOKEN`, `Authorization: Bearer`). For `users-create` and `users-update`, the named
//! users are read again from Huma, their Azure AD twin is found through the state file's links (or,
//! when unlinked, by employment id or email), and only the supported fields that differ are written
//! to Azure AD ([`dirsync::realtime_push`]). A person with no twin is created only with
//! auto-provisioning on. Changes made in Azure AD reach Huma on the next sync only, as in Huma's
//! own integration.
//!
//! Answers: 200 with a short JSON [`PushSummary`]; 502 with the same summary when a write to Azure
//! AD or a read from Huma failed (so the sender may try again); 401 with no detail when the
//! signature or token does not match; 413 for a body over the limit; 202 for topics that need no
//! push (`users-delete`, `users-export`, unknown ones), which are logged.

use crate::connect::{
    self, ConfigError, Directories, NewPeople, Secrets, explain_azure_error as explain,
};
use crate::run::{Console, Outcome, say};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use dirsync::{
    Directory, Field, JsonFileStore, Person, RealtimeOp, Record, RecordId, StateStore,
    realtime_push,
};
use hmac::{Hmac, Mac};
use huma_api::SecretString;
use huma_api::webhook::{Topic, WebhookError, WebhookHeaders, WebhookVerifier};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// The path Huma posts to.
pub const PATH: &str = "/webhooks/huma";
/// The largest body accepted: 256 KiB (a webhook names users by id; this is thousands of them).
pub const MAX_BODY: usize = 256 * 1024;
/// The environment variable holding the webhook's client secret (HMAC key).
pub const HUMA_WEBHOOK_SECRET: &str = "HUMA_WEBHOOK_SECRET";
/// The environment variable holding the webhook's access token.
pub const HUMA_WEBHOOK_TOKEN: &str = "HUMA_WEBHOOK_TOKEN";

/// What the server needs: both directories, the verifier, and how to treat unknown people.
pub struct Receiver {
    /// Huma and Azure AD.
    pub directories: Directories,
    /// Checks each request's signature and/or token.
    pub verifier: WebhookVerifier,
    /// The sync's state file, for the links between Huma and Azure AD users; `None` to look every
    /// person up by employment id or email.
    pub state: Option<PathBuf>,
    /// Create people in Azure AD who are not there yet.
    pub auto_provision: bool,
    /// Also push people inactive in Huma or disabled in Azure AD (off: they are left alone, as a
    /// sync with the default scope leaves them).
    pub include_inactive: bool,
    /// Serialises writes of the state file.
    state_lock: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("verifier", &self.verifier)
            .field("state", &self.state)
            .field("auto_provision", &self.auto_provision)
            .field("include_inactive", &self.include_inactive)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// A receiver over these directories.
    pub fn new(
        directories: Directories,
        verifier: WebhookVerifier,
        state: Option<PathBuf>,
        auto_provision: bool,
    ) -> Receiver {
        Receiver {
            directories,
            verifier: verifier.max_body(MAX_BODY),
            state,
            auto_provision,
            include_inactive: false,
            state_lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Also push people inactive in Huma or disabled in Azure AD.
    #[must_use]
    pub fn include_inactive(mut self, include: bool) -> Receiver {
        self.include_inactive = include;
        self
    }
}

/// What one webhook request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSummary {
    /// The webhook's topic.
    pub topic: String,
    /// One entry per person the webhook named.
    pub users: Vec<UserPush>,
}

/// What was done for one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPush {
    /// The Huma user.
    pub huma_id: String,
    /// The Azure AD user, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_id: Option<String>,
    /// What happened.
    pub action: PushAction,
    /// The fields written (for a creation: the fields the person was created with).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
    /// Fields that differ but were not written, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
    /// More about what happened (why nothing was created, the error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What happened to one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushAction {
    /// Fields of the Azure AD user were written.
    Updated,
    /// The person was created in Azure AD.
    Created,
    /// Nothing differs (or nothing that differs can be written).
    Unchanged,
    /// No Azure AD user holds this person and auto-provisioning is off.
    NotInAzure,
    /// The Azure AD user linked to this person was deleted and no other holds them: not created
    /// again, whatever auto-provisioning says, as a sync does not either.
    DeletedInAzure,
    /// Auto-provisioning is on but the person cannot be created.
    CannotCreate,
    /// Several Azure AD users match this person: nothing was written.
    Ambiguous,
    /// Inactive in Huma or disabled in Azure AD: left alone, as a sync leaves them.
    Inactive,
    /// The Huma user no longer exists.
    Gone,
    /// A read or write failed.
    Failed,
}

/// The axum router: `POST /webhooks/huma`.
pub fn router(receiver: Arc<Receiver>) -> Router {
    Router::new()
        .route(PATH, post(receive))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(receiver)
}

/// Binds `addr` and serves the router until the process ends; returns the bound address (useful
/// with port 0) and the server's task.
///
/// # Errors
/// The address cannot be bound.
pub async fn spawn(
    receiver: Arc<Receiver>,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = router(receiver);
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the webhook server stopped");
        }
    });
    Ok((bound, task))
}

struct Headers<'a>(&'a HeaderMap);

impl WebhookHeaders for Headers<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.to_str().ok())
    }
}

fn json(status: StatusCode, value: &impl Serialize) -> Response {
    (status, axum::Json(serde_json::to_value(value).unwrap_or_default())).into_response()
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let event = match receiver.verifier.verify(&Headers(&headers), &body) {
        Ok(event) => event,
        Err(WebhookError::BodyTooLarge { len, max }) => {
            tracing::warn!(len, max, "refused a webhook body over the limit");
            return json(StatusCode::PAYLOAD_TOO_LARGE, &serde_json::json!({"error": "too large"}));
        }
        Err(WebhookError::Malformed { reason }) => {
            tracing::warn!(%reason, "refused a verified webhook whose body is not a JSON object");
            return json(StatusCode::BAD_REQUEST, &serde_json::json!({"error": "malformed"}));
        }
        Err(e) => {
            // The reason goes to the log only: the sender learns nothing about what was expected.
            tracing::warn!(reason = %e, "refused a webhook that failed verification");
            return json(StatusCode::UNAUTHORIZED, &serde_json::json!({"error": "unauthorized"}));
        }
    };
    match &event.topic {
        Topic::UsersCreate | Topic::UsersUpdate => {}
        other => {
            tracing::info!(topic = %other, users = event.users.len(), "webhook needs no push; ignored");
            let body = serde_json::json!({"topic": other.as_str(), "ignored": true});
            return json(StatusCode::ACCEPTED, &body);
        }
    }
    let summary = push(&receiver, &event).await;
    let failed = summary.users.iter().any(|u| u.action == PushAction::Failed);
    for user in &summary.users {
        tracing::info!(huma = %user.huma_id, azure = ?user.azure_id, action = ?user.action,
            fields = ?user.fields, "real-time push");
    }
    let status = if failed { StatusCode::BAD_GATEWAY } else { StatusCode::OK };
    json(status, &summary)
}

/// Carries out one verified `users-create` / `users-update` event.
pub async fn push(receiver: &Receiver, event: &huma_api::webhook::WebhookEvent) -> PushSummary {
    let topic = event.topic.to_string();
    let huma = &receiver.directories.huma;
    // A webhook carries only ids: each named user is read again (several at once); users that
    // no longer exist, as after `users-delete`, are left out.
    let records = match huma.records_for(event).await {
        Ok(records) => records,
        Err(e) => {
            tracing::warn!(error = %e, "could not read a webhook's users from Huma");
            let users = event
                .users
                .iter()
                .map(|u| UserPush {
                    huma_id: u.id.to_string(),
                    azure_id: None,
                    action: PushAction::Failed,
                    fields: Vec::new(),
                    skipped: Vec::new(),
                    detail: Some(format!("could not read the user from Huma: {e}")),
                })
                .collect();
            return PushSummary { topic, users };
        }
    };
    let links = match &receiver.state {
        Some(path) => match JsonFileStore::new(path).load() {
            Ok(state) => state.links,
            Err(e) => {
                tracing::warn!(error = %e, "the state file cannot be read; looking people up instead");
                Default::default()
            }
        },
        None => Default::default(),
    };
    let mut users = Vec::new();
    for webhook_user in &event.users {
        let id = RecordId::new(webhook_user.id.as_str());
        let Some(record) = records.iter().find(|r| r.id == id) else {
            users.push(UserPush {
                huma_id: id.to_string(),
                azure_id: None,
                action: PushAction::Gone,
                fields: Vec::new(),
                skipped: Vec::new(),
                detail: Some("the user no longer exists in Huma".to_owned()),
            });
            continue;
        };
        let linked = links.get(&record.id).map(|l| l.idp.clone());
        users.push(push_one(receiver, record, linked).await);
    }
    PushSummary { topic, users }
}

async fn push_one(receiver: &Receiver, hr: &Record, linked: Option<RecordId>) -> UserPush {
    let azure = &receiver.directories.azure;
    let mut out = UserPush {
        huma_id: hr.id.to_string(),
        azure_id: None,
        action: PushAction::Unchanged,
        fields: Vec::new(),
        skipped: Vec::new(),
        detail: None,
    };
    let fail = |mut out: UserPush, what: String| {
        out.action = PushAction::Failed;
        out.detail = Some(what);
        out
    };
    // The linked record, unless it was deleted; else the one record with the same employment id
    // or email (the person created again by hand).
    let twin = match &linked {
        Some(idp) => match azure.get(idp).await {
            Ok(found) => found,
            Err(e) => {
                return fail(
                    out,
                    format!("could not read the Azure AD user {idp}: {}", explain(&e)),
                );
            }
        },
        None => None,
    };
    let twin = match twin {
        Some(twin) => Some(twin),
        None => match azure.find_matching(&hr.person).await {
            Ok(mut found) if found.len() <= 1 => found.pop(),
            Ok(found) => {
                out.action = PushAction::Ambiguous;
                let ids: Vec<String> = found.iter().map(|r| r.id.to_string()).collect();
                out.detail = Some(format!(
                    "{} Azure AD users have this person's employment id or email ({}); nothing \
                     was written: remove the duplicates",
                    found.len(),
                    ids.join(", ")
                ));
                return out;
            }
            Err(e) => {
                let why = explain(&e);
                return fail(out, format!("could not look the person up in Azure AD: {why}"));
            }
        },
    };
    if let (None, Some(idp)) = (&twin, &linked) {
        out.action = PushAction::DeletedInAzure;
        out.detail = Some(format!(
            "the Azure AD user {idp} linked to this person was deleted; not created again: a \
             sync lists them, and creates them if you decide \"create\" for them"
        ));
        return out;
    }
    out.azure_id = twin.as_ref().map(|t| t.id.to_string());
    // A sync leaves inactive people alone unless told otherwise; so does the push.
    let disabled = twin.as_ref().is_some_and(|t| !t.active);
    if (!hr.active || disabled) && !receiver.include_inactive {
        out.action = PushAction::Inactive;
        let why = if hr.active { "disabled in Azure AD" } else { "inactive in Huma" };
        out.detail = Some(format!("{why}: left alone, as a sync leaves them"));
        return out;
    }
    let op =
        realtime_push(&hr.person, twin.as_ref(), &azure.capabilities(), receiver.auto_provision);
    match op {
        None if twin.is_none() => {
            out.action = PushAction::NotInAzure;
            out.detail = Some(
                "not in Azure AD; auto-provisioning is off, so the next sync lists them".to_owned(),
            );
        }
        None => {}
        Some(RealtimeOp::Update { id, changes, skipped }) => {
            out.skipped = skipped.iter().map(|(f, why)| format!("{f}: {why}")).collect();
            if !changes.is_empty() {
                if let Err(e) = azure.update(&id, &changes).await {
                    return fail(out, format!("Azure AD refused the update: {}", explain(&e)));
                }
                out.action = PushAction::Updated;
                out.fields = changes.iter().map(|c| c.field.label().to_owned()).collect();
            }
        }
        Some(RealtimeOp::Create { person, left_out }) => {
            out.skipped = left_out.iter().map(|(f, why)| format!("{f}: {why}")).collect();
            match azure.create(&person).await {
                Ok(created) => {
                    out.action = PushAction::Created;
                    out.azure_id = Some(created.id.to_string());
                    out.fields = Field::ALL
                        .into_iter()
                        .filter(|f| person.get(*f).is_some())
                        .map(|f| f.label().to_owned())
                        .collect();
                    remember(receiver, &hr.id, &created.id, &person, &created.person).await;
                }
                Err(e) => {
                    return fail(out, format!("Azure AD refused the new user: {}", explain(&e)));
                }
            }
        }
        Some(RealtimeOp::CannotCreate { reason }) => {
            out.action = PushAction::CannotCreate;
            out.detail = Some(reason);
        }
        Some(other) => {
            tracing::warn!(op = ?other, "a real-time operation this program does not know");
        }
    }
    out
}

/// Links a person created in Azure AD to their Huma user in the state file, so the next sync
/// pairs them by the link and knows the values both sides started with.
async fn remember(receiver: &Receiver, hr: &RecordId, idp: &RecordId, sent: &Person, got: &Person) {
    let Some(path) = &receiver.state else { return };
    let _guard = receiver.state_lock.lock().await;
    let store = JsonFileStore::new(path);
    let mut state = match store.load() {
        Ok(state) => state,
        Err(e) => {
            tracing::warn!(error = %e, "the state file cannot be read; the new link is not saved");
            return;
        }
    };
    state.link(hr.clone(), idp.clone(), sent.shared_with(got));
    if let Err(e) = store.save(&state) {
        tracing::warn!(error = %e, "the new link could not be saved to the state file");
    }
}

/// The HMAC-SHA256 of `body` with `secret`, hex: the `huma-hmac-sha256` header Huma sends.
pub fn sign(secret: &str, body: &[u8]) -> String {
    match Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this cannot happen.
        Err(_) => String::new(),
    }
}

/// The `webhook` program's command line.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "webhook",
    version,
    about = "Receive Huma's profile webhooks and push the changed fields to Azure AD in real time.",
    long_about = "Receive Huma's profile webhooks and push the changed fields to Azure AD in real \
        time.\n\nWithout a command, runs a demonstration against built-in fakes.\nSecrets come \
        from the environment: HUMA_CLIENT_SECRET, AZURE_CLIENT_SECRET, and HUMA_WEBHOOK_SECRET \
        and/or HUMA_WEBHOOK_TOKEN."
)]
pub struct WebhookArgs {
    /// What to do; nothing runs the demonstration.
    #[command(subcommand)]
    pub command: Option<WebhookCommand>,
}

/// The `webhook` program's commands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum WebhookCommand {
    /// Serve POST /webhooks/huma until stopped (Ctrl-C).
    Serve(ServeArgs),
}

/// Arguments of `webhook serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Create people in Azure AD who are not there yet.
    #[arg(long)]
    pub auto_provision: bool,
    /// Also push people inactive in Huma or disabled in Azure AD.
    #[arg(long)]
    pub include_inactive: bool,
    /// The verified domain new Azure AD users sign in with (needed with --auto-provision).
    #[arg(long, value_name = "DOMAIN")]
    pub upn_domain: Option<String>,
    /// The sync's state file, for the links between Huma and Azure AD users.
    #[arg(long, value_name = "FILE", default_value = "dirsync-state.json")]
    pub state: PathBuf,
    /// Where the two services are.
    #[command(flatten)]
    pub connection: crate::cli::ConnectionArgs,
}

/// Runs the `webhook` program with these arguments; without a command, the demonstration.
pub async fn main_with(
    argv: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
    console: &mut Console,
) -> Outcome {
    let args: WebhookArgs = match crate::run::parse_args(argv, console) {
        Ok(args) => args,
        Err(outcome) => return outcome,
    };
    match args.command {
        None => demo(console).await,
        Some(WebhookCommand::Serve(serve_args)) => serve(&serve_args, console).await,
    }
}

async fn serve(args: &ServeArgs, console: &mut Console) -> Outcome {
    if args.auto_provision && args.upn_domain.as_deref().is_none_or(|d| d.trim().is_empty()) {
        say!(console.err, "error: --auto-provision needs --upn-domain DOMAIN");
        return Outcome::Usage;
    }
    let secret = connect::secret_from_env(HUMA_WEBHOOK_SECRET);
    let token = connect::secret_from_env(HUMA_WEBHOOK_TOKEN);
    if secret.is_none() && token.is_none() {
        say!(
            console.err,
            "error: set {HUMA_WEBHOOK_SECRET} and/or {HUMA_WEBHOOK_TOKEN} to what the webhook in \
             Huma is configured with: unverified webhooks are never accepted"
        );
        return Outcome::CouldNotRun;
    }
    let new_people = NewPeople {
        upn_domain: args.upn_domain.clone().unwrap_or_default(),
        ..NewPeople::default()
    };
    let directories = match connect::connect(&args.connection, &new_people, &Secrets::from_env()) {
        Ok(d) => d,
        Err(ConfigError(e)) => {
            say!(console.err, "error: {e}");
            return Outcome::CouldNotRun;
        }
    };
    let receiver = Arc::new(
        Receiver::new(
            directories,
            WebhookVerifier::new(secret, token),
            Some(args.state.clone()),
            args.auto_provision,
        )
        .include_inactive(args.include_inactive),
    );
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            say!(console.err, "error: cannot listen on {}: {e}", args.listen);
            return Outcome::CouldNotRun;
        }
    };
    say!(console.out, "listening on http://{}{PATH}", args.listen);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, router(receiver)).with_graceful_shutdown(shutdown).await {
        Ok(()) => Outcome::Done,
        Err(e) => {
            say!(console.err, "error: the server stopped: {e}");
            Outcome::CouldNotRun
        }
    }
}

/// A secret only the demo's fake Huma and its server share.
const DEMO_SECRET: &str = "demo-webhook-secret";

/// `cargo run --example webhook` without arguments: the fakes, the server, and a fake Huma that
/// changes people and sends the webhooks.
pub async fn demo(console: &mut Console) -> Outcome {
    match demo_inner(console).await {
        Ok(()) => Outcome::Done,
        Err(e) => {
            say!(console.err, "error: {e}");
            Outcome::CouldNotRun
        }
    }
}

async fn start_receiver(
    graph: &testkit::FakeGraph,
    huma: &testkit::FakeHuma,
    auto_provision: bool,
) -> Result<(String, tokio::task::JoinHandle<()>), String> {
    let directories = connect::connect_to_fakes(graph, huma, &crate::demo::new_people());
    let verifier = WebhookVerifier::new(Some(SecretString::from(DEMO_SECRET)), None);
    let receiver = Arc::new(Receiver::new(directories, verifier, None, auto_provision));
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let (addr, task) = spawn(receiver, local).await.map_err(|e| e.to_string())?;
    Ok((format!("http://{addr}{PATH}"), task))
}

/// Posts a webhook the way Huma does: the topic in header and body, the body signed.
///
/// # Errors
/// The request could not be sent.
pub async fn send(
    http: &reqwest::Client,
    url: &str,
    secret: &str,
    topic: &str,
    users: &[(&str, &str)],
) -> Result<(u16, String), reqwest::Error> {
    let users: Vec<serde_json::Value> =
        users.iter().map(|(id, email)| serde_json::json!({"id": id, "email": email})).collect();
    let body = serde_json::to_vec(&serde_json::json!({"topic": topic, "users": users}))
        .unwrap_or_default();
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .header("huma-topic", topic)
        .header("huma-hmac-sha256", sign(secret, &body))
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}

fn show(console: &mut Console, status: u16, body: &str) {
    let summary: Option<PushSummary> = serde_json::from_str(body).ok();
    match summary {
        Some(summary) => {
            say!(console.out, "  ← {status}");
            for u in summary.users {
                let azure = u.azure_id.map(|a| format!(" → Azure AD {a}")).unwrap_or_default();
                say!(console.out, "    Huma {}{azure}: {:?}", u.huma_id, u.action);
                if !u.fields.is_empty() {
                    say!(console.out, "      pushed: {}", u.fields.join(", "));
                }
                for s in u.skipped {
                    say!(console.out, "      not pushed: {s}");
                }
                if let Some(detail) = u.detail {
                    say!(console.out, "      {detail}");
                }
            }
        }
        None => say!(console.out, "  ← {status} {body}"),
    }
}

async fn demo_inner(console: &mut Console) -> Result<(), String> {
    use dirsync::{Address, CountryCode};
    use testkit::{FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, HumaUser, JobTitle};

    let (graph, huma) = tokio::join!(
        FakeGraph::start(GraphConfig::default()),
        FakeHuma::start(HumaConfig::default())
    );
    let domain = crate::demo::DOMAIN;
    let start = chrono::NaiveDate::from_ymd_opt(2021, 4, 1).unwrap_or_default();
    let ada = Person::new()
        .with_email(format!("ada.lund@{domain}"))
        .with_given_name("Ada")
        .with_family_name("Lund")
        .with_employment_id("E2001")
        .with_phone("+47 911 00 001")
        .with_address(Address::new("Storgata 1", "0150", "Oslo", CountryCode::parse("NO").ok()))
        .with_job_title("Software Engineer")
        .with_employment_start_date(start);
    let ada_huma = huma.insert_user(HumaUser::from_person(&ada)).map_err(|e| e.to_string())?;
    let ada_azure = graph.insert_user(GraphUser::from_person(&ada)).map_err(|e| e.to_string())?;
    let bo = ada
        .clone()
        .with_email(format!("bo.ek@{domain}"))
        .with_given_name("Bo")
        .with_family_name("Ek")
        .with_employment_id("E2002");
    huma.insert_user(HumaUser::from_person(&bo)).map_err(|e| e.to_string())?;
    graph.insert_user(GraphUser::from_person(&bo)).map_err(|e| e.to_string())?;

    let (url, plain) = start_receiver(&graph, &huma, false).await?;
    let http = reqwest::Client::new();
    say!(console.out, "dirsync webhook demo");
    say!(console.out, "  fake Huma at {}, fake Microsoft Graph at {}", huma.uri(), graph.uri());
    say!(console.out, "  webhook server at {url} (auto-provisioning off)");

    // 1. Ada is promoted and gets a new phone in Huma.
    say!(console.out);
    say!(
        console.out,
        "1. In Huma, Ada Lund becomes Lead Engineer with a new phone; Huma sends users-update"
    );
    huma.update_user(&ada_huma, |u| {
        u.phone = Some("+47 911 00 999".into());
        if let Some(position) = u.positions.first_mut() {
            position.title = Some(JobTitle::named("Lead Engineer"));
        }
    });
    let email = format!("ada.lund@{domain}");
    let (status, body) = send(&http, &url, DEMO_SECRET, "users-update", &[(&ada_huma, &email)])
        .await
        .map_err(|e| e.to_string())?;
    show(console, status, &body);
    if let Some(user) = graph.user(&ada_azure) {
        say!(
            console.out,
            "  Azure AD now: job title {:?}, mobile phone {:?}",
            user.job_title.unwrap_or_default(),
            user.mobile_phone.unwrap_or_default()
        );
    }

    // 2. The same webhook again: nothing differs any more.
    say!(console.out);
    say!(console.out, "2. The same webhook again: nothing differs, nothing is written");
    let (status, body) = send(&http, &url, DEMO_SECRET, "users-update", &[(&ada_huma, &email)])
        .await
        .map_err(|e| e.to_string())?;
    show(console, status, &body);

    // 3. A forged request.
    say!(console.out);
    say!(console.out, "3. A request signed with the wrong secret");
    let (status, body) =
        send(&http, &url, "not-the-secret", "users-update", &[(&ada_huma, &email)])
            .await
            .map_err(|e| e.to_string())?;
    say!(console.out, "  ← {status} {body}   (the reason is in the server's log only)");

    // 4. A new hire, without and with auto-provisioning.
    let cleo = Person::new()
        .with_email(format!("cleo.dahl@{domain}"))
        .with_given_name("Cleo")
        .with_family_name("Dahl")
        .with_employment_id("E2003")
        .with_job_title("Designer")
        .with_employment_start_date(start);
    let cleo_huma = huma.insert_user(HumaUser::from_person(&cleo)).map_err(|e| e.to_string())?;
    let cleo_email = format!("cleo.dahl@{domain}");
    say!(console.out);
    say!(console.out, "4. Cleo Dahl is added in Huma; Huma sends users-create");
    let (status, body) =
        send(&http, &url, DEMO_SECRET, "users-create", &[(&cleo_huma, &cleo_email)])
            .await
            .map_err(|e| e.to_string())?;
    show(console, status, &body);
    plain.abort();

    let (url, provisioning) = start_receiver(&graph, &huma, true).await?;
    say!(console.out);
    say!(console.out, "5. The same users-create to a server with --auto-provision ({url})");
    let (status, body) =
        send(&http, &url, DEMO_SECRET, "users-create", &[(&cleo_huma, &cleo_email)])
            .await
            .map_err(|e| e.to_string())?;
    show(console, status, &body);
    if let Some(user) = graph.user(&cleo_email) {
        say!(
            console.out,
            "  Azure AD now: {} ({}), job title {:?}",
            user.user_principal_name.unwrap_or_default(),
            user.display_name.unwrap_or_default(),
            user.job_title.unwrap_or_default()
        );
    }

    // 6. A topic that needs no push.
    say!(console.out);
    say!(console.out, "6. users-delete: Azure AD accounts are never deleted from a webhook");
    let (status, body) =
        send(&http, &url, DEMO_SECRET, "users-delete", &[(&cleo_huma, &cleo_email)])
            .await
            .map_err(|e| e.to_string())?;
    say!(console.out, "  ← {status} {body}");
    provisioning.abort();
    Ok(())
}

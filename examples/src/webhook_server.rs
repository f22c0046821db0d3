//! The `webhook` program: Huma's profile webhooks pushed to Azure AD in real time, served by
//! [`dirsync_webhook::Receiver`]'s Router; this module maps the program's arguments and
//! environment to the receiver, and runs the demonstration.
//!
//! The webhook's client secret comes from `HUMA_WEBHOOK_SECRET` (header `huma-hmac-sha256`) and/or
//! its access token from `HUMA_WEBHOOK_TOKEN` (`Authorization: Bearer`); with neither, the server
//! does not start. `--auto-provision` creates people not in Azure AD yet, `--include-inactive`
//! pushes inactive ones too, `--state` is where the links are.
//!
//! With a scope (`--huma-company`, `--azure-group`, `--azure-exclude-group` and the others, as
//! for `sync`), a person outside it is answered and left alone (`out_of_scope`, with why), and a
//! group of the scope that does not exist stops the server from starting.
//!
//! With `--disable-leavers`, a `users-delete` disables the Azure AD accounts linked to the
//! deleted people, and an update that makes a person inactive disables theirs (never deleting
//! anyone); an account the sync disabled is enabled again when its person is active again.
//!
//! The answers are [`dirsync_webhook`]'s: 200 with a JSON [`PushSummary`], 502 with the same
//! summary when a write or a read failed, 401 with no detail for a bad signature or token, 413
//! for a body over [`MAX_BODY`], 202 for topics that need no push.

use crate::connect;
use crate::run::{Console, Outcome, say};
use dirsync::{
    directory::ErrorChain,
    model::Person,
    policy::Leavers,
    realtime::{AutoProvisioning, PushSettings},
};
use dirsync_connect::{ReceiverError, ReceiverSettings, Secrets};
use huma_api::SecretString;
use huma_api::webhook::WebhookVerifier;
use std::net::SocketAddr;

pub use dirsync_webhook::{MAX_BODY, PATH, PushAction, PushSummary, Receiver, UserPush, sign};

pub use dirsync_connect::{HUMA_WEBHOOK_SECRET, HUMA_WEBHOOK_TOKEN};

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
    /// What the receiver does, and where it reads and writes.
    #[command(flatten)]
    pub receiver: ReceiverSettings,
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
    let verifier = args.receiver.check().and_then(|()| dirsync_connect::verifier_from_env());
    let verifier = match verifier {
        Ok(verifier) => verifier,
        Err(e) => return refused(&e, console),
    };
    let receiver = match ready(args, &Secrets::from_env(), verifier, console).await {
        Ok(receiver) => receiver,
        Err(outcome) => return outcome,
    };
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
    match axum::serve(listener, receiver.router()).with_graceful_shutdown(shutdown).await {
        Ok(()) => Outcome::Done,
        Err(e) => {
            say!(console.err, "error: the server stopped: {e}");
            Outcome::CouldNotRun
        }
    }
}

/// The receiver `webhook serve` runs for `args`, with `secrets` and `verifier`, once everything
/// it needs is there (see [`ReceiverSettings::ready`]); else the exit code, the reason printed.
///
/// # Errors
/// [`Outcome::Usage`] for arguments that do not fit, [`Outcome::CouldNotRun`] otherwise.
pub async fn ready(
    args: &ServeArgs,
    secrets: &Secrets,
    verifier: WebhookVerifier,
    console: &mut Console,
) -> Result<Receiver, Outcome> {
    match args.receiver.ready(secrets, verifier).await {
        Ok(ready) => {
            if let Some(idp) = ready.cannot_disable {
                say!(
                    console.err,
                    "warning: {idp} cannot disable accounts, so --disable-leavers disables nobody"
                );
            }
            Ok(ready.receiver)
        }
        Err(e) => Err(refused(&e, console)),
    }
}

/// Says why the receiver cannot serve; the exit code.
fn refused(error: &ReceiverError, console: &mut Console) -> Outcome {
    let (outcome, message) = match error {
        ReceiverError::State(state) if state.is_settings() => (Outcome::Usage, state.to_string()),
        ReceiverError::State(state) => (Outcome::CouldNotRun, ErrorChain(state).to_string()),
        ReceiverError::Connect(e) => (Outcome::CouldNotRun, connect::explain_connect_error(e)),
        ReceiverError::Scoped(e) => (Outcome::CouldNotRun, connect::explain_idp_error(e)),
        e if e.is_settings() => (Outcome::Usage, e.to_string()),
        e => (Outcome::CouldNotRun, e.to_string()),
    };
    say!(console.err, "error: {message}");
    outcome
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
    leavers: Leavers,
) -> Result<(String, tokio::task::JoinHandle<()>), String> {
    let (huma, azure) = connect::connect_to_fakes(graph, huma, &crate::demo::new_people()).shared();
    let verifier = WebhookVerifier::new(Some(SecretString::from(DEMO_SECRET)), None);
    let provisioning = if auto_provision { AutoProvisioning::On } else { AutoProvisioning::Off };
    let settings = PushSettings { provisioning, leavers, ..PushSettings::default() };
    let receiver = Receiver::new(huma, azure, verifier).with_settings(settings);
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let (addr, task) = receiver.spawn(local).await.map_err(|e| e.to_string())?;
    Ok((format!("http://{addr}{PATH}"), task))
}

fn show(console: &mut Console, status: u16, body: &str) {
    match serde_json::from_str::<PushSummary>(body) {
        Ok(summary) => {
            say!(console.out, "  ← {status}");
            for line in summary.to_string().lines() {
                say!(console.out, "    {line}");
            }
        }
        Err(_) => say!(console.out, "  ← {status} {body}"),
    }
}

async fn demo_inner(console: &mut Console) -> Result<(), String> {
    let demo = WebhookDemo::start().await?;
    demo.updates(console).await?;
    demo.new_hire(console).await?;
    demo.leaver(console).await
}

/// The webhook demo's fakes and people: Ada and Bo, in both.
struct WebhookDemo {
    graph: testkit::FakeGraph,
    huma: testkit::FakeHuma,
    /// Ada's and Bo's ids: (Huma, Azure AD).
    ada: (String, String),
    bo: (String, String),
}

impl WebhookDemo {
    async fn start() -> Result<WebhookDemo, String> {
        use testkit::{FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, HumaUser};
        let (graph, huma) = tokio::join!(
            FakeGraph::start(GraphConfig::default()),
            FakeHuma::start(HumaConfig::default())
        );
        let seed = |person: &Person| -> Result<(String, String), String> {
            let h = huma.insert_user(HumaUser::from_person(person)).map_err(|e| e.to_string())?;
            let a = graph.insert_user(GraphUser::from_person(person)).map_err(|e| e.to_string())?;
            Ok((h, a))
        };
        let ada = seed(&testkit::demo::employee("Ada", "Lund", "E2001"))?;
        let bo = seed(&testkit::demo::employee("Bo", "Ek", "E2002"))?;
        Ok(WebhookDemo { graph, huma, ada, bo })
    }

    /// Sends `topic` for the Huma user `id` with `email`, signed with `secret`.
    async fn send(
        &self,
        url: &str,
        secret: &str,
        topic: &str,
        (id, email): (&str, &str),
    ) -> Result<(u16, String), String> {
        let webhook = testkit::HumaWebhook::new(url, secret);
        webhook.deliver(topic, &[(id, email)]).await.map_err(|e| e.to_string())
    }

    /// 1–3: an update pushed, the same again, and a forged request.
    async fn updates(&self, console: &mut Console) -> Result<(), String> {
        let (url, plain) =
            start_receiver(&self.graph, &self.huma, false, Leavers::default()).await?;
        say!(console.out, "dirsync webhook demo");
        let (huma_uri, graph_uri) = (self.huma.uri(), self.graph.uri());
        say!(console.out, "  fake Huma at {huma_uri}, fake Microsoft Graph at {graph_uri}");
        say!(console.out, "  webhook server at {url} (auto-provisioning off)");
        say!(console.out);
        say!(
            console.out,
            "1. In Huma, Ada Lund becomes Lead Engineer with a new phone; Huma sends users-update"
        );
        self.huma.update_user(&self.ada.0, |u| {
            u.phone = Some("+47 911 00 999".into());
            if let Some(position) = u.positions.first_mut() {
                position.title = Some(testkit::JobTitle::named("Lead Engineer"));
            }
        });
        let email = format!("ada.lund@{}", crate::demo::DOMAIN);
        let ada = (self.ada.0.as_str(), email.as_str());
        let (status, body) = self.send(&url, DEMO_SECRET, "users-update", ada).await?;
        show(console, status, &body);
        if let Some(user) = self.graph.user(&self.ada.1) {
            let (title, phone) = (user.job_title.unwrap_or_default(), user.mobile_phone);
            say!(
                console.out,
                "  Azure AD now: job title {title:?}, mobile phone {:?}",
                phone.unwrap_or_default()
            );
        }
        say!(console.out);
        say!(console.out, "2. The same webhook again: nothing differs, nothing is written");
        let (status, body) = self.send(&url, DEMO_SECRET, "users-update", ada).await?;
        show(console, status, &body);
        say!(console.out);
        say!(console.out, "3. A request signed with the wrong secret");
        let (status, body) = self.send(&url, "not-the-secret", "users-update", ada).await?;
        say!(console.out, "  ← {status} {body}   (the reason is in the server's log only)");
        plain.abort();
        Ok(())
    }

    /// 4–6: a new hire, without and with auto-provisioning; a deletion deletes nobody.
    async fn new_hire(&self, console: &mut Console) -> Result<(), String> {
        let cleo = testkit::demo::new_hire("Cleo", "Dahl", "E2003", "Designer");
        let cleo_huma = self
            .huma
            .insert_user(testkit::HumaUser::from_person(&cleo))
            .map_err(|e| e.to_string())?;
        let cleo_email = cleo.email().unwrap_or_default().to_owned();
        let cleo_ids = (cleo_huma.as_str(), cleo_email.as_str());
        let (url, plain) =
            start_receiver(&self.graph, &self.huma, false, Leavers::default()).await?;
        say!(console.out);
        say!(console.out, "4. Cleo Dahl is added in Huma; Huma sends users-create");
        let (status, body) = self.send(&url, DEMO_SECRET, "users-create", cleo_ids).await?;
        show(console, status, &body);
        plain.abort();
        let (url, provisioning) =
            start_receiver(&self.graph, &self.huma, true, Leavers::default()).await?;
        say!(console.out);
        say!(console.out, "5. The same users-create to a server with --auto-provision ({url})");
        let (status, body) = self.send(&url, DEMO_SECRET, "users-create", cleo_ids).await?;
        show(console, status, &body);
        if let Some(user) = self.graph.user(&cleo_email) {
            say!(
                console.out,
                "  Azure AD now: {} ({}), job title {:?}",
                user.user_principal_name.unwrap_or_default(),
                user.display_name.unwrap_or_default(),
                user.job_title.unwrap_or_default()
            );
        }
        say!(console.out);
        say!(console.out, "6. users-delete: Azure AD accounts are never deleted from a webhook");
        let (status, body) = self.send(&url, DEMO_SECRET, "users-delete", cleo_ids).await?;
        say!(console.out, "  ← {status} {body}");
        provisioning.abort();
        Ok(())
    }

    /// 7: a leaver, with --disable-leavers.
    async fn leaver(&self, console: &mut Console) -> Result<(), String> {
        let leavers = Leavers { disable: true, revoke_sessions: true };
        let (url, leaving) = start_receiver(&self.graph, &self.huma, false, leavers).await?;
        say!(console.out);
        say!(
            console.out,
            "7. Bo Ek leaves: inactive in Huma; Huma sends users-update to a server with \
             --disable-leavers --revoke-sessions ({url})"
        );
        self.huma.update_user(&self.bo.0, |u| u.active = false);
        let email = format!("bo.ek@{}", crate::demo::DOMAIN);
        let bo = (self.bo.0.as_str(), email.as_str());
        let (status, body) = self.send(&url, DEMO_SECRET, "users-update", bo).await?;
        show(console, status, &body);
        if let Some(user) = self.graph.user(&self.bo.1) {
            say!(
                console.out,
                "  Azure AD now: account enabled {:?} (disabled, never deleted), sign-in sessions \
                 revoked {} time(s)",
                user.account_enabled.unwrap_or(true),
                self.graph.revocations(&self.bo.1)
            );
        }
        leaving.abort();
        Ok(())
    }
}

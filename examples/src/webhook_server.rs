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

use crate::run::{Console, Outcome, refused, say};
use dirsync::{
    model::Person,
    policy::Leavers,
    realtime::{AutoProvisioning, PushSettings},
};
use dirsync_connect::{Directories, ReceiverSettings, Secrets};
use huma_api::SecretString;
use huma_api::webhook::WebhookVerifier;
use std::net::SocketAddr;
use testkit::demo::{employee, new_hire};
use testkit::{FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, HumaUser, HumaWebhook};
use testkit::{JobTitle, SeedError};

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
        Err(e) => return refused(console, &e),
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
            if let Some(warning) = ready.cannot_disable {
                say!(console.err, "warning: {warning}");
            }
            Ok(ready.receiver)
        }
        Err(e) => Err(refused(console, &e)),
    }
}

/// A secret only the demo's fake Huma and its server share.
const DEMO_SECRET: &str = "demo-webhook-secret";

/// What stops the demo: a fake that refused a person, a server that cannot listen, a webhook
/// that could not be sent.
type DemoError = Box<dyn std::error::Error + Send + Sync>;

/// `cargo run --example webhook` without arguments: the fakes, the server, and a fake Huma that
/// changes people and sends the webhooks.
pub async fn demo(console: &mut Console) -> Outcome {
    match demo_steps(console).await {
        Ok(()) => Outcome::Done,
        Err(e) => {
            say!(console.err, "error: {e}");
            Outcome::CouldNotRun
        }
    }
}

async fn demo_steps(console: &mut Console) -> Result<(), DemoError> {
    let (graph, huma) = tokio::join!(
        FakeGraph::start(GraphConfig::default()),
        FakeHuma::start(HumaConfig::default())
    );
    let demo = WebhookDemo { graph, huma };
    let ada = demo.add(&employee("Ada", "Lund", "E2001"), true)?;
    let bo = demo.add(&employee("Bo", "Ek", "E2002"), true)?;
    demo.updates(console, &ada).await?;
    demo.hiring(console).await?;
    demo.leaver(console, &bo).await
}

/// The demo's fake Huma and fake Microsoft Graph.
struct WebhookDemo {
    graph: FakeGraph,
    huma: FakeHuma,
}

/// Someone as a webhook names them: their Huma id, and their email (also their sign-in name in
/// Azure AD).
struct Named {
    id: String,
    email: String,
}

impl WebhookDemo {
    /// Adds `person` to Huma, and to Azure AD too when `in_azure`.
    fn add(&self, person: &Person, in_azure: bool) -> Result<Named, SeedError> {
        let id = self.huma.insert_user(HumaUser::from_person(person))?;
        if in_azure {
            self.graph.insert_user(GraphUser::from_person(person))?;
        }
        Ok(Named { id, email: person.email().unwrap_or_default().to_owned() })
    }

    /// A receiver over the fakes, as `webhook serve` runs one with these settings.
    async fn server(
        &self,
        provisioning: AutoProvisioning,
        leavers: Leavers,
    ) -> Result<DemoServer, DemoError> {
        let (huma, azure) =
            Directories::for_fakes(&self.graph, &self.huma, &crate::demo::new_people()).shared();
        let verifier = WebhookVerifier::new(Some(SecretString::from(DEMO_SECRET)), None);
        let settings = PushSettings { provisioning, leavers, ..PushSettings::default() };
        let receiver = Receiver::new(huma, azure, verifier).with_settings(settings);
        let (addr, task) = receiver.spawn(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{addr}{PATH}");
        Ok(DemoServer { huma: HumaWebhook::new(&url, DEMO_SECRET), url, task })
    }

    /// 1–3: an update pushed, the same again, and a forged request.
    async fn updates(&self, console: &mut Console, ada: &Named) -> Result<(), DemoError> {
        let server = self.server(AutoProvisioning::Off, Leavers::default()).await?;
        say!(console.out, "dirsync webhook demo");
        let (huma_uri, graph_uri) = (self.huma.uri(), self.graph.uri());
        say!(console.out, "  fake Huma at {huma_uri}, fake Microsoft Graph at {graph_uri}");
        say!(console.out, "  webhook server at {} (auto-provisioning off)", server.url);
        say!(
            console.out,
            "\n1. In Huma, Ada Lund becomes Lead Engineer with a new phone; Huma sends users-update"
        );
        self.huma.update_user(&ada.id, |u| {
            u.phone = Some("+47 911 00 999".into());
            if let Some(position) = u.positions.first_mut() {
                position.title = Some(JobTitle::named("Lead Engineer"));
            }
        });
        server.send(console, "users-update", ada).await?;
        if let Some(user) = self.graph.user(&ada.email) {
            let title = user.job_title.unwrap_or_default();
            let phone = user.mobile_phone.unwrap_or_default();
            say!(console.out, "  Azure AD now: job title {title:?}, mobile phone {phone:?}");
        }
        say!(console.out, "\n2. The same webhook again: nothing differs, nothing is written");
        server.send(console, "users-update", ada).await?;
        say!(console.out, "\n3. A request signed with the wrong secret");
        let forged = HumaWebhook::new(&server.url, "not-the-secret");
        let (status, body) = forged.deliver("users-update", &[(&ada.id, &ada.email)]).await?;
        say!(console.out, "  ← {status} {body}   (the reason is in the server's log only)");
        Ok(())
    }

    /// 4–6: a new hire, without and with auto-provisioning; a deletion deletes nobody.
    async fn hiring(&self, console: &mut Console) -> Result<(), DemoError> {
        let cleo = self.add(&new_hire("Cleo", "Dahl", "E2003", "Designer"), false)?;
        let server = self.server(AutoProvisioning::Off, Leavers::default()).await?;
        say!(console.out, "\n4. Cleo Dahl is added in Huma; Huma sends users-create");
        server.send(console, "users-create", &cleo).await?;
        drop(server);
        let server = self.server(AutoProvisioning::On, Leavers::default()).await?;
        let url = &server.url;
        say!(console.out, "\n5. The same users-create to a server with --auto-provision ({url})");
        server.send(console, "users-create", &cleo).await?;
        if let Some(user) = self.graph.user(&cleo.email) {
            let upn = user.user_principal_name.unwrap_or_default();
            let name = user.display_name.unwrap_or_default();
            let title = user.job_title.unwrap_or_default();
            say!(console.out, "  Azure AD now: {upn} ({name}), job title {title:?}");
        }
        say!(console.out, "\n6. users-delete: Azure AD accounts are never deleted from a webhook");
        server.send(console, "users-delete", &cleo).await
    }

    /// 7: a leaver, with --disable-leavers.
    async fn leaver(&self, console: &mut Console, bo: &Named) -> Result<(), DemoError> {
        let leavers = Leavers { disable: true, revoke_sessions: true };
        let server = self.server(AutoProvisioning::Off, leavers).await?;
        say!(
            console.out,
            "\n7. Bo Ek leaves: inactive in Huma; Huma sends users-update to a server with \
             --disable-leavers --revoke-sessions ({})",
            server.url
        );
        self.huma.update_user(&bo.id, |u| u.active = false);
        server.send(console, "users-update", bo).await?;
        if let Some(user) = self.graph.user(&bo.email) {
            say!(
                console.out,
                "  Azure AD now: account enabled {:?} (disabled, never deleted), sign-in sessions \
                 revoked {} time(s)",
                user.account_enabled.unwrap_or(true),
                self.graph.revocations(&bo.email)
            );
        }
        Ok(())
    }
}

/// A receiver the demo runs, and Huma's webhook to it; it stops serving when dropped.
struct DemoServer {
    url: String,
    huma: HumaWebhook,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DemoServer {
    /// Sends `topic` about `who` as Huma does, and shows the answer: its status, then the people
    /// pushed, or else the body as it came.
    async fn send(&self, console: &mut Console, topic: &str, who: &Named) -> Result<(), DemoError> {
        let (status, body) = self.huma.deliver(topic, &[(&who.id, &who.email)]).await?;
        match serde_json::from_str::<PushSummary>(&body) {
            Ok(summary) => {
                say!(console.out, "  ← {status}");
                for line in summary.to_string().lines() {
                    say!(console.out, "    {line}");
                }
            }
            Err(_) => say!(console.out, "  ← {status} {body}"),
        }
        Ok(())
    }
}

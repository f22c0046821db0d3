//! `sync review`: the sync as a page in a browser (the `dirsync-review` crate), served on
//! 127.0.0.1 behind a random token, until the report is shown or Ctrl-C.

use crate::cli::ReviewArgs;
use crate::run::{Console, Outcome, Run, applied_run, refused, say};
use dirsync::{directory::Directory, store::StateStore};
use dirsync_connect::{EmailOutcome, EmailSettings, NewPeople, Secrets, SmtpEnv, SyncSetup};
use dirsync_review::{Access, AccessToken, Finished, Review, ReviewEmail};
use std::future::Future;
use std::io::Write as _;
use std::sync::Arc;

/// Runs `sync review`: connects, plans, serves the page, and ends as `apply` would once the
/// report is shown, or when `stop` resolves first (Ctrl-C: nothing written, lease let go).
pub async fn review(
    args: &ReviewArgs,
    secrets: &Secrets,
    console: &mut Console,
    stop: impl Future<Output = ()>,
) -> Outcome {
    let settings = match SyncSetup::new(&args.sync) {
        Ok(settings) => settings,
        Err(e) => return refused(console, &e),
    };
    let new_people = NewPeople::from(&args.sync.policy);
    let directories = match dirsync_connect::connect(&args.sync.connection, &new_people, secrets) {
        Ok(directories) => directories,
        Err(e) => return refused(console, &e),
    };
    let graph = directories.idp.graph();
    let email = match review_email(&args.sync.email, graph, &SmtpEnv::from_env()) {
        Ok(email) => email,
        Err(why) => {
            say!(console.err, "{}", EmailOutcome::Failed { why });
            None
        }
    };
    let idp = directories.idp.shared();
    crate::run::warn_if_cannot_disable(&settings, idp.as_ref(), console);
    let page = Page { port: args.port, open: args.open, email };
    serve(Arc::new(directories.huma), idp, &settings, page, console, stop).await
}

/// The report email of `sync review`, as `settings` ask (`Ok(None)` without --email-to): the
/// page sends it after the apply and says so.
///
/// # Errors
/// What is missing to send it, in words.
pub fn review_email(
    settings: &EmailSettings,
    graph: Option<&azure_graph::GraphClient>,
    smtp: &SmtpEnv,
) -> Result<Option<ReviewEmail>, String> {
    if settings.email_to.is_empty() {
        return Ok(None);
    }
    let (mailer, from) =
        dirsync_connect::mailer(settings, graph, smtp).map_err(|e| e.to_string())?;
    let to = settings.email_to.iter().map(|to| to.trim().to_owned());
    Ok(Some(ReviewEmail::new(mailer, from, to).on(settings.email_on.into())))
}

/// How the page is served.
#[derive(Debug, Default)]
pub struct Page {
    /// The port on 127.0.0.1; `None` for a free one.
    pub port: Option<u16>,
    /// Whether to open a browser at it.
    pub open: bool,
    /// The report email, when asked for.
    pub email: Option<ReviewEmail>,
}

/// Plans `hr` and `idp` as `settings` say, serves the review page, and ends as `apply` would.
pub async fn serve(
    hr: Arc<dyn Directory>,
    idp: Arc<dyn Directory>,
    settings: &SyncSetup,
    page: Page,
    console: &mut Console,
    stop: impl Future<Output = ()>,
) -> Outcome {
    let token = AccessToken::random();
    let store = match settings.state.open().await {
        Ok(store) => store.shared(),
        Err(e) => return refused(console, &e),
    };
    let reviewing = review_of((hr, idp, store), settings, page.email, token.clone()).start();
    let plan = match reviewing.plan().await {
        Ok(plan) => plan,
        Err(why) => {
            say!(console.err, "error: {why}; nothing was written");
            return Outcome::CouldNotRun;
        }
    };
    if let Some(decisions) = &settings.decisions {
        let mut check = plan.clone();
        if let Err(e) = decisions.apply_to(|id, decision| check.decide(id, decision)) {
            say!(console.err, "error: {e}");
            return Outcome::Usage;
        }
    }
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", page.port.unwrap_or(0))).await
    {
        Ok(listener) => listener,
        Err(e) => {
            let port = page.port.map_or_else(|| "a free port".to_owned(), |p| format!("port {p}"));
            say!(
                console.err,
                "error: cannot serve the page on 127.0.0.1 at {port}: {e}; choose another with --port"
            );
            return Outcome::CouldNotRun;
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let url = format!("http://127.0.0.1:{port}/?token={}", token.reveal());
    say!(console.out, "Review the sync at {url}");
    let _ = console.out.flush();
    if page.open {
        open_browser(&url, console);
    }
    let finished = reviewing.serve(listener, stop).await;
    end(finished, plan, settings, console)
}

fn review_of(
    (hr, idp, store): (Arc<dyn Directory>, Arc<dyn Directory>, Arc<dyn StateStore>),
    settings: &SyncSetup,
    email: Option<ReviewEmail>,
    token: AccessToken,
) -> Review {
    let options = settings.apply_options();
    let decisions =
        settings.decisions.iter().flat_map(|d| d.entries()).map(|e| (e.id.clone(), e.decision));
    let mut review = Review::new(hr, idp, store)
        .with_policy(settings.policy.clone())
        .with_apply_options(options)
        .with_title(settings.title.clone())
        .with_decisions(decisions)
        .with_access(Access::local(token));
    if let Some(email) = email {
        review = review.with_email(email);
    }
    review
}

/// The report printed and written, the email's outcome said, and the exit code, as `apply`.
fn end(
    finished: Option<Finished>,
    plan: dirsync::plan::Plan,
    settings: &SyncSetup,
    console: &mut Console,
) -> Outcome {
    let Some(Finished { result, email, .. }) = finished else {
        say!(console.err, "Stopped before the sync: nothing was written.");
        return Outcome::Interrupted;
    };
    let run: Run = applied_run(result, plan, settings, console);
    match email {
        Some(Ok(to)) => say!(console.out, "Report emailed to {}.", to.join(", ")),
        Some(Err(e)) => say!(
            console.err,
            "{}",
            EmailOutcome::Failed { why: dirsync::directory::ErrorChain(&e).to_string() }
        ),
        None => {}
    }
    run.outcome
}

fn open_browser(url: &str, console: &mut Console) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        say!(
            console.err,
            "warning: could not open a browser ({opener}: {e}); open the address above"
        );
    }
}

//! `sync review`: the sync as a page in a browser (the `dirsync-review` crate), served on
//! 127.0.0.1 behind a random token, until the report is shown or Ctrl-C.

use crate::cli::ReviewArgs;
use crate::run::{Console, Outcome, Run, applied_run, refused, say};
use dirsync::directory::Directory;
use dirsync_connect::{EmailOutcome, Secrets, SmtpEnv, SyncSetup, review_email};
use dirsync_review::{Access, AccessToken, Finished, ReviewEmail};
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
    let (settings, directories) = match SyncSetup::connect(&args.sync, secrets) {
        Ok(ready) => ready,
        Err(e) => return refused(console, &e),
    };
    let graph = directories.idp.graph();
    let email = match review_email(&args.sync.email, graph, &SmtpEnv::from_env()) {
        Ok(email) => email,
        Err(e) => {
            say!(console.err, "{}", EmailOutcome::Failed { why: e.to_string() });
            None
        }
    };
    let idp = directories.idp.shared();
    crate::run::warn_if_cannot_disable(&settings, idp.as_ref(), console);
    let page = Page { port: args.port, open: args.open, email };
    serve(Arc::new(directories.huma), idp, &settings, page, console, stop).await
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
    let mut review = settings.review(hr, idp, store, Access::local(token.clone()));
    if let Some(email) = page.email {
        review = review.with_email(email);
    }
    let reviewing = review.start();
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

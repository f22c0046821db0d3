//! # dirsync examples
//!
//! The library behind the two example programs, so that tests drive exactly what the programs run.
//!
//! - [`cli`]: the `sync` program's commands and their arguments, over [`dirsync_connect`]'s
//!   settings.
//! - [`login`]: `sync login-azure`, connecting to Azure AD with a user account.
//! - [`demo`]: the demo company seeded into the fakes, and the demo run.
//! - [`plan_view`]: a plan printed for a person.
//! - [`run`]: the plan / apply flow and its [`run::Outcome`] (the exit code).
//! - [`release`]: `sync release`, letting held-back writes be tried again.
//! - [`review`]: `sync review`, the sync as a page in a browser.
//! - [`history`]: `sync history`, the runs recorded with a state in PostgreSQL.
//! - [`worker`]: `sync worker`, every organisation of a
//!   [`dirsync_connect::orgs_file`] synced when due.
//! - [`webhook_server`]: the `webhook` program, Huma's webhooks pushed to Azure AD by the
//!   `dirsync-webhook` receiver.
//!
//! ```no_run
//! # async fn demo() {
//! use dirsync_examples::run::{Console, Outcome, main_with};
//! use dirsync_connect::Secrets;
//! let mut console = Console::stdio();
//! let outcome = main_with(["sync"], Secrets::from_env(), &mut console).await;
//! assert_eq!(outcome, Outcome::Done);
//! # }
//! ```

pub mod cli;
pub mod demo;
pub mod history;
pub mod login;
pub mod plan_view;
pub mod release;
pub mod review;
pub mod run;
pub mod webhook_server;
pub mod worker;

/// Logs to standard error, filtered by `RUST_LOG` (default `warn`); colours only when standard
/// error is a terminal, so a log file or a pipe gets no escape sequences.
pub fn init_tracing() {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

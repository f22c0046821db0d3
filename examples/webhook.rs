//! `cargo run --example webhook`: a demo of the real-time push against built-in fakes;
//! `webhook serve` receives Huma's profile webhooks and pushes changes to Azure AD. See `--help`.

use dirsync_examples::run::Console;
use dirsync_examples::webhook_server::main_with;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dirsync_examples::init_tracing();
    main_with(std::env::args_os(), &mut Console::stdio()).await.into()
}

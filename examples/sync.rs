//! `cargo run --example sync`: a demo against built-in fakes; `sync plan` / `sync apply` against
//! Huma and Azure AD. See `--help`.

use dirsync_examples::connect::Secrets;
use dirsync_examples::run::{Console, main_with};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dirsync_examples::init_tracing();
    main_with(std::env::args_os(), Secrets::from_env(), &mut Console::stdio()).await.into()
}

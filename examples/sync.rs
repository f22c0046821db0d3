//! `cargo run --example sync`: a demo against built-in fakes; `sync plan` / `sync apply` against
//! Huma and Azure AD. See `--help`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dirsync_examples::run::program_main().await
}

//! The `sync` program as a binary of its own, `dirsync-sync`: what the tests and the worker
//! benchmark start as separate processes, and what `cargo install --path examples` installs.
//! The same program as `cargo run --example sync`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dirsync_examples::run::program_main().await
}

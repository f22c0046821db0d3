//! One of the processes of the tests that run two processes on one state (`tests/two_processes.rs`),
//! using the library as an embedding service would, against running fakes:
//!
//! - `dirsync-e2e-worker sync HUMA_URL GRAPH_URL STATE_FILE`: plans a sync under the state's
//!   lease and prints `planned N` (N writes); then waits for a line on standard input, applies,
//!   saves and prints `synced`. Exits 3 when another sync holds the state, 1 on any other error.
//! - `dirsync-e2e-worker push HUMA_URL GRAPH_URL STATE_FILE HUMA_ID...`: pushes those Huma users
//!   to Azure AD as the webhook receiver does, with auto-provisioning on, and prints one
//!   `<huma id> <action>` line each.

use dirsync::{
    directory::{ErrorChain, RecordId},
    realtime::{AutoProvisioning, RealtimePush},
    store::JsonFileStore,
    sync::Synchronizer,
};
use dirsync_e2e::fakes::Endpoints;
use dirsync_e2e::flow::{self, Tuning};
use std::io::{BufRead, Write};
use std::process::ExitCode;

/// Another sync holds the state.
const BUSY: u8 = 3;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [mode, huma, graph, state, ids @ ..] => {
            let endpoints = Endpoints { huma: huma.clone(), graph: graph.clone() };
            let clients = match flow::connect(&endpoints, &Tuning::default()) {
                Ok(clients) => clients,
                Err(e) => return fail(&e),
            };
            let store = JsonFileStore::new(state);
            match mode.as_str() {
                "sync" => sync(&clients, &store).await,
                "push" => push(&clients, &store, ids).await,
                _ => usage(),
            }
        }
        _ => usage(),
    }
}

async fn sync(clients: &flow::Clients, store: &JsonFileStore) -> ExitCode {
    let synchronizer = Synchronizer::new(&clients.huma, &clients.azure, store)
        .with_policy(flow::policy())
        .with_holder(format!("test worker {}", std::process::id()));
    let planned = match synchronizer.plan().await {
        Ok(planned) => planned,
        Err(e) if e.is_busy() => {
            eprintln!("{}", ErrorChain(&e));
            return ExitCode::from(BUSY);
        }
        Err(e) => return fail(&e),
    };
    let writes = planned.plan().operations().map(|ops| ops.operations.len()).unwrap_or(0);
    say(&format!("planned {writes}"));
    let mut go = String::new();
    if std::io::stdin().lock().read_line(&mut go).is_err() {
        return fail(&std::io::Error::other("standard input closed"));
    }
    match planned.apply().await {
        Ok(synced) => {
            say(&format!("synced {}", synced.report.operations.len()));
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

async fn push(clients: &flow::Clients, store: &JsonFileStore, ids: &[String]) -> ExitCode {
    let push = RealtimePush::new(&clients.huma, &clients.azure)
        .with_store(store)
        .with_provisioning(AutoProvisioning::On);
    let ids: Vec<RecordId> = ids.iter().map(|id| RecordId::new(id.as_str())).collect();
    let summary = push.push(&ids).await;
    for person in &summary.people {
        say(&format!("{} {:?}", person.hr, person.action));
    }
    if summary.failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn fail(error: &(dyn std::error::Error + 'static)) -> ExitCode {
    eprintln!("error: {}", ErrorChain(error));
    ExitCode::FAILURE
}

fn usage() -> ExitCode {
    eprintln!("usage: dirsync-e2e-worker sync|push HUMA_URL GRAPH_URL STATE_FILE [HUMA_ID...]");
    ExitCode::from(2)
}

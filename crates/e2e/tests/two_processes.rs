//! Two real processes on one state file, through the library as a service embeds it (the worker
//! is `src/bin/dirsync-e2e-worker.rs`): two syncs started together (the second refuses and
//! writes nothing), a sync killed while it holds the state (the next one is not blocked), and
//! the real-time receiver linking people while a sync is under way (no link is lost).
//!
//! A worker syncing stops after planning, under the lease, until the test writes a line to it:
//! so each interleaving happens for certain, not by the luck of timing.
#![allow(clippy::unwrap_used)]

mod common;

use common::{quick_tuning, seeded};
use dirsync::{
    directory::RecordId,
    store::{JsonFileStore, StateStore},
};
use dirsync_e2e::fakes::{FakeSettings, Fakes};
use dirsync_e2e::flow::{self, SyncOptions};
use dirsync_e2e::world::{World, person};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use testkit::HumaUser;

const WORKER: &str = env!("CARGO_BIN_EXE_dirsync-e2e-worker");

/// A worker process, started on the fakes and the state file.
fn worker(fakes: &Fakes, state: &Path, mode: &str, ids: &[String]) -> Child {
    let endpoints = fakes.endpoints();
    Command::new(WORKER)
        .arg(mode)
        .arg(&endpoints.huma)
        .arg(&endpoints.graph)
        .arg(state)
        .args(ids)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the worker starts")
}

/// Starts a syncing worker and waits until it holds the lease and has planned.
fn planned_sync(fakes: &Fakes, state: &Path) -> (Child, BufReader<ChildStdout>) {
    let mut child = worker(fakes, state, "sync", &[]);
    let mut out = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    out.read_line(&mut line).expect("the worker says it planned");
    assert!(line.starts_with("planned"), "the first worker did not plan: {line:?}");
    (child, out)
}

/// Lets a planned worker apply, and waits for it to end.
fn go(mut child: Child, mut out: BufReader<ChildStdout>) -> (Output, String) {
    let mut stdin = child.stdin.take().expect("piped");
    writeln!(stdin, "go").expect("the worker reads its go");
    drop(stdin);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).expect("the worker's output");
    (child.wait_with_output().expect("the worker ends"), rest)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_syncs_started_together_one_runs_the_other_refuses_and_nobody_is_duplicated() {
    let world = World::generate(200);
    let (fakes, _) = seeded(&world, &FakeSettings::default(), &quick_tuning()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    let (first, first_out) = planned_sync(&fakes, &state);
    fakes.reset_counts();
    let second = worker(&fakes, &state, "sync", &[]).wait_with_output().unwrap();

    assert_eq!(second.status.code(), Some(3), "{}", text(&second.stderr));
    let refusal = text(&second.stderr);
    assert!(refusal.contains("another sync of"), "{refusal}");
    assert!(refusal.contains(&format!("test worker {} since", first.id())), "{refusal}");
    assert!(refusal.contains("wrote nothing"), "{refusal}");
    let (huma, graph) = fakes.counts();
    assert_eq!(huma.http_requests + graph.http_requests, 0, "the refused sync read nothing");
    assert!(!state.exists(), "the refused sync wrote no state");

    let (first, said) = go(first, first_out);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(said.starts_with("synced"), "{said}");

    let dump = fakes.dump();
    assert!(dump.duplicates.is_empty(), "{:?}", dump.duplicates);
    let saved = JsonFileStore::new(&state).load().await.unwrap();
    assert_eq!(saved.links.len(), world.size - world.expected.only_idp);

    // The state is free again, and the sync that was refused now has nothing left to do.
    let (again, again_out) = planned_sync(&fakes, &state);
    let (again, said) = go(again, again_out);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert_eq!(said.trim(), "synced 0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_while_it_holds_the_state_does_not_block_the_next() {
    let world = World::generate(50);
    let (fakes, _) = seeded(&world, &FakeSettings::default(), &quick_tuning()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");

    let (mut killed, _out) = planned_sync(&fakes, &state);
    killed.kill().unwrap();
    killed.wait().unwrap();

    let (next, next_out) = planned_sync(&fakes, &state);
    let (next, said) = go(next, next_out);
    assert!(next.status.success(), "{}", text(&next.stderr));
    assert!(said.starts_with("synced"), "{said}");
    assert!(fakes.dump().duplicates.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_the_receiver_saves_while_a_sync_runs_are_kept() {
    let world = World::generate(200);
    let (fakes, clients) = seeded(&world, &FakeSettings::default(), &quick_tuning()).await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let store = JsonFileStore::new(&state);
    flow::sync_with_store(&clients, &store, &SyncOptions::default()).await.unwrap();
    let linked_before = store.load().await.unwrap().links.len();

    // Someone changes in Azure AD, so the sync has writes of its own to make.
    let (sync, sync_out) = {
        let someone = world.idp[0].user_principal_name.clone().unwrap();
        assert!(fakes.graph.update_user(&someone, |u| u.job_title = Some("Renamed".into())));
        planned_sync(&fakes, &state)
    };

    // While that sync holds the state, five people join in Huma and the receiver, another
    // process, creates them in Azure AD and links them in the state.
    let hires: Vec<String> = fakes
        .huma
        .insert_users((10_000..10_005).map(|i| HumaUser::from_person(&person(i))))
        .unwrap();
    let receiver = worker(&fakes, &state, "push", &hires).wait_with_output().unwrap();
    assert!(receiver.status.success(), "{}", text(&receiver.stderr));
    assert_eq!(text(&receiver.stdout).matches("Created").count(), 5, "{}", text(&receiver.stdout));
    assert_eq!(store.load().await.unwrap().links.len(), linked_before + 5);

    // The sync, planned before they joined, applies and saves.
    let (sync, said) = go(sync, sync_out);
    assert!(sync.status.success(), "{}", text(&sync.stderr));
    assert!(said.starts_with("synced"), "{said}");

    let saved = store.load().await.unwrap();
    for hire in &hires {
        assert!(saved.links.contains_key(&RecordId::new(hire.as_str())), "{hire}'s link was lost");
    }
    assert_eq!(saved.links.len(), linked_before + 5);
    assert!(fakes.dump().duplicates.is_empty(), "{:?}", fakes.dump().duplicates);

    // The next sync pairs the new people by their links: nothing to create.
    let run = flow::sync_with_store(&clients, &store, &SyncOptions::default()).await.unwrap();
    assert_eq!(run.summary.create_in_idp, 0, "{:#?}", run.summary);
}

//! The stores' concurrency: one sync lease at a time, atomic updates that lose nothing, leases
//! that end with their process; and errors that print each message once.

mod common;

use common::Wait;
use dirsync::{
    directory::{DirectoryError, ErrorChain, ErrorKind, RecordId},
    model::Person,
    store::{JsonFileStore, LeaseHolder, MemoryStore, StateError, StateStore, SyncState},
    sync::SyncError,
};
use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The holder a Busy error names.
fn busy_holder(err: &StateError) -> &LeaseHolder {
    match err {
        StateError::Busy { holder: Some(holder), .. } => holder,
        other => panic!("expected Busy with its holder, got {other:?}"),
    }
}

/// A second lease is refused with who holds it and since when, and is free once the first is
/// dropped.
fn assert_lease_is_exclusive(first: &dyn StateStore, second: &dyn StateStore) {
    let before = chrono::Utc::now();
    let lease = first.lease("nightly sync on worker-3").wait().expect("the first lease");
    let after = chrono::Utc::now();
    assert_eq!(lease.holder().holder, "nightly sync on worker-3");

    let err = second.lease("manual run").wait().expect_err("leased");
    assert!(err.is_busy(), "{err:?}");
    let holder = busy_holder(&err);
    assert_eq!(holder, lease.holder());
    assert!(before <= holder.since && holder.since <= after, "{holder:?}");
    let message = err.to_string();
    assert!(message.contains("nightly sync on worker-3 since"), "{message}");
    assert!(message.contains(&holder.since.format("%Y-%m-%d %H:%M:%S UTC").to_string()));
    // The first holder cannot take it twice either.
    assert!(first.lease("nightly sync on worker-3").wait().expect_err("leased").is_busy());

    drop(lease);
    let lease = second.lease("manual run").wait().expect("free once the first is dropped");
    assert_eq!(lease.holder().holder, "manual run");
    assert_eq!(busy_holder(&first.lease("x").wait().expect_err("leased")).holder, "manual run");
}

#[test]
fn a_memory_store_lease_is_exclusive_among_its_clones_and_free_after_drop() {
    let store = MemoryStore::new();
    assert_lease_is_exclusive(&store, &store.clone());
}

#[test]
fn a_file_store_lease_is_exclusive_across_stores_of_one_file_and_free_after_drop() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    assert_lease_is_exclusive(&JsonFileStore::new(&path), &JsonFileStore::new(&path));
    // A different state file is a different lease.
    let _lease = JsonFileStore::new(&path).lease("one").wait().expect("free");
    JsonFileStore::new(dir.path().join("other.json")).lease("two").wait().expect("another state");
}

#[test]
fn a_lease_does_not_block_loads_saves_or_updates() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = JsonFileStore::new(dir.path().join("state.json"));
    let _lease = store.lease("sync").wait().expect("leased");
    store.save(&SyncState::new()).wait().expect("saved under a lease");
    store.update(&mut |s| s.link("h1".into(), "a1".into(), Person::new())).wait().expect("updated");
    assert_eq!(store.load().wait().expect("loaded").links.len(), 1);
}

fn link_id(thread: usize, i: usize) -> RecordId {
    RecordId::new(format!("h-{thread}-{i:02}"))
}

/// `threads` × `per_thread` updates, each adding one link: none may be lost.
fn assert_no_update_is_lost(store: &(dyn StateStore + Sync), threads: usize, per_thread: usize) {
    std::thread::scope(|scope| {
        for thread in 0..threads {
            scope.spawn(move || {
                for i in 0..per_thread {
                    let hr = link_id(thread, i);
                    let idp = RecordId::new(format!("a-{thread}-{i:02}"));
                    let saved = store
                        .update(&mut |state| state.link(hr.clone(), idp.clone(), Person::new()))
                        .wait()
                        .expect("updated");
                    assert!(saved.links.contains_key(&hr), "the update returns the saved state");
                }
            });
        }
    });
    let state = store.load().wait().expect("loaded");
    assert_eq!(state.links.len(), threads * per_thread);
    for thread in 0..threads {
        for i in 0..per_thread {
            let link = &state.links[&link_id(thread, i)];
            assert_eq!(link.idp.as_str(), format!("a-{thread}-{i:02}"));
        }
    }
}

#[test]
fn updates_from_eight_threads_on_one_file_store_lose_no_link() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    assert_no_update_is_lost(&JsonFileStore::new(dir.path().join("state.json")), 8, 50);
}

#[test]
fn updates_from_eight_threads_through_separate_file_stores_lose_no_link() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    // One store per thread, as one per process would be.
    let stores: Vec<JsonFileStore> = (0..8).map(|_| JsonFileStore::new(&path)).collect();
    std::thread::scope(|scope| {
        for (thread, store) in stores.iter().enumerate() {
            scope.spawn(move || {
                for i in 0..25 {
                    store
                        .update(&mut |s| s.link(link_id(thread, i), "a".into(), Person::new()))
                        .wait()
                        .expect("updated");
                }
            });
        }
    });
    assert_eq!(JsonFileStore::new(&path).load().wait().expect("loaded").links.len(), 8 * 25);
}

#[test]
fn updates_from_eight_threads_on_a_memory_store_lose_no_link() {
    assert_no_update_is_lost(&MemoryStore::new(), 8, 50);
}

fn saved_state(n: usize) -> SyncState {
    let mut state = SyncState::new();
    state.link("saved".into(), format!("a-{n}").into(), Person::new());
    state
}

/// Which save (by number) a state holds; 0 for none.
fn save_number(state: &SyncState) -> usize {
    state.links.get(&RecordId::new("saved")).map_or(0, |link| {
        link.idp.as_str().trim_start_matches("a-").parse().expect("a save's number")
    })
}

const SAVES: usize = 40;
const UPDATES: usize = 40;

/// Saves replace the whole state, so an update made before a save is gone after it; but an
/// update that starts after a save sees that save (or a later one) and is kept until the next.
fn assert_saves_keep_later_updates(store: &(dyn StateStore + Sync)) {
    let saves_done = AtomicUsize::new(0);
    let after_the_last_save: Vec<RecordId> = std::thread::scope(|scope| {
        let saves_done = &saves_done;
        scope.spawn(move || {
            for n in 1..=SAVES {
                store.save(&saved_state(n)).wait().expect("saved");
                saves_done.store(n, Ordering::SeqCst);
            }
        });
        let updaters: Vec<_> = (0..2)
            .map(|thread| scope.spawn(move || update_beside_saves(store, saves_done, thread)))
            .collect();
        updaters.into_iter().flat_map(|u| u.join().expect("the updater ran")).collect()
    });
    let state = store.load().wait().expect("loaded");
    assert_eq!(save_number(&state), SAVES);
    // Every update made after the last save is there.
    assert!(after_the_last_save.len() >= 2 * 5);
    for hr in &after_the_last_save {
        assert!(state.links.contains_key(hr), "{hr} was lost: {:?}", state.links.keys());
    }
}

/// Adds links one update at a time while another thread saves, checking each update's result;
/// returns the links added after the last save.
fn update_beside_saves(
    store: &(dyn StateStore + Sync),
    saves_done: &AtomicUsize,
    thread: usize,
) -> Vec<RecordId> {
    // (update number, the last save done before it started)
    let mut history: Vec<(usize, usize)> = Vec::new();
    let mut after_the_last = Vec::new();
    let mut i = 0;
    while i < UPDATES || after_the_last.len() < 5 {
        let done_before = saves_done.load(Ordering::SeqCst);
        let hr = link_id(thread, i);
        let state = store
            .update(&mut |s| s.link(hr.clone(), "a".into(), Person::new()))
            .wait()
            .expect("updated");
        let seen = save_number(&state);
        assert!(seen >= done_before, "update {i} saw save {seen}, after save {done_before}");
        // Every earlier update of this thread that came after the save this one saw is there.
        for &(k, k_after) in &history {
            if k_after >= seen {
                let kept = state.links.contains_key(&link_id(thread, k));
                assert!(kept, "update {k} (after save {k_after}) lost by update {i} (saw {seen})");
            }
        }
        history.push((i, done_before));
        if done_before == SAVES {
            after_the_last.push(hr);
        }
        i += 1;
    }
    after_the_last
}

#[test]
fn saves_and_updates_from_threads_never_lose_an_update_made_after_a_save() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    assert_saves_keep_later_updates(&JsonFileStore::new(dir.path().join("state.json")));
    assert_saves_keep_later_updates(&MemoryStore::new());
}

#[test]
fn a_lease_file_left_behind_does_not_block_the_next_lease() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let lease = JsonFileStore::new(&path).lease("a sync that ended").wait().expect("leased");
    drop(lease);
    let lease_file = dir.path().join("state.json.lease");
    assert!(lease_file.exists(), "the lease file stays behind");
    assert!(std::fs::read_to_string(&lease_file).expect("readable").contains("a sync that ended"));

    let lease = JsonFileStore::new(&path).lease("the next sync").wait().expect("not blocked");
    assert_eq!(lease.holder().holder, "the next sync");
    let err = JsonFileStore::new(&path).lease("a third").wait().expect_err("leased");
    assert_eq!(busy_holder(&err).holder, "the next sync", "the file names the current holder");
}

const CHILD_ENV: &str = "DIRSYNC_STATE_LEASE_CHILD";

/// Runs only as the child process of the test below: takes the lease, says so by creating
/// `<state>.leased`, and waits to be killed.
#[test]
fn lease_test_child_holder() {
    let Some(path) = std::env::var_os(CHILD_ENV) else { return };
    let path = PathBuf::from(path);
    let _lease =
        JsonFileStore::new(&path).lease("a sync in a child process").wait().expect("leased");
    std::fs::write(marker(&path), b"").expect("marked");
    std::thread::sleep(Duration::from_secs(120));
}

fn marker(path: &Path) -> PathBuf {
    path.with_extension("leased")
}

#[test]
fn a_lease_held_by_a_killed_process_is_free_at_once() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let exe = std::env::current_exe().expect("the test binary");
    let mut child = Command::new(exe)
        .args(["--exact", "lease_test_child_holder", "--test-threads=1", "--quiet"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the child starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !marker(&path).exists() {
        if let Some(status) = child.try_wait().expect("child status") {
            panic!("the child ended before it took the lease: {status}");
        }
        assert!(Instant::now() < deadline, "the child never took the lease");
        std::thread::sleep(Duration::from_millis(5));
    }

    let store = JsonFileStore::new(&path);
    let err = store.lease("this process").wait().expect_err("the child holds it");
    assert_eq!(busy_holder(&err).holder, "a sync in a child process");

    // Killed: no destructor runs, the lease file stays; the OS lets go of the lock.
    child.kill().expect("killed");
    child.wait().expect("reaped");
    assert!(dir.path().join("state.json.lease").exists());
    let lease = store.lease("this process").wait().expect("free once its holder's process ended");
    assert_eq!(lease.holder().holder, "this process");
}

// ---------------------------------------------------------------------------------------------
// Errors print each message once.

/// The messages of `err` and its sources, outermost first.
fn messages(err: &(dyn Error + 'static)) -> Vec<String> {
    let mut out = vec![err.to_string()];
    let mut cause = err.source();
    while let Some(e) = cause {
        out.push(e.to_string());
        cause = e.source();
    }
    out
}

/// No message in the chain repeats one of its causes.
fn assert_each_message_once(err: &(dyn Error + 'static)) -> Vec<String> {
    let chain = messages(err);
    for (i, outer) in chain.iter().enumerate() {
        for inner in &chain[i + 1..] {
            assert!(!outer.contains(inner.as_str()), "{outer:?} repeats {inner:?}: {chain:#?}");
        }
    }
    chain
}

fn occurrences(text: &str, part: &str) -> usize {
    text.matches(part).count()
}

#[test]
fn a_state_io_error_shows_the_os_error_once() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = JsonFileStore::new(dir.path().join("no-such-folder").join("state.json"));
    let err = store.save(&SyncState::new()).wait().expect_err("no folder");
    let StateError::Io { source, .. } = &err else { panic!("expected Io: {err:?}") };
    let os = source.to_string();
    assert!(os.contains("os error"), "{os}");

    let chain = assert_each_message_once(&err);
    assert_eq!(chain.len(), 2, "{chain:#?}");
    assert!(!err.to_string().contains(&os), "{err}");
    let printed = ErrorChain(&err).to_string();
    assert_eq!(occurrences(&printed, &os), 1, "{printed}");
    assert!(printed.starts_with("could not "), "{printed}");
    assert!(printed.contains("check that the folder exists"), "{printed}");

    // The same through the sync's errors.
    let not_saved = SyncError::NotSaved { source: err, report: Box::default() };
    assert_each_message_once(&not_saved);
    assert_eq!(occurrences(&ErrorChain(&not_saved).to_string(), &os), 1);
}

#[test]
fn a_state_error_through_a_sync_error_shows_each_message_once() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"{\"format\": 1, \"state\": [").expect("written");
    let err = JsonFileStore::new(&path).load().wait().expect_err("corrupt");
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    assert_each_message_once(&err);
    let sync_err = SyncError::from(err);
    let chain = assert_each_message_once(&sync_err);
    assert_eq!(chain.len(), 2, "{chain:#?}");
    assert!(chain[0].contains("is corrupt"), "{chain:#?}");
}

#[derive(Debug, thiserror::Error)]
#[error("the Graph request for user u1 failed")]
struct AdapterError(#[source] std::io::Error);

#[test]
fn a_directory_error_stands_in_for_the_adapter_error_without_repeating_it() {
    let adapter = AdapterError(std::io::Error::other("connection reset by peer"));
    let err = DirectoryError::from_source(ErrorKind::Unavailable, adapter);

    let chain = assert_each_message_once(&err);
    assert_eq!(chain, ["the Graph request for user u1 failed", "connection reset by peer"]);
    assert_eq!(
        ErrorChain(&err).to_string(),
        "the Graph request for user u1 failed: connection reset by peer"
    );
    assert!(err.downcast_ref::<AdapterError>().is_some());
    assert!(err.get_ref().is_some());
    assert_eq!(err.kind(), ErrorKind::Unavailable);

    // Wrapped in a sync's read error, still once each.
    let read =
        SyncError::Read { side: dirsync::model::Side::Idp, system: "Azure AD".into(), source: err };
    let chain = assert_each_message_once(&read);
    assert_eq!(chain.len(), 3, "{chain:#?}");
}

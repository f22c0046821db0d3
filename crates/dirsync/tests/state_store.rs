//! The JSON file state store: round trips, versioning, corrupt files and crashes while saving.

mod common;

use common::Wait;
use dirsync::{
    directory::Cursor,
    model::{Address, CountryCode, Person},
    store::{JsonFileStore, STATE_FORMAT, StateError, StateStore, SyncState},
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sample_state() -> SyncState {
    let mut state = SyncState::new();
    let no = CountryCode::parse("NO").expect("NO is alpha-2");
    state.link(
        "h1".into(),
        "a1".into(),
        Person::new()
            .with_email("ada@example.com")
            .with_given_name("Ada")
            .with_address(Address::new("Main St 1\nFlat 2", "0150", "Oslo", Some(no))),
    );
    state.link("h2".into(), "a2".into(), Person::new());
    state.cursors.insert("idp".into(), Cursor::new("https://graph.example/delta?token=1"));
    state
}

/// A state big enough that writing it takes a while, so a kill can land in the middle.
fn big_state(tag: &str) -> SyncState {
    let mut state = SyncState::new();
    for i in 0..20_000 {
        state.link(
            format!("hr-{i:06}").into(),
            format!("idp-{i:06}-{tag}").into(),
            Person::new()
                .with_email(format!("person{i}@example.com"))
                .with_given_name(format!("Given {i} {tag}"))
                .with_family_name("Family name that takes some room in the file")
                .with_job_title("Job title that also takes some room in the file"),
        );
    }
    state
}

fn other_files(dir: &Path, keep: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the folder is readable")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p != keep)
        .collect();
    files.sort();
    files
}

#[test]
fn a_missing_file_loads_as_an_empty_state() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = JsonFileStore::new(dir.path().join("state.json"));
    assert_eq!(store.load().wait().expect("a missing file is no error"), SyncState::new());
}

#[test]
fn a_saved_state_loads_back_equal_and_the_file_has_a_format_version() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let store = JsonFileStore::new(&path);
    let state = sample_state();
    store.save(&state).wait().expect("saved");
    assert_eq!(store.load().wait().expect("loaded"), state);

    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("the file exists")).expect("JSON");
    assert_eq!(json["format"], serde_json::json!(STATE_FORMAT));
    assert_eq!(json["state"]["links"]["h1"]["idp"], "a1");
    assert_eq!(json["state"]["cursors"]["idp"], "https://graph.example/delta?token=1");
    // Nothing but the state file and its write lock is left in the folder: the temporary file
    // was renamed.
    assert_eq!(other_files(dir.path(), &path), [dir.path().join("state.json.lock")]);

    // Saving again replaces the state completely.
    store.save(&SyncState::new()).wait().expect("saved again");
    assert_eq!(store.load().wait().expect("loaded"), SyncState::new());
}

#[test]
fn a_corrupt_file_is_a_clear_error_and_is_left_untouched() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    std::fs::write(&path, b"{\"format\": 1, \"state\": {\"links\": {\"h1\": ").expect("written");
    let store = JsonFileStore::new(&path);
    let err = store.load().wait().expect_err("a truncated file is corrupt");
    assert!(matches!(err, StateError::Corrupt { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("is corrupt"), "{message}");
    assert!(message.contains("restore it from a backup, or delete it to start over"), "{message}");
    assert!(message.contains("state.json"), "{message}");
    assert_eq!(
        std::fs::read(&path).expect("still there"),
        b"{\"format\": 1, \"state\": {\"links\": {\"h1\": "
    );

    for bad in [
        &b"not json at all"[..],
        b"{\"state\": {}}",
        b"{\"format\": 0, \"state\": {}}",
        b"{\"format\": 1, \"state\": {\"links\": {\"h1\": {\"baseline\": {}}}}}",
        b"{\"format\": 1, \"state\": []}",
    ] {
        std::fs::write(&path, bad).expect("written");
        let err = store.load().wait().expect_err("corrupt");
        assert!(
            matches!(err, StateError::Corrupt { .. }),
            "{:?} gave {err:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn a_file_from_a_newer_version_is_refused_with_both_versions() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let newer = br#"{"format": 2, "state": {"something": "new"}}"#;
    std::fs::write(&path, newer).expect("written");
    let err = JsonFileStore::new(&path).load().wait().expect_err("newer");
    match &err {
        StateError::NewerFormat { found, supported, .. } => {
            assert_eq!((*found, *supported), (2, STATE_FORMAT));
        }
        other => panic!("expected NewerFormat, got {other:?}"),
    }
    assert!(err.to_string().contains("has format 2, newer than format 1"), "{err}");
    assert_eq!(std::fs::read(&path).expect("still there"), newer);
}

#[test]
fn saving_into_a_missing_folder_fails_and_says_so() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = JsonFileStore::new(dir.path().join("no-such-folder").join("state.json"));
    let err = store.save(&sample_state()).wait().expect_err("no folder");
    assert!(matches!(err, StateError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("check that the folder exists"), "{err}");
}

/// What a writer leaves behind when it dies after writing its temporary file but before the
/// rename: the temporary file, half written. This shows that such a leftover does not affect
/// loading or the next save; the test below kills a real writer process.
#[test]
fn a_leftover_temporary_file_does_not_affect_the_saved_state() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let store = JsonFileStore::new(&path);
    let old = sample_state();
    store.save(&old).wait().expect("saved");
    let leftover = dir.path().join(".state.json.99999.0.tmp");
    std::fs::write(&leftover, b"{\"format\": 1, \"state\": {\"links\": {\"h9\"").expect("written");

    assert_eq!(store.load().wait().expect("the old file loads"), old);
    store.save(&SyncState::new()).wait().expect("a later save works");
    assert_eq!(store.load().wait().expect("loaded"), SyncState::new());
}

const CHILD_ENV: &str = "DIRSYNC_STATE_STORE_CRASH_CHILD";

/// Runs only as the child process of the crash test: saves a big state once.
#[test]
fn crash_test_child_writer() {
    let Some(path) = std::env::var_os(CHILD_ENV) else { return };
    JsonFileStore::new(PathBuf::from(path)).save(&big_state("new")).wait().expect("saved");
}

/// A writer process is killed (SIGKILL on Unix) as soon as its temporary file appears, that is
/// while it writes or flushes it and before the rename. Whenever it dies before the rename (its
/// temporary file is still there), the state file must still hold the old state in full; in any
/// case it must hold a complete state, old or new.
#[test]
fn a_writer_killed_before_the_rename_leaves_the_old_file_intact() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let store = JsonFileStore::new(&path);
    let old = big_state("old");
    let exe = std::env::current_exe().expect("the test binary");
    let mut killed_before_rename = 0;
    for _ in 0..5 {
        store.save(&old).wait().expect("saved");
        for leftover in other_files(dir.path(), &path) {
            std::fs::remove_file(leftover).expect("removed");
        }
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_test_child_writer", "--test-threads=1", "--quiet"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the child starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if !other_files(dir.path(), &path).is_empty() {
                break;
            }
            if child.try_wait().expect("child status").is_some() || Instant::now() > deadline {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = child.kill();
        child.wait().expect("the child is reaped");

        let loaded = store.load().wait().expect("the state file is always complete");
        if !other_files(dir.path(), &path).is_empty() {
            killed_before_rename += 1;
            assert!(loaded == old, "killed before the rename, yet the state file changed");
        } else {
            assert!(
                loaded == old || loaded == big_state("new"),
                "neither the old nor the new state"
            );
        }
    }
    assert!(killed_before_rename > 0, "no kill landed before the rename; the test proved nothing");
}

//! Writes refused for good are held back: remembered with when and why, retried when their value
//! changes, on an escalating schedule or when released; passing failures are never held back.

use chrono::{DateTime, Duration, Utc};
use dirsync::{
    apply::ApplyOptions,
    directory::{ErrorKind, InMemoryDirectory, Record, RecordId},
    held::Write,
    model::{Address, CountryCode, Field, FieldValue, Person},
    policy::{ConflictRule, Policy},
    store::{JsonFileStore, MemoryStore, StateStore},
    sync::{Synced, Synchronizer},
};

fn at(hours: i64) -> DateTime<Utc> {
    let start = DateTime::<Utc>::from_timestamp(1_793_000_000, 0).expect("a valid time");
    start + Duration::hours(hours)
}

fn ada(title: &str) -> Person {
    Person::new().with_email("ada@example.com").with_given_name("Ada").with_job_title(title)
}

/// Ada's job title differs; Huma wins; Azure AD refuses her record's writes with `kind`.
fn setup(kind: ErrorKind) -> (InMemoryDirectory, InMemoryDirectory, MemoryStore) {
    let hr = InMemoryDirectory::new([Record::new("h1", ada("CTO"))]).with_name("Huma");
    let idp = InMemoryDirectory::new([
        Record::new("a1", ada("Engineer")),
        Record::new("a2", Person::new().with_email("bo@example.com").with_given_name("Bo")),
    ])
    .with_name("Azure AD");
    idp.refuse(&"a1".into(), kind, "the value is refused (on purpose)");
    (hr, idp, MemoryStore::new())
}

async fn run_at(
    hr: &InMemoryDirectory,
    idp: &InMemoryDirectory,
    store: &dyn StateStore,
    hours: i64,
    retry_held: bool,
) -> Synced {
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    let options = ApplyOptions::default().with_now(at(hours)).with_retry_held(retry_held);
    let sync = Synchronizer::new(hr, idp, store).with_policy(policy).with_apply_options(options);
    sync.plan().await.expect("planned").apply().await.expect("applied")
}

#[tokio::test]
async fn a_refused_write_is_held_back_then_tried_on_an_escalating_schedule() {
    let (hr, idp, store) = setup(ErrorKind::InvalidValue);

    // First refusal: a new failure, remembered.
    let first = run_at(&hr, &idp, &store, 0, false).await;
    assert_eq!(first.report.counts.failed, 1);
    assert!(!first.report.is_success());
    let held = store.load().await.expect("saved").held;
    assert_eq!(held.len(), 1);
    let h = &held[0];
    assert_eq!((h.record.as_str(), h.write), ("a1", Write::Field(Field::JobTitle)));
    assert_eq!((h.value.as_deref(), h.current.as_deref()), (Some("CTO"), Some("Engineer")));
    assert_eq!((h.first_seen, h.last_seen, h.attempts), (at(0), at(0), 1));
    assert_eq!(h.kind, ErrorKind::InvalidValue);
    assert!(h.error.contains("refused (on purpose)"));

    // Half an hour later: held back, nothing sent, the run is a success.
    let second = run_at(&hr, &idp, &store, 0, false).await;
    assert!(second.report.operations.is_empty(), "{:?}", second.report.operations);
    assert!(second.report.is_success());
    assert_eq!(second.report.counts.held, 1);
    let markdown = dirsync_report::markdown(&second.report);
    assert!(markdown.contains("## Held back: 1"), "{markdown}");
    assert!(markdown.contains("held back since 2026-10-26"), "{markdown}");
    assert!(markdown.contains(&h.id.to_string()), "the id to release it by: {markdown}");

    // After an hour it is tried again, refused again: still held back, not a new failure; the
    // next wait is six hours.
    let third = run_at(&hr, &idp, &store, 1, false).await;
    assert!(third.report.is_success(), "{:?}", third.report);
    assert_eq!(third.report.counts.failed, 0);
    assert!(third.report.held[0].tried_again);
    let h = store.load().await.expect("saved").held.remove(0);
    assert_eq!((h.first_seen, h.last_seen, h.attempts), (at(0), at(1), 2));
    assert_eq!(h.next_try(), at(7));
    let waiting = run_at(&hr, &idp, &store, 6, false).await;
    assert!(waiting.report.operations.is_empty() && waiting.report.held.len() == 1);

    // Fixed at the source: the write goes through at its next try and is forgotten.
    idp.allow(&"a1".into());
    let fourth = run_at(&hr, &idp, &store, 7, false).await;
    assert_eq!(fourth.report.counts.updated_in_idp, 1);
    assert!(fourth.report.held.is_empty());
    assert!(store.load().await.expect("saved").held.is_empty());
}

#[tokio::test]
async fn a_new_value_is_tried_at_once_and_a_new_refusal_is_a_new_failure() {
    let (hr, idp, store) = setup(ErrorKind::PermissionDenied);
    run_at(&hr, &idp, &store, 0, false).await;

    hr.put(Record::new("h1", ada("Chief Technology Officer")));
    let again = run_at(&hr, &idp, &store, 0, false).await;
    assert_eq!(again.report.counts.failed, 1, "tried with the new value, refused again");
    assert!(!again.report.is_success());
    let held = store.load().await.expect("saved").held;
    assert_eq!(held.len(), 1, "the old value's entry is replaced");
    assert_eq!(held[0].value.as_deref(), Some("Chief Technology Officer"));
}

#[tokio::test]
async fn a_released_write_is_tried_on_the_next_run() {
    let (hr, idp, store) = setup(ErrorKind::PermissionDenied);
    run_at(&hr, &idp, &store, 0, false).await;
    let id = store.load().await.expect("saved").held[0].id.clone();

    let sync = Synchronizer::new(&hr, &idp, &store);
    assert!(sync.release("nothing-by-this-id").await.expect("released").is_empty());
    let released = sync.release(id.as_str()).await.expect("released");
    assert_eq!(released.len(), 1);
    assert!(store.load().await.expect("saved").held.is_empty());

    idp.allow(&"a1".into());
    let next = run_at(&hr, &idp, &store, 0, false).await;
    assert_eq!(next.report.counts.updated_in_idp, 1);

    // A record's id releases all of its held writes too, and --retry-held tries them without
    // waiting.
    idp.refuse(&"a1".into(), ErrorKind::PermissionDenied, "no");
    hr.put(Record::new("h1", ada("CEO")));
    run_at(&hr, &idp, &store, 0, false).await;
    let retried = run_at(&hr, &idp, &store, 0, true).await;
    assert!(retried.report.held[0].tried_again, "tried again at once");
    assert_eq!(sync.release("a1").await.expect("released").len(), 1);
}

#[tokio::test]
async fn passing_failures_are_never_held_back() {
    for kind in [ErrorKind::Unavailable, ErrorKind::Throttled] {
        let (hr, idp, store) = setup(kind);
        run_at(&hr, &idp, &store, 0, false).await;
        assert!(store.load().await.expect("saved").held.is_empty(), "{kind:?}");
        let again = run_at(&hr, &idp, &store, 0, false).await;
        assert_eq!(again.report.counts.failed, 1, "{kind:?}: tried again every run");
    }
}

#[tokio::test]
async fn a_held_field_does_not_hold_back_the_other_fields_of_the_record() {
    let (hr, idp, store) = setup(ErrorKind::InvalidValue);
    run_at(&hr, &idp, &store, 0, false).await;
    // The phone changes too: it is sent, the job title is still held back.
    idp.allow(&"a1".into());
    hr.put(Record::new("h1", ada("CTO").with_phone("+47 100")));
    let next = run_at(&hr, &idp, &store, 0, false).await;
    let fields: Vec<Field> = next.report.operations[0].fields.iter().map(|f| f.field).collect();
    assert_eq!(fields, [Field::Phone]);
    assert_eq!(next.report.held.len(), 1);
    let a1 = idp.records().into_iter().find(|r| r.id == RecordId::from("a1")).expect("exists");
    assert_eq!((a1.person.phone(), a1.person.job_title()), (Some("+47 100"), Some("Engineer")));
}

/// Ada's job title held back, as the state file of a version that remembered values as text alone
/// has it (format 1, without `value_data` and `current_data`).
const HELD_AS_TEXT: &str = r#"{
  "format": 1,
  "state": {
    "links": { "h1": { "idp": "a1", "baseline": { "given_name": "Ada" } } },
    "cursors": {},
    "held": [
      {
        "id": "held-f82865c257ef507f",
        "target": "idp",
        "record": "a1",
        "name": "Ada",
        "write": { "kind": "field", "what": "job_title" },
        "value": "CTO",
        "current": "Engineer",
        "kind": "permission denied",
        "error": "the value is refused (on purpose)",
        "first_seen": "2026-10-26T07:33:20Z",
        "last_seen": "2026-10-26T07:33:20Z",
        "attempts": 1
      }
    ]
  }
}"#;

#[tokio::test]
async fn a_write_held_back_by_an_earlier_version_is_compared_by_its_text_until_refused_again() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let store = JsonFileStore::new(&path);
    let (hr, idp, _) = setup(ErrorKind::PermissionDenied);
    std::fs::write(&path, HELD_AS_TEXT).expect("written");

    // The same value is held back, as the earlier version held it.
    let same = run_at(&hr, &idp, &store, 0, false).await;
    assert!(same.report.operations.is_empty(), "{:?}", same.report.operations);
    assert_eq!(same.report.counts.held, 1);
    // A new value is tried at once.
    hr.put(Record::new("h1", ada("CEO")));
    let changed = run_at(&hr, &idp, &store, 0, false).await;
    assert_eq!(changed.report.counts.failed, 1, "tried with the new value");

    // Refused again when its hour is up, it is remembered with its values, in format 1 still.
    hr.put(Record::new("h1", ada("CTO")));
    std::fs::write(&path, HELD_AS_TEXT).expect("written");
    let due = run_at(&hr, &idp, &store, 1, false).await;
    assert!(due.report.held[0].tried_again, "{:?}", due.report);
    let held = store.load().await.expect("saved").held;
    assert_eq!(held[0].attempts, 2);
    let text = |s: &str| Some(FieldValue::Text(s.to_owned()));
    assert_eq!((&held[0].value_data, &held[0].current_data), (&text("CTO"), &text("Engineer")));
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("JSON");
    assert_eq!(file["format"], 1);
    assert_eq!(file["state"]["held"][0]["value"], "CTO", "shown to people as before");
}

#[tokio::test]
async fn a_held_address_is_kept_as_a_value_and_tried_when_it_changes_to_one_shown_alike() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let store = JsonFileStore::new(&path);
    let gb = CountryCode::parse("GB").ok();
    let flat = Address::new("1 High St, Flat 2", "", "Leeds", gb);
    let alike = Address::new("1 High St", "", "Flat 2, Leeds", gb);
    assert_eq!(flat.to_string(), alike.to_string());
    let hr = InMemoryDirectory::new([Record::new("h1", ada("CTO").with_address(flat.clone()))]);
    let idp = InMemoryDirectory::new([Record::new("a1", ada("CTO"))]);
    idp.refuse(&"a1".into(), ErrorKind::InvalidValue, "the value is refused (on purpose)");
    assert_eq!(run_at(&hr, &idp, &store, 0, false).await.report.counts.failed, 1);

    // The file keeps the address as a value, beside its text, and loads back the same.
    let state = JsonFileStore::new(&path).load().await.expect("saved");
    let held = &state.held[0];
    assert_eq!(held.value.as_deref(), Some("1 High St, Flat 2, Leeds, GB"));
    assert_eq!(held.value_data, Some(FieldValue::Address(flat)));
    let copy = JsonFileStore::new(dir.path().join("copy.json"));
    copy.save(&state).await.expect("saved");
    assert_eq!(copy.load().await.expect("loaded"), state);

    let same = run_at(&hr, &idp, &store, 0, false).await;
    assert!(same.report.operations.is_empty() && same.report.counts.held == 1);
    hr.put(Record::new("h1", ada("CTO").with_address(alike.clone())));
    let changed = run_at(&hr, &idp, &store, 0, false).await;
    assert_eq!(changed.report.counts.failed, 1, "a new address is tried, though shown alike");
    let held = store.load().await.expect("saved").held;
    assert_eq!(held[0].value_data, Some(FieldValue::Address(alike)));
}

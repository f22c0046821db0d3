//! Writes refused for good are held back: remembered with when and why, retried when their value
//! changes, on an escalating schedule or when released; passing failures are never held back.

use chrono::{DateTime, Duration, Utc};
use dirsync::{
    apply::ApplyOptions,
    directory::{ErrorKind, InMemoryDirectory, Record, RecordId},
    held::Write,
    model::{Field, Person},
    policy::{ConflictRule, Policy},
    store::{MemoryStore, StateStore},
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
    store: &MemoryStore,
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

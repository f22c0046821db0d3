//! A worker's step for one organisation: synced once per round however many workers ask, and
//! never by two at once.

mod common;

use dirsync::{
    directory::{InMemoryDirectory, Record},
    model::Person,
    policy::{ConflictRule, Policy},
    store::{HistoryQuery, RunHistory, RunOutcome},
    sync::Synchronizer,
};
use dirsync_postgres::{OrgRun, PostgresDatabase, PostgresStore, sync_if_due};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

fn directories() -> (InMemoryDirectory, InMemoryDirectory) {
    let person = |title: &str| Person::new().with_email("kari@example.com").with_job_title(title);
    (
        InMemoryDirectory::new([Record::new("h1", person("CTO"))]).with_name("Huma"),
        InMemoryDirectory::new([Record::new("a1", person("Engineer"))]).with_name("Azure AD"),
    )
}

async fn step(
    store: &PostgresStore,
    hr: &InMemoryDirectory,
    idp: &InMemoryDirectory,
    every: Duration,
) -> OrgRun {
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    let sync = Synchronizer::new(hr, idp, store).with_policy(policy).with_holder("a worker");
    sync_if_due(store, &sync, every).await.expect("the database answers")
}

#[tokio::test]
async fn two_workers_asking_at_once_sync_an_organisation_once_per_round() {
    let Some((db, server, name)) = common::database().await else { return };
    let other = PostgresDatabase::open(common::config(&server.url(&name))).await.unwrap();
    let (a, b) =
        (db.organisation("acme").await.unwrap(), other.organisation("acme").await.unwrap());
    let (hr, idp) = directories();

    let (first, second) = tokio::join!(step(&a, &hr, &idp, HOUR), step(&b, &hr, &idp, HOUR));
    let ran = [&first, &second].iter().filter(|r| matches!(r, OrgRun::Ran(_))).count();
    assert_eq!(ran, 1, "{first:?} / {second:?}");
    for run in [&first, &second] {
        assert!(
            matches!(run, OrgRun::Ran(r) if r.is_ok())
                || matches!(run, OrgRun::NotDue | OrgRun::Busy(_)),
            "{run:?}"
        );
    }
    assert!(matches!(step(&b, &hr, &idp, HOUR).await, OrgRun::NotDue), "done this round");
    assert_eq!(a.query(&HistoryQuery::default()).await.unwrap().len(), 1);

    // A new round: due again, and nothing left to write.
    let again = step(&a, &hr, &idp, Duration::ZERO).await;
    let OrgRun::Ran(result) = again else { panic!("due: {again:?}") };
    let synced = (*result).expect("synced");
    assert!(synced.report.operations.is_empty(), "{:?}", synced.report.operations);
}

#[tokio::test]
async fn a_held_organisation_is_busy_and_not_marked() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let (hr, idp) = directories();
    let lease = dirsync::store::StateStore::lease(&store, "a manual apply").await.unwrap();
    match step(&store, &hr, &idp, HOUR).await {
        OrgRun::Busy(Some(holder)) => assert_eq!(holder.holder, "a manual apply"),
        other => panic!("busy: {other:?}"),
    }
    drop(lease);
    assert!(store.is_due(HOUR).await.unwrap(), "a busy organisation stays due");
}

#[tokio::test]
async fn a_failed_read_is_recorded_in_the_history() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let (hr, idp) = directories();
    idp.refuse_reads(
        dirsync::directory::ErrorKind::Authentication,
        "the client secret has expired",
    );
    let OrgRun::Ran(result) = step(&store, &hr, &idp, HOUR).await else { panic!("ran") };
    assert!(result.is_err());
    let runs = store.query(&HistoryQuery::default()).await.unwrap();
    assert_eq!(runs[0].run.outcome, RunOutcome::ReadFailed);
    assert!(runs[0].run.error.as_deref().is_some_and(|e| e.contains("expired")), "{runs:?}");
}

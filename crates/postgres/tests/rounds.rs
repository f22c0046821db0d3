//! A worker's rounds: each due organisation synced once, a second round finds none due, two
//! workers on one database share the organisations without syncing one twice, one held elsewhere
//! is left alone, a stopped worker takes up nothing more.
#![allow(clippy::unwrap_used)]

mod common;

use async_trait::async_trait;
use dirsync::{
    directory::{InMemoryDirectory, Record},
    model::Person,
    policy::{ConflictRule, CreationRule, Policy},
    store::{HistoryQuery, RunHistory, StateStore},
    sync::{SyncError, Synchronizer},
};
use dirsync_postgres::{
    OrgJob, OrgKey, OrgRun, OrgStatus, PostgresDatabase, PostgresStore, RoundOutcome, Worker,
    sync_if_due,
};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// An organisation of two people in HR, one of them also in the directory.
struct Org {
    key: OrgKey,
    hr: InMemoryDirectory,
    idp: InMemoryDirectory,
    holder: String,
}

impl Org {
    fn new(key: &str, holder: &str) -> Org {
        let ada = Person::new().with_email(format!("ada@{key}.example")).with_job_title("CTO");
        let bo = Person::new().with_email(format!("bo@{key}.example")).with_given_name("Bo");
        Org {
            key: OrgKey::new(key).unwrap(),
            hr: InMemoryDirectory::new([Record::new("h1", ada.clone()), Record::new("h2", bo)]),
            idp: InMemoryDirectory::new([Record::new("a1", ada)]),
            holder: holder.to_owned(),
        }
    }
}

#[async_trait]
impl OrgJob for Org {
    fn key(&self) -> &OrgKey {
        &self.key
    }

    async fn sync_if_due(
        &self,
        store: &PostgresStore,
        every: Duration,
    ) -> Result<OrgRun, SyncError> {
        let policy = Policy {
            conflicts: ConflictRule::PreferHr,
            create_in_idp: CreationRule::All,
            ..Policy::default()
        };
        let sync = Synchronizer::new(&self.hr, &self.idp, store)
            .with_policy(policy)
            .with_holder(self.holder.clone());
        sync_if_due(store, &sync, every).await
    }
}

fn orgs(n: usize, holder: &str) -> Vec<Org> {
    (0..n).map(|i| Org::new(&format!("org{i}"), holder)).collect()
}

async fn runs_of(db: &PostgresDatabase, key: &OrgKey) -> usize {
    db.history(Some(key), &HistoryQuery::default()).await.unwrap().len()
}

#[tokio::test]
async fn a_round_syncs_each_due_organisation_once_and_the_next_finds_none_due() {
    let Some((db, _, _)) = common::database().await else { return };
    let jobs = orgs(5, "worker-1");
    let keys: Vec<OrgKey> = jobs.iter().map(|job| job.key.clone()).collect();
    assert_eq!(db.due_in(&keys, HOUR).await.unwrap(), Duration::ZERO, "never ran: due now");
    let worker = Worker::new(db.clone(), HOUR).with_concurrency(2);

    let mut heard = Vec::new();
    let first = worker.round(&jobs, std::future::pending(), |done| heard.push(done.status())).await;
    assert_eq!((first.synced, first.total()), (5, 5), "{first:?}");
    assert_eq!(first.outcome(), RoundOutcome::Done);
    assert_eq!(heard, [OrgStatus::Synced; 5]);
    for job in &jobs {
        assert_eq!(job.idp.records().len(), 2, "bo was created in {}", job.key);
        assert_eq!(runs_of(&db, &job.key).await, 1);
    }

    let second = worker.round(&jobs, std::future::pending(), |_| {}).await;
    assert_eq!((second.not_due, second.synced), (5, 0), "{second:?}");
    let due_in = db.due_in(&keys, HOUR).await.unwrap();
    assert!(due_in > HOUR / 2 && due_in <= HOUR, "due again in about an hour: {due_in:?}");
    // Due again once `every` has passed.
    let always_due = Worker::new(db.clone(), Duration::ZERO);
    assert_eq!(always_due.round(&jobs, std::future::pending(), |_| {}).await.synced, 5);
}

#[tokio::test]
async fn two_workers_on_one_database_sync_each_organisation_once_between_them() {
    let Some((first_db, server, name)) = common::database().await else { return };
    let second_db = PostgresDatabase::open(common::config(&server.url(&name))).await.unwrap();
    let (a_jobs, b_jobs) = (orgs(8, "worker-a"), orgs(8, "worker-b"));
    let a = Worker::new(first_db.clone(), HOUR).with_concurrency(3);
    let b = Worker::new(second_db, HOUR).with_concurrency(3);

    let (a_round, b_round) = tokio::join!(
        a.round(&a_jobs, std::future::pending(), |_| {}),
        b.round(&b_jobs, std::future::pending(), |_| {})
    );
    assert_eq!(a_round.synced + b_round.synced, 8, "{a_round:?} {b_round:?}");
    assert_eq!(a_round.failed + b_round.failed + a_round.could_not_run + b_round.could_not_run, 0);
    for job in &a_jobs {
        let runs = first_db.history(Some(&job.key), &HistoryQuery::default()).await.unwrap();
        assert_eq!(runs.len(), 1, "{} synced once: {runs:#?}", job.key);
        assert!(["worker-a", "worker-b"].contains(&runs[0].run.holder.as_str()));
    }
    // Each organisation's people were created once, by one of the two.
    let created: usize = a_jobs.iter().chain(&b_jobs).map(|job| job.idp.records().len() - 1).sum();
    assert_eq!(created, 8);
}

#[tokio::test]
async fn an_organisation_held_by_another_sync_is_left_alone_and_still_due() {
    let Some((db, _, _)) = common::database().await else { return };
    let jobs = orgs(2, "worker-1");
    let held = db.organisation("org1").await.unwrap();
    let lease = held.lease("sync apply by hand").await.unwrap();

    let worker = Worker::new(db.clone(), HOUR);
    let mut busy = Vec::new();
    let round = worker
        .round(&jobs, std::future::pending(), |done| {
            if let Ok(OrgRun::Busy(Some(holder))) = &done.result {
                busy.push((done.key.to_string(), holder.holder.clone()));
            }
        })
        .await;
    assert_eq!((round.synced, round.busy), (1, 1), "{round:?}");
    assert_eq!(round.outcome(), RoundOutcome::Done, "busy is no failure");
    assert_eq!(busy, [("org1".to_owned(), "sync apply by hand".to_owned())]);
    assert!(held.query(&HistoryQuery::default()).await.unwrap().is_empty());

    drop(lease);
    assert_eq!(worker.round(&jobs, std::future::pending(), |_| {}).await.synced, 1);
}

#[tokio::test]
async fn a_worker_told_to_stop_takes_up_nothing_more() {
    let Some((db, _, _)) = common::database().await else { return };
    let jobs = orgs(3, "worker-1");
    let worker = Worker::new(db.clone(), HOUR);
    let round = worker.round(&jobs, std::future::ready(()), |_| {}).await;
    assert_eq!((round.not_started, round.total()), (3, 0), "{round:?}");
    // `run` returns once stopped, having synced nobody.
    worker.run(&jobs, std::future::ready(()), |_| panic!("nothing is taken up")).await;
    for job in &jobs {
        assert_eq!(runs_of(&db, &job.key).await, 0);
    }
}

#[tokio::test]
async fn finding_an_organisation_never_adds_one() {
    let Some((db, _, _)) = common::database().await else { return };
    assert!(db.find_organisation("acme").await.unwrap().is_none());
    assert!(db.organisations().await.unwrap().is_empty(), "nothing was written");
    assert!(db.find_organisation("acme\"; DROP TABLE x").await.is_err());
    db.organisation("acme").await.unwrap().save(&common::linked(2)).await.unwrap();
    let found = db.find_organisation("acme").await.unwrap().expect("now it is there");
    assert_eq!(found.load().await.unwrap().links.len(), 2);
}

//! The history: every apply of a sync over the database recorded with its writes, asked about
//! by person, run and time, and pruned after the retention.

mod common;

use chrono::{Duration, Utc};
use dirsync::{
    directory::{InMemoryDirectory, Record},
    model::Person,
    policy::{ConflictRule, Policy},
    report::Counts,
    store::{HistoryQuery, RunHistory, RunOutcome, RunRecord, StateStore, WriteOutcome},
    sync::Synchronizer,
};
use dirsync_postgres::PostgresDatabase;

fn person(name: &str, title: &str) -> Person {
    Person::new()
        .with_email(format!("{}@example.com", name.to_lowercase()))
        .with_given_name(name)
        .with_job_title(title)
}

#[tokio::test]
async fn a_sync_over_the_database_is_recorded_and_asked_about_by_person() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let huma = InMemoryDirectory::new([
        Record::new("h-kari", person("Kari", "CTO")),
        Record::new("h-ola", person("Ola", "Engineer")),
    ])
    .with_name("Huma");
    let azure = InMemoryDirectory::new([
        Record::new("a-kari", person("Kari", "Engineer")),
        Record::new("a-ola", person("Ola", "Intern")),
    ])
    .with_name("Azure AD");
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    let sync = Synchronizer::new(&huma, &azure, &store).with_policy(policy).with_holder("worker-3");
    sync.plan().await.unwrap().apply().await.unwrap();
    assert!(sync.plan().await.unwrap().plan().operations().unwrap().operations.is_empty());

    let all = store.query(&HistoryQuery::default()).await.unwrap();
    assert_eq!(all.len(), 1);
    let run = &all[0];
    assert_eq!((run.organisation.as_str(), run.run.holder.as_str()), ("acme", "worker-3"));
    assert_eq!((run.run.outcome, run.run.counts.updated_in_idp), (RunOutcome::Synced, 2));
    assert_eq!(run.run.writes.len(), 2);

    // Kari, by either side's id: only her write.
    for id in ["h-kari", "a-kari"] {
        let kari = store.query(&HistoryQuery::default().person(id)).await.unwrap();
        assert_eq!(kari.len(), 1, "{id}");
        let writes = &kari[0].run.writes;
        assert_eq!(writes.len(), 1, "{writes:#?}");
        assert_eq!(writes[0].name, "Kari");
        assert_eq!(writes[0].after.as_ref().map(ToString::to_string).as_deref(), Some("CTO"));
        assert_eq!(writes[0].before.as_ref().map(ToString::to_string).as_deref(), Some("Engineer"));
        assert_eq!(writes[0].outcome, WriteOutcome::Done);
    }
    let nobody = store.query(&HistoryQuery::default().person("h-nobody")).await.unwrap();
    assert!(nobody.is_empty());
    let by_id = HistoryQuery { run: Some(run.id), ..HistoryQuery::default() };
    assert_eq!(store.query(&by_id).await.unwrap()[0].id, run.id);
    let later = HistoryQuery::default().since(Utc::now() + Duration::hours(1));
    assert!(store.query(&later).await.unwrap().is_empty());
}

fn run_at(started: chrono::DateTime<Utc>, outcome: RunOutcome) -> RunRecord {
    RunRecord::without_writes("worker-1", started, started, outcome, "a test run")
}

#[tokio::test]
async fn runs_older_than_the_retention_are_pruned_and_organisations_kept_apart() {
    let Some((_, server, name)) = common::database().await else { return };
    let config = common::config(&server.url(&name))
        .history_retention(std::time::Duration::from_secs(7 * 24 * 3600));
    let db = PostgresDatabase::open(config).await.unwrap();
    let acme = db.organisation("acme").await.unwrap();
    let globex = db.organisation("globex").await.unwrap();
    let now = Utc::now();
    globex.record(&run_at(now - Duration::days(2), RunOutcome::Synced)).await.unwrap();
    acme.record(&run_at(now - Duration::days(30), RunOutcome::Synced)).await.unwrap();
    acme.record(&run_at(now - Duration::days(1), RunOutcome::SomeFailed)).await.unwrap();

    let kept = acme.query(&HistoryQuery::default()).await.unwrap();
    assert_eq!(kept.len(), 1, "the 30-day-old run was pruned");
    assert_eq!(kept[0].run.outcome, RunOutcome::SomeFailed);
    assert_eq!(kept[0].run.counts, Counts::default());
    assert_eq!(kept[0].run.error.as_deref(), Some("a test run"));
    // Each organisation prunes its own: globex's run is kept.
    let everyone = db.history(None, &HistoryQuery::default()).await.unwrap();
    let orgs: Vec<&str> = everyone.iter().map(|e| e.organisation.as_str()).collect();
    assert_eq!(orgs, ["acme", "globex"], "newest first");
}

#[tokio::test]
async fn a_refused_apply_is_recorded_with_why() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let huma = InMemoryDirectory::new([Record::new("h1", person("Kari", "CTO"))]).with_name("Huma");
    let azure = InMemoryDirectory::new([Record::new("a1", person("Kari", "Engineer"))])
        .with_name("Azure AD");
    // Conflicts are asked about: nothing settles Kari's title.
    let sync = Synchronizer::new(&huma, &azure, &store);
    let err = sync.plan().await.unwrap().apply().await.expect_err("pending");
    assert!(err.to_string().contains("decision"), "{err}");
    let runs = store.query(&HistoryQuery::default()).await.unwrap();
    assert_eq!(runs[0].run.outcome, RunOutcome::Refused);
    assert!(runs[0].run.writes.is_empty());
    assert_eq!(store.load().await.unwrap().links.len(), 0, "nothing saved");
}

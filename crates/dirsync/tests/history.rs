//! A sync saves what it changed, and records every apply in the store's history.

use async_trait::async_trait;
use dirsync::{
    apply::ApplyOptions,
    directory::{InMemoryDirectory, Record},
    model::{Field, Person, Side},
    policy::{ConflictRule, CreationRule, Policy},
    report::Action,
    store::{
        HistoryQuery, Lease, MemoryStore, RunEntry, RunHistory, RunOutcome, RunRecord,
        StateChanges, StateError, StateStore, SyncState, WriteOutcome,
    },
    sync::{SyncError, Synchronizer},
};
use std::sync::Mutex;

/// A [`MemoryStore`] that keeps a history of runs and remembers every commit it was given.
#[derive(Default)]
struct Recording {
    store: MemoryStore,
    runs: Mutex<Vec<RunRecord>>,
    commits: Mutex<Vec<StateChanges>>,
}

impl Recording {
    fn runs(&self) -> Vec<RunRecord> {
        self.runs.lock().expect("not poisoned").clone()
    }

    fn commits(&self) -> Vec<StateChanges> {
        self.commits.lock().expect("not poisoned").clone()
    }
}

#[async_trait]
impl StateStore for Recording {
    async fn load(&self) -> Result<SyncState, StateError> {
        self.store.load().await
    }

    async fn save(&self, state: &SyncState) -> Result<(), StateError> {
        self.store.save(state).await
    }

    async fn commit(&self, changes: &StateChanges) -> Result<(), StateError> {
        self.commits.lock().expect("not poisoned").push(changes.clone());
        self.store.commit(changes).await
    }

    async fn lease(&self, holder: &str) -> Result<Lease, StateError> {
        self.store.lease(holder).await
    }

    async fn update(
        &self,
        change: &mut (dyn for<'s> FnMut(&'s mut SyncState) + Send),
    ) -> Result<SyncState, StateError> {
        self.store.update(change).await
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        Some(self)
    }
}

#[async_trait]
impl RunHistory for Recording {
    async fn record(&self, run: &RunRecord) -> Result<i64, StateError> {
        let mut runs = self.runs.lock().expect("not poisoned");
        runs.push(run.clone());
        Ok(runs.len() as i64)
    }

    async fn query(&self, _query: &HistoryQuery) -> Result<Vec<RunEntry>, StateError> {
        Ok(Vec::new())
    }
}

fn person(n: usize) -> Person {
    Person::new()
        .with_email(format!("p{n}@example.com"))
        .with_given_name(format!("P{n}"))
        .with_job_title("Engineer")
}

/// `n` people on both sides, the same.
fn directories(n: usize) -> (InMemoryDirectory, InMemoryDirectory) {
    let hr = (0..n).map(|i| Record::new(format!("h{i}"), person(i)));
    let idp = (0..n).map(|i| Record::new(format!("a{i}"), person(i)));
    (
        InMemoryDirectory::new(hr).with_name("Huma"),
        InMemoryDirectory::new(idp).with_name("Azure AD"),
    )
}

fn prefer_hr() -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        create_in_idp: CreationRule::All,
        ..Policy::default()
    }
}

#[tokio::test]
async fn a_sync_commits_only_the_links_it_changed() {
    let (hr, idp) = directories(100);
    let store = Recording::default();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(prefer_hr());
    sync.plan().await.unwrap().apply().await.unwrap();
    assert_eq!(store.commits()[0].links.len(), 100, "the first run links everyone");

    // Two people change their job title in Huma: the next run changes two links' baselines.
    for i in [3, 42] {
        let changed = person(i).with_job_title("CTO");
        hr.put(Record::new(format!("h{i}"), changed));
    }
    let synced = sync.plan().await.unwrap().apply().await.unwrap();
    assert_eq!(synced.report.counts.updated_in_idp, 2);
    let second = &store.commits()[1];
    let changed: Vec<&str> = second.links.keys().map(|hr| hr.as_str()).collect();
    assert_eq!(changed, ["h3", "h42"]);
    assert_eq!(second.len(), 2, "nothing else is written: {second:?}");
    let state = store.load().await.unwrap();
    assert_eq!(state.links.len(), 100);
    assert_eq!(state.links[&"h42".into()].baseline.job_title(), Some("CTO"));
}

#[tokio::test]
async fn every_apply_is_recorded_with_each_write_per_field() {
    let (hr, idp) = directories(3);
    hr.put(Record::new("h1", person(1).with_job_title("CTO").with_phone("+47 22 00 00 00")));
    let store = Recording::default();
    let sync = Synchronizer::new(&hr, &idp, &store)
        .with_policy(prefer_hr())
        .with_holder("worker-3, process 42");
    sync.plan().await.unwrap().apply().await.unwrap();

    let runs = store.runs();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!((run.outcome, run.holder.as_str()), (RunOutcome::Synced, "worker-3, process 42"));
    assert!(run.started_at <= run.finished_at);
    assert_eq!(run.counts.updated_in_idp, 1);
    let fields: Vec<Option<Field>> = run.writes.iter().map(|w| w.field).collect();
    assert_eq!(fields, [Some(Field::Phone), Some(Field::JobTitle)], "{:#?}", run.writes);
    let title = &run.writes[1];
    assert_eq!((title.target, title.action), (Side::Idp, Action::Update));
    assert_eq!(title.before.as_ref().map(ToString::to_string).as_deref(), Some("Engineer"));
    assert_eq!(title.after.as_ref().map(ToString::to_string).as_deref(), Some("CTO"));
    assert_eq!(title.outcome, WriteOutcome::Done);
    assert!(title.concerns(&"h1".into()) && title.concerns(&"a1".into()));
}

#[tokio::test]
async fn a_refused_apply_is_recorded_and_writes_nothing() {
    let (hr, idp) = directories(3);
    for i in 0..3 {
        hr.put(Record::new(format!("h{i}"), person(i).with_job_title("CTO")));
    }
    let store = Recording::default();
    let options = ApplyOptions::default().with_max_people_changed(Some(2));
    let sync =
        Synchronizer::new(&hr, &idp, &store).with_policy(prefer_hr()).with_apply_options(options);
    let err = sync.plan().await.unwrap().apply().await.expect_err("over the threshold");
    assert!(matches!(err, SyncError::Apply(_)), "{err:?}");

    let runs = store.runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].outcome, RunOutcome::Refused);
    assert!(runs[0].writes.is_empty());
    assert!(runs[0].error.as_deref().is_some_and(|e| e.contains('3')), "{:?}", runs[0].error);
    assert!(store.commits().is_empty(), "a refused apply saves nothing");
}

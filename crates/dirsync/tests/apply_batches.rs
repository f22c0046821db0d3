//! Directories that write many records per request get their updates in groups.

use async_trait::async_trait;
use dirsync::{
    apply::{ApplyOptions, DirectoryPair, apply},
    directory::{
        Capabilities, Directory, DirectoryError, ErrorKind, FieldChange, InMemoryDirectory, Record,
        RecordId, Snapshot,
    },
    model::Person,
    plan::reconcile,
    policy::{ConflictRule, Policy},
    report::Outcome,
    store::SyncState,
};
use futures::executor::block_on;
use std::sync::Mutex;

/// An in-memory directory that takes updates three at a time and refuses one record's update.
struct Batching {
    inner: InMemoryDirectory,
    batches: Mutex<Vec<usize>>,
    refuse: RecordId,
}

#[async_trait]
impl Directory for Batching {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn snapshot(&self) -> Result<Vec<Record>, DirectoryError> {
        self.inner.snapshot().await
    }
    async fn get(&self, id: &RecordId) -> Result<Option<Record>, DirectoryError> {
        self.inner.get(id).await
    }
    async fn create(&self, person: &Person) -> Result<Record, DirectoryError> {
        self.inner.create(person).await
    }
    async fn update(&self, id: &RecordId, changes: &[FieldChange]) -> Result<(), DirectoryError> {
        // A lone update (the rest of a batch) comes this way.
        self.update_many(&[(id.clone(), changes.to_vec())]).await.remove(0)
    }
    fn batch_size(&self) -> usize {
        3
    }
    async fn update_many(
        &self,
        updates: &[(RecordId, Vec<FieldChange>)],
    ) -> Vec<Result<(), DirectoryError>> {
        self.batches.lock().expect("not poisoned").push(updates.len());
        let mut results = Vec::new();
        for (id, changes) in updates {
            results.push(if *id == self.refuse {
                Err(DirectoryError::new(
                    ErrorKind::PermissionDenied,
                    "admins' phones are protected",
                ))
            } else {
                self.inner.update(id, changes).await
            });
        }
        results
    }
}

#[test]
fn updates_go_in_batches_of_the_directorys_size_and_fail_one_by_one() {
    let people: Vec<Person> = (0..7)
        .map(|i| Person::new().with_email(format!("p{i}@x.no")).with_job_title("New"))
        .collect();
    let hr = InMemoryDirectory::new(
        people.iter().enumerate().map(|(i, p)| Record::new(format!("h{i}"), p.clone())),
    );
    let idp = Batching {
        inner: InMemoryDirectory::new(
            people
                .iter()
                .enumerate()
                .map(|(i, p)| Record::new(format!("a{i}"), p.clone().with_job_title("Old"))),
        ),
        batches: Mutex::new(Vec::new()),
        refuse: "a4".into(),
    };
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    let mut state = SyncState::new();
    let plan = block_on(async {
        reconcile(
            &Snapshot::read(&hr).await.unwrap(),
            &Snapshot::read(&idp).await.unwrap(),
            &state,
            &policy,
        )
    });
    let report =
        block_on(apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &ApplyOptions::default()))
            .unwrap();

    let mut batches = idp.batches.lock().unwrap().clone();
    batches.sort_unstable();
    assert_eq!(batches, [1, 3, 3]);
    assert_eq!(report.counts.updated_in_idp, 6);
    assert_eq!(report.counts.failed, 1);
    let failed =
        report.operations.iter().find(|o| matches!(o.outcome, Outcome::Failed { .. })).unwrap();
    assert_eq!(failed.idp.as_ref().map(RecordId::as_str), Some("a4"));
    let titles: Vec<_> =
        idp.inner.records().iter().map(|r| r.person.job_title().unwrap().to_owned()).collect();
    assert_eq!(titles, ["New", "New", "New", "New", "Old", "New", "New"]);
}

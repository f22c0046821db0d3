//! Each directory's writes run on slots of their own: one directory's slow writes never hold
//! the other's back, and refused credentials stop only that directory's writes.

use async_trait::async_trait;
use dirsync::{
    apply::{ApplyError, ApplyOptions, DirectoryPair, apply},
    directory::{
        DirectoryError, ErrorKind, FieldChange, InMemoryDirectory, Record, RecordId, Snapshot,
    },
    model::{Person, Side},
    plan::reconcile,
    policy::{ConflictRule, Policy},
    store::SyncState,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use testkit::{Intercept, Intercepted};

/// Counts a directory's updates in `done`, each made once `other` has made `wait_for` updates
/// (waiting two seconds at most, then failing).
struct Gated {
    done: Arc<AtomicUsize>,
    other: Arc<AtomicUsize>,
    wait_for: usize,
}

#[async_trait]
impl Intercept for Gated {
    async fn before_update(&self, _: &RecordId, _: &[FieldChange]) -> Result<(), DirectoryError> {
        for _ in 0..200 {
            if self.other.load(Ordering::SeqCst) >= self.wait_for {
                return Ok(());
            }
            futures_timer::Delay::new(Duration::from_millis(10)).await;
        }
        Err(DirectoryError::new(ErrorKind::Unavailable, "waited for the other side in vain"))
    }

    async fn after_update(
        &self,
        _: &RecordId,
        updated: Result<(), DirectoryError>,
    ) -> Result<(), DirectoryError> {
        if updated.is_ok() {
            self.done.fetch_add(1, Ordering::SeqCst);
        }
        updated
    }
}

/// Three people whose phone Huma lacks and whose job title Azure AD lacks: three updates a side.
fn people(side: Side) -> Vec<Record> {
    (0..3)
        .map(|i| {
            let person = Person::new().with_email(format!("p{i}@example.com"));
            match side {
                Side::Hr => Record::new(format!("h{i}"), person.with_job_title("CTO")),
                Side::Idp => Record::new(format!("a{i}"), person.with_phone(format!("+47 {i}"))),
            }
        })
        .collect()
}

#[tokio::test]
async fn one_directorys_waiting_writes_never_hold_the_others_back() {
    let (hr_done, idp_done) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    // Huma's updates wait for all of Azure AD's: with one slot shared by both sides, Huma's
    // would take it first and wait for ever.
    let hr = Intercepted::new(
        InMemoryDirectory::new(people(Side::Hr)).with_name("Huma"),
        Gated { done: hr_done.clone(), other: idp_done.clone(), wait_for: 3 },
    );
    let idp = Intercepted::new(
        InMemoryDirectory::new(people(Side::Idp)).with_name("Azure AD"),
        Gated { done: idp_done.clone(), other: hr_done.clone(), wait_for: 0 },
    );
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    let mut state = SyncState::new();
    let plan = reconcile(
        &Snapshot::read(&hr).await.unwrap(),
        &Snapshot::read(&idp).await.unwrap(),
        &state,
        &policy,
    );
    let options = ApplyOptions::default().with_concurrency(1);
    let report = apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &options).await.unwrap();
    assert_eq!((report.counts.updated_in_hr, report.counts.updated_in_idp), (3, 3));
    assert_eq!((hr_done.load(Ordering::SeqCst), idp_done.load(Ordering::SeqCst)), (3, 3));
}

#[tokio::test]
async fn refused_credentials_stop_that_directorys_writes_only() {
    let hr = InMemoryDirectory::new(people(Side::Hr)).with_name("Huma");
    let idp = InMemoryDirectory::new(people(Side::Idp)).with_name("Azure AD");
    // Azure AD refuses the credentials on its first write.
    idp.refuse(&"a0".into(), ErrorKind::Authentication, "the client secret has expired");
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    let mut state = SyncState::new();
    let plan = reconcile(
        &Snapshot::read(&hr).await.unwrap(),
        &Snapshot::read(&idp).await.unwrap(),
        &state,
        &policy,
    );
    let options = ApplyOptions::default().with_concurrency(1);
    let err = apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &options)
        .await
        .expect_err("stopped");
    let ApplyError::Fatal { side, report, .. } = err else { panic!("fatal") };
    assert_eq!(side, Side::Idp);
    let outcomes = |target: Side| -> Vec<&str> {
        let ops = report.operations.iter().filter(|o| o.target == target);
        ops.map(|o| o.outcome.label()).collect()
    };
    assert_eq!(outcomes(Side::Hr), ["done", "done", "done"], "Huma's writes went on");
    assert_eq!(outcomes(Side::Idp), ["failed", "not attempted", "not attempted"]);
    let stopped = report.stopped.as_ref().map(|s| s.explain(&report.names)).unwrap_or_default();
    assert!(stopped.contains("those to Huma went on"), "{stopped}");
}

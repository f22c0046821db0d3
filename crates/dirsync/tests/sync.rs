//! The Synchronizer: one sync from the lease to the saved state, with its invariants.

use async_trait::async_trait;
use dirsync::{
    apply::{ApplyError, ApplyOptions, Progress},
    directory::{
        DirectoryError, ErrorChain, ErrorKind, FieldChange, InMemoryDirectory, Record, RecordId,
        Snapshot,
    },
    model::{Field, Person, Side},
    plan::{Decision, DecisionError, ItemId, ItemKind},
    policy::{ConflictRule, CreationRule, Policy},
    realtime::{AutoProvisioning, RealtimePush},
    report::{Action, Outcome},
    store::{JsonFileStore, Lease, MemoryStore, StateChanges, StateError, StateStore, SyncState},
    sync::{SyncError, Synchronizer},
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use testkit::{Intercept, Intercepted};

// ---------------------------------------------------------------------------------------------
// A directory in memory that counts its calls, and refuses or never answers chosen writes.

#[derive(Default)]
struct Watch {
    snapshots: AtomicUsize,
    updates: AtomicUsize,
    creates: AtomicUsize,
    /// The update call (counted from 1) that fails, and how.
    refuse_update_call: Mutex<Option<(usize, ErrorKind)>>,
    /// Updates of this record never answer.
    hang_updates_of: Mutex<Option<RecordId>>,
    /// Reading everyone fails.
    refuse_reads: std::sync::atomic::AtomicBool,
    /// Reading everyone never answers.
    hang_reads: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Intercept for Watch {
    async fn before_snapshot(&self) -> Result<(), DirectoryError> {
        self.snapshots.fetch_add(1, Ordering::SeqCst);
        if self.refuse_reads.load(Ordering::SeqCst) {
            let cause = std::io::Error::other("connection reset by peer (on purpose)");
            return Err(DirectoryError::from_source(ErrorKind::Unavailable, cause));
        }
        if self.hang_reads.load(Ordering::SeqCst) {
            futures::future::pending::<()>().await;
        }
        Ok(())
    }

    async fn before_create(&self, _: &Person) -> Result<(), DirectoryError> {
        self.creates.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn before_update(&self, id: &RecordId, _: &[FieldChange]) -> Result<(), DirectoryError> {
        let call = self.updates.fetch_add(1, Ordering::SeqCst) + 1;
        let refused = *self.refuse_update_call.lock().expect("not poisoned");
        if let Some((n, kind)) = refused.filter(|(n, _)| *n == call) {
            return Err(DirectoryError::new(
                kind,
                format!("{kind} on update call {n} (on purpose)"),
            ));
        }
        let hangs = self.hang_updates_of.lock().expect("not poisoned").as_ref() == Some(id);
        if hangs {
            futures::future::pending::<()>().await;
        }
        Ok(())
    }
}

type Watched = Intercepted<Watch>;

fn watched(name: &str, records: Vec<Record>) -> Watched {
    Intercepted::new(InMemoryDirectory::new(records).with_name(name), Watch::default())
}

/// What the tests ask of a watched directory.
trait Watching {
    fn refuse_update_call(&self, call: usize, kind: ErrorKind);
    fn heal(&self);
    fn hang_updates_of(&self, id: &str);
    fn records(&self) -> Vec<Record>;
    fn snapshots(&self) -> usize;
    fn writes(&self) -> usize;
}

impl Watching for Watched {
    fn refuse_update_call(&self, call: usize, kind: ErrorKind) {
        *self.hooks.refuse_update_call.lock().expect("not poisoned") = Some((call, kind));
    }

    fn heal(&self) {
        *self.hooks.refuse_update_call.lock().expect("not poisoned") = None;
        *self.hooks.hang_updates_of.lock().expect("not poisoned") = None;
    }

    fn hang_updates_of(&self, id: &str) {
        *self.hooks.hang_updates_of.lock().expect("not poisoned") = Some(id.into());
    }

    fn records(&self) -> Vec<Record> {
        self.inner.records()
    }

    fn snapshots(&self) -> usize {
        self.hooks.snapshots.load(Ordering::SeqCst)
    }

    fn writes(&self) -> usize {
        self.hooks.updates.load(Ordering::SeqCst) + self.hooks.creates.load(Ordering::SeqCst)
    }
}

/// A store whose `commit` (how a sync saves) always fails; everything else is a [`MemoryStore`].
struct Unsavable(MemoryStore);

#[async_trait]
impl StateStore for Unsavable {
    async fn load(&self) -> Result<SyncState, StateError> {
        self.0.load().await
    }

    async fn save(&self, state: &SyncState) -> Result<(), StateError> {
        self.0.save(state).await
    }

    async fn commit(&self, _changes: &StateChanges) -> Result<(), StateError> {
        Err(StateError::Io {
            action: "write",
            path: "/srv/dirsync/state.json".into(),
            source: std::io::Error::other("no space left on the device (on purpose)"),
        })
    }

    async fn lease(&self, holder: &str) -> Result<Lease, StateError> {
        self.0.lease(holder).await
    }

    async fn update(
        &self,
        change: &mut (dyn for<'s> FnMut(&'s mut SyncState) + Send),
    ) -> Result<SyncState, StateError> {
        self.0.update(change).await
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario.

/// Huma: Ada (CTO), Alan (Engineer, no phone), Grace (Huma only).
fn huma_records() -> Vec<Record> {
    vec![
        Record::new(
            "h1",
            Person::new()
                .with_email("ada@example.com")
                .with_employment_id("E1")
                .with_given_name("Ada")
                .with_family_name("Lovelace")
                .with_job_title("CTO"),
        ),
        Record::new(
            "h2",
            Person::new()
                .with_email("alan@example.com")
                .with_employment_id("E2")
                .with_given_name("Alan")
                .with_job_title("Engineer"),
        ),
        grace(),
    ]
}

fn grace() -> Record {
    Record::new(
        "h3",
        Person::new()
            .with_email("grace@example.com")
            .with_employment_id("E3")
            .with_given_name("Grace")
            .with_family_name("Hopper"),
    )
}

/// Azure AD: Ada (Engineer: a conflict), Alan (a phone, no job title: a value missing each way).
fn azure_records() -> Vec<Record> {
    vec![
        Record::new(
            "a1",
            Person::new()
                .with_email("ada@example.com")
                .with_employment_id("E1")
                .with_given_name("Ada")
                .with_family_name("Lovelace")
                .with_job_title("Engineer"),
        ),
        Record::new(
            "a2",
            Person::new()
                .with_email("alan@example.com")
                .with_employment_id("E2")
                .with_given_name("Alan")
                .with_phone("+47 200"),
        ),
    ]
}

fn huma() -> Watched {
    watched("Huma", huma_records())
}

fn azure() -> Watched {
    watched("Azure AD", azure_records())
}

/// Huma wins conflicts; everyone found only in Huma is created in Azure AD.
fn policy() -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        create_in_idp: CreationRule::All,
        ..Policy::default()
    }
}

/// One write at a time, so the order of the writes is the plan's.
fn one_at_a_time() -> ApplyOptions {
    ApplyOptions::default().with_concurrency(1)
}

/// (person, side, action, outcome) of every write, in report order.
fn outcomes(report: &dirsync::report::Report) -> Vec<(&str, Side, Action, &'static str)> {
    report
        .operations
        .iter()
        .map(|o| (o.name.as_str(), o.target, o.action, o.outcome.label()))
        .collect()
}

fn link_of<'s>(state: &'s SyncState, hr: &str) -> &'s dirsync::store::Link {
    state.links.get(&RecordId::new(hr)).unwrap_or_else(|| panic!("{hr} is linked: {state:#?}"))
}

fn record<'r>(records: &'r [Record], id: &str) -> &'r Record {
    records.iter().find(|r| r.id.as_str() == id).unwrap_or_else(|| panic!("{id} exists"))
}

fn by_email<'r>(records: &'r [Record], email: &str) -> Vec<&'r Record> {
    records.iter().filter(|r| r.person.email() == Some(email)).collect()
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_whole_sync_applies_saves_and_a_second_plan_has_nothing_to_do() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());

    let planned = sync.plan().await.expect("planned");
    assert!(planned.is_settled(), "the policy settles everything: {:?}", planned.pending());
    let synced = planned.apply().await.expect("applied");

    assert_eq!(
        outcomes(&synced.report),
        vec![
            ("Ada Lovelace", Side::Idp, Action::Update, "done"),
            ("Alan", Side::Hr, Action::Update, "done"),
            ("Alan", Side::Idp, Action::Update, "done"),
            ("Grace Hopper", Side::Idp, Action::Create, "done"),
        ]
    );
    assert!(synced.report.is_success());
    let azure_now = idp.records();
    assert_eq!(record(&azure_now, "a1").person.job_title(), Some("CTO"));
    assert_eq!(record(&azure_now, "a2").person.job_title(), Some("Engineer"));
    assert_eq!(record(&hr.records(), "h2").person.phone(), Some("+47 200"));
    let grace_in_azure = by_email(&azure_now, "grace@example.com");
    assert_eq!(grace_in_azure.len(), 1);

    let state = store.load().await.expect("loaded");
    assert_eq!(state.links.len(), 3);
    assert_eq!(link_of(&state, "h1").idp.as_str(), "a1");
    assert_eq!(link_of(&state, "h1").baseline.job_title(), Some("CTO"));
    assert_eq!(link_of(&state, "h2").baseline.phone(), Some("+47 200"));
    assert_eq!(link_of(&state, "h3").idp, grace_in_azure[0].id);

    let again = sync.plan().await.expect("planned again");
    let ops = again.plan().operations().expect("settled");
    assert!(ops.operations.is_empty(), "{:#?}", ops.operations);
    assert!(again.plan().changes.is_empty(), "{:#?}", again.plan().changes);
    assert!(again.plan().creations.is_empty(), "{:#?}", again.plan().creations);
}

#[tokio::test]
async fn a_second_plan_while_a_planned_sync_lives_is_busy_names_the_holder_and_reads_nothing() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let nightly = Synchronizer::new(&hr, &idp, &store)
        .with_policy(policy())
        .with_holder("nightly sync on worker-3");
    let manual = Synchronizer::new(&hr, &idp, &store).with_policy(policy()).with_holder("manual");

    let planned = nightly.plan().await.expect("the first sync plans");
    assert_eq!(planned.holder().holder, "nightly sync on worker-3");
    assert_eq!((hr.snapshots(), idp.snapshots()), (1, 1));

    let err = manual.plan().await.expect_err("the state is leased");
    assert!(err.is_busy(), "{err:?}");
    match &err {
        SyncError::State(StateError::Busy { holder: Some(holder), .. }) => {
            assert_eq!(holder, planned.holder());
        }
        other => panic!("expected Busy with its holder, got {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("nightly sync on worker-3 since"), "{message}");
    assert!(err.report().is_none());
    // Refused before anything was read or written.
    assert_eq!((hr.snapshots(), idp.snapshots()), (1, 1));
    assert_eq!((hr.writes(), idp.writes()), (0, 0));
    assert_eq!(store.load().await.expect("loaded"), SyncState::new());
    // The same holds for the same Synchronizer, and for begin().
    assert!(nightly.plan().await.expect_err("still leased").is_busy());
    assert!(manual.begin().await.expect_err("still leased").is_busy());
    assert_eq!((hr.snapshots(), idp.snapshots()), (1, 1));

    drop(planned);
    let planned = manual.plan().await.expect("free once the first is dropped");
    assert_eq!(planned.holder().holder, "manual");
    assert_eq!((hr.writes(), idp.writes()), (0, 0), "a dropped plan writes nothing");
    planned.apply().await.expect("applied");
    nightly.plan().await.expect("free once the second is applied");
}

#[tokio::test]
async fn two_file_stores_on_one_file_let_only_one_sync_plan() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    // Two stores on one file, as two processes would have.
    let (first_store, second_store) = (JsonFileStore::new(&path), JsonFileStore::new(&path));
    let (hr, idp) = (huma(), azure());
    let first = Synchronizer::new(&hr, &idp, &first_store).with_holder("sync A");
    let second = Synchronizer::new(&hr, &idp, &second_store).with_holder("sync B");

    let planned = first.plan().await.expect("planned");
    let err = second.plan().await.expect_err("leased by the first");
    assert!(err.is_busy(), "{err:?}");
    assert!(err.to_string().contains("sync A since"), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    assert_eq!((hr.snapshots(), idp.snapshots()), (1, 1));

    drop(planned);
    second.plan().await.expect("free once the first is dropped");
}

#[tokio::test]
async fn a_side_that_cannot_be_read_stops_the_sync_before_any_write_and_lets_the_lease_go() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    idp.hooks.refuse_reads.store(true, Ordering::SeqCst);
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());

    let err = sync.plan().await.expect_err("Azure AD cannot be read");
    match &err {
        SyncError::Read { side, system, source } => {
            assert_eq!((*side, system.as_str()), (Side::Idp, "Azure AD"));
            assert_eq!(source.kind(), ErrorKind::Unavailable);
        }
        other => panic!("expected Read, got {other:?}"),
    }
    assert_eq!(
        ErrorChain(&err).to_string(),
        "could not read the people in Azure AD, so nothing was written: connection reset by \
         peer (on purpose)"
    );
    assert_eq!((hr.writes(), idp.writes()), (0, 0));
    assert_eq!(store.load().await.expect("loaded"), SyncState::new());

    idp.hooks.refuse_reads.store(false, Ordering::SeqCst);
    sync.plan().await.expect("the lease was let go");
}

#[tokio::test]
async fn a_plan_with_pending_decisions_is_refused_and_applies_once_decided() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    // The default policy asks about conflicts and creates nobody without a decision.
    let ask = Policy { create_in_idp: CreationRule::Ask, ..Policy::default() };
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(ask);

    let planned = sync.plan().await.expect("planned");
    let pending = planned.pending();
    assert_eq!(pending.len(), 2, "Ada's job title and Grace: {pending:?}");
    assert!(!planned.is_settled());
    let err = planned.apply().await.expect_err("pending decisions");
    match &err {
        SyncError::Apply(ApplyError::Pending(p)) => assert_eq!(p.pending, pending),
        other => panic!("expected Pending, got {other:?}"),
    }
    assert!(err.report().is_none());
    assert_eq!((hr.writes(), idp.writes()), (0, 0));
    assert_eq!(idp.records(), azure_records());
    assert_eq!(store.load().await.expect("loaded"), SyncState::new());

    // The lease was let go; decide each pending item, and it applies.
    let mut planned = sync.plan().await.expect("planned again");
    assert_eq!(planned.pending(), pending, "the same items, by the same ids");
    for id in planned.pending() {
        let creation = planned.plan().creations.iter().any(|c| c.id == id);
        let decision = if creation { Decision::Create } else { Decision::UseHr };
        planned.decide(&id, decision).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
    assert!(planned.is_settled());
    let synced = planned.apply().await.expect("applied");
    assert_eq!(synced.report.counts.updated_in_idp, 2);
    assert_eq!(synced.report.counts.created_in_idp, 1);
    assert_eq!(record(&idp.records(), "a1").person.job_title(), Some("CTO"));
    assert_eq!(store.load().await.expect("loaded").links.len(), 3);
}

/// What a service writes: plan, settle by a rule (Huma's job titles, create who is missing,
/// skip the rest), apply; every error a `SyncError`.
async fn settle_by_rule(sync: &Synchronizer<'_>) -> Result<dirsync::sync::Synced, SyncError> {
    let mut planned = sync.plan().await?;
    for id in planned.pending() {
        let Some(item) = planned.item(&id) else { continue };
        let decision = match (item.kind(), item.field()) {
            (ItemKind::Conflict, Some(Field::JobTitle)) => Decision::UseHr,
            (ItemKind::Create(Side::Idp), None) => Decision::Create,
            _ => Decision::Skip,
        };
        planned.decide(&id, decision)?;
    }
    planned.apply().await
}

/// A decision by an id no item has, in a function that returns a `SyncError`.
async fn decide_unknown(sync: &Synchronizer<'_>) -> Result<(), SyncError> {
    let mut planned = sync.plan().await?;
    planned.decide(&ItemId::new("chg-0000000000000000"), Decision::Skip)?;
    Ok(())
}

#[tokio::test]
async fn a_service_settles_by_rule_and_a_refused_decision_is_a_sync_error() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let ask = Policy { create_in_idp: CreationRule::Ask, ..Policy::default() };
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(ask);

    let err = decide_unknown(&sync).await.expect_err("no such item");
    assert!(matches!(err, SyncError::Decision(DecisionError::UnknownItem(_))), "{err:?}");
    assert!(err.to_string().contains("read the plan again"), "{err}");
    assert_eq!((hr.writes(), idp.writes()), (0, 0));

    let synced = settle_by_rule(&sync).await.expect("settled and applied");
    assert_eq!(record(&idp.records(), "a1").person.job_title(), Some("CTO"));
    assert_eq!(synced.report.counts.created_in_idp, 1, "Grace");
}

#[tokio::test]
async fn the_safety_threshold_refuses_before_any_write_and_leaves_the_store_unchanged() {
    let (hr, idp) = (huma(), azure());
    let mut saved = SyncState::new();
    saved.link("h9".into(), "a9".into(), Person::new().with_given_name("Someone"));
    let store = MemoryStore::with_state(saved.clone());
    let sync = Synchronizer::new(&hr, &idp, &store)
        .with_policy(policy())
        .with_apply_options(ApplyOptions::default().with_max_people_changed(Some(2)));

    let err = sync.plan().await.expect("planned").apply().await.expect_err("over the threshold");
    match &err {
        SyncError::Apply(ApplyError::SafetyThreshold { people, max }) => {
            assert_eq!((*people, *max), (3, 2));
        }
        other => panic!("expected SafetyThreshold, got {other:?}"),
    }
    assert!(err.report().is_none());
    assert_eq!((hr.writes(), idp.writes()), (0, 0));
    assert_eq!(store.load().await.expect("loaded"), saved);

    // At the threshold, it runs.
    let sync = sync.with_apply_options(ApplyOptions::default().with_max_people_changed(Some(3)));
    sync.plan().await.expect("planned").apply().await.expect("three people may change");
}

#[tokio::test]
async fn refused_credentials_half_way_stop_the_run_and_the_writes_made_are_saved() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    // Azure AD's second update is refused: the credentials expired half-way.
    idp.refuse_update_call(2, ErrorKind::Authentication);
    let sync = Synchronizer::new(&hr, &idp, &store)
        .with_policy(policy())
        .with_apply_options(one_at_a_time());

    let err = sync.plan().await.expect("planned").apply().await.expect_err("stopped");
    match &err {
        SyncError::Apply(ApplyError::Fatal { side, system, source, .. }) => {
            assert_eq!((*side, system.as_str()), (Side::Idp, "Azure AD"));
            assert_eq!(source.kind(), ErrorKind::Authentication);
        }
        other => panic!("expected Fatal, got {other:?}"),
    }
    let report = err.report().expect("the report of what was done");
    let stopped = report.stopped.as_ref().expect("the report says why it stopped");
    let stopped = stopped.explain(&report.names);
    assert!(stopped.contains("Azure AD refused the credentials"), "{stopped}");
    assert_eq!(report.title.as_deref(), Some("Huma and Azure AD: people synchronised"));
    let c = report.counts;
    assert_eq!((c.updated_in_hr, c.updated_in_idp, c.failed, c.not_attempted), (1, 1, 1, 1));
    let grace = report.operations.iter().find(|o| o.action == Action::Create).expect("Grace");
    assert_eq!(grace.outcome, Outcome::NotAttempted);
    assert!(by_email(&idp.records(), "grace@example.com").is_empty());

    // The state was saved for the writes that were made, and only for them.
    let state = store.load().await.expect("loaded");
    let done = report
        .operations
        .iter()
        .find(|o| o.target == Side::Idp && o.outcome == Outcome::Done)
        .expect("one Azure AD update was made");
    let failed = report.failures().next().expect("one Azure AD update failed");
    assert_eq!(failed.target, Side::Idp);
    let expected_job = |hr: &str| if hr == "h1" { "CTO" } else { "Engineer" };
    let done_hr = done.hr.as_ref().expect("an update names its HR record").as_str();
    let failed_hr = failed.hr.as_ref().expect("an update names its HR record").as_str();
    assert_eq!(link_of(&state, done_hr).baseline.job_title(), Some(expected_job(done_hr)));
    assert_eq!(
        link_of(&state, failed_hr).baseline.job_title(),
        None,
        "a field whose write failed gets no baseline, so the next run compares it again"
    );
    // Alan's phone reached Huma before the stop, and is remembered.
    assert_eq!(link_of(&state, "h2").baseline.phone(), Some("+47 200"));
    assert!(!state.links.contains_key(&RecordId::new("h3")));

    // The lease was let go: the next run, with working credentials, does the rest.
    idp.heal();
    let synced = sync.plan().await.expect("planned").apply().await.expect("the rest");
    let c = synced.report.counts;
    assert_eq!((c.updated_in_hr, c.updated_in_idp, c.created_in_idp), (0, 1, 1));
}

#[tokio::test]
async fn a_state_that_cannot_be_saved_is_not_saved_with_the_report_inside() {
    let (hr, idp) = (huma(), azure());
    let store = Unsavable(MemoryStore::new());
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());

    let err = sync.plan().await.expect("planned").apply().await.expect_err("not saved");
    let SyncError::NotSaved { source, report } = &err else {
        panic!("expected NotSaved, got {err:?}");
    };
    assert!(matches!(source, StateError::Io { action: "write", .. }), "{source:?}");
    assert_eq!(err.report(), Some(&**report));
    let c = report.counts;
    assert_eq!((c.updated_in_hr, c.updated_in_idp, c.created_in_idp), (1, 2, 1));
    let chain = ErrorChain(&err).to_string();
    assert!(chain.contains("the sync state could not be saved"), "{chain}");
    assert!(chain.contains("no space left on the device (on purpose)"), "{chain}");
    // The writes ran; the state is as it was.
    assert_eq!(record(&idp.records(), "a1").person.job_title(), Some("CTO"));
    assert_eq!(store.load().await.expect("loaded"), SyncState::new());
    // The lease was let go.
    sync.plan().await.expect("a next run may start");
}

#[tokio::test]
async fn a_write_that_never_answers_times_out_and_the_run_goes_on() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    idp.hang_updates_of("a2");
    let options = ApplyOptions::default().with_write_timeout(Duration::from_millis(200));
    let sync =
        Synchronizer::new(&hr, &idp, &store).with_policy(policy()).with_apply_options(options);

    let synced = sync.plan().await.expect("planned").apply().await.expect("the run ends");

    assert_eq!(
        outcomes(&synced.report),
        vec![
            ("Ada Lovelace", Side::Idp, Action::Update, "done"),
            ("Alan", Side::Hr, Action::Update, "done"),
            ("Alan", Side::Idp, Action::Update, "failed"),
            ("Grace Hopper", Side::Idp, Action::Create, "done"),
        ]
    );
    let Outcome::Failed { kind, message, .. } = &synced.report.operations[2].outcome else {
        panic!("Alan's Azure AD update failed");
    };
    assert_eq!(*kind, ErrorKind::Unavailable);
    assert!(message.contains("Azure AD did not answer"), "{message}");
    assert_eq!(synced.report.counts.failed, 1);

    // The write that timed out is compared again next time; the rest is done.
    let state = store.load().await.expect("loaded");
    assert_eq!(link_of(&state, "h2").baseline.job_title(), None);
    assert_eq!(link_of(&state, "h1").baseline.job_title(), Some("CTO"));
    let again = sync.plan().await.expect("planned again");
    let ops = again.plan().operations().expect("settled");
    assert_eq!(ops.operations.len(), 1, "{:#?}", ops.operations);
    assert_eq!(ops.operations[0].target(), Side::Idp);
    assert_eq!(ops.operations[0].name(), "Alan");
}

#[tokio::test]
async fn a_link_the_receiver_saved_while_the_sync_ran_is_kept() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    // This sync creates nobody: Grace is left to the real-time receiver.
    let no_creation = Policy { create_in_idp: CreationRule::None, ..policy() };
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(no_creation);

    let planned = sync.plan().await.expect("planned");
    // Meanwhile the receiver created Grace in Azure AD and linked her.
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);
    let summary = push.push(&["h3".into()]).await;
    assert_eq!(summary.people[0].action, dirsync::realtime::PushAction::Created, "{summary:?}");
    let grace_id = summary.people[0].idp.clone().expect("created");
    // And, for a person the sync does not know at all, a link written directly.
    store
        .update(&mut |s| s.link("h7".into(), "a7".into(), Person::new().with_given_name("Edsger")))
        .await
        .expect("linked");

    let synced = planned.apply().await.expect("applied");
    assert_eq!(synced.report.counts.created_in_idp, 0);

    let state = store.load().await.expect("loaded");
    assert_eq!(link_of(&state, "h3").idp, grace_id);
    assert_eq!(link_of(&state, "h7").idp.as_str(), "a7");
    assert_eq!(link_of(&state, "h7").baseline.given_name(), Some("Edsger"));
    assert_eq!(link_of(&state, "h1").idp.as_str(), "a1");
    assert_eq!(link_of(&state, "h2").idp.as_str(), "a2");
    // The next run pairs Grace by the link and has nothing to create.
    let again = sync.plan().await.expect("planned again");
    assert!(again.plan().creations.is_empty(), "{:#?}", again.plan().creations);
    assert!(again.plan().pairs.iter().any(|p| p.hr.as_str() == "h3" && p.idp == grace_id));
}

#[tokio::test]
async fn the_link_the_sync_made_wins_over_a_conflicting_one_saved_meanwhile() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());

    let planned = sync.plan().await.expect("planned");
    store
        .update(&mut |s| s.link("h3".into(), "a-stale".into(), Person::new()))
        .await
        .expect("linked meanwhile");
    planned.apply().await.expect("applied");

    let state = store.load().await.expect("loaded");
    let azure_now = idp.records();
    let created = by_email(&azure_now, "grace@example.com");
    assert_eq!(created.len(), 1);
    assert_eq!(link_of(&state, "h3").idp, created[0].id);
    assert!(state.links.values().all(|l| l.idp.as_str() != "a-stale"), "{state:#?}");
}

#[tokio::test]
async fn a_person_the_receiver_created_while_the_sync_ran_is_linked_not_created_twice() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());

    let planned = sync.plan().await.expect("planned");
    assert_eq!(planned.plan().summary().create_in_idp, 1);
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);
    let pushed = push.push(&["h3".into()]).await;
    let grace_id = pushed.people[0].idp.clone().expect("created by the push");

    let synced = planned.apply().await.expect("applied");
    let grace = synced.report.operations.iter().find(|o| o.action == Action::Create);
    let grace = grace.expect("the planned creation is reported");
    assert_eq!(grace.outcome.label(), "skipped", "{:?}", grace.outcome);
    assert_eq!(by_email(&idp.records(), "grace@example.com").len(), 1);
    assert_eq!(link_of(&store.load().await.expect("loaded"), "h3").idp, grace_id);
}

#[tokio::test]
async fn the_report_names_the_systems_and_has_a_default_title() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());

    let synced = sync.plan().await.expect("planned").apply().await.expect("applied");
    let report = &synced.report;
    assert_eq!((report.names.hr.as_str(), report.names.idp.as_str()), ("Huma", "Azure AD"));
    assert_eq!(report.title.as_deref(), Some("Huma and Azure AD: people synchronised"));
    assert!(report.generated_at.is_some());
    let markdown = dirsync_report::markdown(report);
    assert!(markdown.contains("Huma and Azure AD: people synchronised"), "{markdown}");
    assert!(markdown.contains("Azure AD"), "{markdown}");
    assert!(!markdown.contains("identity directory"), "{markdown}");

    let hr = huma();
    let idp = azure();
    let store = MemoryStore::new();
    let titled = Synchronizer::new(&hr, &idp, &store)
        .with_policy(policy())
        .with_title("Nightly people sync, Oslo office");
    let synced = titled.plan().await.expect("planned").apply().await.expect("applied");
    assert_eq!(synced.report.title.as_deref(), Some("Nightly people sync, Oslo office"));
    assert_eq!(synced.report.names.hr, "Huma");
}

#[tokio::test]
async fn preview_takes_no_lease_and_writes_nothing() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());

    let planned = sync.plan().await.expect("planned");
    let preview = sync.preview().await.expect("a preview runs beside a planned sync");
    assert_eq!(&preview, planned.plan());
    assert_eq!(preview.names.idp, "Azure AD");
    assert_eq!((hr.writes(), idp.writes()), (0, 0));
    assert_eq!(store.load().await.expect("loaded"), SyncState::new());

    // The planned sync still holds its lease and applies.
    assert!(sync.plan().await.expect_err("leased").is_busy());
    planned.apply().await.expect("applied");
    let preview = sync.preview().await.expect("previewed");
    assert!(preview.operations().expect("settled").operations.is_empty());
    assert!(store.lease("after the preview").await.is_ok(), "the preview left no lease behind");
}

#[tokio::test]
async fn progress_tells_of_the_start_each_write_and_the_end() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let events: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let seen = Arc::clone(&events);
    let options = ApplyOptions::default()
        .with_progress(move |event| seen.lock().expect("not poisoned").push(event.clone()));
    let sync =
        Synchronizer::new(&hr, &idp, &store).with_policy(policy()).with_apply_options(options);

    let synced = sync.plan().await.expect("planned").apply().await.expect("applied");

    let events = events.lock().expect("not poisoned").clone();
    assert_eq!(events.len(), 6, "{events:#?}");
    assert_eq!(events[0], Progress::Started { operations: 4 });
    let mut reports = Vec::new();
    for (i, event) in events[1..5].iter().enumerate() {
        match event {
            Progress::Finished { finished, operations, report } => {
                assert_eq!((*finished, *operations), (i + 1, 4));
                reports.push(report.clone());
            }
            other => panic!("expected Finished, got {other:?}"),
        }
    }
    reports.sort_by(|a, b| (&a.name, a.target).cmp(&(&b.name, b.target)));
    assert_eq!(reports, synced.report.operations);
    assert_eq!(events[5], Progress::Done { counts: synced.report.counts });
}

#[tokio::test]
async fn begin_then_plan_with_snapshots_read_by_the_caller_runs_under_the_lease() {
    let (hr, idp) = (huma(), azure());
    let mut saved = SyncState::new();
    saved.cursors.insert("idp".into(), dirsync::directory::Cursor::new("42"));
    let store = MemoryStore::with_state(saved);
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy()).with_holder("caller");

    let leased = sync.begin().await.expect("leased");
    assert_eq!(leased.state().cursors["idp"].as_str(), "42");
    assert!(sync.begin().await.expect_err("leased").is_busy());
    assert!(sync.plan().await.expect_err("leased").is_busy());

    // The caller reads the sides itself (here in full; an incremental reader would use the
    // cursors above).
    let huma_snapshot = Snapshot::read(&hr).await.expect("read");
    let azure_snapshot = Snapshot::read(&idp).await.expect("read");
    let planned = leased.plan_with(&huma_snapshot, &azure_snapshot);
    assert_eq!(planned.holder().holder, "caller");
    assert!(sync.plan().await.expect_err("still leased").is_busy());
    let synced = planned.apply().await.expect("applied");
    assert_eq!(synced.report.counts.created_in_idp, 1);

    let state = store.load().await.expect("loaded");
    assert_eq!(state.links.len(), 3);
    assert_eq!(state.cursors["idp"].as_str(), "42", "cursors are kept");
    sync.begin().await.expect("free after the apply");
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

#[tokio::test]
async fn the_futures_of_a_sync_and_a_push_are_send_so_a_service_can_spawn_them() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());
    let planned = assert_send(sync.plan()).await.expect("planned");
    let planned = assert_send(planned);
    assert_send(planned.apply()).await.expect("applied");
    let push = RealtimePush::new(&hr, &idp).with_store(&store);
    let event = dirsync::realtime::HrEvent {
        change: dirsync::realtime::HrChange::Updated,
        records: vec!["h1".into()],
    };
    let summary = assert_send(push.push_event(&event)).await.expect("pushed");
    assert_eq!(summary.people[0].action, dirsync::realtime::PushAction::Unchanged);
}

#[tokio::test]
async fn a_cursor_saved_while_the_sync_ran_is_kept() {
    let (hr, idp) = (huma(), azure());
    let mut saved = SyncState::new();
    saved.cursors.insert("idp".into(), dirsync::directory::Cursor::new("42"));
    let store = MemoryStore::with_state(saved);
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy());

    // An incremental reader under the lease: reads from the stored cursor, and stores where to
    // go on from next time.
    let leased = sync.begin().await.expect("leased");
    assert_eq!(leased.state().cursors["idp"].as_str(), "42");
    let huma_snapshot = Snapshot::read(&hr).await.expect("read");
    let azure_snapshot = Snapshot::read(&idp).await.expect("read");
    store
        .update(&mut |s| {
            s.cursors.insert("idp".into(), dirsync::directory::Cursor::new("43"));
        })
        .await
        .expect("the new cursor is stored");
    leased.plan_with(&huma_snapshot, &azure_snapshot).apply().await.expect("applied");

    let state = store.load().await.expect("loaded");
    assert_eq!(state.cursors["idp"].as_str(), "43", "the sync's save did not move it back");
    assert_eq!(state.links.len(), 3);
}

#[tokio::test]
async fn a_read_that_never_answers_ends_the_sync_and_lets_the_lease_go() {
    let hr = watched("Huma", vec![Record::new("h1", Person::new().with_email("a@x.no"))]);
    let idp = watched("Azure AD", vec![]);
    idp.hooks.hang_reads.store(true, Ordering::SeqCst);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_read_timeout(Duration::from_millis(200));

    let error = sync.plan().await.expect_err("the read never ends");
    let SyncError::Read { side, system, source } = &error else { panic!("{error:?}") };
    assert_eq!((*side, system.as_str()), (Side::Idp, "Azure AD"));
    assert_eq!(source.kind(), ErrorKind::Unavailable);
    assert!(source.to_string().contains("Azure AD did not finish reading"), "{source}");
    assert_eq!(idp.writes() + hr.writes(), 0);

    // The lease was let go: once Azure AD answers, the next sync runs.
    idp.hooks.hang_reads.store(false, Ordering::SeqCst);
    assert!(sync.plan().await.is_ok());
}

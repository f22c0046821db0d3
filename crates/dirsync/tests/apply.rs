//! Applying plans: through directories that work, and through directories that fail on purpose.

use async_trait::async_trait;
use dirsync::{
    apply::{ApplyError, ApplyOptions, DirectoryPair, Progress, apply},
    directory::{
        Directory, DirectoryError, ErrorKind, FieldChange, InMemoryDirectory, Record, RecordId,
        Snapshot,
    },
    model::{Field, Person, Side},
    plan::{Plan, reconcile},
    policy::{ConflictRule, CreationRule, Policy},
    report::{Action, Outcome, Report},
    store::SyncState,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use testkit::{Intercept, Intercepted};

// ---------------------------------------------------------------------------------------------
// A directory that fails chosen calls.

/// How a call goes wrong.
#[derive(Clone, Copy)]
enum Fault {
    /// Answers with an error of this kind.
    Error(ErrorKind),
    /// Never answers; the wrapper gives up after a short timeout, as an adapter would.
    Hang,
    /// Panics (a bug in an adapter).
    Panic,
}

#[derive(Default)]
struct Faults {
    /// The update calls (counted from 1) that fail, and how.
    update_calls: BTreeMap<usize, Fault>,
    /// Updates of these records fail.
    update_records: BTreeMap<RecordId, Fault>,
    /// Creates of people with these emails are made, but the answer is lost.
    lose_create_answer: Vec<String>,
    /// Looking people up fails.
    find: Option<ErrorKind>,
}

/// What a faulty directory does around the in-memory one's calls, and what it counted.
#[derive(Default)]
struct Faulting {
    faults: Mutex<Faults>,
    updates: AtomicUsize,
    creates: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    delay: Duration,
}

impl Faulting {
    async fn busy(&self) {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

type Faulty = Intercepted<Faulting>;

fn faulty(name: &str, records: Vec<Record>) -> Faulty {
    Intercepted::new(InMemoryDirectory::new(records).with_name(name), Faulting::default())
}

/// The faults a test sets.
trait FaultyDirectory {
    fn with_delay(self, delay: Duration) -> Self;
    fn fail_update_call(&self, n: usize, fault: Fault);
    fn fail_updates_of(&self, id: &str, fault: Fault);
    fn lose_create_answer(&self, email: &str);
    fn heal(&self);
    fn records(&self) -> Vec<Record>;
}

impl FaultyDirectory for Faulty {
    fn with_delay(mut self, delay: Duration) -> Self {
        self.hooks.delay = delay;
        self
    }

    fn fail_update_call(&self, n: usize, fault: Fault) {
        self.hooks.faults.lock().expect("lock").update_calls.insert(n, fault);
    }

    fn fail_updates_of(&self, id: &str, fault: Fault) {
        self.hooks.faults.lock().expect("lock").update_records.insert(id.into(), fault);
    }

    fn lose_create_answer(&self, email: &str) {
        self.hooks.faults.lock().expect("lock").lose_create_answer.push(email.to_owned());
    }

    fn heal(&self) {
        *self.hooks.faults.lock().expect("lock") = Faults::default();
    }

    fn records(&self) -> Vec<Record> {
        self.inner.records()
    }
}

async fn strike(fault: Fault) -> DirectoryError {
    match fault {
        Fault::Error(kind) => DirectoryError::new(kind, format!("{kind} (on purpose)")),
        Fault::Hang => {
            let never = futures::future::pending::<()>();
            match tokio::time::timeout(Duration::from_millis(50), never).await {
                Ok(()) => unreachable!("pending never ends"),
                Err(_) => DirectoryError::new(
                    ErrorKind::Unavailable,
                    "no answer within 50 ms; try again later",
                ),
            }
        }
        Fault::Panic => panic!("adapter bug (on purpose)"),
    }
}

#[async_trait]
impl Intercept for Faulting {
    async fn before_create(&self, _: &Person) -> Result<(), DirectoryError> {
        self.busy().await;
        self.creates.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn after_create(
        &self,
        person: &Person,
        created: Result<Record, DirectoryError>,
    ) -> Result<Record, DirectoryError> {
        let lose = {
            let faults = self.faults.lock().expect("lock");
            faults.lose_create_answer.iter().any(|e| Some(e.as_str()) == person.email())
        };
        match created {
            Ok(_) if lose => Err(DirectoryError::new(
                ErrorKind::Unavailable,
                "the connection dropped before the answer came; try again later",
            )),
            answer => answer,
        }
    }

    async fn before_update(&self, id: &RecordId, _: &[FieldChange]) -> Result<(), DirectoryError> {
        self.busy().await;
        let call = self.updates.fetch_add(1, Ordering::SeqCst) + 1;
        let fault = {
            let faults = self.faults.lock().expect("lock");
            faults.update_calls.get(&call).or_else(|| faults.update_records.get(id)).copied()
        };
        match fault {
            Some(fault) => Err(strike(fault).await),
            None => Ok(()),
        }
    }

    async fn before_find_matching(&self, _: &Person) -> Result<(), DirectoryError> {
        let fault = self.faults.lock().expect("lock").find;
        match fault {
            Some(kind) => Err(strike(Fault::Error(kind)).await),
            None => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The scenario.

fn ada_hr() -> Record {
    Record::new(
        "h1",
        Person::new()
            .with_email("ada@example.com")
            .with_employment_id("E1")
            .with_given_name("Ada")
            .with_family_name("Lovelace")
            .with_job_title("CTO")
            .with_phone("+47 100"),
    )
}

/// HR: Ada, Alan, Grace (HR only), Linus. Directory: Ada, Alan, Linus, Margaret (directory only).
fn hr_records() -> Vec<Record> {
    vec![
        ada_hr(),
        Record::new(
            "h2",
            Person::new()
                .with_email("alan@example.com")
                .with_employment_id("E2")
                .with_given_name("Alan")
                .with_job_title("Engineer"),
        ),
        Record::new(
            "h3",
            Person::new()
                .with_email("grace@example.com")
                .with_employment_id("E3")
                .with_given_name("Grace")
                .with_family_name("Hopper"),
        ),
        Record::new(
            "h4",
            Person::new()
                .with_email("linus@example.com")
                .with_employment_id("E4")
                .with_given_name("Linus")
                .with_job_title("Kernel"),
        ),
    ]
}

fn idp_records() -> Vec<Record> {
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
        Record::new(
            "a4",
            Person::new()
                .with_email("linus@example.com")
                .with_employment_id("E4")
                .with_given_name("Linus")
                .with_job_title("Kernel hacker"),
        ),
        Record::new(
            "a5",
            Person::new().with_email("margaret@example.com").with_given_name("Margaret"),
        ),
    ]
}

fn policy() -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        create_in_idp: CreationRule::All,
        create_in_hr: CreationRule::None,
        ..Policy::default()
    }
}

async fn plan_for(hr: &dyn Directory, idp: &dyn Directory, state: &SyncState) -> Plan {
    let hr = Snapshot::read(hr).await.expect("HR snapshot");
    let idp = Snapshot::read(idp).await.expect("directory snapshot");
    reconcile(&hr, &idp, state, &policy())
}

fn one() -> ApplyOptions {
    ApplyOptions { concurrency: 1, ..ApplyOptions::default() }
}

async fn run(
    hr: &dyn Directory,
    idp: &dyn Directory,
    state: &mut SyncState,
    options: &ApplyOptions,
) -> Result<Report, ApplyError> {
    let plan = plan_for(hr, idp, state).await;
    apply(&plan, DirectoryPair::new(hr, idp), state, options).await
}

/// (person, side, action, outcome) of every operation, in report order.
fn outcomes(report: &Report) -> Vec<(&str, Side, Action, &'static str)> {
    report
        .operations
        .iter()
        .map(|o| (o.name.as_str(), o.target, o.action, o.outcome.label()))
        .collect()
}

fn assert_converged(plan: &Plan) {
    assert!(plan.changes.is_empty(), "changes left: {:#?}", plan.changes);
    let creations: Vec<_> = plan.creations.iter().map(|c| (&c.name, c.settled)).collect();
    // Margaret stays in the directory only: the policy creates nobody in HR.
    assert_eq!(creations.len(), 1, "{creations:?}");
    assert_eq!(creations[0].0, "Margaret");
    let ops = plan.operations().expect("settled");
    assert!(ops.operations.is_empty(), "{:#?}", ops.operations);
}

fn emails(records: &[Record]) -> Vec<String> {
    let mut emails: Vec<String> = records.iter().filter_map(|r| r.person.email_key()).collect();
    emails.sort();
    emails
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_clean_run_writes_both_sides_remembers_it_and_converges() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    let mut state = SyncState::new();

    let report = run(&hr, &idp, &mut state, &ApplyOptions::default()).await.expect("applied");

    assert_eq!(
        outcomes(&report),
        vec![
            ("Ada Lovelace", Side::Idp, Action::Update, "done"),
            ("Alan", Side::Hr, Action::Update, "done"),
            ("Alan", Side::Idp, Action::Update, "done"),
            ("Grace Hopper", Side::Idp, Action::Create, "done"),
            ("Linus", Side::Idp, Action::Update, "done"),
        ]
    );
    let c = report.counts;
    assert_eq!(
        (c.updated_in_hr, c.updated_in_idp, c.created_in_hr, c.created_in_idp),
        (1, 3, 0, 1)
    );
    assert_eq!((c.skipped, c.failed, c.not_attempted, c.findings), (1, 0, 0, 0));
    assert_eq!(report.skipped[0].name, "Margaret");
    assert_eq!(
        report.skipped[0].reason,
        "found only in Azure AD; not created in Huma, as the sync \
         settings say"
    );
    let ada = &report.operations[0];
    let fields: Vec<_> = ada
        .fields
        .iter()
        .map(|f| (f.field, f.from.as_ref().map(ToString::to_string), f.to.to_string()))
        .collect();
    assert_eq!(
        fields,
        vec![
            (Field::Phone, None, "+47 100".to_owned()),
            (Field::JobTitle, Some("Engineer".to_owned()), "CTO".to_owned()),
        ]
    );

    // Both sides now hold the same values; Grace exists once in the directory.
    let grace = idp
        .records()
        .into_iter()
        .find(|r| r.person.email() == Some("grace@example.com"))
        .expect("Grace was created");
    assert_eq!(grace.person, hr_records()[2].person);
    assert_eq!(idp.records().len(), 5);

    // The state links everyone paired or created, with everything they now agree on.
    let mut expected = SyncState::new();
    let hr_now = hr.records();
    let idp_now = idp.records();
    let find = |records: &[Record], id: &str| {
        records.iter().find(|r| r.id.as_str() == id).expect("exists").person.clone()
    };
    for (h, a) in [("h1", "a1"), ("h2", "a2"), ("h4", "a4")] {
        assert_eq!(
            find(&hr_now, h),
            find(&idp_now, a).with_email(find(&hr_now, h).email().expect("email"))
        );
        let mut baseline = find(&hr_now, h);
        baseline = Person::new()
            .with_employment_id(baseline.employment_id().unwrap_or_default())
            .with_given_name(baseline.given_name().unwrap_or_default())
            .with_family_name(baseline.family_name().unwrap_or_default())
            .with_phone(baseline.phone().unwrap_or_default())
            .with_job_title(baseline.job_title().unwrap_or_default());
        expected.link(h.into(), a.into(), baseline);
    }
    let grace_baseline =
        Person::new().with_employment_id("E3").with_given_name("Grace").with_family_name("Hopper");
    expected.link("h3".into(), grace.id.clone(), grace_baseline);
    assert_eq!(state, expected);

    // A second run has nothing to do.
    assert_converged(&plan_for(&hr, &idp, &state).await);
}

#[tokio::test]
async fn a_failed_third_update_stops_nothing_else_and_is_not_remembered() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    let mut state = SyncState::new();
    // One at a time, in plan order: HR h2; directory a1, a2, a4. The third update call is a2's.
    idp.fail_update_call(2, Fault::Error(ErrorKind::PermissionDenied));

    let report = run(&hr, &idp, &mut state, &one()).await.expect("applied");

    assert_eq!(
        outcomes(&report),
        vec![
            ("Ada Lovelace", Side::Idp, Action::Update, "done"),
            ("Alan", Side::Hr, Action::Update, "done"),
            ("Alan", Side::Idp, Action::Update, "failed"),
            ("Grace Hopper", Side::Idp, Action::Create, "done"),
            ("Linus", Side::Idp, Action::Update, "done"),
        ]
    );
    assert_eq!(
        hr.hooks.updates.load(Ordering::SeqCst) + idp.hooks.updates.load(Ordering::SeqCst),
        4
    );
    let c = report.counts;
    assert_eq!((c.updated_in_hr, c.updated_in_idp, c.created_in_idp, c.failed), (1, 2, 1, 1));
    assert!(!report.is_success());
    let failed = &report.operations[2].outcome;
    match failed {
        Outcome::Failed { kind, message } => {
            assert_eq!(*kind, ErrorKind::PermissionDenied);
            assert_eq!(message, "permission denied (on purpose)");
            let advice = failed.advice().unwrap_or_default();
            assert!(advice.starts_with("the integration may not write this; grant the permission"));
        }
        other => panic!("expected a failure, got {other:?}"),
    }

    // Alan's job title write failed: no baseline for it. His phone (written to HR) is remembered.
    let alan = &state.links[&RecordId::from("h2")];
    assert_eq!(alan.idp, RecordId::from("a2"));
    assert_eq!(alan.baseline.job_title(), None);
    assert_eq!(alan.baseline.phone(), Some("+47 200"));
    assert_eq!(state.links[&RecordId::from("h1")].baseline.job_title(), Some("CTO"));
    assert_eq!(state.links.len(), 4);

    // A refused permission does not pass by itself: the write is held back from now on.
    assert_eq!(state.held.len(), 1);
    assert_eq!(state.held[0].record, RecordId::from("a2"));

    // The next run (directory healthy again, the write released) retries exactly that write,
    // then converges and forgets the refusal.
    idp.heal();
    let plan = plan_for(&hr, &idp, &state).await;
    let ops = plan.operations().expect("settled");
    assert_eq!(ops.operations.len(), 1);
    let retry = one().with_retry_held(true);
    let report =
        apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &retry).await.expect("applied");
    assert_eq!(outcomes(&report), vec![("Alan", Side::Idp, Action::Update, "done")]);
    assert!(state.held.is_empty());
    assert_converged(&plan_for(&hr, &idp, &state).await);
    assert_eq!(emails(&idp.records()).len(), 5, "no duplicates");
}

#[tokio::test]
async fn a_write_that_never_answers_times_out_and_the_others_finish() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    idp.fail_updates_of("a4", Fault::Hang);
    let mut state = SyncState::new();

    let report = run(&hr, &idp, &mut state, &ApplyOptions::default()).await.expect("applied");

    let failed: Vec<_> = report.failures().map(|o| o.name.as_str()).collect();
    assert_eq!(failed, ["Linus"]);
    assert_eq!(report.counts.failed, 1);
    assert_eq!(report.counts.updated_in_idp + report.counts.updated_in_hr, 3);
    let failed = &report.operations[4].outcome;
    match failed {
        Outcome::Failed { kind, .. } => {
            assert_eq!(*kind, ErrorKind::Unavailable);
            let advice = failed.advice().unwrap_or_default();
            assert_eq!(advice, "a temporary problem; sync again later and it is tried again");
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    assert_eq!(state.links[&RecordId::from("h4")].baseline.job_title(), None);

    idp.heal();
    run(&hr, &idp, &mut state, &ApplyOptions::default()).await.expect("applied");
    assert_converged(&plan_for(&hr, &idp, &state).await);
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_found_not_made_again() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    idp.lose_create_answer("grace@example.com");
    let mut state = SyncState::new();
    let plan = plan_for(&hr, &idp, &state).await;

    let report =
        apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &one()).await.expect("applied");
    assert_eq!(report.counts.failed, 1);
    assert_eq!(report.counts.created_in_idp, 0);
    assert!(!state.links.contains_key(&RecordId::from("h3")), "a failed create links nothing");
    // It was made all the same.
    assert_eq!(idp.records().len(), 5);

    // The same plan again, as after a crash: the create finds Grace and links her.
    idp.heal();
    let report =
        apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &one()).await.expect("applied");
    let grace = report
        .operations
        .iter()
        .find(|o| o.name == "Grace Hopper")
        .expect("Grace's create is reported");
    let made = idp
        .records()
        .into_iter()
        .find(|r| r.person.email() == Some("grace@example.com"))
        .expect("Grace exists");
    assert_eq!(
        grace.outcome,
        Outcome::Skipped {
            reason: format!(
                "already exists in Azure AD as {} (same employment id or email); \
                 linked to it instead of creating a duplicate",
                made.id
            )
        }
    );
    assert_eq!(grace.idp.as_ref(), Some(&made.id));
    assert_eq!(idp.hooks.creates.load(Ordering::SeqCst), 1, "create was called once in all");
    assert_eq!(idp.records().len(), 5);
    assert_eq!(state.links[&RecordId::from("h3")].idp, made.id);
    assert_eq!(state.links[&RecordId::from("h3")].baseline.given_name(), Some("Grace"));

    // The updates of the first run are made again, harmlessly; then nothing is left to do.
    assert_converged(&plan_for(&hr, &idp, &state).await);
    let mut all = emails(&idp.records());
    all.dedup();
    assert_eq!(all.len(), 5, "no duplicate people");
}

#[tokio::test]
async fn a_create_is_skipped_when_several_records_already_hold_the_person() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    let mut state = SyncState::new();
    let plan = plan_for(&hr, &idp, &state).await;
    // After the plan was made, two records for Grace appear in the directory.
    idp.inner.put(Record::new("g1", Person::new().with_employment_id("E3")));
    idp.inner.put(Record::new("g2", Person::new().with_email("GRACE@example.com")));

    let report =
        apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &one()).await.expect("applied");
    let grace = report.operations.iter().find(|o| o.name == "Grace Hopper").expect("reported");
    assert_eq!(
        grace.outcome,
        Outcome::Skipped {
            reason: "2 records in Azure AD already have this person's employment \
                     id or email (g1, g2); not created: remove the duplicates, then sync again"
                .to_owned()
        }
    );
    assert_eq!(idp.hooks.creates.load(Ordering::SeqCst), 0);
    assert!(!state.links.contains_key(&RecordId::from("h3")));
}

#[tokio::test]
async fn a_create_is_not_made_when_the_lookup_before_it_fails() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    idp.hooks.faults.lock().expect("lock").find = Some(ErrorKind::Throttled);
    let mut state = SyncState::new();

    let report = run(&hr, &idp, &mut state, &one()).await.expect("applied");
    let grace = report.operations.iter().find(|o| o.name == "Grace Hopper").expect("reported");
    assert_eq!(grace.outcome.label(), "failed");
    assert_eq!(idp.hooks.creates.load(Ordering::SeqCst), 0, "no create without a lookup");
    assert_eq!(report.counts.updated_in_idp, 3, "the updates went ahead");
    assert!(!state.links.contains_key(&RecordId::from("h3")));
}

#[tokio::test]
async fn a_plan_over_the_safety_threshold_is_refused_before_any_write() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    let mut state = SyncState::new();
    let plan = plan_for(&hr, &idp, &state).await;
    let limit = |max| ApplyOptions::default().with_max_people_changed(Some(max));

    let err = apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &limit(3))
        .await
        .expect_err("over the limit");
    assert!(matches!(err, ApplyError::SafetyThreshold { people: 4, max: 3 }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the plan would change 4 people, more than the 3 one run may change; nothing was \
         written: check the plan, then raise the limit if the changes are meant"
    );
    assert_eq!(
        hr.hooks.updates.load(Ordering::SeqCst) + idp.hooks.updates.load(Ordering::SeqCst),
        0
    );
    assert_eq!(idp.hooks.creates.load(Ordering::SeqCst), 0);
    assert_eq!(hr.records(), InMemoryDirectory::new(hr_records()).records());
    assert_eq!(state, SyncState::new());

    // At the limit it runs.
    let report = apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &limit(4))
        .await
        .expect("at the limit");
    assert_eq!(report.counts.failed, 0);
}

#[tokio::test]
async fn a_plan_with_pending_decisions_is_refused_before_any_write() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    let mut state = SyncState::new();
    let policy = Policy { conflicts: ConflictRule::Ask, ..policy() };
    let plan = reconcile(
        &Snapshot::read(&hr).await.expect("read"),
        &Snapshot::read(&idp).await.expect("read"),
        &state,
        &policy,
    );
    let err = apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &ApplyOptions::default())
        .await
        .expect_err("pending");
    match err {
        ApplyError::Pending(pending) => assert_eq!(pending.pending.len(), 2),
        other => panic!("expected Pending, got {other:?}"),
    }
    assert_eq!(
        hr.hooks.updates.load(Ordering::SeqCst) + idp.hooks.updates.load(Ordering::SeqCst),
        0
    );
    assert_eq!(state, SyncState::new());
}

#[tokio::test]
async fn refused_credentials_stop_new_writes_and_keep_what_was_done() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    // The first directory update (Ada's, the 2nd operation) is refused for good.
    idp.fail_update_call(1, Fault::Error(ErrorKind::Authentication));
    let mut state = SyncState::new();

    let err = run(&hr, &idp, &mut state, &one()).await.expect_err("stopped");
    assert_eq!(
        err.to_string(),
        "the sync stopped: Azure AD refused the credentials; 3 write(s) were not attempted: \
         reconnect, then sync again (the writes that were made are in the report and the state)"
    );
    let ApplyError::Fatal { side, system, source, report } = err else { panic!("expected Fatal") };
    assert_eq!(side, Side::Idp);
    assert_eq!(system, "Azure AD");
    assert_eq!(source.kind(), ErrorKind::Authentication);
    assert_eq!(
        outcomes(&report),
        vec![
            ("Ada Lovelace", Side::Idp, Action::Update, "failed"),
            ("Alan", Side::Hr, Action::Update, "done"),
            ("Alan", Side::Idp, Action::Update, "not attempted"),
            ("Grace Hopper", Side::Idp, Action::Create, "not attempted"),
            ("Linus", Side::Idp, Action::Update, "not attempted"),
        ]
    );
    assert_eq!((report.counts.failed, report.counts.not_attempted), (1, 3));
    assert_eq!(idp.hooks.updates.load(Ordering::SeqCst), 1);
    assert_eq!(idp.hooks.creates.load(Ordering::SeqCst), 0);
    let stopped = report.stopped.as_ref().expect("the report says it stopped");
    assert_eq!(stopped.side(), Some(Side::Idp));
    let stopped = stopped.explain(&report.names);
    assert!(stopped.starts_with("Azure AD refused the credentials"), "{stopped}");

    // Alan's phone reached HR and is remembered; nothing else advanced.
    assert_eq!(state.links[&RecordId::from("h2")].baseline.phone(), Some("+47 200"));
    assert_eq!(state.links[&RecordId::from("h1")].baseline.job_title(), None);
    assert!(!state.links.contains_key(&RecordId::from("h3")));

    idp.heal();
    run(&hr, &idp, &mut state, &one()).await.expect("applied");
    assert_converged(&plan_for(&hr, &idp, &state).await);
}

#[tokio::test]
async fn a_panicking_adapter_fails_one_write_only() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    idp.fail_updates_of("a1", Fault::Panic);
    let mut state = SyncState::new();

    let report = run(&hr, &idp, &mut state, &ApplyOptions::default()).await.expect("applied");
    assert_eq!(report.counts.failed, 1);
    assert_eq!(report.counts.updated_in_idp, 2);
    match &report.operations[0].outcome {
        Outcome::Failed { message, .. } => assert_eq!(
            message,
            "the directory adapter panicked (adapter bug (on purpose)); this is a bug in the \
             adapter"
        ),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn progress_tells_the_start_each_write_and_the_end() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty("Azure AD", idp_records());
    let mut state = SyncState::new();
    let plan = plan_for(&hr, &idp, &state).await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let options =
        ApplyOptions::default().with_progress(move |p| seen.lock().expect("lock").push(p.clone()));

    let report =
        apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &options).await.expect("applied");

    let events = events.lock().expect("lock").clone();
    assert_eq!(events.len(), 7);
    assert_eq!(events[0], Progress::Started { operations: 5 });
    for (i, event) in events[1..6].iter().enumerate() {
        match event {
            Progress::Finished { finished, operations, report } => {
                assert_eq!((*finished, *operations), (i + 1, 5));
                assert_eq!(report.outcome, Outcome::Done);
            }
            other => panic!("expected Finished, got {other:?}"),
        }
    }
    assert_eq!(events[6], Progress::Done { counts: report.counts });
}

#[tokio::test]
async fn no_more_writes_run_at_once_than_allowed() {
    let people = 12;
    let hr_records: Vec<Record> = (0..people)
        .map(|i| {
            Record::new(
                format!("h{i:02}"),
                Person::new().with_email(format!("p{i}@x.org")).with_job_title("New"),
            )
        })
        .collect();
    let idp_records: Vec<Record> = (0..people)
        .map(|i| {
            Record::new(
                format!("a{i:02}"),
                Person::new().with_email(format!("p{i}@x.org")).with_job_title("Old"),
            )
        })
        .collect();
    for concurrency in [1, 3, 5] {
        let hr = faulty("Huma", hr_records.clone());
        let idp = faulty("Azure AD", idp_records.clone()).with_delay(Duration::from_millis(20));
        let mut state = SyncState::new();
        let options = ApplyOptions { concurrency, ..ApplyOptions::default() };
        let report = run(&hr, &idp, &mut state, &options).await.expect("applied");
        assert_eq!(report.counts.updated_in_idp, people);
        assert_eq!(idp.hooks.max_in_flight.load(Ordering::SeqCst), concurrency);
    }
}

#[tokio::test]
async fn a_value_the_target_will_not_take_is_skipped_with_why_and_not_remembered() {
    let hr = faulty("Huma", hr_records());
    let idp = faulty(
        "Azure AD",
        idp_records()
            .into_iter()
            .map(|r| if r.id.as_str() == "a1" { r.read_only(Field::JobTitle) } else { r })
            .collect(),
    );
    let mut state = SyncState::new();
    let report = run(&hr, &idp, &mut state, &ApplyOptions::default()).await.expect("applied");

    let skipped: Vec<_> = report
        .skipped
        .iter()
        .map(|s| (s.name.as_str(), s.field, s.target, s.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (
                "Ada Lovelace",
                Some(Field::JobTitle),
                Some(Side::Idp),
                "the field is read-only for this person there"
            ),
            (
                "Margaret",
                None,
                Some(Side::Hr),
                "found only in Azure AD; not created in Huma, as the \
                 sync settings say"
            ),
        ]
    );
    assert_eq!(report.counts.skipped, 2);
    let ada = &state.links[&RecordId::from("h1")].baseline;
    assert_eq!(ada.job_title(), None);
    assert_eq!(ada.phone(), Some("+47 100"));
}

#[test]
fn the_apply_future_can_be_spawned() {
    fn assert_send<T: Send>(_: &T) {}
    let dir = InMemoryDirectory::new([]);
    let mut state = SyncState::new();
    let plan = Plan::default();
    let options = ApplyOptions::default();
    let future = apply(&plan, DirectoryPair::new(&dir, &dir), &mut state, &options);
    assert_send(&future);
    let report = futures::executor::block_on(future).expect("an empty plan applies");
    assert_eq!(report.operations, []);
    assert_eq!(report.counts, dirsync::report::Counts::default());
    assert_eq!(
        report.names,
        dirsync::model::Names::new("in-memory directory", "in-memory directory")
    );
}

/// Like the Azure adapter, makes up an initial password for each new account.
struct IssuesPasswords(Mutex<Vec<String>>);

#[async_trait]
impl Intercept for IssuesPasswords {
    async fn before_create(&self, _: &Person) -> Result<(), DirectoryError> {
        let mut issued = self.0.lock().expect("lock");
        let password = format!("Pw-{}-x7!Q", issued.len());
        issued.push(password);
        Ok(())
    }
}

#[tokio::test]
async fn a_generated_password_never_reaches_the_report_or_the_state() {
    let hr = InMemoryDirectory::new(hr_records());
    let idp =
        Intercepted::new(InMemoryDirectory::new(idp_records()), IssuesPasswords(Mutex::default()));
    let mut state = SyncState::new();
    let report = run(&hr, &idp, &mut state, &ApplyOptions::default()).await.expect("applied");
    let issued = idp.hooks.0.into_inner().expect("lock");
    assert_eq!(issued.len(), 1, "Grace's account");
    let everything = [
        serde_json::to_string(&report).expect("JSON"),
        serde_json::to_string(&state).expect("JSON"),
        format!("{report:?}{state:?}"),
        dirsync_report::markdown(&report),
        dirsync_report::html(&report),
    ]
    .concat();
    assert!(everything.contains("Grace"));
    for password in &issued {
        assert!(!everything.contains(password.as_str()));
    }
    assert!(!everything.to_lowercase().contains("password"));
}

//! Carrying out a settled plan: the writes on both sides, the new state, and the report.

use crate::report::{Action, FieldReport, HeldItem, OperationReport, Outcome, Report, SkippedItem};
use crate::timeout::within;
use crate::{
    AccountAction, AccountChange, Create, Decision, Directory, DirectoryError, DisabledAccount,
    ErrorKind, Field, FieldChange, FieldValue, ItemId, Names, Operation, Operations,
    PendingDecisions, Plan, Record, RecordId, Side, SyncState, Update, quarantine,
};
use chrono::{DateTime, Utc};
use futures::{FutureExt, StreamExt};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;

/// The two directories of a sync, HR first.
#[derive(Clone, Copy)]
pub struct DirectoryPair<'a> {
    /// The HR system (Huma).
    pub hr: &'a dyn Directory,
    /// The identity directory (Azure AD).
    pub idp: &'a dyn Directory,
}

impl<'a> DirectoryPair<'a> {
    /// The pair of `hr` and `idp`.
    pub fn new(hr: &'a dyn Directory, idp: &'a dyn Directory) -> Self {
        DirectoryPair { hr, idp }
    }

    /// The directory of `side`.
    pub fn get(&self, side: Side) -> &'a dyn Directory {
        match side {
            Side::Hr => self.hr,
            Side::Idp => self.idp,
        }
    }

    /// What the two are called.
    pub fn names(&self) -> Names {
        Names::new(self.hr.name(), self.idp.name())
    }
}

impl fmt::Debug for DirectoryPair<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirectoryPair")
            .field("hr", &self.hr.name())
            .field("idp", &self.idp.name())
            .finish()
    }
}

/// A function told of [`Progress`] while a plan is applied.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How [`apply`] runs.
///
/// ```
/// use dirsync::ApplyOptions;
/// use std::time::Duration;
/// let options = ApplyOptions::default()
///     .with_max_people_changed(Some(500))
///     .with_write_timeout(Duration::from_secs(60))
///     .with_progress(|event| println!("{event:?}"));
/// assert_eq!(options.max_people_changed, Some(500));
/// ```
#[derive(Clone)]
pub struct ApplyOptions {
    /// How many writes may be under way at once (at least one is).
    ///
    /// The default, 4, keeps a steady stream of writes to Microsoft Graph without queueing in its
    /// throttling: Graph lets one app write about 20 users per second per tenant, whatever the
    /// concurrency, so more buys nothing in steady state.
    pub concurrency: usize,
    /// The safety threshold: the most people one run may change or create. A plan over it is
    /// refused before any write ([`ApplyError::SafetyThreshold`]); `None` (the default) sets no
    /// limit. Like Entra's accidental-deletion threshold, it stops a wrong mapping or a wrong
    /// tenant from rewriting everyone.
    pub max_people_changed: Option<usize>,
    /// The most leavers' accounts one run may disable; a plan over it is refused before any
    /// write ([`ApplyError::DisableThreshold`]). `None` (the default): 10, or 5 % of the people
    /// the plan pairs, whichever is larger ([`crate::default_max_disables`]).
    pub max_disables: Option<usize>,
    /// Try again the writes held back because a directory refused them for good before
    /// ([`crate::SyncState::held`]), without waiting for their next try.
    pub retry_held: bool,
    /// The time this run records (when accounts were disabled, when writes were refused) and
    /// holds writes back by; `None` (the default): the clock when the apply starts.
    pub now: Option<DateTime<Utc>>,
    /// The longest one write (an update, a batch of updates, or a creation with its look-up) may
    /// take, retries included; past it the write is reported as failed ("unavailable") and the
    /// run goes on. Default: 5 minutes, longer than any adapter's own retries.
    pub write_timeout: Duration,
    /// Told of each write as it ends; it is called from the running future, so it should return
    /// quickly.
    pub progress: Option<ProgressFn>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 4,
            max_people_changed: None,
            max_disables: None,
            retry_held: false,
            now: None,
            write_timeout: Duration::from_secs(300),
            progress: None,
        }
    }
}

impl ApplyOptions {
    /// These options with `concurrency` writes under way at once.
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// These options with the safety threshold `max` (`None`: no limit).
    #[must_use]
    pub fn with_max_people_changed(mut self, max: Option<usize>) -> Self {
        self.max_people_changed = max;
        self
    }

    /// These options with at most `max` accounts disabled in one run (`None`: the default,
    /// [`crate::default_max_disables`]).
    #[must_use]
    pub fn with_max_disables(mut self, max: Option<usize>) -> Self {
        self.max_disables = max;
        self
    }

    /// These options trying held-back writes again now.
    #[must_use]
    pub fn with_retry_held(mut self, retry: bool) -> Self {
        self.retry_held = retry;
        self
    }

    /// These options recording `now` as the time of the run.
    #[must_use]
    pub fn with_now(mut self, now: DateTime<Utc>) -> Self {
        self.now = Some(now);
        self
    }

    /// These options with each write bounded by `timeout`.
    #[must_use]
    pub fn with_write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = timeout;
        self
    }

    /// These options telling `progress` of each write.
    #[must_use]
    pub fn with_progress(mut self, progress: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    fn tell(&self, event: &Progress) {
        if let Some(progress) = &self.progress {
            progress(event);
        }
    }
}

impl fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("concurrency", &self.concurrency)
            .field("max_people_changed", &self.max_people_changed)
            .field("max_disables", &self.max_disables)
            .field("retry_held", &self.retry_held)
            .field("now", &self.now)
            .field("write_timeout", &self.write_timeout)
            .field("progress", &self.progress.as_ref().map(|_| "Fn"))
            .finish()
    }
}

/// What [`apply`] tells while it runs, so a CLI can draw a progress bar and a service can log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// The writes are about to start.
    Started {
        /// How many writes there are.
        operations: usize,
    },
    /// One write ended.
    Finished {
        /// How many writes have ended so far, this one included.
        finished: usize,
        /// How many writes there are.
        operations: usize,
        /// The write and how it ended.
        report: OperationReport,
    },
    /// Every write has ended (or was not attempted); the report is ready.
    Done {
        /// The report's counts.
        counts: crate::report::Counts,
    },
}

/// Why [`apply`] did not carry out a plan, or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// Some items of the plan still wait for a decision; nothing was written.
    #[error(transparent)]
    Pending(#[from] PendingDecisions),
    /// The plan changes more people than the safety threshold allows; nothing was written.
    #[error(
        "the plan would change {people} people, more than the {max} one run may change; nothing \
         was written: check the plan, then raise the limit if the changes are meant"
    )]
    SafetyThreshold {
        /// How many people the plan changes or creates.
        people: usize,
        /// The limit.
        max: usize,
    },
    /// The plan disables more accounts than one run may; nothing was written.
    #[error(
        "the plan would disable {disables} accounts of people who left, more than the {max} one \
         run may disable; nothing was written: check the accounts to disable in the plan, then \
         raise the limit (max_disables) if they are meant"
    )]
    DisableThreshold {
        /// How many accounts the plan disables.
        disables: usize,
        /// The limit.
        max: usize,
    },
    /// A directory refused the connection's credentials, so the run stopped starting writes.
    ///
    /// The writes that were made are in the report and in the state (which was advanced for
    /// them); the rest are reported as not attempted.
    #[error(
        "the sync stopped: {system} refused the credentials; {} write(s) were not attempted: \
         reconnect, then sync again (the writes that were made are in the report and the state)",
        .report.counts.not_attempted
    )]
    Fatal {
        /// The side whose credentials were refused.
        side: Side,
        /// Its name.
        system: String,
        /// Its error.
        source: DirectoryError,
        /// What was done before the run stopped.
        report: Box<Report>,
    },
}

/// How one operation ended, with the record it produced or found (for a create).
struct Ended {
    outcome: Outcome,
    record: Option<Record>,
    fatal: Option<DirectoryError>,
}

impl Ended {
    fn done(record: Option<Record>) -> Self {
        Ended { outcome: Outcome::Done, record, fatal: None }
    }

    fn failed(error: DirectoryError) -> Self {
        let outcome = Outcome::failed(&error);
        let fatal = error.kind().is_fatal().then_some(error);
        Ended { outcome, record: None, fatal }
    }

    fn skipped(reason: String, record: Option<Record>) -> Self {
        Ended { outcome: Outcome::Skipped { reason }, record, fatal: None }
    }
}

/// Carries out a settled plan: every write through the `directories`, at most
/// [`ApplyOptions::concurrency`] at once, each bounded by [`ApplyOptions::write_timeout`], then advances `state` for the writes that succeeded and
/// returns a [`Report`] in which every write is done, skipped (with why) or failed (with the error
/// and what to do). One failed write never stops the others.
///
/// Before any write:
/// - a plan with pending decisions is refused ([`ApplyError::Pending`]);
/// - a plan that changes more people than [`ApplyOptions::max_people_changed`] is refused
///   ([`ApplyError::SafetyThreshold`]);
/// - a plan that disables more leavers' accounts than [`ApplyOptions::max_disables`] is refused
///   ([`ApplyError::DisableThreshold`]).
///
/// Writes a directory refused for good before ([`crate::SyncState::held`]) are held back, unless
/// their value changed, their next try is due, or [`ApplyOptions::retry_held`] is set; they are
/// listed in [`Report::held`]. A refusal for good (permission denied, invalid value) is remembered
/// for the next run; one refused again when tried is reported as held back, not as failed.
///
/// Re-running a plan that was half applied (after a crash) makes no duplicates: before each
/// create, the target is asked for someone with the same employment id or email
/// ([`Directory::find_matching`]); if one record holds them, the create is skipped as "already
/// exists" and the person is linked to that record.
///
/// A create passes only the person to [`Directory::create`]: whatever else the target needs for
/// a new account (for Azure AD a user principal name in a verified domain, a mail nickname, a
/// display name and an initial password) is the adapter's to fill in from its configuration, so
/// no password ever passes through the plan, the state, the report or the logs.
///
/// When a directory refuses the credentials ([`ErrorKind::Authentication`]), no further write is
/// started, the rest are reported as not attempted, and [`ApplyError::Fatal`] carries the report;
/// `state` is advanced for what was done all the same.
///
/// The state is rebuilt from the plan: every pair is linked, with [`crate::Pair::agreed`] as the
/// baseline plus the value of each field whose every write succeeded; a field whose write failed
/// or was skipped gets no new value, so the next run compares it again. Each person created (or
/// found already there) is linked to their record, with the values both now hold as the baseline.
/// Links of records that were not paired are dropped; cursors are kept. Saving the state is the
/// caller's (see [`crate::StateStore`]).
///
/// Retrying throttled or failed requests is the adapters' job (they know `Retry-After` and their
/// budgets); a write that still fails is reported as failed and tried again on the next run.
///
/// This is the step [`crate::Synchronizer`] runs under its lease, with the state saved after;
/// call it directly only to run the steps yourself.
///
/// The core has no async runtime: the returned future runs on any executor, and is `Send`.
///
/// ```
/// use dirsync::{apply, ApplyOptions, CreationRule, DirectoryPair, InMemoryDirectory, Person,
///               Policy, Record, Snapshot, SyncState, reconcile};
/// # futures::executor::block_on(async {
/// let hr = InMemoryDirectory::new([
///     Record::new("h1", Person::new().with_email("ada@example.com").with_job_title("CTO")),
///     Record::new("h2", Person::new().with_email("alan@example.com").with_given_name("Alan")),
/// ]);
/// let idp = InMemoryDirectory::new([Record::new("a1", Person::new().with_email("ada@example.com"))]);
/// let policy = Policy { create_in_idp: CreationRule::All, ..Policy::default() };
/// let mut state = SyncState::new();
///
/// let plan = reconcile(&Snapshot::read(&hr).await?, &Snapshot::read(&idp).await?, &state, &policy);
/// let directories = DirectoryPair::new(&hr, &idp);
/// let report = apply(&plan, directories, &mut state, &ApplyOptions::default()).await?;
///
/// assert_eq!(report.counts.updated_in_idp, 1); // Ada's job title
/// assert_eq!(report.counts.created_in_idp, 1); // Alan
/// assert_eq!(state.links.len(), 2);
/// let cto = dirsync::FieldValue::Text("CTO".into());
/// assert!(report.operations.iter().any(|op| op.fields.iter().any(|f| f.to == cto)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// [`ApplyError`]: a pending decision or a threshold (nothing written), or refused credentials
/// (the run stopped; the report is in the error).
pub async fn apply(
    plan: &Plan,
    directories: DirectoryPair<'_>,
    state: &mut SyncState,
    options: &ApplyOptions,
) -> Result<Report, ApplyError> {
    let planned = plan.operations()?;
    let now = options.now.unwrap_or_else(Utc::now);
    let (kept, held) = quarantine::hold_back(&planned, &state.held, now, options.retry_held);
    let ops = kept.as_ref().unwrap_or(&planned);
    let people = ops.people_changed();
    if let Some(max) = options.max_people_changed.filter(|&max| people > max) {
        tracing::warn!(people, max, "plan refused by the safety threshold");
        return Err(ApplyError::SafetyThreshold { people, max });
    }
    let disables = ops.disables();
    let max = options.max_disables.unwrap_or_else(|| crate::default_max_disables(plan.pairs.len()));
    if disables > max {
        tracing::warn!(disables, max, "plan refused by the threshold on disabled accounts");
        return Err(ApplyError::DisableThreshold { disables, max });
    }
    let span = tracing::info_span!(
        "apply",
        operations = ops.operations.len(),
        people,
        disables,
        held = held.len(),
        concurrency = options.concurrency.max(1)
    );
    let run = Run { plan, planned: &planned, ops, held, now };
    run.run(directories, state, options).instrument(span).await
}

/// One apply's plan, its writes, and what was held back.
struct Run<'p> {
    plan: &'p Plan,
    /// Every write the plan calls for.
    planned: &'p Operations,
    /// The writes to make: `planned` less those held back.
    ops: &'p Operations,
    held: Vec<HeldItem>,
    now: DateTime<Utc>,
}

impl Run<'_> {
    async fn run(
        self,
        directories: DirectoryPair<'_>,
        state: &mut SyncState,
        options: &ApplyOptions,
    ) -> Result<Report, ApplyError> {
        let Run { plan, planned, ops, held, now } = self;
        let total = ops.operations.len();
        options.tell(&Progress::Started { operations: total });
        let stop = AtomicBool::new(false);
        let fatal: Mutex<Option<(Side, DirectoryError)>> = Mutex::new(None);
        let directory = |side: Side| directories.get(side);
        let timeout = options.write_timeout;

        let mut ended: Vec<Option<Ended>> = (0..total).map(|_| None).collect();
        let mut reports: Vec<Option<OperationReport>> = vec![None; total];
        // The futures are built up front (they start only when polled): a stream combinator holding
        // a closure over borrowed operations would keep the whole future from being `Send`.
        let runs: Vec<_> = units(&ops.operations, directory)
            .into_iter()
            .map(|unit| {
                let stop = &stop;
                let fatal = &fatal;
                let target = directory(ops.operations[unit[0]].target());
                let operations = &ops.operations;
                async move {
                    if stop.load(Ordering::SeqCst) {
                        let not_attempted =
                            || Ended { outcome: Outcome::NotAttempted, record: None, fatal: None };
                        return unit.iter().map(|&index| (index, not_attempted())).collect();
                    }
                    let span = operation_span(unit[0], &operations[unit[0]], unit.len());
                    let write =
                        AssertUnwindSafe(run_unit(operations, &unit, target).instrument(span))
                            .catch_unwind();
                    let ends = match within(timeout, write).await {
                        Some(Ok(ends)) => ends,
                        Some(Err(panic)) => {
                            unit.iter().map(|_| Ended::failed(panicked(&panic))).collect()
                        }
                        None => {
                            unit.iter().map(|_| Ended::failed(timed_out(target, timeout))).collect()
                        }
                    };
                    let mut out = Vec::with_capacity(unit.len());
                    for (&index, mut end) in unit.iter().zip(ends) {
                        if let Some(error) = end.fatal.take() {
                            stop.store(true, Ordering::SeqCst);
                            let mut first = fatal.lock().unwrap_or_else(|p| p.into_inner());
                            if first.is_none() {
                                *first = Some((operations[index].target(), error));
                            }
                        }
                        out.push((index, end));
                    }
                    out
                }
            })
            .collect();
        let mut stream = futures::stream::iter(runs)
            .buffer_unordered(options.concurrency.max(1))
            .flat_map(futures::stream::iter);

        let names = directories.names();
        let mut finished = 0;
        while let Some((index, end)) = stream.next().await {
            finished += 1;
            let report = operation_report(&ops.operations[index], &end, &names);
            match &end.outcome {
                Outcome::Failed { kind, message, .. } => {
                    tracing::warn!(index, kind = %kind, message = %message, "write failed");
                }
                outcome => tracing::info!(index, outcome = outcome.label(), "write ended"),
            }
            options.tell(&Progress::Finished {
                finished,
                operations: total,
                report: report.clone(),
            });
            reports[index] = Some(report);
            ended[index] = Some(end);
        }
        drop(stream);

        let ended: Vec<Ended> = ended.into_iter().flatten().collect();
        let mut advanced = advanced_state(plan, ops, &ended, state);
        remember_accounts(&mut advanced, ops, &ended, now);
        let ran: Vec<(&Operation, &Outcome)> =
            ops.operations.iter().zip(&ended).map(|(op, end)| (op, &end.outcome)).collect();
        let (held_now, refused_again) = quarantine::remember(&state.held, planned, &ran, now);
        advanced.held = held_now;
        *state = advanced;

        // A write held back before and refused again when its next try came is reported as held
        // back, not as a new failure.
        let mut operations = Vec::with_capacity(reports.len());
        let mut held = held;
        for ((report, again), op) in reports.into_iter().zip(refused_again).zip(&ops.operations) {
            let Some(report) = report else { continue };
            if !again {
                operations.push(report);
                continue;
            }
            held.extend(
                quarantine::held_for(op, &state.held).map(|h| HeldItem::from_held(h, true)),
            );
        }
        let mut report = Report {
            operations,
            skipped: skipped_items(plan, ops, &names),
            findings: plan.findings.clone(),
            held,
            ..Report::default()
        };
        let fatal = fatal.into_inner().unwrap_or_else(|p| p.into_inner());
        if let Some((side, error)) = &fatal {
            report.stopped = Some(format!(
                "{} refused the credentials ({}); the writes after that were not attempted: \
             reconnect, then sync again",
                names.of(*side),
                crate::ErrorChain(error)
            ));
        }
        report.names = names;
        report.recount();
        report.sort();
        tracing::info!(counts = ?report.counts, "apply finished");
        options.tell(&Progress::Done { counts: report.counts });
        match fatal {
            Some((side, source)) => {
                let system = report.names.of(side).to_owned();
                Err(ApplyError::Fatal { side, system, source, report: Box::new(report) })
            }
            None => Ok(report),
        }
    }
}

fn operation_span(index: usize, op: &Operation, batch: usize) -> tracing::Span {
    match op {
        Operation::Update(u) if batch > 1 => {
            tracing::info_span!("operation", index, action = "update", target = ?u.target, batch)
        }
        Operation::Update(u) => {
            let fields: Vec<&str> = u.changes.iter().map(|c| c.field.label()).collect();
            tracing::info_span!(
                "operation",
                index,
                action = "update",
                target = ?u.target,
                record = %u.record(),
                fields = ?fields
            )
        }
        Operation::Create(c) => tracing::info_span!(
            "operation",
            index,
            action = "create",
            target = ?c.target,
            source = %c.source,
            item = %c.item
        ),
        Operation::Account(a) => tracing::info_span!(
            "operation",
            index,
            action = ?a.action,
            record = %a.idp,
            reason = ?a.reason
        ),
    }
}

fn timed_out(target: &dyn Directory, timeout: Duration) -> DirectoryError {
    DirectoryError::new(
        ErrorKind::Unavailable,
        format!(
            "{} did not answer within {} s; the write may or may not have been made, and the \
             next sync compares it again",
            target.name(),
            timeout.as_secs_f64()
        ),
    )
}

fn panicked(panic: &Box<dyn std::any::Any + Send>) -> DirectoryError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_owned());
    DirectoryError::new(
        ErrorKind::Other,
        format!("the directory adapter panicked ({what}); this is a bug in the adapter"),
    )
}

/// The units of work: each create alone; updates of one side in groups of that directory's
/// [`Directory::batch_size`], so a directory that writes many people per request (Graph's
/// `$batch`) gets them together.
fn units<'d>(
    operations: &[Operation],
    directory: impl Fn(Side) -> &'d dyn Directory,
) -> Vec<Vec<usize>> {
    let mut units = Vec::new();
    for side in Side::BOTH {
        let size = directory(side).batch_size().max(1);
        let updates: Vec<usize> = (0..operations.len())
            .filter(|&i| matches!(&operations[i], Operation::Update(u) if u.target == side))
            .collect();
        units.extend(updates.chunks(size).map(<[usize]>::to_vec));
    }
    units.extend(
        (0..operations.len())
            .filter(|&i| matches!(operations[i], Operation::Create(_)))
            .map(|i| vec![i]),
    );
    // An account's changes in plan order (disable, then revoke its sessions) in one unit.
    let mut accounts: BTreeMap<&RecordId, Vec<usize>> = BTreeMap::new();
    for (i, op) in operations.iter().enumerate() {
        if let Operation::Account(account) = op {
            accounts.entry(&account.idp).or_default().push(i);
        }
    }
    units.extend(accounts.into_values());
    units
}

/// Runs one account's changes in order; once one fails, the rest are skipped.
async fn run_account(accounts: &[&AccountChange], target: &dyn Directory) -> Vec<Ended> {
    let mut ends = Vec::with_capacity(accounts.len());
    let mut failed = false;
    for account in accounts {
        if failed {
            let why = format!(
                "not done: the account's earlier change in {} failed (see above)",
                target.name()
            );
            ends.push(Ended::skipped(why, None));
            continue;
        }
        tracing::debug!(name = %account.name, action = ?account.action, "changing the account");
        let result = match account.action {
            AccountAction::Disable => target.set_enabled(&account.idp, false).await,
            AccountAction::Enable => target.set_enabled(&account.idp, true).await,
            AccountAction::RevokeSessions => target.revoke_sessions(&account.idp).await,
        };
        failed = result.is_err();
        ends.push(ended(result));
    }
    ends
}

/// Runs one unit: a create, or a group of updates of one side; one end per operation, in order.
async fn run_unit(operations: &[Operation], unit: &[usize], target: &dyn Directory) -> Vec<Ended> {
    let accounts: Vec<&AccountChange> = unit
        .iter()
        .filter_map(|&i| match &operations[i] {
            Operation::Account(account) => Some(account),
            _ => None,
        })
        .collect();
    if !accounts.is_empty() {
        return run_account(&accounts, target).await;
    }
    let updates: Vec<&Update> = unit
        .iter()
        .filter_map(|&i| match &operations[i] {
            Operation::Update(update) => Some(update),
            _ => None,
        })
        .collect();
    match (unit, updates.as_slice()) {
        ([index], []) => match &operations[*index] {
            Operation::Create(create) => {
                tracing::debug!(name = %create.name, "creating");
                vec![create_once(create, target).await]
            }
            _ => Vec::new(),
        },
        (_, [update]) => {
            tracing::debug!(name = %update.name, "updating");
            vec![ended(target.update(update.record(), &update.field_changes()).await)]
        }
        (_, updates) => {
            let batch: Vec<(RecordId, Vec<FieldChange>)> =
                updates.iter().map(|u| (u.record().clone(), u.field_changes())).collect();
            let mut results = target.update_many(&batch).await.into_iter();
            // A directory that answers fewer results than asked leaves the rest failed, not done.
            (0..updates.len())
                .map(|_| {
                    results.next().map(ended).unwrap_or_else(|| {
                        Ended::failed(DirectoryError::new(
                            ErrorKind::InvalidResponse,
                            "the directory gave no result for this update; sync again to retry it",
                        ))
                    })
                })
                .collect()
        }
    }
}

fn ended(result: Result<(), DirectoryError>) -> Ended {
    match result {
        Ok(()) => Ended::done(None),
        Err(e) => Ended::failed(e),
    }
}

/// Creates the person unless the target already holds them.
async fn create_once(create: &Create, target: &dyn Directory) -> Ended {
    let found = match target.find_matching(&create.person).await {
        Ok(found) => found,
        Err(e) => return Ended::failed(e),
    };
    match found.as_slice() {
        [] => match target.create(&create.person).await {
            Ok(record) => Ended::done(Some(record)),
            Err(e) => Ended::failed(e),
        },
        [record] => Ended::skipped(
            format!(
                "already exists in {} as {} (same employment id or email); linked to it \
                 instead of creating a duplicate",
                target.name(),
                record.id
            ),
            Some(record.clone()),
        ),
        several => {
            let ids: Vec<&str> = several.iter().map(|r| r.id.as_str()).collect();
            Ended::skipped(
                format!(
                    "{} records in {} already have this person's employment id or email \
                     ({}); not created: remove the duplicates, then sync again",
                    several.len(),
                    target.name(),
                    ids.join(", ")
                ),
                None,
            )
        }
    }
}

fn operation_report(op: &Operation, end: &Ended, names: &Names) -> OperationReport {
    match op {
        Operation::Account(account) => OperationReport {
            action: account.action.into(),
            target: Side::Idp,
            name: account.name.clone(),
            hr: Some(account.hr.clone()),
            idp: Some(account.idp.clone()),
            fields: Vec::new(),
            reason: Some(account.reason.explain(names)),
            outcome: end.outcome.clone(),
        },
        Operation::Update(Update { target, hr, idp, name, changes }) => OperationReport {
            action: Action::Update,
            target: *target,
            name: name.clone(),
            hr: Some(hr.clone()),
            idp: Some(idp.clone()),
            fields: changes
                .iter()
                .map(|c| FieldReport { field: c.field, from: c.from.clone(), to: c.to.clone() })
                .collect(),
            reason: None,
            outcome: end.outcome.clone(),
        },
        Operation::Create(create) => {
            let made = end.record.as_ref().map(|r| r.id.clone());
            let (hr, idp) = match create.target {
                Side::Idp => (Some(create.source.clone()), made),
                Side::Hr => (made, Some(create.source.clone())),
            };
            OperationReport {
                action: Action::Create,
                target: create.target,
                name: create.name.clone(),
                hr,
                idp,
                fields: Field::ALL
                    .into_iter()
                    .filter_map(|field| {
                        let to = create.person.get(field)?.to_owned();
                        Some(FieldReport { field, from: None, to })
                    })
                    .collect(),
                reason: None,
                outcome: end.outcome.clone(),
            }
        }
    }
}

/// What the plan leaves as it is: writes it cannot make, and items settled as "skip".
fn skipped_items(plan: &Plan, ops: &Operations, names: &Names) -> Vec<SkippedItem> {
    let mut items: Vec<SkippedItem> = ops
        .skipped
        .iter()
        .map(|s| SkippedItem {
            item: s.item.clone(),
            name: s.name.clone(),
            field: Some(s.field),
            target: Some(s.target),
            reason: s.reason.to_string(),
        })
        .collect();
    for change in &plan.changes {
        if let Some(settled) = change.settled.filter(|s| s.decision == Decision::Skip) {
            items.push(SkippedItem {
                item: change.id.clone(),
                name: change.name.clone(),
                field: Some(change.field),
                target: None,
                reason: SkippedItem::reason_for_skipped_change(change.kind, settled.by, names),
            });
        }
    }
    for creation in &plan.creations {
        match creation.settled {
            Some(settled) if settled.decision == Decision::Skip => items.push(SkippedItem {
                item: creation.id.clone(),
                name: creation.name.clone(),
                field: None,
                target: Some(creation.target()),
                reason: SkippedItem::reason_for_skipped_creation(
                    creation.source,
                    settled.by,
                    names,
                ),
            }),
            Some(settled) if settled.decision == Decision::Create => {
                for (field, reason) in &creation.left_out {
                    items.push(SkippedItem {
                        item: creation.id.clone(),
                        name: creation.name.clone(),
                        field: Some(*field),
                        target: Some(creation.target()),
                        reason: format!("left out of the new person: {reason}"),
                    });
                }
            }
            _ => {}
        }
    }
    items
}

/// The state after this run: links rebuilt from the plan, baselines advanced only for writes that
/// succeeded.
fn advanced_state(plan: &Plan, ops: &Operations, ended: &[Ended], old: &SyncState) -> SyncState {
    // For each HR record and field: whether every write of it succeeded, and the value written.
    let mut written: HashMap<(&RecordId, Field), (bool, &FieldValue)> = HashMap::new();
    let hr_of_item: HashMap<&ItemId, &RecordId> =
        plan.changes.iter().map(|c| (&c.id, &c.hr)).collect();
    for (op, end) in ops.operations.iter().zip(ended) {
        if let Operation::Update(update) = op {
            let ok = matches!(end.outcome, Outcome::Done);
            for change in &update.changes {
                let entry = written.entry((&update.hr, change.field)).or_insert((true, &change.to));
                entry.0 &= ok;
            }
        }
    }
    for skipped in &ops.skipped {
        if let Some(hr) = hr_of_item.get(&skipped.item)
            && let Some(entry) = written.get_mut(&(*hr, skipped.field))
        {
            entry.0 = false;
        }
    }

    let mut links = BTreeMap::new();
    for pair in &plan.pairs {
        let mut baseline = pair.agreed.clone();
        for field in Field::ALL {
            if let Some((true, value)) = written.get(&(&pair.hr, field)) {
                // Cannot fail: the value was planned for this field.
                let _ = baseline.set(field, (*value).clone());
            }
        }
        links.insert(pair.hr.clone(), (pair.idp.clone(), baseline));
    }
    for (op, end) in ops.operations.iter().zip(ended) {
        let (Operation::Create(create), Some(record)) = (op, &end.record) else { continue };
        let baseline = create.person.shared_with(&record.person);
        let (hr, idp) = match create.target {
            Side::Idp => (create.source.clone(), record.id.clone()),
            Side::Hr => (record.id.clone(), create.source.clone()),
        };
        links.insert(hr, (idp, baseline));
    }

    let mut state = SyncState {
        cursors: old.cursors.clone(),
        disabled: old.disabled.clone(),
        ..SyncState::default()
    };
    for (hr, (idp, baseline)) in links {
        state.link(hr, idp, baseline);
    }
    state.keep_broken_links(&plan.broken_links);
    state
}

/// Remembers the accounts this run disabled (and whose sessions it revoked), and forgets those
/// it enabled again.
fn remember_accounts(state: &mut SyncState, ops: &Operations, ended: &[Ended], now: DateTime<Utc>) {
    for (op, end) in ops.operations.iter().zip(ended) {
        let (Operation::Account(account), Outcome::Done) = (op, &end.outcome) else { continue };
        match account.action {
            AccountAction::Disable => {
                let disabled = DisabledAccount {
                    hr: account.hr.clone(),
                    at: now,
                    reason: account.reason,
                    sessions_revoked: false,
                };
                state.disabled.insert(account.idp.clone(), disabled);
            }
            AccountAction::RevokeSessions => {
                if let Some(disabled) = state.disabled.get_mut(&account.idp) {
                    disabled.sessions_revoked = true;
                }
            }
            AccountAction::Enable => {
                state.disabled.remove(&account.idp);
            }
        }
    }
}

//! Carrying out a settled plan: the writes on both sides, the new state, and the report.
//!
//! [`apply()`] is the step a [`crate::sync::Synchronizer`] runs under its lease; a service that
//! runs the steps itself calls it with the [`ApplyOptions`] that bound it.

pub use crate::accounts::default_max_disables;

// The steps, each in a module of its own: `writes` works out what to write (and what to hold
// back), `executor` runs the writes (`units` one at a time), `state` advances the state for what
// was written, and `report` says what happened.

mod executor;
mod report;
mod state;
mod units;
mod writes;

pub(crate) use writes::Writes;

use crate::report::{OperationReport, Report};
use crate::{Directory, DirectoryError, Names, PendingDecisions, Plan, Side, SyncState};
use chrono::{DateTime, Utc};
use std::fmt;
use std::sync::Arc;
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
/// use dirsync::apply::ApplyOptions;
/// use std::time::Duration;
/// let options = ApplyOptions::default()
///     .with_max_people_changed(Some(500))
///     .with_write_timeout(Duration::from_secs(60))
///     .with_progress(|event| println!("{event:?}"));
/// assert_eq!(options.max_people_changed, Some(500));
/// ```
#[derive(Clone)]
pub struct ApplyOptions {
    /// How many writes to each directory may be under way at once (at least one is), on slots
    /// of that directory's own.
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
    /// the plan pairs, whichever is larger ([`crate::apply::default_max_disables`]).
    pub max_disables: Option<usize>,
    /// Try again the writes held back because a directory refused them for good before
    /// ([`crate::store::SyncState::held`]), without waiting for their next try.
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
    /// [`crate::apply::default_max_disables`]).
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
    /// A directory refused the connection's credentials, so the run stopped starting writes to
    /// it.
    ///
    /// The writes that were made are in the report and in the state (which was advanced for
    /// them); the rest of that directory's are reported as not attempted.
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
/// Writes a directory refused for good before ([`crate::store::SyncState::held`]) are held back, unless
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
/// Each directory's writes run on slots of their own ([`ApplyOptions::concurrency`] each), so one
/// directory's writes never wait behind the other's (Azure AD's write window does not hold Huma's
/// updates back). When a directory refuses the credentials ([`crate::directory::ErrorKind::Authentication`]),
/// no further write to it is started and the rest of its writes are reported as not attempted;
/// the other directory's writes go on, as they need nothing of it. [`ApplyError::Fatal`] carries
/// the report, and `state` is advanced for what was done all the same.
///
/// The state is rebuilt from the plan: every pair is linked, with [`crate::plan::Pair::agreed`] as the
/// baseline plus the value of each field whose every write succeeded; a field whose write failed
/// or was skipped gets no new value, so the next run compares it again. Each person created (or
/// found already there) is linked to their record, with the values both now hold as the baseline.
/// Links of records that were not paired are dropped; cursors are kept. Saving the state is the
/// caller's (see [`crate::store::StateStore`]).
///
/// The report says what it shows that the last run's did not ([`Report::news`]), by what
/// `state` remembers of that report ([`SyncState::reported`]), and `state` then remembers this
/// one: see [`Report::has_problems`].
///
/// Retrying throttled or failed requests is the adapters' job (they know `Retry-After` and their
/// budgets); a write that still fails is reported as failed and tried again on the next run.
///
/// This is the step [`crate::sync::Synchronizer`] runs under its lease, with the state saved after;
/// call it directly only to run the steps yourself.
///
/// The core has no async runtime: the returned future runs on any executor, and is `Send`.
///
/// ```
/// use dirsync::{
///     apply::{ApplyOptions, DirectoryPair, apply},
///     directory::{InMemoryDirectory, Record, Snapshot},
///     model::Person,
///     plan::reconcile,
///     policy::{CreationRule, Policy},
///     store::SyncState,
/// };
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
/// let cto = dirsync::model::FieldValue::Text("CTO".into());
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
    let now = options.now.unwrap_or_else(Utc::now);
    let writes = Writes::of(plan, &state.held, now, options.retry_held)?;
    let applied = apply_writes(plan, writes, directories, state, options).await;
    crate::news::note_applied(applied, state, now)
}

/// [`apply`] of `writes`, the writes of `plan` worked out already (a sync works them out once;
/// a real-time push keeps only those to the identity directory).
pub(crate) async fn apply_writes(
    plan: &Plan,
    mut writes: Writes,
    directories: DirectoryPair<'_>,
    state: &mut SyncState,
    options: &ApplyOptions,
) -> Result<Report, ApplyError> {
    let held = std::mem::take(&mut writes.held);
    let ops = writes.to_make();
    let people = ops.people_changed();
    if let Some(max) = options.max_people_changed.filter(|&max| people > max) {
        tracing::warn!(people, max, "plan refused by the safety threshold");
        return Err(ApplyError::SafetyThreshold { people, max });
    }
    let disables = ops.disables();
    // People outside the scope count toward no threshold, not even as the base of the default.
    let in_scope = plan.pairs.iter().filter(|p| !p.outside_scope).count();
    let max = options.max_disables.unwrap_or_else(|| crate::default_max_disables(in_scope));
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
    let executed = executor::execute(ops, directories, options).instrument(span).await;
    let (advanced, refused_again) =
        state::advance(plan, &writes.planned, ops, &executed.ended, state, writes.now);
    *state = advanced;
    let ran = report::Ran {
        ops,
        reports: executed.reports,
        refused_again,
        held,
        fatal: executed.fatal.as_ref(),
    };
    let report = report::build(plan, ran, &state.held, directories.names());
    tracing::info!(counts = ?report.counts, "apply finished");
    options.tell(&Progress::Done { counts: report.counts });
    match executed.fatal {
        Some((side, source)) => {
            let system = report.names.of(side).to_owned();
            Err(ApplyError::Fatal { side, system, source, report: Box::new(report) })
        }
        None => Ok(report),
    }
}

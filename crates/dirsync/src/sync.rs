//! One sync from start to end, with its invariants: read both sides under a lease, reconcile,
//! let the caller settle, apply under the same lease, save (merging what the real-time receiver
//! linked meanwhile), report.

use crate::apply::{Writes, apply_writes};
use crate::timeout::within;
use crate::{
    ApplyError, ApplyOptions, Decision, DecisionError, Directory, DirectoryError, DirectoryPair,
    ErrorChain, ErrorKind, ItemId, Lease, LeaseHolder, Plan, Policy, RecordId, Report, RunOutcome,
    RunRecord, Side, Snapshot, StateChanges, StateError, StateStore, SyncState, reconcile,
};
use chrono::{DateTime, Utc};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Runs syncs of two directories over one state store with one policy: the procedure a service
/// embeds, with its invariants kept here rather than by each caller.
///
/// - **One sync at a time**: [`Synchronizer::plan`] takes the store's [lease](StateStore::lease)
///   before it reads anything, and the plan is applied under that same lease; a second sync of
///   the same state gets [`StateError::Busy`] and writes nothing.
/// - **Both sides read at once**, then [`reconcile`]d with the state and the policy.
/// - **Nothing is applied while a decision is pending** ([`ApplyError::Pending`]); settle them
///   with [`PlannedSync::decide`].
/// - **The state is always saved once writes began**, also when a directory refused the
///   credentials half-way, so what was written is remembered; what the run changed is committed
///   ([`StateStore::commit`]), so the links the real-time receiver added while this sync ran and
///   any cursor stored meanwhile stay.
/// - **Every apply is recorded** in the store's [history](StateStore::history), when it keeps
///   one: refused, stopped or done, with every write's outcome.
/// - **The report is always returned** once writes began: in [`Synced`], or in the error
///   ([`SyncError::report`]).
///
/// ```
/// use dirsync::{
///     directory::{InMemoryDirectory, Record},
///     model::Person,
///     policy::{ConflictRule, CreationRule, Policy},
///     store::MemoryStore,
///     sync::Synchronizer,
/// };
/// # futures::executor::block_on(async {
/// let huma = InMemoryDirectory::new([
///     Record::new("h1", Person::new().with_email("ada@example.com").with_job_title("CTO")),
///     Record::new("h2", Person::new().with_email("bo@example.com").with_given_name("Bo")),
/// ])
/// .with_name("Huma");
/// let azure = InMemoryDirectory::new([
///     Record::new("a1", Person::new().with_email("ada@example.com").with_job_title("Engineer")),
/// ])
/// .with_name("Azure AD");
/// let store = MemoryStore::new();
/// let policy = Policy { create_in_idp: CreationRule::All, ..Policy::default() };
/// let sync = Synchronizer::new(&huma, &azure, &store).with_policy(policy);
///
/// let mut planned = sync.plan().await?;
/// for id in planned.pending() {
///     planned.decide(&id, dirsync::plan::Decision::UseHr)?; // Ada's job title: Huma wins
/// }
/// let synced = planned.apply().await?;
/// assert_eq!(synced.report.counts.updated_in_idp, 1);
/// assert_eq!(synced.report.counts.created_in_idp, 1);
/// assert_eq!(synced.report.names.idp, "Azure AD");
///
/// // The state was saved: a second run has nothing to do.
/// let again = sync.plan().await?;
/// assert!(again.plan().operations()?.operations.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Synchronizer<'a> {
    directories: DirectoryPair<'a>,
    store: &'a dyn StateStore,
    policy: Policy,
    options: ApplyOptions,
    holder: String,
    title: Option<String>,
    read_timeout: Duration,
}

impl std::fmt::Debug for Synchronizer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Synchronizer")
            .field("directories", &self.directories)
            .field("policy", &self.policy)
            .field("options", &self.options)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl<'a> Synchronizer<'a> {
    /// Syncs of `hr` (Huma) and `idp` (Azure AD) over the state in `store`, with the default
    /// [`Policy`] and [`ApplyOptions`].
    pub fn new(hr: &'a dyn Directory, idp: &'a dyn Directory, store: &'a dyn StateStore) -> Self {
        Synchronizer {
            directories: DirectoryPair::new(hr, idp),
            store,
            policy: Policy::default(),
            options: ApplyOptions::default(),
            holder: format!("process {}", std::process::id()),
            title: None,
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }

    /// With `policy`.
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// With `options` for the apply (concurrency, safety threshold, write timeout, progress).
    #[must_use]
    pub fn with_apply_options(mut self, options: ApplyOptions) -> Self {
        self.options = options;
        self
    }

    /// Describes this sync to a second one that finds the state busy, e.g. "nightly sync on
    /// worker-3" (default: "process" and the process id).
    #[must_use]
    pub fn with_holder(mut self, holder: impl Into<String>) -> Self {
        self.holder = holder.into();
        self
    }

    /// The longest reading one side may take (default: an hour); past it the sync stops with
    /// [`SyncError::Read`] and lets the lease go, so a directory that never answers cannot hold
    /// the state for ever. The adapters bound each request themselves; this bounds the whole.
    #[must_use]
    pub fn with_read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The report's heading (default: "Huma and Azure AD: people synchronised", with the
    /// directories' names).
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// How this sync describes itself to the lease and the history.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The two directories.
    pub fn directories(&self) -> DirectoryPair<'a> {
        self.directories
    }

    /// Takes the lease and loads the state, for a caller that reads the snapshots itself (e.g.
    /// incrementally); [`Synchronizer::plan`] does this and reads both sides in full.
    ///
    /// # Errors
    /// [`SyncError::State`]: the state is busy ([`StateError::Busy`]) or cannot be loaded.
    pub async fn begin(&self) -> Result<LeasedSync<'a>, SyncError> {
        let started_at = Utc::now();
        let started = Instant::now();
        let lease = self.store.lease(&self.holder).await?;
        let state = self.store.load().await?;
        Ok(LeasedSync { sync: self.clone(), lease, state, started_at, started })
    }

    /// Takes the lease, loads the state, reads both sides at once and reconciles them: a plan to
    /// settle and apply, under the lease until it is applied or dropped.
    ///
    /// # Errors
    /// [`SyncError::State`] (busy or unreadable state) or [`SyncError::Read`]; nothing was
    /// written.
    pub async fn plan(&self) -> Result<PlannedSync<'a>, SyncError> {
        self.begin().await?.read().await
    }

    /// Releases held-back writes ([`crate::store::SyncState::held`]) so the next sync tries them again:
    /// the one with the id `id`, or every one of the record `id`. Runs under the lease, so it
    /// never races a sync's save; [`crate::store::release_held`] does the same with a store alone.
    ///
    /// # Errors
    /// [`SyncError::State`]: the state is busy or cannot be read or saved.
    pub async fn release(&self, id: &str) -> Result<Vec<crate::HeldWrite>, SyncError> {
        Ok(crate::release_held(self.store, &self.holder, id).await?.0)
    }

    /// A plan to look at, without the lease: the state as stored now, both sides read, nothing
    /// written and nothing to apply. For a "what would a sync do" view that may run beside a
    /// sync.
    ///
    /// # Errors
    /// [`SyncError::State`] or [`SyncError::Read`].
    pub async fn preview(&self) -> Result<Plan, SyncError> {
        let state = self.store.load().await?;
        let (hr, idp) = read_both(self.directories, self.read_timeout, &state).await?;
        Ok(reconcile(&hr, &idp, &state, &self.policy))
    }
}

/// The default of [`Synchronizer::with_read_timeout`].
const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(3600);

/// Reads both sides at once, each within `timeout`; a side read in a scope has the records
/// `state` links that its read left out looked up ([`Snapshot::read_linked`]).
async fn read_both(
    directories: DirectoryPair<'_>,
    timeout: Duration,
    state: &SyncState,
) -> Result<(Snapshot, Snapshot), SyncError> {
    let read = |side: Side| async move {
        let directory = directories.get(side);
        let linked: Vec<RecordId> = match side {
            Side::Hr => state.links.keys().cloned().collect(),
            Side::Idp => state.links.values().map(|link| link.idp.clone()).collect(),
        };
        let snapshot = Snapshot::read_linked(directory, linked);
        let read = within(timeout, snapshot).await.unwrap_or_else(|| {
            Err(DirectoryError::new(
                ErrorKind::Unavailable,
                format!(
                    "{} did not finish reading its people within {} s; nothing was written: \
                     check the connection, then sync again",
                    directory.name(),
                    timeout.as_secs_f64()
                ),
            ))
        });
        read.map_err(|source| SyncError::Read { side, system: directory.name().to_owned(), source })
    };
    let (hr, idp) = futures::join!(read(Side::Hr), read(Side::Idp));
    Ok((hr?, idp?))
}

/// A sync that holds the lease and has loaded the state, before it reads the two sides.
#[derive(Debug)]
pub struct LeasedSync<'a> {
    sync: Synchronizer<'a>,
    lease: Lease,
    state: SyncState,
    started_at: DateTime<Utc>,
    started: Instant,
}

impl<'a> LeasedSync<'a> {
    /// The state as loaded under the lease (its cursors, for an incremental read).
    pub fn state(&self) -> &SyncState {
        &self.state
    }

    /// Reads both sides in full, at once, and reconciles.
    ///
    /// # Errors
    /// [`SyncError::Read`]; nothing was written, and the lease is let go.
    pub async fn read(self) -> Result<PlannedSync<'a>, SyncError> {
        let span = tracing::info_span!("read");
        let read = read_both(self.sync.directories, self.sync.read_timeout, &self.state);
        match read.instrument(span).await {
            Ok((hr, idp)) => Ok(self.plan_with(&hr, &idp)),
            Err(e) => {
                self.lease.release().await;
                Err(e)
            }
        }
    }

    /// Lets the lease go without planning, and returns once it is gone.
    pub async fn release(self) {
        self.lease.release().await;
    }

    /// Reconciles snapshots the caller read after [`Synchronizer::begin`], under this lease.
    ///
    /// A snapshot read with [`Snapshot::read`] has been checked for too many unreadable records;
    /// one built another way (a kept snapshot brought up to date with
    /// [`Snapshot::apply_changes`]) should be checked with [`crate::directory::check_unreadable`] first.
    /// A snapshot read in a scope should have the records the state links looked up
    /// ([`Snapshot::look_up_linked`] with the ids of [`LeasedSync::state`]): a linked record it
    /// lacks is otherwise not known, and its person is left alone.
    pub fn plan_with(self, hr: &Snapshot, idp: &Snapshot) -> PlannedSync<'a> {
        let read = self.started.elapsed();
        let reconciling = Instant::now();
        let plan = reconcile(hr, idp, &self.state, &self.sync.policy);
        let timings = Timings { read, reconcile: reconciling.elapsed(), ..Timings::default() };
        tracing::info!(summary = ?plan.summary(), "planned");
        PlannedSync {
            sync: self.sync,
            lease: self.lease,
            start: self.state,
            plan,
            started_at: self.started_at,
            started: self.started,
            timings,
            writes: OnceLock::new(),
        }
    }
}

/// How long each step of a sync took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Taking the lease, loading the state and reading both sides.
    pub read: Duration,
    /// Reconciling.
    pub reconcile: Duration,
    /// Applying the plan.
    pub apply: Duration,
    /// Saving the state.
    pub save: Duration,
    /// From the lease to the saved state.
    pub total: Duration,
}

/// One planned sync: the plan to look at and settle, under the lease it was made under.
///
/// Dropping it lets the lease go and writes nothing.
#[derive(Debug)]
pub struct PlannedSync<'a> {
    sync: Synchronizer<'a>,
    lease: Lease,
    start: SyncState,
    plan: Plan,
    started_at: DateTime<Utc>,
    started: Instant,
    timings: Timings,
    /// The plan's writes, once worked out (when nothing is pending); a decision forgets them.
    writes: OnceLock<Writes>,
}

impl PlannedSync<'_> {
    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Who holds the lease, since when.
    pub fn holder(&self) -> &LeaseHolder {
        self.lease.holder()
    }

    /// The ids of the items that still wait for a decision.
    pub fn pending(&self) -> Vec<ItemId> {
        self.plan.pending()
    }

    /// The change or creation with the id `id`: the person, the field, both values, the sides,
    /// the kind and what is blocked, to decide it by a rule (see [`Plan::item`]).
    pub fn item(&self, id: &ItemId) -> Option<crate::PlanItem<'_>> {
        self.plan.item(id)
    }

    /// Whether every item is settled, so the plan can be applied.
    pub fn is_settled(&self) -> bool {
        self.plan.is_settled()
    }

    /// The writes of the plan that applying it now would hold back, because a directory refused
    /// them for good before ([`crate::store::SyncState::held`]); none while decisions are pending.
    pub fn held_back(&self) -> Vec<crate::HeldItem> {
        self.writes().map(|writes| writes.held.clone()).unwrap_or_default()
    }

    /// The time of this run: what it records and holds writes back by.
    fn now(&self) -> DateTime<Utc> {
        self.sync.options.now.unwrap_or(self.started_at)
    }

    /// The plan's writes at this run's time, worked out once; none while decisions are pending.
    fn writes(&self) -> Option<&Writes> {
        if let Some(writes) = self.writes.get() {
            return Some(writes);
        }
        let retry = self.sync.options.retry_held;
        let writes = Writes::of(&self.plan, &self.start.held, self.now(), retry).ok()?;
        Some(self.writes.get_or_init(|| writes))
    }

    /// The state as loaded under the lease.
    pub fn state(&self) -> &SyncState {
        &self.start
    }

    /// Lets the lease go without applying (nothing is written), and returns once it is gone;
    /// dropping the plan lets it go too, without waiting.
    pub async fn release(self) {
        self.lease.release().await;
    }

    /// Settles one item (see [`Plan::decide`]).
    ///
    /// # Errors
    /// [`DecisionError`]: the id is unknown, or the decision does not fit the item.
    pub fn decide(&mut self, id: &ItemId, decision: Decision) -> Result<(), DecisionError> {
        self.plan.decide(id, decision)?;
        self.writes = OnceLock::new();
        Ok(())
    }

    /// Applies the settled plan under the lease, saves the state (keeping links the real-time
    /// receiver added meanwhile), and returns the report.
    ///
    /// # Errors
    /// - [`ApplyError::Pending`], [`ApplyError::SafetyThreshold`] or
    ///   [`ApplyError::DisableThreshold`] (in [`SyncError::Apply`]): nothing was written.
    /// - [`ApplyError::Fatal`]: a directory refused the credentials half-way; the state was
    ///   saved for what was written, and the report is in the error.
    /// - [`SyncError::NotSaved`]: every write ran, but the state could not be saved; the report
    ///   is in the error, and the next run pairs by keys the people created in this one.
    pub async fn apply(self) -> Result<Synced, SyncError> {
        let now = self.now();
        let retry = self.sync.options.retry_held;
        let PlannedSync { sync, lease, start, plan, started_at, started, mut timings, writes } =
            self;
        let holder = lease.holder().holder.clone();
        let writes = match writes.into_inner() {
            Some(writes) => Ok(writes),
            None => Writes::of(&plan, &start.held, now, retry).map_err(ApplyError::from),
        };
        let mut state = start.clone();
        let applying = Instant::now();
        let span = tracing::info_span!("sync_apply", holder = %holder);
        let applied = match writes {
            Ok(writes) => {
                let directories = sync.directories;
                apply_writes(&plan, writes, directories, &mut state, &sync.options)
                    .instrument(span)
                    .await
            }
            Err(pending) => Err(pending),
        };
        let applied = crate::news::note_applied(applied, &mut state, now);
        timings.apply = applying.elapsed();
        let (report, stopped) = match applied {
            Ok(report) => (report, None),
            Err(ApplyError::Fatal { side, system, source, report }) => {
                (*report, Some((side, system, source)))
            }
            // Refused before any write: nothing to save.
            Err(refused) => {
                let error = ErrorChain(&refused).to_string();
                let run = RunRecord::without_writes(
                    holder,
                    started_at,
                    Utc::now(),
                    RunOutcome::Refused,
                    error,
                );
                record_run(sync.store, &run).await;
                lease.release().await;
                return Err(SyncError::Apply(refused));
            }
        };
        // What this run changed, and only that: a link the real-time receiver committed while
        // it ran stays, and a cursor stored meanwhile (by a caller reading incrementally under
        // this lease) is where the next read goes on from, since a sync never moves one.
        let saving = Instant::now();
        let changes = StateChanges::between(&start, &state);
        let saved = sync.store.commit(&changes).await;
        timings.save = saving.elapsed();
        timings.total = started.elapsed();
        tracing::info!(
            entries = changes.len(),
            ms = timings.save.as_millis() as u64,
            "state saved"
        );
        let report = sync.finish_report(report, started_at, timings.total);
        let outcome = match (&saved, &stopped) {
            (Err(_), _) => RunOutcome::NotSaved,
            (Ok(()), Some(_)) => RunOutcome::Stopped,
            (Ok(()), None) if report.is_success() => RunOutcome::Synced,
            (Ok(()), None) => RunOutcome::SomeFailed,
        };
        let run = RunRecord::from_report(holder, started_at, Utc::now(), outcome, &report);
        record_run(sync.store, &run).await;
        lease.release().await;
        if let Err(source) = saved {
            tracing::error!(error = %ErrorChain(&source), "the state could not be saved");
            return Err(SyncError::NotSaved { source, report: Box::new(report) });
        }
        match stopped {
            Some((side, system, source)) => {
                let report = Box::new(report);
                Err(SyncError::Apply(ApplyError::Fatal { side, system, source, report }))
            }
            None => Ok(Synced { plan, report, started_at, timings }),
        }
    }
}

impl Synchronizer<'_> {
    /// The report with its heading and the run's time.
    fn finish_report(&self, report: Report, started_at: DateTime<Utc>, took: Duration) -> Report {
        let names = self.directories.names();
        let title = self
            .title
            .clone()
            .unwrap_or_else(|| format!("{} and {}: people synchronised", names.hr, names.idp));
        report.with_title(title).with_generated_at(started_at).with_run_time(started_at, took)
    }
}

/// Records `run` in the store's history, if it keeps one; a history that cannot be written is
/// logged, never the sync's failure.
async fn record_run(store: &dyn StateStore, run: &RunRecord) {
    let Some(history) = store.history() else { return };
    if let Err(e) = history.record(run).await {
        tracing::warn!(error = %ErrorChain(&e), "the run could not be recorded in the history");
    }
}

/// What an applied sync did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Synced {
    /// The plan as it was applied.
    pub plan: Plan,
    /// What was done, for a person.
    pub report: Report,
    /// When the sync took its lease.
    pub started_at: DateTime<Utc>,
    /// How long each step took.
    pub timings: Timings,
}

/// Why a sync did not run, or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The state is leased by another sync, or cannot be loaded; nothing was read or written.
    #[error(transparent)]
    State(#[from] StateError),
    /// A side could not be read; nothing was written.
    #[error("could not read the people in {system}, so nothing was written")]
    Read {
        /// The side.
        side: Side,
        /// Its name.
        system: String,
        /// Why.
        #[source]
        source: DirectoryError,
    },
    /// The plan was not applied (pending decisions, safety threshold: nothing written), or the
    /// apply stopped on refused credentials (the state was saved; the report is in it).
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// A decision could not be taken ([`PlannedSync::decide`]): no item has its id, it does not
    /// fit the item, or the value cannot be written; nothing was written.
    #[error(transparent)]
    Decision(#[from] DecisionError),
    /// The writes ran but the state could not be saved.
    #[error(
        "the writes ran (the report says which), but the sync state could not be saved: fix \
         that, then sync again"
    )]
    NotSaved {
        /// Why.
        #[source]
        source: StateError,
        /// What was done.
        report: Box<Report>,
    },
}

impl SyncError {
    /// The report, when writes began before the sync stopped.
    pub fn report(&self) -> Option<&Report> {
        match self {
            SyncError::Apply(ApplyError::Fatal { report, .. })
            | SyncError::NotSaved { report, .. } => Some(report),
            _ => None,
        }
    }

    /// Whether the state was busy with another sync.
    pub fn is_busy(&self) -> bool {
        matches!(self, SyncError::State(e) if e.is_busy())
    }
}

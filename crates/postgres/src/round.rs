//! A worker's rounds: every organisation it serves synced when due, a few at a time, again and
//! again until it is told to stop. Workers on many machines share the work through the database:
//! the due check and the lease ([`sync_if_due`]) are all the coordination there is.

use crate::store::name_of;
use crate::{OrgKey, OrgRun, PgError, PostgresDatabase, PostgresStore};
use async_trait::async_trait;
use dirsync::sync::SyncError;
use futures::{FutureExt, StreamExt};
use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

#[cfg(doc)]
use crate::sync_if_due;

/// The shortest pause between two rounds (or `every`, when that is shorter), so that an
/// organisation that cannot run is tried again a minute later, not at once and for ever.
pub const MIN_PAUSE: Duration = Duration::from_secs(60);

/// One organisation a [`Worker`] serves: what it takes to sync it. The caller builds its two
/// directories and a [`dirsync::sync::Synchronizer`] over `store` with its policy, and calls
/// [`sync_if_due`]; it may also write the report somewhere, or email it.
#[async_trait]
pub trait OrgJob: Send + Sync {
    /// The organisation's key.
    fn key(&self) -> &OrgKey;

    /// Syncs the organisation over `store` if a run is due (none started within `every`) and
    /// nobody else holds it: [`sync_if_due`] with a synchronizer of its own.
    ///
    /// # Errors
    /// As [`sync_if_due`]: the state could not be reached.
    async fn sync_if_due(
        &self,
        store: &PostgresStore,
        every: Duration,
    ) -> Result<OrgRun, SyncError>;
}

/// What became of one organisation in a round.
#[derive(Debug)]
#[non_exhaustive]
pub struct OrgDone {
    /// The organisation.
    pub key: OrgKey,
    /// What came of it; an error when its run could not start (the database).
    pub result: Result<OrgRun, SyncError>,
    /// How long it took, from taking the organisation up to its end.
    pub took: Duration,
}

impl OrgDone {
    /// How it went, in a word.
    pub fn status(&self) -> OrgStatus {
        match &self.result {
            Err(_) => OrgStatus::CouldNotRun,
            Ok(OrgRun::NotDue) => OrgStatus::NotDue,
            Ok(OrgRun::Busy(_)) => OrgStatus::Busy,
            Ok(OrgRun::Ran(result)) => match result.as_ref() {
                Ok(synced) if synced.report.is_success() => OrgStatus::Synced,
                _ => OrgStatus::Failed,
            },
        }
    }
}

/// How one organisation's turn in a round went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OrgStatus {
    /// Synced: every write made (writes held back are not failures).
    Synced,
    /// Run, and something went wrong: a side could not be read, decisions were left pending, a
    /// threshold was crossed, a write failed, or the state could not be saved. The history has
    /// the run.
    Failed,
    /// Not due: a run started less than the round's length ago, here or on another worker.
    NotDue,
    /// Another worker, or a sync started by hand, is syncing it now.
    Busy,
    /// Its run could not start: the database could not be reached or its state not read.
    CouldNotRun,
}

/// The status in a word or three, as a worker's line about the organisation shows it: `synced`,
/// `failed`, `not due`, `busy`, `could not run`.
impl fmt::Display for OrgStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            OrgStatus::Synced => "synced",
            OrgStatus::Failed => "failed",
            OrgStatus::NotDue => "not due",
            OrgStatus::Busy => "busy",
            OrgStatus::CouldNotRun => "could not run",
        })
    }
}

/// How many organisations of a round went which way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundSummary {
    /// Synced.
    pub synced: usize,
    /// Run, and failed.
    pub failed: usize,
    /// Not due.
    pub not_due: usize,
    /// Being synced by another.
    pub busy: usize,
    /// Could not start.
    pub could_not_run: usize,
    /// Not taken up, because the worker was told to stop first.
    pub not_started: usize,
}

impl RoundSummary {
    fn count(&mut self, status: OrgStatus) {
        match status {
            OrgStatus::Synced => self.synced += 1,
            OrgStatus::Failed => self.failed += 1,
            OrgStatus::NotDue => self.not_due += 1,
            OrgStatus::Busy => self.busy += 1,
            OrgStatus::CouldNotRun => self.could_not_run += 1,
        }
    }

    /// The organisations taken up.
    pub fn total(&self) -> usize {
        self.synced + self.failed + self.not_due + self.busy + self.could_not_run
    }

    /// The round as a whole.
    pub fn outcome(&self) -> RoundOutcome {
        if self.could_not_run > 0 && self.could_not_run == self.total() {
            RoundOutcome::NoneRan
        } else if self.failed > 0 || self.could_not_run > 0 {
            RoundOutcome::SomeFailed
        } else {
            RoundOutcome::Done
        }
    }
}

/// The round in one line, every count named even when 0 (so a script can read it the same
/// way each time), and the organisations not taken up only when there were some:
/// `12 organisation(s): 9 synced, 1 failed, 1 not due, 1 busy, 0 could not run`.
impl fmt::Display for RoundSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} organisation(s): {} synced, {} failed, {} not due, {} busy, {} could not run",
            self.total() + self.not_started,
            self.synced,
            self.failed,
            self.not_due,
            self.busy,
            self.could_not_run,
        )?;
        if self.not_started > 0 {
            write!(f, ", {} not started (stopped)", self.not_started)?;
        }
        Ok(())
    }
}

/// A round as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RoundOutcome {
    /// Every organisation taken up was synced, or was not due, or was being synced by another.
    Done,
    /// At least one failed, or could not start while others ran.
    SomeFailed,
    /// None could start (the database is out of reach).
    NoneRan,
}

/// Syncs the organisations it is given, each when due, `concurrency` at a time: the loop of a
/// worker process. Any number of workers, on any number of machines, may serve the same
/// organisations from one database: [`sync_if_due`] takes each organisation's lease and checks
/// under it that no run started within `every`, so no organisation is synced twice at once or
/// twice in one round, and a worker that dies lets go of its organisations at once (its leases
/// end with its connections).
///
/// ```no_run
/// # use dirsync_postgres::{OrgJob, PostgresDatabase, Worker};
/// # async fn run(db: PostgresDatabase, jobs: Vec<Box<dyn OrgJob>>) {
/// use std::time::Duration;
/// let worker = Worker::new(db, Duration::from_secs(3600)).with_concurrency(4);
/// let stop = async { let _ = tokio::signal::ctrl_c().await; };
/// worker.run(&jobs, stop, |done| println!("{}: {:?}", done.key, done.status())).await;
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Worker {
    db: PostgresDatabase,
    every: Duration,
    concurrency: usize,
}

impl Worker {
    /// A worker over `db` that syncs each organisation once every `every`, four at a time.
    pub fn new(db: PostgresDatabase, every: Duration) -> Worker {
        Worker { db, every, concurrency: 4 }
    }

    /// At most `n` organisations synced at once (at least 1).
    #[must_use]
    pub fn with_concurrency(mut self, n: usize) -> Worker {
        self.concurrency = n.max(1);
        self
    }

    /// How often each organisation is synced.
    pub fn every(&self) -> Duration {
        self.every
    }

    /// One round: every organisation of `jobs` synced if due, `concurrency` at a time, in the
    /// order given. `on_done` hears of each as it ends. Once `stop` is ready no further
    /// organisation is taken up; those under way finish (drop the returned future to end them at
    /// once: their leases end with it).
    pub async fn round<J: OrgJob>(
        &self,
        jobs: &[J],
        stop: impl Future<Output = ()>,
        mut on_done: impl FnMut(&OrgDone),
    ) -> RoundSummary {
        let mut summary = RoundSummary::default();
        let runs = futures::stream::iter(jobs)
            .take_until(stop)
            .map(|job| self.take_up(job))
            .buffer_unordered(self.concurrency);
        let mut runs = std::pin::pin!(runs);
        while let Some(done) = runs.next().await {
            summary.count(done.status());
            on_done(&done);
        }
        summary.not_started = jobs.len() - summary.total();
        summary
    }

    /// Rounds until `stop` is ready, each as soon as an organisation is due again (but at least
    /// [`MIN_PAUSE`], or `every` when shorter, after the last); see [`Worker::round`].
    pub async fn run<J: OrgJob>(
        &self,
        jobs: &[J],
        stop: impl Future<Output = ()>,
        mut on_done: impl FnMut(&OrgDone),
    ) {
        let stop = stop.shared();
        let keys: Vec<OrgKey> = jobs.iter().map(|job| job.key().clone()).collect();
        loop {
            let summary = self.round(jobs, stop.clone(), &mut on_done).await;
            if stop.peek().is_some() {
                return;
            }
            let due_in = match self.db.due_in(&keys, self.every).await {
                Ok(due_in) => due_in,
                Err(e) => {
                    tracing::warn!(error = %dirsync::directory::ErrorChain(&e), "cannot tell when the next run is due");
                    Duration::ZERO
                }
            };
            let pause = due_in.max(MIN_PAUSE.min(self.every));
            tracing::info!(
                synced = summary.synced,
                failed = summary.failed,
                not_due = summary.not_due,
                busy = summary.busy,
                could_not_run = summary.could_not_run,
                next_round_in_s = pause.as_secs(),
                "round done"
            );
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = stop.clone() => return,
            }
        }
    }

    /// Takes up one organisation: its store, then its job.
    async fn take_up<J: OrgJob>(&self, job: &J) -> OrgDone {
        let started = Instant::now();
        let result = match self.db.organisation(job.key().as_str()).await {
            Ok(store) => job.sync_if_due(&store, self.every).await,
            Err(e) => {
                let name = name_of(job.key(), &self.db);
                Err(SyncError::State(e.into_state("read", &name)))
            }
        };
        OrgDone { key: job.key().clone(), result, took: started.elapsed() }
    }
}

#[async_trait]
impl<J: OrgJob + ?Sized> OrgJob for Box<J> {
    fn key(&self) -> &OrgKey {
        (**self).key()
    }

    async fn sync_if_due(
        &self,
        store: &PostgresStore,
        every: Duration,
    ) -> Result<OrgRun, SyncError> {
        (**self).sync_if_due(store, every).await
    }
}

/// The longest `every` the database is asked to add (about a hundred years).
const LONGEST: f64 = 100.0 * 365.0 * 24.0 * 3600.0;

impl PostgresDatabase {
    /// How long until the first of these organisations is due (zero when one never ran, or is
    /// not in the database yet), by the database's clock, which all workers share.
    ///
    /// # Errors
    /// A database error.
    pub async fn due_in(&self, keys: &[OrgKey], every: Duration) -> Result<Duration, PgError> {
        if keys.is_empty() {
            return Ok(every);
        }
        let client = self.client().await?;
        let keys: Vec<&str> = keys.iter().map(OrgKey::as_str).collect();
        let row = client
            .query_one(
                "SELECT bool_or(o.last_run_at IS NULL), \
                        EXTRACT(EPOCH FROM MIN(o.last_run_at) + make_interval(secs => $2) - now())::float8 \
                 FROM unnest($1::text[]) AS k (key) \
                 LEFT JOIN dirsync_organisations o ON o.key = k.key",
                &[&keys, &every.as_secs_f64().min(LONGEST)],
            )
            .await
            .map_err(|e| PgError::database("read when the organisations last ran", self.target(), e))?;
        let never_ran: Option<bool> = row.get(0);
        let seconds: Option<f64> = row.get(1);
        Ok(match (never_ran, seconds) {
            (Some(false), Some(seconds)) if seconds > 0.0 => Duration::from_secs_f64(seconds),
            _ => Duration::ZERO,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_fails_when_one_failed_and_could_not_run_only_when_none_started() {
        let done = RoundSummary { synced: 3, not_due: 2, busy: 1, ..RoundSummary::default() };
        assert_eq!(done.outcome(), RoundOutcome::Done);
        let failed = RoundSummary { failed: 1, ..done };
        assert_eq!(failed.outcome(), RoundOutcome::SomeFailed);
        let partly = RoundSummary { could_not_run: 1, ..done };
        assert_eq!(partly.outcome(), RoundOutcome::SomeFailed);
        let none = RoundSummary { could_not_run: 4, ..RoundSummary::default() };
        assert_eq!(none.outcome(), RoundOutcome::NoneRan);
        let idle = RoundSummary { not_due: 4, not_started: 2, ..RoundSummary::default() };
        assert_eq!(idle.outcome(), RoundOutcome::Done);
    }

    #[test]
    fn a_status_is_shown_in_the_words_of_the_worker_lines() {
        let shown = [
            OrgStatus::Synced,
            OrgStatus::Failed,
            OrgStatus::NotDue,
            OrgStatus::Busy,
            OrgStatus::CouldNotRun,
        ]
        .map(|status| status.to_string());
        assert_eq!(shown, ["synced", "failed", "not due", "busy", "could not run"]);
        assert_eq!(format!("[{:<8}]", OrgStatus::Busy), "[busy    ]", "widths are kept");
    }

    #[test]
    fn a_round_is_one_line_naming_every_count_and_those_not_started_only_when_any() {
        let round =
            RoundSummary { synced: 9, failed: 1, not_due: 1, busy: 1, ..RoundSummary::default() };
        assert_eq!(
            round.to_string(),
            "12 organisation(s): 9 synced, 1 failed, 1 not due, 1 busy, 0 could not run"
        );
        let stopped = RoundSummary { synced: 2, could_not_run: 1, not_started: 4, ..round };
        assert_eq!(
            stopped.to_string(),
            "10 organisation(s): 2 synced, 1 failed, 1 not due, 1 busy, 1 could not run, \
             4 not started (stopped)"
        );
        assert_eq!(
            RoundSummary::default().to_string(),
            "0 organisation(s): 0 synced, 0 failed, 0 not due, 0 busy, 0 could not run"
        );
    }
}

//! What a worker does for one organisation: sync it if it is due and nobody else is on it.

use crate::{PgError, PostgresStore};
use chrono::Utc;
use dirsync::{
    store::{LeaseHolder, RunHistory, RunOutcome, RunRecord, StateError},
    sync::{SyncError, Synced, Synchronizer},
};
use std::time::Duration;

/// What became of one organisation in a worker's round.
#[derive(Debug)]
#[non_exhaustive]
pub enum OrgRun {
    /// A run started less than the round's length ago (by this worker or another): not due.
    NotDue,
    /// Another worker is syncing it now.
    Busy(Option<LeaseHolder>),
    /// It was synced: how that went.
    Ran(Box<Result<Synced, SyncError>>),
}

impl PostgresStore {
    /// Whether a run of this organisation is due: none started within the last `every`.
    ///
    /// # Errors
    /// A database error.
    pub async fn is_due(&self, every: Duration) -> Result<bool, PgError> {
        let client = self.database().client().await?;
        let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        let since =
            Utc::now().checked_sub_signed(every).unwrap_or(chrono::DateTime::<Utc>::MIN_UTC);
        let row = client
            .query_one(
                "SELECT last_run_at IS NULL OR last_run_at <= $2 FROM dirsync_organisations WHERE id = $1",
                &[&self.id(), &since],
            )
            .await
            .map_err(|e| PgError::database("read when it last ran", self.database().target(), e))?;
        Ok(row.get(0))
    }

    /// Marks a run of this organisation as started now, so it is not due again for a round.
    /// Call it under the lease.
    ///
    /// # Errors
    /// A database error.
    pub async fn mark_started(&self) -> Result<(), PgError> {
        let client = self.database().client().await?;
        client
            .execute(
                "UPDATE dirsync_organisations SET last_run_at = now() WHERE id = $1",
                &[&self.id()],
            )
            .await
            .map_err(|e| PgError::database("record that it runs", self.database().target(), e))?;
        Ok(())
    }
}

/// Syncs the organisation of `store` with `sync` (built over that store) if a run is due
/// (none started within `every`) and no other worker holds it: the lease is taken, the due
/// check made again under it (another worker may have just finished), the run marked as started,
/// then both sides read, planned, settled by the policy and applied. A read that fails is
/// recorded in the history like an apply. Decisions the policy leaves pending are not asked
/// for: the apply is refused and recorded so.
///
/// ```no_run
/// # async fn run(db: dirsync_postgres::PostgresDatabase, hr: &dyn dirsync::directory::Directory, idp: &dyn dirsync::directory::Directory) -> Result<(), Box<dyn std::error::Error>> {
/// use dirsync::{
///     policy::{ConflictRule, Policy},
///     sync::Synchronizer,
/// };
/// use dirsync_postgres::{OrgRun, sync_if_due};
/// use std::time::Duration;
/// let store = db.organisation("acme").await?;
/// let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
/// let sync = Synchronizer::new(hr, idp, &store).with_policy(policy).with_holder("worker-3");
/// match sync_if_due(&store, &sync, Duration::from_secs(3600)).await? {
///     OrgRun::Ran(result) => println!("synced: {}", result.is_ok()),
///     OrgRun::NotDue | OrgRun::Busy(_) => {}
///     _ => {}
/// }
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`SyncError::State`] when the state cannot be reached (the database); how the sync itself
/// went is in [`OrgRun::Ran`].
pub async fn sync_if_due(
    store: &PostgresStore,
    sync: &Synchronizer<'_>,
    every: Duration,
) -> Result<OrgRun, SyncError> {
    let state = |e: PgError| SyncError::State(e.into_state("read", store.name()));
    if !store.is_due(every).await.map_err(state)? {
        return Ok(OrgRun::NotDue);
    }
    let leased = match sync.begin().await {
        Ok(leased) => leased,
        Err(SyncError::State(StateError::Busy { holder, .. })) => return Ok(OrgRun::Busy(holder)),
        Err(e) => return Err(e),
    };
    if !store.is_due(every).await.map_err(state)? {
        leased.release().await;
        return Ok(OrgRun::NotDue);
    }
    store.mark_started().await.map_err(state)?;
    let started_at = Utc::now();
    let planned = match leased.read().await {
        Ok(planned) => planned,
        Err(e) => {
            let run = RunRecord::without_writes(
                sync.holder(),
                started_at,
                Utc::now(),
                RunOutcome::ReadFailed,
                dirsync::directory::ErrorChain(&e).to_string(),
            );
            if let Err(e) = store.record(&run).await {
                tracing::warn!(error = %dirsync::directory::ErrorChain(&e), "the run could not be recorded");
            }
            return Ok(OrgRun::Ran(Box::new(Err(e))));
        }
    };
    Ok(OrgRun::Ran(Box::new(planned.apply().await)))
}

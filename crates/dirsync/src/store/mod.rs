//! Where the [`SyncState`] lives between runs, and how the processes that share it take turns:
//! the [`StateStore`] trait, its [`Lease`], the [`StateChanges`] a writer commits, the
//! [`RunHistory`] a store may keep, and two stores: [`JsonFileStore`] (a file, with OS file
//! locks) and [`MemoryStore`] (for tests and single-process services). `dirsync-postgres` keeps
//! the states of many organisations in PostgreSQL.

pub use crate::accounts::DisabledAccount;
pub use crate::state::{Link, Reported, SyncState};

mod changes;
mod file;
mod history;
mod json_file;
mod memory;
mod part;

pub use changes::StateChanges;
pub use file::{replace_file, replace_private_file};
pub use history::{
    HistoryQuery, RunEntry, RunHistory, RunOutcome, RunRecord, WriteOutcome, WriteRecord,
};
pub use json_file::{JsonFileStore, STATE_FORMAT};
pub use memory::MemoryStore;
pub use part::{PartRequest, StatePart};

use crate::HeldWrite;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::fmt;
use std::io;
use std::path::PathBuf;

/// Keeps the [`SyncState`] between runs, and lets the processes that share it take turns.
///
/// Two kinds of writer share a state: a **sync**, which works on it for minutes (read both sides,
/// plan, apply) and then saves what it changed, and the **real-time receiver**, which adds a link
/// now and then. A store gives them what they need not to overwrite each other:
///
/// - [`StateStore::lease`]: one sync at a time. A second sync of the same state is refused
///   ([`StateError::Busy`], saying who holds it and since when) before it reads or writes
///   anything. The lease ends when it is dropped, and when its holder's process (or connection)
///   ends, so a crashed sync never blocks the next one.
/// - [`StateStore::commit`]: writes one writer's [`StateChanges`] atomically: entries it set or
///   removed, nothing else. A sync saves this way once it has applied its plan, so a store can
///   make its save cost what the run changed, and a link the receiver committed meanwhile stays.
/// - [`StateStore::update`]: an atomic read-modify-write of the stored state, serialised with
///   every other `update`, `commit` and [`StateStore::save`], across processes.
///
/// A store must never hand back a state it could not read completely: a lost link makes the next
/// run pair by keys again, and a lost baseline turns one-sided changes into conflicts, so an
/// unreadable state is an error for a person to look at, not an empty state.
///
/// A store may keep a history of runs ([`StateStore::history`]); the [`crate::sync::Synchronizer`]
/// records every apply there.
#[async_trait]
pub trait StateStore: Send + Sync {
    /// The saved state; an empty state when nothing was saved yet.
    ///
    /// # Errors
    /// [`StateError`] when the state exists but cannot be read or understood.
    async fn load(&self) -> Result<SyncState, StateError>;

    /// The part of the saved state that `request` asks for ([`StatePart::of`]): the links of
    /// its HR records and of its accounts, the disabled entries of the accounts, the held writes
    /// of either, and, when asked for, how many links the whole state has. A real-time push
    /// reads this for each person rather than the whole state.
    ///
    /// The default loads the whole state and keeps that part, so every store has it; a store
    /// that can read the part alone (a database, by its indexes) should, so that a push costs
    /// the same however many people are linked. It must return what the default would from
    /// one consistent view of the state.
    ///
    /// # Errors
    /// As [`StateStore::load`].
    async fn load_part(&self, request: &PartRequest<'_>) -> Result<StatePart, StateError> {
        Ok(StatePart::of(&self.load().await?, request))
    }

    /// Whether [`StateStore::load_part`] reads the part alone, for less than a whole
    /// [`StateStore::load`]: a store that overrides it says so. A push then reads each person's
    /// parts; otherwise it loads the whole state once for a person and takes the parts from it.
    fn reads_parts(&self) -> bool {
        false
    }

    /// Replaces the saved state with `state`, completely or not at all, after any
    /// [`StateStore::update`] or [`StateStore::commit`] under way.
    ///
    /// # Errors
    /// [`StateError`] when the state could not be written; the saved state is then unchanged.
    async fn save(&self, state: &SyncState) -> Result<(), StateError>;

    /// Writes `changes` to the saved state, completely or not at all (see
    /// [`StateChanges::apply_to`] for what that means), serialised with every other write.
    ///
    /// # Errors
    /// [`StateError`] when the changes could not be written; the saved state is then unchanged.
    async fn commit(&self, changes: &StateChanges) -> Result<(), StateError>;

    /// Takes the sync lease for `holder` (a description a person recognises, such as
    /// "nightly sync, process 4242"): while the returned [`Lease`] lives, every other call is
    /// refused.
    ///
    /// # Errors
    /// [`StateError::Busy`] when another holds it; [`StateError::Io`] when the lease could not
    /// be taken.
    async fn lease(&self, holder: &str) -> Result<Lease, StateError>;

    /// Loads the stored state, lets `change` change it, and saves the result, with no other
    /// write in between (in any process). Returns the state as saved.
    ///
    /// # Errors
    /// As [`StateStore::load`] and [`StateStore::save`]; the stored state is then unchanged.
    async fn update(
        &self,
        change: &mut (dyn for<'s> FnMut(&'s mut SyncState) + Send),
    ) -> Result<SyncState, StateError>;

    /// Where this store keeps the history of runs, if it keeps one (the file and memory stores
    /// do not).
    fn history(&self) -> Option<&dyn RunHistory> {
        None
    }
}

/// Who holds a sync lease, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseHolder {
    /// The holder as it described itself.
    pub holder: String,
    /// When it took the lease.
    pub since: DateTime<Utc>,
}

impl fmt::Display for LeaseHolder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} since {}", self.holder, self.since.format("%Y-%m-%d %H:%M:%S UTC"))
    }
}

/// How a store lets a lease go and waits until it is gone.
type Release = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send + Sync>;

/// The right to run one sync on a state; dropping it lets go.
///
/// Where letting go takes a round trip (a database's lock), dropping starts it and
/// [`Lease::release`] waits for it, so a next holder that comes at once is not refused.
pub struct Lease {
    holder: LeaseHolder,
    // Whatever the store needs kept to hold the lease: a locked file, a guard.
    _guard: Box<dyn Any + Send + Sync>,
    release: Option<Release>,
}

impl Lease {
    /// A lease held by `holder` for as long as `guard` lives: for stores to make.
    pub fn new(holder: LeaseHolder, guard: impl Any + Send + Sync) -> Lease {
        Lease { holder, _guard: Box::new(guard), release: None }
    }

    /// The same lease, let go by `release` before its guard is dropped, for a store whose
    /// letting go is a round trip: for stores to make.
    #[must_use]
    pub fn with_release(
        mut self,
        release: impl FnOnce() -> BoxFuture<'static, ()> + Send + Sync + 'static,
    ) -> Lease {
        self.release = Some(Box::new(release));
        self
    }

    /// Who holds it.
    pub fn holder(&self) -> &LeaseHolder {
        &self.holder
    }

    /// Lets the lease go and returns once it is gone, so a sync that starts next is not
    /// refused; dropping the lease lets it go too, without waiting.
    pub async fn release(mut self) {
        if let Some(release) = self.release.take() {
            release().await;
        }
    }
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease").field("holder", &self.holder).finish_non_exhaustive()
    }
}

/// The state could not be loaded, saved or leased.
///
/// The messages say what to do; the underlying I/O or JSON error is the
/// [`source`](std::error::Error::source), so print the chain (e.g. with [`crate::directory::ErrorChain`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading or writing the file failed.
    #[error(
        "could not {action} the sync state file {}; check that the folder exists and that this \
         process may read and write it",
        .path.display()
    )]
    Io {
        /// What was being done: "read", "write" or "lock".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// A store other than a file (a database) could not do what was asked; its own error, the
    /// [`source`](std::error::Error::source), says why and what to do.
    #[error("could not {action} the sync state in {store}")]
    Store {
        /// What was being done: "read", "write", "lease", "record the run in".
        action: &'static str,
        /// The store, as it names itself (a database and an organisation, never a password).
        store: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The file exists but is not a state file this crate can read.
    #[error(
        "the sync state file {} is corrupt; restore it from a backup, or delete it to start over \
         (the next sync then pairs people again by employment id and email, and treats every \
         difference as new)",
        .path.display()
    )]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: serde_json::Error,
    },
    /// The file was written by a newer version of this library.
    #[error(
        "the sync state file {} has format {found}, newer than format {supported} that this \
         version understands; upgrade to the version that wrote it (the file is left untouched)",
        .path.display()
    )]
    NewerFormat {
        /// The file.
        path: PathBuf,
        /// The format the file has.
        found: u64,
        /// The newest format this version reads.
        supported: u64,
    },
    /// Another sync holds the state's lease; nothing was read or written.
    #[error(
        "another sync of {state} is running ({}), so this one did not start and wrote nothing: \
         wait for it to finish, or stop it (a sync whose process ended lets go at once)",
        .holder.as_ref().map_or_else(|| "its holder did not say who it is".to_owned(), ToString::to_string)
    )]
    Busy {
        /// The state, as the store names it (a file's path).
        state: String,
        /// Who holds it, when the holder could be read.
        holder: Option<LeaseHolder>,
    },
}

impl StateError {
    /// Whether the state is leased by another sync.
    pub fn is_busy(&self) -> bool {
        matches!(self, StateError::Busy { .. })
    }
}

/// Releases held-back writes ([`SyncState::held`]) so the next sync tries them again: the one
/// whose id is `id`, or every one of the record `id`. It takes the store's lease as `holder`
/// first, so it never lands in the middle of a sync; returns what was released and the state
/// after. Needs no connection to either directory.
///
/// ```
/// use dirsync::store::{MemoryStore, StateStore, release_held};
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// let (released, state) = release_held(&store, "an operator", "held-0123").await?;
/// assert!(released.is_empty() && state.held.is_empty());
/// # Ok::<(), dirsync::store::StateError>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// [`StateError`]: the state is leased by a sync ([`StateError::Busy`]), or cannot be read or
/// saved.
pub async fn release_held(
    store: &dyn StateStore,
    holder: &str,
    id: &str,
) -> Result<(Vec<HeldWrite>, SyncState), StateError> {
    let lease = store.lease(holder).await?;
    let mut released = Vec::new();
    let updated = store.update(&mut |state| released = state.release(id)).await;
    lease.release().await;
    Ok((released, updated?))
}

//! The default store: one JSON file, replaced atomically, with OS file locks beside it.

use super::{Lease, LeaseHolder, StateChanges, StateError, StateStore};
use crate::SyncState;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The version of the state file's format that this crate writes and reads.
pub const STATE_FORMAT: u64 = 1;

/// The default [`StateStore`]: one JSON file, `{"format": 1, "state": {...}}`, shared safely by
/// any number of processes on one machine (or on a file system with working `flock` locks).
///
/// Saving never leaves a half-written file behind in its place: the new state is written to a
/// temporary file in the same folder, flushed to disk, and renamed over the old file (then the
/// folder itself is flushed where the platform allows). A crash at any moment leaves either the
/// old or the new state. A missing file loads as an empty state; a corrupt file, or one written
/// by a newer version, is an error and is never replaced silently by a load. A crash while saving
/// may leave a temporary `.<name>.<pid>.<n>.tmp` file beside the state file; it is safe to delete.
///
/// Two more files live beside the state, each holding an OS file lock (`flock` on Unix,
/// `LockFileEx` on Windows), which the operating system releases when the process ends however
/// it ends:
/// - `<name>.lease`: the [sync lease](StateStore::lease); it also records who holds it and
///   since when, for the error a second sync gets.
/// - `<name>.lock`: held for the moment of each [`StateStore::update`] and
///   [`StateStore::save`], so read-modify-writes never interleave.
///
/// Both are safe to delete while no sync or receiver runs.
///
/// The file is read and written on the calling task (a state file is small, and the locks are
/// held for a moment); a service that runs many organisations keeps their states in a database
/// instead (`dirsync-postgres`).
///
/// ```
/// use dirsync::{
///     model::Person,
///     store::{JsonFileStore, StateChanges, StateStore, SyncState},
/// };
/// # futures::executor::block_on(async {
/// let dir = tempfile::tempdir()?;
/// let store = JsonFileStore::new(dir.path().join("state.json"));
/// assert_eq!(store.load().await?, SyncState::new()); // nothing saved yet
///
/// let lease = store.lease("nightly sync").await?;
/// assert!(store.lease("a second sync").await.unwrap_err().is_busy());
///
/// // The real-time receiver adds a link while the sync holds the lease.
/// store.commit(&StateChanges::new().link("h1".into(), "a1".into(), Person::new())).await?;
/// drop(lease);
/// assert_eq!(store.load().await?.links.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct JsonFileStore {
    path: PathBuf,
}

#[derive(Serialize)]
struct FileOut<'a> {
    format: u64,
    state: &'a SyncState,
}

#[derive(Deserialize)]
struct FileIn {
    format: u64,
    state: serde_json::Value,
}

impl JsonFileStore {
    /// A store that keeps the state in the file at `path` (its folder must exist).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonFileStore { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn corrupt(&self, source: serde_json::Error) -> StateError {
        StateError::Corrupt { path: self.path.clone(), source }
    }

    fn io(&self, action: &'static str, source: io::Error) -> StateError {
        StateError::Io { action, path: self.path.clone(), source }
    }

    /// The file beside the state named `<name>.<suffix>`.
    fn beside(&self, suffix: &str) -> PathBuf {
        let name = self.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        self.path.with_file_name(format!("{name}.{suffix}"))
    }

    fn open_lock_file(&self, suffix: &str) -> Result<File, StateError> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.beside(suffix))
            .map_err(|e| self.io("lock", e))
    }

    /// Holds the write lock while `work` runs: no other update or save, in any process.
    fn with_write_lock<T>(
        &self,
        work: impl FnOnce() -> Result<T, StateError>,
    ) -> Result<T, StateError> {
        let lock = self.open_lock_file("lock")?;
        lock.lock().map_err(|e| self.io("lock", e))?;
        // The lock goes with the file when it is closed, at the end of this function.
        work()
    }

    fn replace(&self, state: &SyncState) -> Result<(), StateError> {
        let mut bytes = serde_json::to_vec_pretty(&FileOut { format: STATE_FORMAT, state })
            .map_err(|e| self.io("write", io::Error::other(e)))?;
        bytes.push(b'\n');
        super::file::replace_file(&self.path, &bytes).map_err(|e| self.io("write", e))
    }

    fn read(&self) -> Result<SyncState, StateError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(SyncState::new()),
            Err(e) => return Err(self.io("read", e)),
        };
        let file: FileIn = serde_json::from_slice(&bytes).map_err(|e| self.corrupt(e))?;
        if file.format > STATE_FORMAT {
            return Err(StateError::NewerFormat {
                path: self.path.clone(),
                found: file.format,
                supported: STATE_FORMAT,
            });
        }
        if file.format < 1 {
            let e = <serde_json::Error as serde::de::Error>::custom(format!(
                "format {} does not exist; the first format is 1",
                file.format
            ));
            return Err(self.corrupt(e));
        }
        if !file.state.is_object() {
            let e = <serde_json::Error as serde::de::Error>::custom("\"state\" is not an object");
            return Err(self.corrupt(e));
        }
        serde_json::from_value(file.state).map_err(|e| self.corrupt(e))
    }

    fn take_lease(&self, holder: &str) -> Result<Lease, StateError> {
        let mut file = self.open_lock_file("lease")?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StateError::Busy {
                    state: self.path.display().to_string(),
                    holder: read_holder(&mut file),
                });
            }
            Err(TryLockError::Error(e)) => return Err(self.io("lock", e)),
        }
        let holder = LeaseHolder { holder: holder.to_owned(), since: chrono::Utc::now() };
        // Who holds it is for the error a second sync gets; failing to write it loses nothing.
        if let Ok(json) = serde_json::to_vec(&holder) {
            let written = file.set_len(0).and_then(|()| {
                file.rewind()?;
                file.write_all(&json)
            });
            if let Err(e) = written {
                tracing::debug!(error = %e, "could not record who holds the lease");
            }
        }
        tracing::debug!(state = %self.path.display(), holder = %holder, "lease taken");
        Ok(Lease::new(holder, file))
    }
}

#[async_trait]
impl StateStore for JsonFileStore {
    async fn load(&self) -> Result<SyncState, StateError> {
        self.read()
    }

    async fn save(&self, state: &SyncState) -> Result<(), StateError> {
        self.with_write_lock(|| self.replace(state))
    }

    async fn commit(&self, changes: &StateChanges) -> Result<(), StateError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.with_write_lock(|| {
            let mut state = self.read()?;
            changes.apply_to(&mut state);
            self.replace(&state)
        })
    }

    async fn lease(&self, holder: &str) -> Result<Lease, StateError> {
        self.take_lease(holder)
    }

    async fn update(
        &self,
        change: &mut (dyn for<'s> FnMut(&'s mut SyncState) + Send),
    ) -> Result<SyncState, StateError> {
        self.with_write_lock(|| {
            let mut state = self.read()?;
            change(&mut state);
            self.replace(&state)?;
            Ok(state)
        })
    }
}

/// Who holds the lease, as its holder wrote it; `None` when that cannot be read (it may be
/// writing it at this moment).
fn read_holder(file: &mut File) -> Option<LeaseHolder> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

//! Where the [`SyncState`] lives between runs: the [`StateStore`] trait and its default, a JSON file
//! replaced atomically.

use crate::SyncState;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The version of the state file's format that this crate writes and reads.
pub const STATE_FORMAT: u64 = 1;

/// Keeps the [`SyncState`] between runs.
///
/// A store must never hand back a state it could not read completely: a lost link makes the next
/// run pair by keys again, and a lost baseline turns one-sided changes into conflicts, so an
/// unreadable state is an error for a person to look at, not an empty state.
pub trait StateStore: Send + Sync {
    /// The saved state; an empty state when nothing was saved yet.
    ///
    /// # Errors
    /// [`StateError`] when the state exists but cannot be read or understood.
    fn load(&self) -> Result<SyncState, StateError>;

    /// Replaces the saved state with `state`, completely or not at all.
    ///
    /// # Errors
    /// [`StateError`] when the state could not be written; the saved state is then unchanged.
    fn save(&self, state: &SyncState) -> Result<(), StateError>;
}

/// The state could not be loaded or saved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Reading or writing the file failed.
    #[error(
        "could not {action} the sync state file {}: {source}; check that the folder exists and \
         that this process may read and write it",
        .path.display()
    )]
    Io {
        /// What was being done: "read" or "write".
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: io::Error,
    },
    /// The file exists but is not a state file this crate can read.
    #[error(
        "the sync state file {} is corrupt ({source}); restore it from a backup, or delete it to \
         start over (the next sync then pairs people again by employment id and email, and \
         treats every difference as new)",
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
}

/// The default [`StateStore`]: one JSON file, `{"format": 1, "state": {...}}`.
///
/// Saving never leaves a half-written file behind in its place: the new state is written to a
/// temporary file in the same folder, flushed to disk, and renamed over the old file (then the
/// folder itself is flushed where the platform allows). A crash at any moment leaves either the
/// old or the new state. A missing file loads as an empty state; a corrupt file, or one written
/// by a newer version, is an error and is never replaced silently by a load. A crash while saving
/// may leave a temporary `.<name>.<pid>.<n>.tmp` file beside the state file; it is safe to delete.
///
/// ```
/// use dirsync::{JsonFileStore, Person, StateStore, SyncState};
/// let dir = tempfile::tempdir()?;
/// let store = JsonFileStore::new(dir.path().join("state.json"));
/// assert_eq!(store.load()?, SyncState::new()); // nothing saved yet
///
/// let mut state = SyncState::new();
/// state.link("h1".into(), "a1".into(), Person::new().with_given_name("Ada"));
/// store.save(&state)?;
/// assert_eq!(store.load()?, state);
/// # Ok::<(), Box<dyn std::error::Error>>(())
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

    /// A fresh temporary file name beside the state file.
    fn temporary_path(&self) -> PathBuf {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let name = self.path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = format!(".{name}.{}.{unique}.tmp", std::process::id());
        self.path.with_file_name(temp)
    }

    fn write_temporary(&self, temp: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut file = OpenOptions::new().write(true).create_new(true).open(temp)?;
        file.write_all(bytes)?;
        file.sync_all()
    }
}

impl StateStore for JsonFileStore {
    fn load(&self) -> Result<SyncState, StateError> {
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

    fn save(&self, state: &SyncState) -> Result<(), StateError> {
        let mut bytes = serde_json::to_vec_pretty(&FileOut { format: STATE_FORMAT, state })
            .map_err(|e| self.io("write", io::Error::other(e)))?;
        bytes.push(b'\n');
        let temp = self.temporary_path();
        let written =
            self.write_temporary(&temp, &bytes).and_then(|()| fs::rename(&temp, &self.path));
        if let Err(e) = written {
            // Best effort: the temporary file is ours and useless now.
            let _ = fs::remove_file(&temp);
            return Err(self.io("write", e));
        }
        sync_folder(&self.path);
        Ok(())
    }
}

/// Flushes the folder holding `path`, so the rename itself survives a power loss. Not every
/// platform can open a folder; the rename has happened either way.
fn sync_folder(path: &Path) {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}

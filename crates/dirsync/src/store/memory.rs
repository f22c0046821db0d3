//! A store in memory: for tests, and for services that keep the state themselves.

use super::{Lease, LeaseHolder, StateError, StateStore};
use crate::SyncState;
use std::sync::{Arc, Mutex, MutexGuard};

/// A [`StateStore`] in memory, with the same lease rules as [`super::JsonFileStore`] within one
/// process. Clones share the same state.
///
/// ```
/// use dirsync::{MemoryStore, StateStore};
/// let store = MemoryStore::new();
/// let lease = store.lease("sync 1")?;
/// let refused = store.lease("sync 2").unwrap_err();
/// assert!(refused.to_string().contains("sync 1 since"));
/// drop(lease);
/// assert!(store.lease("sync 2").is_ok());
/// # Ok::<(), dirsync::StateError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Mutex<Inner>>,
}

#[derive(Debug, Default)]
struct Inner {
    state: SyncState,
    holder: Option<LeaseHolder>,
}

/// Lets go of the lease when dropped.
struct Release(Arc<Mutex<Inner>>);

impl Drop for Release {
    fn drop(&mut self) {
        lock(&self.0).holder = None;
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    // Nothing is left half-changed under this lock by a panic: every change is one assignment.
    inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `state`.
    pub fn with_state(state: SyncState) -> Self {
        let store = Self::new();
        lock(&store.inner).state = state;
        store
    }
}

impl StateStore for MemoryStore {
    fn load(&self) -> Result<SyncState, StateError> {
        Ok(lock(&self.inner).state.clone())
    }

    fn save(&self, state: &SyncState) -> Result<(), StateError> {
        lock(&self.inner).state = state.clone();
        Ok(())
    }

    fn lease(&self, holder: &str) -> Result<Lease, StateError> {
        let mut inner = lock(&self.inner);
        if let Some(current) = &inner.holder {
            return Err(StateError::Busy {
                state: "the in-memory state".to_owned(),
                holder: Some(current.clone()),
            });
        }
        let holder = LeaseHolder { holder: holder.to_owned(), since: chrono::Utc::now() };
        inner.holder = Some(holder.clone());
        Ok(Lease::new(holder, Release(Arc::clone(&self.inner))))
    }

    fn update(&self, change: &mut dyn FnMut(&mut SyncState)) -> Result<SyncState, StateError> {
        let mut inner = lock(&self.inner);
        change(&mut inner.state);
        Ok(inner.state.clone())
    }
}

//! A store in memory: for tests, and for services that keep the state themselves.

use super::{Lease, LeaseHolder, StateChanges, StateError, StateStore};
use crate::SyncState;
use async_trait::async_trait;
use std::sync::{Arc, Mutex, MutexGuard};

/// A [`StateStore`] in memory, with the same lease rules as [`super::JsonFileStore`] within one
/// process. Clones share the same state.
///
/// ```
/// use dirsync::store::{MemoryStore, StateStore};
/// # futures::executor::block_on(async {
/// let store = MemoryStore::new();
/// let lease = store.lease("sync 1").await?;
/// let refused = store.lease("sync 2").await.unwrap_err();
/// assert!(refused.to_string().contains("sync 1 since"));
/// drop(lease);
/// assert!(store.lease("sync 2").await.is_ok());
/// # Ok::<(), dirsync::store::StateError>(())
/// # }).unwrap();
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

    /// The state as it is now, at once (the same as [`StateStore::load`], for tests).
    pub fn state(&self) -> SyncState {
        lock(&self.inner).state.clone()
    }
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn load(&self) -> Result<SyncState, StateError> {
        Ok(self.state())
    }

    async fn save(&self, state: &SyncState) -> Result<(), StateError> {
        lock(&self.inner).state = state.clone();
        Ok(())
    }

    async fn commit(&self, changes: &StateChanges) -> Result<(), StateError> {
        changes.apply_to(&mut lock(&self.inner).state);
        Ok(())
    }

    async fn lease(&self, holder: &str) -> Result<Lease, StateError> {
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

    async fn update(
        &self,
        change: &mut (dyn for<'s> FnMut(&'s mut SyncState) + Send),
    ) -> Result<SyncState, StateError> {
        let mut inner = lock(&self.inner);
        change(&mut inner.state);
        Ok(inner.state.clone())
    }
}

//! One push at a time per person: a webhook delivered twice at once is pushed once, and the
//! second copy finds nothing left to do.

use futures::lock::{Mutex as AsyncMutex, OwnedMutexGuard};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use crate::RecordId;

/// The people being pushed right now, each with a lock that the next push of them waits for.
///
/// A [`crate::realtime::RealtimePush`] makes its own; a receiver that builds a push per request shares one
/// across them all ([`crate::realtime::RealtimePush::with_person_locks`]), so that two copies of one
/// webhook (senders retry, and copies overlap) are pushed one after the other: the second finds
/// the person created or updated already, instead of creating them a second time.
#[derive(Default, Clone)]
pub struct PersonLocks {
    locks: Arc<Mutex<HashMap<RecordId, Arc<AsyncMutex<()>>>>>,
}

impl fmt::Debug for PersonLocks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PersonLocks").field("held", &self.table().len()).finish()
    }
}

/// The push of one person; the next one waits until it is dropped.
pub(super) struct PersonGuard {
    _guard: OwnedMutexGuard<()>,
    locks: PersonLocks,
    id: RecordId,
}

impl Drop for PersonGuard {
    fn drop(&mut self) {
        let mut table = self.locks.table();
        // Only the table and this guard's lock hold it: nobody waits, so the entry can go.
        if table.get(&self.id).is_some_and(|lock| Arc::strong_count(lock) <= 2) {
            table.remove(&self.id);
        }
    }
}

impl PersonLocks {
    /// New, empty locks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Waits until no other push of `id` runs, and holds `id` until the guard is dropped.
    pub(super) async fn lock(&self, id: &RecordId) -> PersonGuard {
        let lock = self.table().entry(id.clone()).or_default().clone();
        let guard = lock.lock_owned().await;
        PersonGuard { _guard: guard, locks: self.clone(), id: id.clone() }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<RecordId, Arc<AsyncMutex<()>>>> {
        // Plain data changed in one step under the lock: a panic elsewhere cannot tear it.
        self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

//! One organisation's state in the database: the [`StateStore`] over its rows, every write one
//! transaction under the organisation's row lock.

use crate::rows::Rows;
use crate::{OrgKey, PgError, PostgresDatabase, lease};
use async_trait::async_trait;
use dirsync::store::{
    Lease, PartRequest, RunHistory, StateChanges, StateError, StatePart, StateStore, SyncState,
};
use tokio_postgres::IsolationLevel;

/// The state of one organisation in a [`PostgresDatabase`]: a [`StateStore`] whose save writes
/// the rows a run changed, whose lease works across machines, and which keeps the history of
/// runs ([`RunHistory`]).
///
/// - **Reads** ([`StateStore::load`], [`StateStore::load_part`]) see one snapshot of the state
///   (a repeatable-read transaction), never half of a commit; the part a real-time push reads
///   is a few rows found by index, not the organisation's every link.
/// - **Writes** ([`StateStore::commit`], [`StateStore::update`], [`StateStore::save`]) are one
///   transaction each, holding the organisation's row lock: they never interleave, and a
///   connection lost half-way leaves the state as it was.
/// - **The lease** is a session advisory lock on a connection of its own, so it ends when its
///   holder's connection does, crash or not (see [`StateStore::lease`] below).
#[derive(Debug, Clone)]
pub struct PostgresStore {
    db: PostgresDatabase,
    key: OrgKey,
    id: i32,
    name: String,
}

impl PostgresStore {
    pub(crate) fn new(db: PostgresDatabase, key: OrgKey, id: i32) -> PostgresStore {
        let name = name_of(&key, &db);
        PostgresStore { db, key, id, name }
    }

    /// The organisation's key.
    pub fn key(&self) -> &OrgKey {
        &self.key
    }

    /// The database.
    pub fn database(&self) -> &PostgresDatabase {
        &self.db
    }

    /// The organisation's id in the database.
    pub(crate) fn id(&self) -> i32 {
        self.id
    }

    /// How the store names itself in errors.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Runs `work` in one read-only, repeatable-read transaction: it sees one snapshot of the
    /// state, never half of a commit.
    async fn read<T>(
        &self,
        work: impl AsyncFnOnce(&Rows<'_>) -> Result<T, PgError>,
    ) -> Result<T, StateError> {
        let fail = |e: PgError| e.into_state("read", &self.name);
        let target = self.db.target();
        let mut client = self.db.client().await.map_err(fail)?;
        let tx = tokio_postgres::Client::build_transaction(&mut client)
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| fail(PgError::database("begin a transaction", target, e)))?;
        let rows = Rows { tx: &tx, org: self.id, organisation: self.key.as_str(), target };
        let done = work(&rows).await.map_err(fail)?;
        tx.commit().await.map_err(|e| fail(PgError::database("end a read", target, e)))?;
        Ok(done)
    }

    /// Runs `work` in one transaction that holds the organisation's row lock, and commits it.
    async fn write<T>(
        &self,
        action: &'static str,
        work: impl AsyncFnOnce(&Rows<'_>) -> Result<T, PgError>,
    ) -> Result<T, StateError> {
        let fail = |e: PgError| e.into_state(action, &self.name);
        let target = self.db.target();
        let mut client = self.db.client().await.map_err(fail)?;
        let tx = tokio_postgres::Client::transaction(&mut client)
            .await
            .map_err(|e| fail(PgError::database("begin a transaction", target, e)))?;
        tx.execute("SELECT 1 FROM dirsync_organisations WHERE id = $1 FOR UPDATE", &[&self.id])
            .await
            .map_err(|e| fail(PgError::database("lock the organisation", target, e)))?;
        let rows = Rows { tx: &tx, org: self.id, organisation: self.key.as_str(), target };
        let done = work(&rows).await.map_err(fail)?;
        tx.commit().await.map_err(|e| fail(PgError::database("commit", target, e)))?;
        Ok(done)
    }
}

/// How the state of organisation `key` in `db` is named in errors.
pub(crate) fn name_of(key: &OrgKey, db: &PostgresDatabase) -> String {
    format!("organisation {key} in {}", db.target())
}

#[async_trait]
impl StateStore for PostgresStore {
    async fn load(&self) -> Result<SyncState, StateError> {
        self.read(async |rows| rows.load().await).await
    }

    /// Reads the part by the tables' indexes, in one snapshot: a few rows for a person,
    /// whatever the organisation's size, and a count of its links when asked for (an index
    /// scan of the organisation's links).
    async fn load_part(&self, request: &PartRequest<'_>) -> Result<StatePart, StateError> {
        self.read(async |rows| rows.part(request).await).await
    }

    fn reads_parts(&self) -> bool {
        true
    }

    async fn save(&self, state: &SyncState) -> Result<(), StateError> {
        let everything = StateChanges::between(&SyncState::new(), state);
        self.write("write", async |rows| {
            rows.clear().await?;
            rows.write(&everything).await
        })
        .await
    }

    async fn commit(&self, changes: &StateChanges) -> Result<(), StateError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.write("write", async |rows| rows.write(changes).await).await?;
        tracing::debug!(organisation = %self.key, entries = changes.len(), "state committed");
        Ok(())
    }

    /// Takes the organisation's lease: a session advisory lock on a connection of its own,
    /// which PostgreSQL lets go when that connection ends, so a holder that crashes or loses
    /// its machine never blocks the organisation (a dead machine's connection is noticed by the
    /// server's TCP keepalives, set to about a minute on this connection).
    ///
    /// The lease connection must reach PostgreSQL itself, or a pooler in session mode: behind a
    /// pooler in transaction mode a session lock stays with whichever server connection ran it,
    /// and would not end with its holder.
    async fn lease(&self, holder: &str) -> Result<Lease, StateError> {
        lease::take(self, holder).await
    }

    async fn update(
        &self,
        change: &mut (dyn for<'s> FnMut(&'s mut SyncState) + Send),
    ) -> Result<SyncState, StateError> {
        self.write("write", async |rows| {
            let before = rows.load().await?;
            let mut after = before.clone();
            change(&mut after);
            rows.write(&StateChanges::between(&before, &after)).await?;
            Ok(after)
        })
        .await
    }

    fn history(&self) -> Option<&dyn RunHistory> {
        Some(self)
    }
}

//! The traits a directory implements, and the snapshot read through them: the [`Record`]s a
//! directory holds, what it can write ([`Capabilities`]), how it fails ([`DirectoryError`] and
//! its [`ErrorKind`]), and [`InMemoryDirectory`] for tests and examples.

pub use crate::capabilities::{
    Capabilities, InvalidCharacters, LengthUnit, Limits, NewRecord, TooLong,
};
pub use crate::error::{DirectoryError, ErrorChain, ErrorKind};
pub use crate::memory::InMemoryDirectory;
pub use crate::record::{InvalidValue, Record, RecordId};

use crate::{Field, FieldValue, Person};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// One field's new value in an update. A sync only ever sets values; it never clears a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field.
    pub field: Field,
    /// Its new value.
    pub value: FieldValue,
}

/// A system that holds people: Huma, Azure AD, or [`crate::directory::InMemoryDirectory`] in tests.
///
/// Object safe, so a sync can hold `Box<dyn Directory>` or `Arc<dyn Directory>`.
#[async_trait]
pub trait Directory: Send + Sync {
    /// The name people know this system by ("Huma", "Azure AD"): plans, findings, reports and
    /// errors use it.
    fn name(&self) -> &str;

    /// What this directory can write and the limits its values must keep.
    fn capabilities(&self) -> Capabilities;

    /// The scope this directory reads, for people ("the members of the Azure AD group 3f1c…,
    /// except the members of the group 77aa…"); `None` (the default) when it reads everyone.
    ///
    /// A directory with a scope returns from [`Directory::snapshot`] the people in it, and the
    /// excluded ones marked so; it marks every record it returns from [`Directory::get`] and
    /// [`Directory::find_matching`] with where the person stands ([`Record::scope`]).
    fn scope(&self) -> Option<String> {
        None
    }

    /// Every record the directory can see, inactive ones included and marked; for a directory
    /// with a [scope](Directory::scope), the people in it and the excluded ones, marked.
    ///
    /// # Errors
    /// Any failed read fails the whole snapshot: a partial snapshot is never returned, because
    /// "not fetched" must never be mistaken for "absent".
    async fn snapshot(&self) -> Result<Vec<Record>, DirectoryError>;

    /// One record, or `None` if it does not exist.
    ///
    /// # Errors
    /// A failed read.
    async fn get(&self, id: &RecordId) -> Result<Option<Record>, DirectoryError>;

    /// Creates a record for `person` and returns it as the directory now holds it.
    ///
    /// Whatever else the directory needs to create an account (a user principal name, a password)
    /// is the adapter's to fill in from its configuration.
    ///
    /// # Errors
    /// The directory refused or could not be reached.
    async fn create(&self, person: &Person) -> Result<Record, DirectoryError>;

    /// Sets the given fields of one record.
    ///
    /// # Errors
    /// The directory refused or could not be reached; no change was made, or the adapter says
    /// which were.
    async fn update(&self, id: &RecordId, changes: &[FieldChange]) -> Result<(), DirectoryError>;

    /// Enables or disables the account of one record (Azure AD's `accountEnabled`): how a
    /// leaver loses access without being deleted. A sync never deletes anyone.
    ///
    /// The default refuses: a directory that can do it overrides this and says so in
    /// [`Capabilities::can_disable`].
    ///
    /// # Errors
    /// The directory refused (e.g. Azure AD's 403 for an administrator's account) or could not be
    /// reached.
    async fn set_enabled(&self, id: &RecordId, enabled: bool) -> Result<(), DirectoryError> {
        let _ = (id, enabled);
        Err(DirectoryError::new(
            ErrorKind::PermissionDenied,
            format!("{} cannot enable or disable accounts", self.name()),
        ))
    }

    /// Signs one user out everywhere, so a disabled leaver's open sessions end now rather than
    /// when their tokens expire (Graph's `revokeSignInSessions`).
    ///
    /// The default refuses; see [`Capabilities::can_revoke_sessions`].
    ///
    /// # Errors
    /// The directory refused or could not be reached.
    async fn revoke_sessions(&self, id: &RecordId) -> Result<(), DirectoryError> {
        let _ = id;
        Err(DirectoryError::new(
            ErrorKind::PermissionDenied,
            format!("{} cannot revoke sign-in sessions", self.name()),
        ))
    }

    /// How many updates [`Directory::update_many`] sends in one request: 1 (the default) for a
    /// directory without batching, 20 for Microsoft Graph's `$batch`.
    fn batch_size(&self) -> usize {
        1
    }

    /// Sets fields of many records, returning one result per update, in order. One record's
    /// failure fails that record only.
    ///
    /// The default calls [`Directory::update`] for each in turn; directories that can write many
    /// records in one request override it together with [`Directory::batch_size`].
    async fn update_many(
        &self,
        updates: &[(RecordId, Vec<FieldChange>)],
    ) -> Vec<Result<(), DirectoryError>> {
        let mut results = Vec::with_capacity(updates.len());
        for (id, changes) in updates {
            results.push(self.update(id, changes).await);
        }
        results
    }

    /// Records that hold the same person as `person` by employment id or email (case-insensitive),
    /// used before a create so that a re-run never makes a duplicate.
    ///
    /// The default reads a whole snapshot; adapters with a search should override it.
    ///
    /// # Errors
    /// A failed read.
    async fn find_matching(&self, person: &Person) -> Result<Vec<Record>, DirectoryError> {
        let records = self.snapshot().await?;
        Ok(records.into_iter().filter(|r| same_person(&r.person, person)).collect())
    }
}

/// Whether two people share an employment id or an email (case-insensitive).
pub fn same_person(a: &Person, b: &Person) -> bool {
    let same_id = a.employment_id().is_some() && a.employment_id() == b.employment_id();
    let same_email = a.email_key().is_some() && a.email_key() == b.email_key();
    same_id || same_email
}

/// Above this share of unreadable records (in percent), a read fails: see [`Snapshot::read`].
pub const MAX_UNREADABLE_PERCENT: usize = 5;

/// How many linked records [`Snapshot::look_up_linked`] reads at once.
pub const LOOK_UP_CONCURRENCY: usize = 8;

/// Fails when so many of `records` are unreadable that the format has most likely changed.
///
/// # Errors
/// [`ErrorKind::InvalidResponse`], naming the first unreadable record and why.
pub fn check_unreadable(system: &str, records: &[Record]) -> Result<(), DirectoryError> {
    let mut unreadable = records.iter().filter(|r| r.is_unreadable());
    let Some(first) = unreadable.next() else { return Ok(()) };
    let count = 1 + unreadable.count();
    if count <= 2 || count * 100 <= records.len() * MAX_UNREADABLE_PERCENT {
        return Ok(());
    }
    Err(DirectoryError::new(
        ErrorKind::InvalidResponse,
        format!(
            "{count} of the {} people read from {system} could not be understood (more than \
             {MAX_UNREADABLE_PERCENT} %), so its format has most likely changed and nothing was \
             synced; the first is {}: {}. Update dirsync, or report this with the record to its \
             maintainers",
            records.len(),
            first.id,
            first.unreadable.as_deref().unwrap_or_default()
        ),
    ))
}

/// An opaque position in a directory's change feed (a Graph deltaLink, a sequence number).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps a directory's cursor.
    pub fn new(cursor: impl Into<String>) -> Self {
        Cursor(cursor.into())
    }

    /// The cursor as the directory gave it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cursor {
    // A Graph deltaLink is long; its start is enough to tell cursors apart in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short: String = self.0.chars().take(32).collect();
        write!(f, "Cursor({short}…)")
    }
}

/// What changed in a directory since a cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Records created or changed since the cursor, as they are now.
    pub changed: Vec<Record>,
    /// Records removed since the cursor.
    pub removed: Vec<RecordId>,
    /// Where to continue next time.
    pub cursor: Cursor,
    /// Set when the cursor could not be used (none given, or expired) and everything was read
    /// again: `changed` is then a whole snapshot and the reason says why.
    pub full_read: Option<String>,
}

/// A directory that can tell what changed since a cursor, so a sync need not read everyone.
#[async_trait]
pub trait IncrementalDirectory: Directory {
    /// The changes since `cursor`, or everything when `cursor` is `None` or no longer valid.
    ///
    /// # Errors
    /// A failed read. An expired cursor is not an error: it falls back to a full read.
    async fn changes_since(&self, cursor: Option<&Cursor>) -> Result<Changes, DirectoryError>;
}

/// One side's records and capabilities: the engine's input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The directory's name ([`Directory::name`]); empty when unknown.
    #[serde(default)]
    pub name: String,
    /// What the directory can write.
    pub capabilities: Capabilities,
    /// Every record it holds (in its scope, for a directory with one).
    pub records: Vec<Record>,
    /// The scope the records were read in ([`Directory::scope`]); `None`: the directory reads
    /// everyone, so a record missing from the snapshot no longer exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// For a snapshot read in a scope: the linked records the read left out that were looked up
    /// and no longer exist ([`Snapshot::look_up_linked`]). A linked record missing from a scoped
    /// snapshot is gone only when it is listed here; otherwise nothing is known of it, and its
    /// link is kept as it is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<RecordId>,
}

impl Snapshot {
    /// A snapshot from records, with default capabilities.
    pub fn new(records: Vec<Record>) -> Self {
        Snapshot {
            name: String::new(),
            capabilities: Capabilities::default(),
            records,
            scope: None,
            gone: Vec::new(),
        }
    }

    /// The same snapshot, read in the scope `description` (see [`Snapshot::scope`]).
    #[must_use]
    pub fn with_scope(mut self, description: impl Into<String>) -> Self {
        self.scope = Some(description.into());
        self
    }

    /// The same snapshot under the directory's name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Reads a whole snapshot from `directory`.
    ///
    /// # Errors
    /// The directory's read failed.
    ///
    /// A directory returns a record it could not understand as [unreadable](Record::unreadable),
    /// and the sync goes on without it; but when more than [`MAX_UNREADABLE_PERCENT`] % of the
    /// records (and more than two) are unreadable, the directory's format has most likely
    /// changed, and the read fails ([`ErrorKind::InvalidResponse`]) rather than hold back
    /// everyone.
    pub async fn read(directory: &(impl Directory + ?Sized)) -> Result<Snapshot, DirectoryError> {
        let records = directory.snapshot().await?;
        check_unreadable(directory.name(), &records)?;
        Ok(Snapshot {
            name: directory.name().to_owned(),
            capabilities: directory.capabilities(),
            records,
            scope: directory.scope(),
            gone: Vec::new(),
        })
    }

    /// Reads a snapshot as [`Snapshot::read`], then looks up the `linked` records (the ids the
    /// state links on this side) that a scoped read left out ([`Snapshot::look_up_linked`]):
    /// what a sync reads.
    ///
    /// # Errors
    /// As [`Snapshot::read`], or a look-up failed.
    pub async fn read_linked(
        directory: &(impl Directory + ?Sized),
        linked: impl IntoIterator<Item = RecordId>,
    ) -> Result<Snapshot, DirectoryError> {
        let mut snapshot = Snapshot::read(directory).await?;
        snapshot.look_up_linked(directory, linked).await?;
        Ok(snapshot)
    }

    /// For a snapshot read in a scope, tells a linked person who left the scope from one who is
    /// gone: each of the `linked` records missing from it is read on its own
    /// ([`Directory::get`], [`LOOK_UP_CONCURRENCY`] at once). One that exists is added, outside
    /// the scope (or excluded, as the directory marks it); one that does not is noted in
    /// [`Snapshot::gone`]. A snapshot of everyone is left as it is: what it lacks is gone.
    ///
    /// # Errors
    /// A look-up failed: nothing is added, since "not read" must never pass for "gone".
    pub async fn look_up_linked(
        &mut self,
        directory: &(impl Directory + ?Sized),
        linked: impl IntoIterator<Item = RecordId>,
    ) -> Result<(), DirectoryError> {
        use futures::{StreamExt, TryStreamExt};
        if self.scope.is_none() {
            return Ok(());
        }
        let held: HashSet<&RecordId> = self.records.iter().map(|r| &r.id).collect();
        let mut missing: Vec<RecordId> =
            linked.into_iter().filter(|id| !held.contains(id)).collect();
        missing.sort();
        missing.dedup();
        let reads: Vec<_> = missing.iter().map(|id| directory.get(id)).collect();
        let found: Vec<Option<Record>> =
            futures::stream::iter(reads).buffered(LOOK_UP_CONCURRENCY).try_collect().await?;
        tracing::debug!(looked_up = missing.len(), "linked records outside the scoped read");
        for (id, record) in missing.into_iter().zip(found) {
            match record {
                // Left out of the scoped read, it is outside the scope, whatever a later read
                // says: one who joined the scope meanwhile is synced next time.
                Some(record) if record.scope.is_in() => self.records.push(record.out_of_scope()),
                Some(record) => self.records.push(record),
                None => self.gone.push(id),
            }
        }
        Ok(())
    }

    /// Brings a snapshot kept from an earlier run up to date with a directory's changes.
    pub fn apply_changes(&mut self, changes: Changes) {
        if changes.full_read.is_some() {
            self.records = changes.changed;
            return;
        }
        let mut index: HashMap<RecordId, usize> =
            self.records.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        for record in changes.changed {
            match index.get(&record.id) {
                Some(&i) => self.records[i] = record,
                None => {
                    index.insert(record.id.clone(), self.records.len());
                    self.records.push(record);
                }
            }
        }
        let removed: std::collections::HashSet<RecordId> = changes.removed.into_iter().collect();
        self.records.retain(|r| !removed.contains(&r.id));
    }
}

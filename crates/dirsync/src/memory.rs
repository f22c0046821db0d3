//! A real, in-memory directory: for tests, demos and users' own tests.

use crate::directory::same_person;
use crate::{
    Capabilities, Changes, Cursor, Directory, DirectoryError, ErrorKind, FieldChange, FieldValue,
    IncrementalDirectory, Person, Record, RecordId,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

/// A directory held in memory that behaves like a real one: it refuses writes to read-only or
/// unwritable fields, values over its limits and values with control characters, refuses a second
/// person with the same email, and keeps a change feed for incremental reads.
///
/// ```
/// # tokio_test_block_on(async {
/// use dirsync::{
///     directory::{Directory, FieldChange, InMemoryDirectory, Record},
///     model::{Field, FieldValue, Person},
/// };
/// let dir = InMemoryDirectory::new([Record::new("u1", Person::new().with_given_name("Ada"))]);
/// dir.update(&"u1".into(), &[FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) }])
///     .await?;
/// let ada = dir.get(&"u1".into()).await?.expect("u1 exists");
/// assert_eq!(ada.person.job_title(), Some("CTO"));
/// # Ok::<(), dirsync::directory::DirectoryError>(())
/// # }).unwrap();
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     futures::executor::block_on(f)
/// # }
/// ```
#[derive(Debug)]
pub struct InMemoryDirectory {
    name: String,
    capabilities: Capabilities,
    /// The scope it reads, when it reads one ([`InMemoryDirectory::with_scope`]).
    scope: Option<String>,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    records: BTreeMap<RecordId, Entry>,
    /// Records whose writes are refused, and with what.
    refused: BTreeMap<RecordId, (ErrorKind, String)>,
    /// Reads (snapshot, get) refused, and with what.
    reads_refused: Option<(ErrorKind, String)>,
    /// How often each record's sessions were revoked.
    revoked: BTreeMap<RecordId, usize>,
    removed: BTreeMap<RecordId, u64>,
    sequence: u64,
    next_id: u64,
}

#[derive(Debug, Clone)]
struct Entry {
    record: Record,
    changed_at: u64,
}

impl Default for InMemoryDirectory {
    fn default() -> Self {
        Self::new([])
    }
}

impl InMemoryDirectory {
    /// A directory holding `records`, with default capabilities.
    pub fn new(records: impl IntoIterator<Item = Record>) -> Self {
        Self::with_capabilities(Capabilities::default(), records)
    }

    /// A directory holding `records` that keeps to `capabilities`.
    pub fn with_capabilities(
        capabilities: Capabilities,
        records: impl IntoIterator<Item = Record>,
    ) -> Self {
        let name = "in-memory directory".to_owned();
        let dir = InMemoryDirectory { name, capabilities, scope: None, inner: Mutex::default() };
        {
            let mut inner = dir.lock();
            for record in records {
                inner.put(record);
            }
        }
        dir
    }

    /// The same directory under `name`, the name its plans and reports use (the default is
    /// "in-memory directory").
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The same directory reading a scope, described as `description`, as the adapters of real
    /// services do (see [`Directory::scope`]): each record stands where it is stored
    /// ([`Record::scope`]; put one [out of scope](Record::out_of_scope) to move it out), and a
    /// snapshot holds those in the scope and those excluded; a get or a search finds anyone.
    /// Incremental reads of a scoped directory are full reads of the scope.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use dirsync::{
    ///     directory::{Directory, InMemoryDirectory, Record},
    ///     model::Person,
    /// };
    /// let dir = InMemoryDirectory::new([
    ///     Record::new("u1", Person::new().with_given_name("Ada")),
    ///     Record::new("u2", Person::new().with_given_name("Bo")).out_of_scope(),
    /// ])
    /// .with_scope("company A");
    /// assert_eq!(dir.snapshot().await?.len(), 1);
    /// assert!(dir.get(&"u2".into()).await?.is_some_and(|bo| !bo.scope.is_in()));
    /// # Ok::<(), dirsync::directory::DirectoryError>(())
    /// # }).unwrap();
    /// ```
    #[must_use]
    pub fn with_scope(mut self, description: impl Into<String>) -> Self {
        self.scope = Some(description.into());
        self
    }

    /// The records a snapshot holds: every one, or in a scope those in it and those excluded.
    fn in_snapshot(&self) -> Vec<Record> {
        let scoped = self.scope.is_some();
        let inner = self.lock();
        let records = inner.records.values().map(|e| &e.record);
        records.filter(|r| !scoped || r.scope != crate::ScopeStatus::Out).cloned().collect()
    }

    /// Every record, in id order.
    pub fn records(&self) -> Vec<Record> {
        self.lock().records.values().map(|e| e.record.clone()).collect()
    }

    /// Adds or replaces a record, as if someone changed it in the directory.
    pub fn put(&self, record: Record) {
        self.lock().put(record);
    }

    /// Removes a record, as if someone deleted it in the directory.
    pub fn remove(&self, id: &RecordId) -> Option<Record> {
        let mut inner = self.lock();
        let entry = inner.records.remove(id)?;
        inner.sequence += 1;
        let at = inner.sequence;
        inner.removed.insert(id.clone(), at);
        Some(entry.record)
    }

    /// Refuses every write to `id` (updates, account changes) with an error of `kind`, as a
    /// directory refuses an administrator's account to an app without the rights to change it;
    /// until [`InMemoryDirectory::allow`].
    pub fn refuse(&self, id: &RecordId, kind: ErrorKind, message: impl Into<String>) {
        self.lock().refused.insert(id.clone(), (kind, message.into()));
    }

    /// Takes back [`InMemoryDirectory::refuse`].
    pub fn allow(&self, id: &RecordId) {
        self.lock().refused.remove(id);
    }

    /// Refuses every read (a snapshot, a get) with an error of `kind`, as a directory whose
    /// credentials expired does; until [`InMemoryDirectory::allow_reads`].
    pub fn refuse_reads(&self, kind: ErrorKind, message: impl Into<String>) {
        self.lock().reads_refused = Some((kind, message.into()));
    }

    /// Takes back [`InMemoryDirectory::refuse_reads`].
    pub fn allow_reads(&self) {
        self.lock().reads_refused = None;
    }

    fn check_readable(&self) -> Result<(), DirectoryError> {
        match &self.lock().reads_refused {
            Some((kind, message)) => Err(DirectoryError::new(*kind, message.clone())),
            None => Ok(()),
        }
    }

    /// How many times `id`'s sign-in sessions were revoked.
    pub fn sessions_revoked(&self, id: &RecordId) -> usize {
        self.lock().revoked.get(id).copied().unwrap_or(0)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave a record half-written, so the data is usable.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn check_writable(&self, record: &Record, change: &FieldChange) -> Result<(), DirectoryError> {
        let field = change.field;
        if !self.capabilities.writable.contains(field) || record.read_only.contains(field) {
            return Err(DirectoryError::new(
                ErrorKind::PermissionDenied,
                format!("{field} of {} is read-only in this directory", record.id),
            ));
        }
        if let Some(invalid) = crate::InvalidCharacters::find(field, change.value.as_ref()) {
            return Err(DirectoryError::from_source(ErrorKind::InvalidValue, invalid));
        }
        self.capabilities
            .check(field, change.value.as_ref())
            .map_err(|e| DirectoryError::from_source(ErrorKind::InvalidValue, e))
    }
}

impl Inner {
    /// The record `id`, unless it is missing or its writes are refused.
    fn writable(&self, id: &RecordId) -> Result<&Record, DirectoryError> {
        if let Some((kind, message)) = self.refused.get(id) {
            return Err(DirectoryError::new(*kind, message.clone()));
        }
        match self.records.get(id) {
            Some(entry) => Ok(&entry.record),
            None => Err(DirectoryError::new(ErrorKind::NotFound, format!("{id} does not exist"))),
        }
    }

    fn put(&mut self, record: Record) {
        self.sequence += 1;
        self.removed.remove(&record.id);
        let changed_at = self.sequence;
        self.records.insert(record.id.clone(), Entry { record, changed_at });
    }
}

#[async_trait]
impl Directory for InMemoryDirectory {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities.clone()
    }

    fn scope(&self) -> Option<String> {
        self.scope.clone()
    }

    async fn snapshot(&self) -> Result<Vec<Record>, DirectoryError> {
        self.check_readable()?;
        Ok(self.in_snapshot())
    }

    async fn get(&self, id: &RecordId) -> Result<Option<Record>, DirectoryError> {
        self.check_readable()?;
        Ok(self.lock().records.get(id).map(|e| e.record.clone()))
    }

    async fn create(&self, person: &Person) -> Result<Record, DirectoryError> {
        if !self.capabilities.can_create {
            return Err(DirectoryError::new(
                ErrorKind::PermissionDenied,
                "this directory does not allow creating people",
            ));
        }
        let mut inner = self.lock();
        if let Some(twin) = inner.records.values().find(|e| {
            e.record.person.email_key().is_some()
                && e.record.person.email_key() == person.email_key()
        }) {
            return Err(DirectoryError::new(
                ErrorKind::AlreadyExists,
                format!("{} already has the email of the person to create", twin.record.id),
            ));
        }
        inner.next_id += 1;
        let id = RecordId::new(format!("mem-{}", inner.next_id));
        let record = Record::new(id, person.clone());
        inner.put(record.clone());
        Ok(record)
    }

    async fn update(&self, id: &RecordId, changes: &[FieldChange]) -> Result<(), DirectoryError> {
        let mut inner = self.lock();
        let mut record = inner.writable(id)?.clone();
        for change in changes {
            self.check_writable(&record, change)?;
            record
                .person
                .set(change.field, change.value.clone())
                .map_err(|e| DirectoryError::from_source(ErrorKind::InvalidValue, e))?;
            // A write replaces an invalid value, except an address written without a country:
            // like the real directories, an absent part is left as it was, invalid or not.
            let keeps_invalid =
                matches!(&change.value, FieldValue::Address(a) if a.country().is_none());
            if !keeps_invalid {
                record.invalid.retain(|v| v.field != change.field);
            }
        }
        inner.put(record);
        Ok(())
    }

    async fn set_enabled(&self, id: &RecordId, enabled: bool) -> Result<(), DirectoryError> {
        let mut inner = self.lock();
        let mut record = inner.writable(id)?.clone();
        record.active = enabled;
        inner.put(record);
        Ok(())
    }

    async fn revoke_sessions(&self, id: &RecordId) -> Result<(), DirectoryError> {
        let mut inner = self.lock();
        inner.writable(id)?;
        *inner.revoked.entry(id.clone()).or_default() += 1;
        Ok(())
    }

    async fn find_matching(&self, person: &Person) -> Result<Vec<Record>, DirectoryError> {
        let inner = self.lock();
        Ok(inner
            .records
            .values()
            .filter(|e| same_person(&e.record.person, person))
            .map(|e| e.record.clone())
            .collect())
    }
}

#[async_trait]
impl IncrementalDirectory for InMemoryDirectory {
    async fn changes_since(&self, cursor: Option<&Cursor>) -> Result<Changes, DirectoryError> {
        if self.scope.is_some() {
            let changed = self.in_snapshot();
            let cursor = Cursor::new(self.lock().sequence.to_string());
            let full_read = Some("a scoped directory is read in full each time".to_owned());
            return Ok(Changes { changed, removed: Vec::new(), cursor, full_read });
        }
        let inner = self.lock();
        let now = Cursor::new(inner.sequence.to_string());
        let since = match cursor.map(|c| c.as_str().parse::<u64>()) {
            Some(Ok(since)) if since <= inner.sequence => since,
            other => {
                let reason = match other {
                    None => "no cursor yet",
                    _ => "the cursor is not one this directory gave",
                };
                return Ok(Changes {
                    changed: inner.records.values().map(|e| e.record.clone()).collect(),
                    removed: Vec::new(),
                    cursor: now,
                    full_read: Some(reason.to_owned()),
                });
            }
        };
        Ok(Changes {
            changed: inner
                .records
                .values()
                .filter(|e| e.changed_at > since)
                .map(|e| e.record.clone())
                .collect(),
            removed: inner
                .removed
                .iter()
                .filter(|(_, at)| **at > since)
                .map(|(id, _)| id.clone())
                .collect(),
            cursor: now,
            full_read: None,
        })
    }
}

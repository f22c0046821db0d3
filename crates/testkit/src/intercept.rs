//! A directory around another, for tests that need one to be slow, count its calls or refuse
//! some of them: the test writes only what differs, and everything else is passed on.

use async_trait::async_trait;
use dirsync::{
    directory::{
        Capabilities, Directory, DirectoryError, FieldChange, InMemoryDirectory, Record, RecordId,
    },
    model::Person,
};

/// What a test does around a directory's calls. Every method has a default that lets the call
/// through unchanged; a `before_*` error answers the call without passing it on.
///
/// ```
/// use dirsync::{
///     directory::{DirectoryError, ErrorKind, InMemoryDirectory},
///     model::Person,
/// };
/// use testkit::{Intercept, Intercepted};
///
/// /// A directory that may not create anyone.
/// struct NoCreations;
///
/// #[async_trait::async_trait]
/// impl Intercept for NoCreations {
///     async fn before_create(&self, _: &Person) -> Result<(), DirectoryError> {
///         Err(DirectoryError::new(ErrorKind::PermissionDenied, "no creations (on purpose)"))
///     }
/// }
///
/// let directory = Intercepted::new(InMemoryDirectory::new([]), NoCreations);
/// ```
#[async_trait]
pub trait Intercept: Send + Sync {
    /// Before [`Directory::snapshot`].
    async fn before_snapshot(&self) -> Result<(), DirectoryError> {
        Ok(())
    }

    /// Before [`Directory::get`].
    async fn before_get(&self, _id: &RecordId) -> Result<(), DirectoryError> {
        Ok(())
    }

    /// Before [`Directory::create`].
    async fn before_create(&self, _person: &Person) -> Result<(), DirectoryError> {
        Ok(())
    }

    /// After [`Directory::create`], with what the directory answered; returns what the caller
    /// gets (e.g. an error for a creation whose answer was lost).
    async fn after_create(
        &self,
        _person: &Person,
        created: Result<Record, DirectoryError>,
    ) -> Result<Record, DirectoryError> {
        created
    }

    /// Before [`Directory::update`] (and each update of the default `update_many`).
    async fn before_update(
        &self,
        _id: &RecordId,
        _changes: &[FieldChange],
    ) -> Result<(), DirectoryError> {
        Ok(())
    }

    /// After [`Directory::update`], with what the directory answered.
    async fn after_update(
        &self,
        _id: &RecordId,
        updated: Result<(), DirectoryError>,
    ) -> Result<(), DirectoryError> {
        updated
    }

    /// Before [`Directory::set_enabled`].
    async fn before_set_enabled(&self, _id: &RecordId, _on: bool) -> Result<(), DirectoryError> {
        Ok(())
    }

    /// Before [`Directory::find_matching`].
    async fn before_find_matching(&self, _person: &Person) -> Result<(), DirectoryError> {
        Ok(())
    }
}

/// `inner` with `hooks` around its calls; a [`Directory`] itself.
#[derive(Debug)]
pub struct Intercepted<I, D = InMemoryDirectory> {
    /// The directory the calls go to.
    pub inner: D,
    /// What happens around them.
    pub hooks: I,
}

impl<I, D> Intercepted<I, D> {
    /// `inner` with `hooks` around its calls.
    pub fn new(inner: D, hooks: I) -> Self {
        Intercepted { inner, hooks }
    }
}

#[async_trait]
impl<I: Intercept, D: Directory> Directory for Intercepted<I, D> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn snapshot(&self) -> Result<Vec<Record>, DirectoryError> {
        self.hooks.before_snapshot().await?;
        self.inner.snapshot().await
    }

    async fn get(&self, id: &RecordId) -> Result<Option<Record>, DirectoryError> {
        self.hooks.before_get(id).await?;
        self.inner.get(id).await
    }

    async fn create(&self, person: &Person) -> Result<Record, DirectoryError> {
        self.hooks.before_create(person).await?;
        let created = self.inner.create(person).await;
        self.hooks.after_create(person, created).await
    }

    async fn update(&self, id: &RecordId, changes: &[FieldChange]) -> Result<(), DirectoryError> {
        self.hooks.before_update(id, changes).await?;
        let updated = self.inner.update(id, changes).await;
        self.hooks.after_update(id, updated).await
    }

    async fn set_enabled(&self, id: &RecordId, enabled: bool) -> Result<(), DirectoryError> {
        self.hooks.before_set_enabled(id, enabled).await?;
        self.inner.set_enabled(id, enabled).await
    }

    async fn revoke_sessions(&self, id: &RecordId) -> Result<(), DirectoryError> {
        self.inner.revoke_sessions(id).await
    }

    async fn find_matching(&self, person: &Person) -> Result<Vec<Record>, DirectoryError> {
        self.hooks.before_find_matching(person).await?;
        self.inner.find_matching(person).await
    }
}

//! [`dirsync::directory::Directory`] for the users of a SCIM 2.0 service provider.

use crate::client::{PatchOperation, ScimClient};
use crate::errors::ScimError;
use crate::mapping::{self, ENTERPRISE_USER, StartDateAttribute, filter_value};
use async_trait::async_trait;
use dirsync::{
    directory::{
        Capabilities, Directory, DirectoryError, FieldChange, Limits, Record, RecordId, same_person,
    },
    model::{Field, FieldSet, Person},
    plan::ScopeStatus,
};
use dirsync_runtime::ErrorDetails;
use tracing::Instrument;

/// How a SCIM provider's users become records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimDirectoryConfig {
    /// The name people know the provider by ("Slack", "Zoom"): plans, reports and errors use it
    /// (default "SCIM").
    pub name: String,
    /// The attribute that holds the employment start date; `None` (the default): the provider
    /// keeps no start date, and the field is not synced to it.
    pub start_date: Option<StartDateAttribute>,
    /// How many users to ask for per page (default 100; never more than the provider's
    /// `maxResults`).
    pub page_size: u32,
    /// The scope: a SCIM filter expression the provider's users in it match (`title eq
    /// "Engineer"`, `userType eq "Employee"`); `None` (the default): every user.
    pub filter: Option<String>,
}

impl Default for ScimDirectoryConfig {
    fn default() -> Self {
        ScimDirectoryConfig {
            name: "SCIM".to_owned(),
            start_date: None,
            page_size: 100,
            filter: None,
        }
    }
}

/// The users of a SCIM 2.0 service provider as a [`dirsync::directory::Directory`].
///
/// It adapts to what the provider's `/ServiceProviderConfig` says: a change is a `PATCH` of the
/// changed attributes when PATCH is supported, else a `PUT` of the whole user as just read; writes
/// carry `If-Match` when the provider versions users with ETags, so a user changed at the provider
/// since it was read is never overwritten (the write fails, and the next sync plans anew);
/// [`Directory::find_matching`] searches with a filter when filtering is supported, else reads
/// every user.
///
/// With a scope ([`ScimDirectoryConfig::filter`]), a snapshot lists the users matching the
/// filter; a provider that cannot filter, or refuses the expression, fails the read
/// ([`ScimError::ScopeFilter`]) rather than read everyone. A user read by id or found by a
/// search is marked in or outside the scope by a search for that user within the filter.
#[derive(Debug, Clone)]
pub struct ScimDirectory {
    client: ScimClient,
    config: ScimDirectoryConfig,
}

impl ScimDirectory {
    /// The directory over `client`.
    pub fn new(client: ScimClient, config: ScimDirectoryConfig) -> ScimDirectory {
        ScimDirectory { client, config }
    }

    /// The client underneath.
    pub fn client(&self) -> &ScimClient {
        &self.client
    }

    fn record(&self, user: &crate::ScimUser) -> Record {
        mapping::to_record(user, self.config.start_date.as_ref())
    }

    async fn all(&self) -> Result<Vec<Record>, ScimError> {
        let users = self.client.list_users(None, self.config.page_size).await?;
        Ok(users.iter().map(|u| self.record(u)).collect())
    }

    /// The users of the scope: those matching its filter, or everyone.
    async fn in_scope(&self) -> Result<Vec<Record>, ScimError> {
        let Some(filter) = &self.config.filter else { return self.all().await };
        let refused = |reason: String| ScimError::ScopeFilter { filter: filter.clone(), reason };
        if !self.client.features().await?.filter {
            return Err(refused("the provider does not support filters".to_owned()));
        }
        match self.client.list_users(Some(filter), self.config.page_size).await {
            Ok(users) => Ok(users.iter().map(|u| self.record(u)).collect()),
            Err(ScimError::FilterRefused { details }) => Err(refused(details.to_string())),
            Err(e) => Err(e),
        }
    }

    /// `records` marked in or outside the scope, each by a search for it within the filter.
    async fn mark(&self, records: Vec<Record>) -> Result<Vec<Record>, ScimError> {
        let Some(filter) = &self.config.filter else { return Ok(records) };
        let mut marked = Vec::with_capacity(records.len());
        for record in records {
            let within = format!("id eq {} and ({filter})", filter_value(record.id.as_str()));
            let found = self.client.list_users(Some(&within), self.config.page_size).await?;
            let status = if found.is_empty() { ScopeStatus::Out } else { ScopeStatus::In };
            marked.push(record.with_scope(status));
        }
        Ok(marked)
    }

    async fn write(&self, id: &RecordId, changes: &[FieldChange]) -> Result<(), ScimError> {
        if changes.is_empty() {
            return Ok(()); // An empty PATCH is refused by some providers, and changes nothing.
        }
        let start_date = self.config.start_date.as_ref();
        self.edit(id, |resource| mapping::apply_changes(resource, changes, start_date)).await
    }

    /// Sets the user's `active` attribute: SCIM's way to disable an account without deleting it.
    async fn set_active(&self, id: &RecordId, active: bool) -> Result<(), ScimError> {
        self.edit(id, |resource| {
            if let Some(user) = resource.as_object_mut() {
                user.insert("active".to_owned(), serde_json::Value::Bool(active));
            }
            Ok(vec![PatchOperation::replace("active", serde_json::Value::Bool(active))])
        })
        .await
    }

    /// Reads the user, lets `edit` change the resource and name the PATCH operations, then writes
    /// it the way the provider supports: PATCH, else PUT of the whole user; with `If-Match` when
    /// the provider uses ETags.
    async fn edit(
        &self,
        id: &RecordId,
        edit: impl FnOnce(&mut serde_json::Value) -> Result<Vec<PatchOperation>, ScimError>,
    ) -> Result<(), ScimError> {
        let features = self.client.features().await?;
        let Some(user) = self.client.get_user(id.as_str()).await? else {
            return Err(ScimError::NotFound {
                details: Box::new(ErrorDetails {
                    message: Some(format!("user {id} no longer exists")),
                    ..ErrorDetails::default()
                }),
            });
        };
        let mut resource = user.resource;
        let operations = edit(&mut resource)?;
        let if_match = user.etag.as_deref().filter(|_| features.etag);
        if features.patch {
            self.client.patch_user(&user.id, &operations, if_match).await
        } else {
            if let Some(map) = resource.as_object_mut() {
                map.remove("meta");
            }
            self.client.replace_user(&user.id, &resource, if_match).await
        }
    }

    async fn search(&self, person: &Person) -> Result<Vec<Record>, ScimError> {
        let mut terms = Vec::new();
        if let Some(email) = person.email() {
            terms.push(format!("userName eq {}", filter_value(email)));
            terms.push(format!("emails.value eq {}", filter_value(email)));
        }
        if let Some(id) = person.employment_id() {
            terms.push(format!("{ENTERPRISE_USER}:employeeNumber eq {}", filter_value(id)));
        }
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let records = if self.client.features().await?.filter {
            match self.client.list_users(Some(&terms.join(" or ")), self.config.page_size).await {
                Ok(users) => users.iter().map(|u| self.record(u)).collect(),
                // A provider that cannot answer this filter is still searched, by reading everyone.
                Err(ScimError::FilterRefused { details }) => {
                    tracing::info!(%details, "the user filter was refused; reading every user");
                    self.all().await?
                }
                Err(e) => return Err(e),
            }
        } else {
            self.all().await?
        };
        // The provider's filter is the coarse step; the core's rule decides.
        let found = records.into_iter().filter(|r| same_person(&r.person, person)).collect();
        self.mark(found).await
    }
}

#[async_trait]
impl Directory for ScimDirectory {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn capabilities(&self) -> Capabilities {
        let mut writable = FieldSet::all();
        if self.config.start_date.is_none() {
            writable.remove(Field::EmploymentStartDate);
        }
        Capabilities {
            writable,
            required_on_create: FieldSet::empty(),
            // A SCIM user must have a userName, and it is the person's email.
            email_required: true,
            can_create: true,
            // `active: false` disables a user; SCIM has no sign-in sessions to revoke.
            can_disable: true,
            can_revoke_sessions: false,
            limits: Limits::default(),
        }
    }

    fn scope(&self) -> Option<String> {
        let filter = self.config.filter.as_ref()?;
        Some(format!("the users of {} matching the filter {filter}", self.config.name))
    }

    async fn snapshot(&self) -> Result<Vec<Record>, DirectoryError> {
        let span = tracing::info_span!("scim_snapshot", provider = %self.config.name);
        Ok(self.in_scope().instrument(span).await?)
    }

    async fn get(&self, id: &RecordId) -> Result<Option<Record>, DirectoryError> {
        let user = self.client.get_user(id.as_str()).await?;
        let records = user.map(|u| self.record(&u)).into_iter().collect();
        Ok(self.mark(records).await?.pop())
    }

    async fn create(&self, person: &Person) -> Result<Record, DirectoryError> {
        let body = mapping::new_user(person, self.config.start_date.as_ref())?;
        let span = tracing::info_span!("scim_create", provider = %self.config.name);
        let created = self.client.create_user(&body).instrument(span).await?;
        tracing::info!(id = %created.id, "created SCIM user");
        Ok(self.record(&created))
    }

    async fn update(&self, id: &RecordId, changes: &[FieldChange]) -> Result<(), DirectoryError> {
        let span = tracing::info_span!("scim_update", provider = %self.config.name, %id);
        Ok(self.write(id, changes).instrument(span).await?)
    }

    async fn set_enabled(&self, id: &RecordId, enabled: bool) -> Result<(), DirectoryError> {
        let span =
            tracing::info_span!("scim_set_active", provider = %self.config.name, %id, enabled);
        Ok(self.set_active(id, enabled).instrument(span).await?)
    }

    async fn find_matching(&self, person: &Person) -> Result<Vec<Record>, DirectoryError> {
        let span = tracing::info_span!("scim_find", provider = %self.config.name);
        Ok(self.search(person).instrument(span).await?)
    }
}

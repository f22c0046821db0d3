//! Huma as a [`dirsync::directory::Directory`].

use crate::lenient::warn_if_unreadable;
use crate::mapping::{SplitChanges, current_position, record_from_details, split_changes};
use crate::model::{PositionUpdateInput, UserInput};
use crate::scope::HumaScope;
use crate::webhook::WebhookEvent;
use crate::{HumaClient, HumaError, HumaUserId, JobTitleId};
use async_trait::async_trait;
use dirsync::{
    directory::{
        Capabilities, Directory, DirectoryError, FieldChange, Limits, Record, RecordId, same_person,
    },
    model::{Field, FieldSet, Person},
};
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use tokio::sync::Mutex;

/// What [`HumaDirectory`] does where Huma needs more than a person's fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HumaDirectoryConfig {
    /// Group UUIDs every new user is added to (may be empty).
    pub groups_for_new_users: Vec<String>,
    /// Whether Huma sends new users an invitation (off by default).
    pub invite: bool,
    /// Whether a job title that does not exist in Huma is created (off by default: the update
    /// then fails with [`HumaError::JobTitleNotFound`]).
    pub create_job_titles: bool,
    /// The people this directory looks after (default: everyone).
    pub scope: HumaScope,
}

/// Huma as a [`Directory`]: every user's details as records, updates through `PATCH /users/{id}`
/// and the current position, creation through `POST /users`.
///
/// With a [`HumaScope`], a snapshot reads the users of its teams, locations and companies
/// through the list's filters (one listing per kind), so a scoped read costs the scope, not the
/// organisation; first it checks that each of them exists (`GET /groups/{id}`), failing with
/// [`HumaError::GroupNotFound`] otherwise. A user read by id or found by a search is marked with
/// where they stand by the groups of their details.
///
/// ```
/// use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig, SecretString};
/// use dirsync::{directory::Directory, model::Field};
/// let client = HumaClient::builder()
///     .credentials("client-id", SecretString::from("client-secret"))
///     .build()?;
/// let huma = HumaDirectory::new(client, HumaDirectoryConfig {
///     create_job_titles: true,
///     ..HumaDirectoryConfig::default()
/// });
/// assert!(huma.capabilities().writable.contains(Field::JobTitle));
/// # Ok::<(), huma_api::HumaError>(())
/// ```
#[derive(Debug)]
pub struct HumaDirectory {
    client: HumaClient,
    config: HumaDirectoryConfig,
    /// Job title ids by lower-case name. The lock is held while a title is looked up or
    /// created, so two updates never create the same title twice.
    job_titles: Mutex<HashMap<String, JobTitleId>>,
}

impl HumaDirectory {
    /// Huma through `client`, configured by `config`.
    pub fn new(client: HumaClient, config: HumaDirectoryConfig) -> Self {
        HumaDirectory { client, config, job_titles: Mutex::new(HashMap::new()) }
    }

    /// The client underneath.
    pub fn client(&self) -> &HumaClient {
        &self.client
    }

    /// Reads one user as a record. A user whose details are JSON of the wrong shape is an
    /// [unreadable](Record::unreadable) record (see
    /// [`record_from_json`](crate::mapping::record_from_json)), and logged.
    ///
    /// # Errors
    /// [`HumaError::NotFound`] when the user does not exist; [`HumaError::Decode`] when the
    /// answer is not JSON; other failures.
    pub async fn record(&self, id: &HumaUserId) -> Result<Record, HumaError> {
        let record = self.client.user_record(id, &self.config.scope).await?;
        warn_if_unreadable(&record);
        Ok(record)
    }

    /// Checks that each team, location and company of the scope exists (`GET /groups/{id}`), a
    /// few at a time: what a program does before it starts, and a scoped snapshot before it
    /// reads.
    ///
    /// # Errors
    /// [`HumaError::GroupNotFound`] naming the first that does not exist; other failures.
    pub async fn check_scope(&self) -> Result<(), HumaError> {
        let groups: Vec<(&'static str, &String)> = self
            .config
            .scope
            .kinds()
            .flat_map(|(kind, ids)| ids.iter().map(move |id| (kind, id)))
            .collect();
        let checks: Vec<_> = groups
            .iter()
            .map(|&(kind, id)| async move {
                match self.client.group_exists(id).await {
                    Err(HumaError::NotFound { .. }) => {
                        Err(HumaError::GroupNotFound { kind, id: id.clone() })
                    }
                    other => other,
                }
            })
            .collect();
        futures::stream::iter(checks)
            .buffered(self.client.max_concurrency())
            .try_collect::<Vec<()>>()
            .await
            .map(|_| ())
    }

    /// One user as a record, or `None` when Huma has no such user.
    async fn find(&self, id: &HumaUserId) -> Result<Option<Record>, HumaError> {
        match self.record(id).await {
            Ok(record) => Ok(Some(record)),
            Err(HumaError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The people a webhook is about, as Huma holds them now (a webhook carries only ids, so each
    /// is read again, [`HumaClient::max_concurrency`] at a time). Users that no longer exist,
    /// as after `users-delete`, are left out.
    ///
    /// # Errors
    /// Any other failed read.
    pub async fn records_for(&self, event: &WebhookEvent) -> Result<Vec<Record>, HumaError> {
        // The reads are built first (a future does nothing until polled): a stream holding a
        // borrowing closure across an await would keep this future from being `Send`, so a web
        // server's handler could not await it.
        let reads: Vec<_> = event.users.iter().map(|user| self.find(&user.id)).collect();
        let found: Vec<Option<Record>> = futures::stream::iter(reads)
            .buffered(self.client.max_concurrency())
            .try_collect()
            .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Applies changes to one user: their own fields first, then the current position.
    ///
    /// # Errors
    /// The first failure; when the user's own fields were already written, the error is
    /// [`HumaError::Incomplete`] and says so.
    pub async fn apply(&self, id: &HumaUserId, changes: &[FieldChange]) -> Result<(), HumaError> {
        let split = split_changes(changes)?;
        if !split.user.is_empty() {
            self.client.update_user(id, &split.user).await?;
        }
        if split.touches_position() {
            self.write_position(id, &split).await.map_err(|e| {
                if split.user.is_empty() {
                    e
                } else {
                    HumaError::Incomplete {
                        done: format!("updated {}'s own fields in Huma", id),
                        source: Box::new(e),
                    }
                }
            })?;
        }
        Ok(())
    }

    /// Writes job title and start date to the user's current position.
    async fn write_position(&self, id: &HumaUserId, split: &SplitChanges) -> Result<(), HumaError> {
        let positions = self.client.positions(id).await?;
        let position = current_position(&positions)
            .ok_or_else(|| HumaError::NoCurrentPosition { user: id.clone() })?;
        let title_id = match &split.job_title {
            Some(name) => Some(self.job_title_id(name).await?),
            None => None,
        };
        let input = PositionUpdateInput { title_id, contract_start_date: split.start_date };
        self.client.update_position(id, &position.id, &input).await
    }

    /// The id of the job title named `name` (letter case ignored, exact case preferred),
    /// created when allowed.
    async fn job_title_id(&self, name: &str) -> Result<JobTitleId, HumaError> {
        let key = name.trim().to_lowercase();
        let mut cache = self.job_titles.lock().await;
        if let Some(id) = cache.get(&key) {
            return Ok(id.clone());
        }
        let found = self.client.job_titles(name).await?;
        let named = |exact: bool| {
            found.iter().find(|t| {
                t.name.as_deref().is_some_and(|n| {
                    if exact { n.trim() == name.trim() } else { n.trim().to_lowercase() == key }
                })
            })
        };
        let existing = named(true).or_else(|| named(false)).and_then(|t| t.id.clone());
        let id = match existing {
            Some(id) => id,
            None if self.config.create_job_titles => {
                tracing::info!(title = name, "creating a job title in Huma");
                let created = self.client.create_job_title(name.trim()).await?;
                created.id.ok_or_else(|| HumaError::Unexpected {
                    status: 200,
                    body: "the created job title has no id".to_owned(),
                })?
            }
            None => return Err(HumaError::JobTitleNotFound { name: name.trim().to_owned() }),
        };
        cache.insert(key, id.clone());
        Ok(id)
    }

    /// Creates `person` in Huma and returns them as Huma now holds them.
    ///
    /// # Errors
    /// A missing email or name, or a refusal; when the user was created but a later step
    /// failed, [`HumaError::Incomplete`] names the new user.
    pub async fn create_person(&self, person: &Person) -> Result<Record, HumaError> {
        let required = |value: Option<&str>, missing| {
            value.map(str::to_owned).ok_or(HumaError::MissingForCreate { missing })
        };
        let input = UserInput {
            email: required(person.email(), "an email")?,
            given_name: required(person.given_name(), "a given name")?,
            family_name: required(person.family_name(), "a family name")?,
            phone: person.phone().map(str::to_owned),
            groups: self.config.groups_for_new_users.clone(),
            invite: self.config.invite,
        };
        let created = self.client.create_user(&input).await?;
        let id = created.id;
        let incomplete = |e: HumaError| HumaError::Incomplete {
            done: format!("created user {id} in Huma"),
            source: Box::new(e),
        };
        // The fields `POST /users` does not take are written like any update.
        let rest: Vec<FieldChange> =
            [Field::EmploymentId, Field::Address, Field::JobTitle, Field::EmploymentStartDate]
                .into_iter()
                .filter_map(|field| {
                    person.get(field).map(|value| FieldChange { field, value: value.to_owned() })
                })
                .collect();
        let split = split_changes(&rest).map_err(incomplete)?;
        if !split.user.is_empty() {
            self.client.update_user(&id, &split.user).await.map_err(incomplete)?;
        }
        let mut details = self.client.user(&id).await.map_err(incomplete)?;
        if split.touches_position() {
            let positions = details.current_positions.as_deref().unwrap_or_default();
            if current_position(positions).is_some() {
                self.write_position(&id, &split).await.map_err(incomplete)?;
                details = self.client.user(&id).await.map_err(incomplete)?;
            } else {
                tracing::warn!(
                    user = %id,
                    "the new user has no position in Huma, so job title and start date are not set"
                );
            }
        }
        Ok(record_from_details(&details))
    }
}

#[async_trait]
impl Directory for HumaDirectory {
    fn name(&self) -> &str {
        "Huma"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            writable: FieldSet::all(),
            required_on_create: FieldSet::empty().with(Field::GivenName).with(Field::FamilyName),
            email_required: true,
            can_create: true,
            can_disable: false,
            can_revoke_sessions: false,
            limits: Limits {
                employment_id: Some(255),
                given_name: Some(255),
                family_name: Some(255),
                phone: Some(255),
                job_title: Some(255),
                postal_code: Some(255),
                city: Some(255),
                // Each street line may hold 255; the limit is per line, not for the street.
                street: None,
                street_line: Some(255),
                // Huma keeps three street lines (`line1`..`line3`).
                street_lines: Some(3),
            },
        }
    }

    /// Every user, each read on its own: a list entry or details of the wrong shape give an
    /// [unreadable](Record::unreadable) record (the entry's id, or a stand-in when it has none)
    /// and the others are read as usual. A page or an answer that is not JSON, or a failed
    /// request, fails the read.
    fn scope(&self) -> Option<String> {
        self.config.scope.describe().map(|scope| format!("{scope} in Huma"))
    }

    /// With a [`HumaScope`]: the users of its teams, locations and companies, after checking
    /// they exist ([`HumaDirectory::check_scope`]).
    async fn snapshot(&self) -> Result<Vec<Record>, DirectoryError> {
        // Each user becomes a record as it arrives: 100k raw details are never all held at once.
        if !self.config.scope.is_everyone() {
            self.check_scope().await?;
        }
        // The reads run as a task of their own, on the workers that read the answers.
        let (client, scope) = (self.client.clone(), self.config.scope.clone());
        let read = async move {
            // Those listed by the scope's filters are in it: their groups need no second look.
            let everyone = HumaScope::default();
            let read = |listed| client.listed_record(listed, &everyone);
            match scope.is_everyone() {
                true => client.map_all_listed(read).await,
                false => client.map_listed(&scope.listings(), read).await,
            }
        };
        Ok(dirsync_runtime::spawned(read).await?)
    }

    async fn get(&self, id: &RecordId) -> Result<Option<Record>, DirectoryError> {
        Ok(self.find(&HumaUserId::from(id)).await?)
    }

    async fn create(&self, person: &Person) -> Result<Record, DirectoryError> {
        Ok(self.create_person(person).await?)
    }

    async fn update(&self, id: &RecordId, changes: &[FieldChange]) -> Result<(), DirectoryError> {
        Ok(self.apply(&HumaUserId::from(id), changes).await?)
    }

    /// Searches by email (Huma's search covers emails; everyone created in Huma has one), then
    /// reads the few users found in full, since only the details carry the employment id. A
    /// person without an email is looked for by reading everyone.
    async fn find_matching(&self, person: &Person) -> Result<Vec<Record>, DirectoryError> {
        let Some(email) = person.email_key() else {
            let records = self.snapshot().await?;
            return Ok(records.into_iter().filter(|r| same_person(&r.person, person)).collect());
        };
        let found = self.client.search_listed(&email).await?;
        // A search finds a handful of people; their reads are built before the first await so
        // that no borrowing closure is held across it (which would make the future non-Send).
        // An unreadable one is found too: it holds the keys that keep a duplicate from being made.
        let reads: Vec<_> = found
            .into_iter()
            .map(|listed| async move {
                match self.client.listed_record(listed, &self.config.scope).await {
                    Ok(record) => Ok(Some(record)),
                    Err(HumaError::NotFound { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            })
            .collect();
        let records = futures::future::try_join_all(reads).await?;
        Ok(records.into_iter().flatten().filter(|r| same_person(&r.person, person)).collect())
    }
}

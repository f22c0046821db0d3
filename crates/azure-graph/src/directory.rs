//! [`dirsync::directory::Directory`] and [`dirsync::directory::IncrementalDirectory`] for Entra ID users.

use crate::client::GraphClient;
use crate::errors::GraphError;
use crate::ids::GraphUserId;
use crate::mapping::{self, GRAPH_LIMITS, PhoneProperty};
use crate::model::UserPatch;
use crate::page::UserEntry;
use crate::password;
use crate::scope::AzureScope;
use crate::users::odata_string;
use async_trait::async_trait;
use dirsync::{
    directory::{
        Capabilities, Changes, Cursor, Directory, DirectoryError, FieldChange,
        IncrementalDirectory, Record, RecordId, same_person,
    },
    model::{FieldSet, Person},
};

/// How people become Azure AD users.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzureDirectoryConfig {
    /// The verified domain new users sign in with: `alias@upn_domain`.
    pub upn_domain: String,
    /// Where the phone number goes (default `mobilePhone`).
    pub phone_property: PhoneProperty,
    /// The length of first passwords (at least 16).
    pub password_length: usize,
    /// The users this directory looks after (default: everyone, nobody excluded).
    pub scope: AzureScope,
}

impl Default for AzureDirectoryConfig {
    fn default() -> Self {
        AzureDirectoryConfig {
            upn_domain: String::new(),
            phone_property: PhoneProperty::MobilePhone,
            password_length: 20,
            scope: AzureScope::default(),
        }
    }
}

/// Azure AD (Entra ID) users as a [`dirsync::directory::Directory`].
///
/// Reads list every user with exactly the mapped properties; `update` is one PATCH;
/// [`AzureDirectory::update_many`] writes through `/$batch`; `changes_since` uses `/users/delta`;
/// `set_enabled` PATCHes `accountEnabled` and `revoke_sessions` calls `revokeSignInSessions`
/// (a 403 on an administrator's account is that user's [`GraphError::AccountRefused`]).
///
/// With an [`AzureScope`], a snapshot reads the members of its group (transitive, with the
/// mapped properties, no read per user) or everyone, and the members of each excluded group,
/// marked excluded; a group that does not exist fails the read
/// ([`GraphError::GroupNotFound`]). A user read by id or found by a search is marked with
/// `checkMemberGroups`; a user created is added to the scope's group. Incremental reads of a
/// scoped directory are full reads of the scope, since delta query reads the whole tenant.
#[derive(Debug, Clone)]
pub struct AzureDirectory {
    client: GraphClient,
    config: AzureDirectoryConfig,
    select: Vec<&'static str>,
}

impl AzureDirectory {
    /// The directory over `client`.
    pub fn new(client: GraphClient, config: AzureDirectoryConfig) -> AzureDirectory {
        let select = mapping::select(config.phone_property);
        AzureDirectory { client, config, select }
    }

    /// The client underneath.
    pub fn client(&self) -> &GraphClient {
        &self.client
    }

    /// Writes many updates through `/$batch` (20 per batch) and returns one result per update, in
    /// order. One user's failure (a 403 on an admin's phone, a 404) fails that user only; inner
    /// 429s are sent again on their own once their `Retry-After` has passed (see
    /// [`GraphClient::update_users`]).
    pub async fn update_many(
        &self,
        updates: &[(RecordId, Vec<FieldChange>)],
    ) -> Vec<Result<(), DirectoryError>> {
        let mut results: Vec<Option<Result<(), DirectoryError>>> =
            Vec::with_capacity(updates.len());
        let mut batch: Vec<(GraphUserId, UserPatch)> = Vec::new();
        let mut slots: Vec<usize> = Vec::new();
        for (i, (id, changes)) in updates.iter().enumerate() {
            match mapping::patch_for(changes, self.config.phone_property) {
                Ok(patch) => {
                    results.push(None);
                    slots.push(i);
                    batch.push((GraphUserId::new(id.as_str()), patch));
                }
                Err(e) => results.push(Some(Err(e.into()))),
            }
        }
        let written = self.client.update_users(&batch).await;
        for (slot, result) in slots.into_iter().zip(written) {
            results[slot] = Some(result.map_err(DirectoryError::from));
        }
        results.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
    }

    fn record(&self, entry: &UserEntry) -> Record {
        entry.to_record(self.config.phone_property)
    }

    /// Checks that each group of the scope exists, one request each: what a program does
    /// before it starts.
    ///
    /// # Errors
    /// [`GraphError::GroupNotFound`] naming the first that does not; other failures.
    pub async fn check_scope(&self) -> Result<(), GraphError> {
        for group in self.config.scope.groups() {
            self.client.check_group(&group).await?;
        }
        Ok(())
    }

    /// The users of the scope, and the excluded ones, marked (see [`AzureScope`]).
    async fn scoped_snapshot(&self) -> Result<Vec<Record>, GraphError> {
        let scope = &self.config.scope;
        let read_members = async {
            match &scope.group {
                Some(group) => self.client.group_users(group, &self.select).await,
                None => self.client.list_users(&self.select).await,
            }
        };
        let read_excluded = futures::future::try_join_all(
            scope.exclude_groups.iter().map(|group| self.client.group_users(group, &self.select)),
        );
        let (members, excluded) = futures::try_join!(read_members, read_excluded)?;
        let mut excluded: std::collections::BTreeMap<GraphUserId, UserEntry> =
            excluded.into_iter().flatten().map(|u| (u.id().clone(), u)).collect();
        let mut records: Vec<Record> = members
            .iter()
            .map(|user| match excluded.remove(user.id()) {
                Some(_) => self.record(user).excluded(),
                None => self.record(user),
            })
            .collect();
        // Excluded users outside the group still keep anyone with their keys from being created.
        records.extend(excluded.values().map(|user| self.record(user).excluded()));
        Ok(records)
    }

    /// `records` marked with where each stands, by `checkMemberGroups` (one request each).
    async fn mark(&self, records: Vec<Record>) -> Result<Vec<Record>, GraphError> {
        let scope = &self.config.scope;
        if scope.is_everyone() {
            return Ok(records);
        }
        let groups = scope.groups();
        let mut marked = Vec::with_capacity(records.len());
        for record in records {
            // One that cannot be read takes no writes whatever its groups (and its id may be
            // made up).
            if record.is_unreadable() {
                marked.push(record);
                continue;
            }
            let user = GraphUserId::new(record.id.as_str());
            let member_of = self.client.member_groups(&user, &groups).await?;
            marked.push(record.with_scope(scope.status(&member_of)));
        }
        Ok(marked)
    }

    async fn full_read(&self, reason: String) -> Result<Changes, DirectoryError> {
        tracing::info!(%reason, "reading every Azure AD user");
        let round = self.client.users_delta(&self.select, None).await?;
        Ok(Changes {
            changed: round.users.iter().map(|u| self.record(u)).collect(),
            removed: Vec::new(),
            cursor: Cursor::new(round.delta_link),
            full_read: Some(reason),
        })
    }
}

#[async_trait]
impl Directory for AzureDirectory {
    fn name(&self) -> &str {
        "Azure AD"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            writable: FieldSet::all(),
            // Creation needs an email or a given/family name (for the sign-in name and the display
            // name); no single field is required, so the create error says so instead.
            required_on_create: FieldSet::empty(),
            email_required: false,
            can_create: true,
            can_disable: true,
            can_revoke_sessions: true,
            limits: GRAPH_LIMITS,
        }
    }

    fn scope(&self) -> Option<String> {
        self.config.scope.describe()
    }

    async fn snapshot(&self) -> Result<Vec<Record>, DirectoryError> {
        if !self.config.scope.is_everyone() {
            return Ok(self.scoped_snapshot().await?);
        }
        let users = self.client.list_users(&self.select).await?;
        Ok(users.iter().map(|u| self.record(u)).collect())
    }

    async fn get(&self, id: &RecordId) -> Result<Option<Record>, DirectoryError> {
        let user = self.client.get_user(&GraphUserId::new(id.as_str()), &self.select).await?;
        let Some(record) = user.map(|u| self.record(&u)) else { return Ok(None) };
        Ok(self.mark(vec![record]).await?.pop())
    }

    async fn create(&self, person: &Person) -> Result<Record, DirectoryError> {
        let new = mapping::new_user(
            person,
            &self.config.upn_domain,
            self.config.phone_property,
            password::generate(self.config.password_length),
        )?;
        let upn = new.user_principal_name.clone();
        let created = self.client.create_user(&new).await?;
        tracing::info!(id = %created.id, %upn, "created Azure AD user");
        if let Some(group) = &self.config.scope.group {
            // So that the new user is in the scope, and paired by the next sync.
            self.client.add_group_member(group, &created.id).await.map_err(|e| {
                GraphError::NotAddedToGroup {
                    user: created.id.clone(),
                    group: group.clone(),
                    source: Box::new(e),
                }
            })?;
        }
        let email = person.email().map(str::to_owned).unwrap_or(upn);
        let mut record =
            Record::new(RecordId::new(created.id.as_str()), person.clone().with_email(email));
        record.active = new.account_enabled;
        Ok(record)
    }

    async fn update(&self, id: &RecordId, changes: &[FieldChange]) -> Result<(), DirectoryError> {
        let patch = mapping::patch_for(changes, self.config.phone_property)?;
        self.client.update_user(&GraphUserId::new(id.as_str()), &patch).await?;
        Ok(())
    }

    async fn set_enabled(&self, id: &RecordId, enabled: bool) -> Result<(), DirectoryError> {
        self.client.set_account_enabled(&GraphUserId::new(id.as_str()), enabled).await?;
        Ok(())
    }

    async fn revoke_sessions(&self, id: &RecordId) -> Result<(), DirectoryError> {
        self.client.revoke_sign_in_sessions(&GraphUserId::new(id.as_str())).await?;
        Ok(())
    }

    fn batch_size(&self) -> usize {
        crate::batch::MAX_BATCH
    }

    async fn update_many(
        &self,
        updates: &[(RecordId, Vec<FieldChange>)],
    ) -> Vec<Result<(), DirectoryError>> {
        AzureDirectory::update_many(self, updates).await
    }

    async fn find_matching(&self, person: &Person) -> Result<Vec<Record>, DirectoryError> {
        let mut terms = Vec::new();
        if let Some(id) = person.employment_id() {
            terms.push(format!("employeeId eq {}", odata_string(id)));
        }
        if let Some(email) = person.email() {
            terms.push(format!("mail eq {}", odata_string(email)));
            terms.push(format!("userPrincipalName eq {}", odata_string(email)));
        }
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let users = match self.client.find_users(&terms.join(" or "), &self.select).await {
            Ok(users) => users,
            // A service that refuses the advanced query (400 Request_UnsupportedQuery) is still
            // searched: by reading everyone, as the trait's default does.
            Err(GraphError::Rejected { details, .. }) => {
                tracing::info!(%details, "the user filter was refused; reading every user instead");
                self.client.list_users(&self.select).await?
            }
            Err(e) => return Err(e.into()),
        };
        // Graph's filter is the coarse step; the core's rule decides.
        let found: Vec<Record> = users
            .iter()
            .map(|u| self.record(u))
            .filter(|r| same_person(&r.person, person))
            .collect();
        Ok(self.mark(found).await?)
    }
}

#[async_trait]
impl IncrementalDirectory for AzureDirectory {
    async fn changes_since(&self, cursor: Option<&Cursor>) -> Result<Changes, DirectoryError> {
        if !self.config.scope.is_everyone() {
            return Ok(Changes {
                changed: self.scoped_snapshot().await?,
                removed: Vec::new(),
                cursor: cursor.cloned().unwrap_or_else(|| Cursor::new("scope")),
                full_read: Some(
                    "a scoped Azure AD is read in full each time: delta query reads the whole \
                     tenant"
                        .to_owned(),
                ),
            });
        }
        let Some(cursor) = cursor else {
            return self
                .full_read("no delta token yet: every Azure AD user was read".to_owned())
                .await;
        };
        if self.client.check_link(cursor.as_str()).is_err() {
            return self
                .full_read(
                    "the saved cursor is not a delta link of the configured Graph service: every \
                     Azure AD user was read again"
                        .to_owned(),
                )
                .await;
        }
        match self.client.users_delta(&self.select, Some(cursor.as_str())).await {
            Ok(round) => Ok(Changes {
                changed: round.users.iter().map(|u| self.record(u)).collect(),
                removed: round.removed.into_iter().map(|id| RecordId::new(id.as_str())).collect(),
                cursor: Cursor::new(round.delta_link),
                full_read: None,
            }),
            Err(GraphError::DeltaExpired { details }) => {
                tracing::warn!(%details, "the delta token expired; reading everything");
                self.full_read(format!(
                    "the saved Azure delta token has expired ({details}): every Azure AD user was \
                     read again"
                ))
                .await
            }
            Err(e) => Err(e.into()),
        }
    }
}

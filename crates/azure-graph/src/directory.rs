//! [`dirsync::Directory`] and [`dirsync::IncrementalDirectory`] for Entra ID users.

use crate::client::GraphClient;
use crate::errors::GraphError;
use crate::ids::GraphUserId;
use crate::mapping::{self, GRAPH_LIMITS, PhoneProperty};
use crate::model::UserPatch;
use crate::page::UserEntry;
use crate::password;
use crate::users::odata_string;
use async_trait::async_trait;
use dirsync::{
    Capabilities, Changes, Cursor, Directory, DirectoryError, FieldChange, FieldSet,
    IncrementalDirectory, Person, Record, RecordId, same_person,
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
}

impl Default for AzureDirectoryConfig {
    fn default() -> Self {
        AzureDirectoryConfig {
            upn_domain: String::new(),
            phone_property: PhoneProperty::MobilePhone,
            password_length: 20,
        }
    }
}

/// Azure AD (Entra ID) users as a [`dirsync::Directory`].
///
/// Reads list every user with exactly the mapped properties; `update` is one PATCH;
/// [`AzureDirectory::update_many`] writes through `/$batch`; `changes_since` uses `/users/delta`;
/// `set_enabled` PATCHes `accountEnabled` and `revoke_sessions` calls `revokeSignInSessions`
/// (a 403 on an administrator's account is that user's [`GraphError::AccountRefused`]).
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

    async fn snapshot(&self) -> Result<Vec<Record>, DirectoryError> {
        let users = self.client.list_users(&self.select).await?;
        Ok(users.iter().map(|u| self.record(u)).collect())
    }

    async fn get(&self, id: &RecordId) -> Result<Option<Record>, DirectoryError> {
        let user = self.client.get_user(&GraphUserId::new(id.as_str()), &self.select).await?;
        Ok(user.map(|u| self.record(&u)))
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
        Ok(users
            .iter()
            .map(|u| self.record(u))
            .filter(|r| same_person(&r.person, person))
            .collect())
    }
}

#[async_trait]
impl IncrementalDirectory for AzureDirectory {
    async fn changes_since(&self, cursor: Option<&Cursor>) -> Result<Changes, DirectoryError> {
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

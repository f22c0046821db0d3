//! The two directories made from the settings: Huma, and the identity directory (Azure AD, or
//! a SCIM 2.0 provider).

use crate::error::ConnectError;
use crate::secrets::Secrets;
use crate::settings::{AzureAppSettings, ConnectionSettings, IdpKind};
use azure_graph::{AzureDirectory, AzureDirectoryConfig, GraphClient, GraphError};
use dirsync::directory::{Directory, DirectoryError, ErrorChain};
use dirsync_scim::{ScimClient, ScimDirectory, ScimDirectoryConfig};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig};
use secrecy::SecretString;
use std::fmt;
use std::sync::Arc;

/// What the directories need beyond the connection: how new people are made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewPeople {
    /// The domain of new Azure AD users' sign-in names.
    pub upn_domain: String,
    /// Group UUIDs new Huma users are added to.
    pub huma_groups: Vec<String>,
    /// Whether a missing job title is created in Huma.
    pub create_job_titles: bool,
}

/// Huma and the identity directory, ready to read and write.
#[derive(Debug)]
pub struct Directories {
    /// Huma, the HR side.
    pub huma: HumaDirectory,
    /// The identity-provider side: Azure AD or a SCIM provider.
    pub idp: IdentityDirectory,
}

/// The identity directory kept in step with Huma.
#[derive(Debug)]
pub enum IdentityDirectory {
    /// Azure AD / Entra ID.
    Azure(AzureDirectory),
    /// A SCIM 2.0 service provider.
    Scim(ScimDirectory),
}

impl IdentityDirectory {
    /// The directory, for the engine.
    pub fn directory(&self) -> &dyn Directory {
        match self {
            IdentityDirectory::Azure(azure) => azure,
            IdentityDirectory::Scim(scim) => scim,
        }
    }

    /// The directory, to share (a receiver or a page keeps it across requests).
    pub fn shared(self) -> Arc<dyn Directory> {
        match self {
            IdentityDirectory::Azure(azure) => Arc::new(azure),
            IdentityDirectory::Scim(scim) => Arc::new(scim),
        }
    }

    /// The Microsoft Graph client, when the identity directory is Azure AD (the report email
    /// can be sent through it).
    pub fn graph(&self) -> Option<&GraphClient> {
        match self {
            IdentityDirectory::Azure(azure) => Some(azure.client()),
            IdentityDirectory::Scim(_) => None,
        }
    }
}

impl Directories {
    /// Checks that every group of each side's scope exists (Huma's teams, locations and
    /// companies; Azure AD's groups): what a program that serves does before it starts, since a
    /// read checks them only when it reads.
    ///
    /// # Errors
    /// Naming the first that does not exist, or why it could not be checked.
    pub async fn check_scope(&self) -> Result<(), DirectoryError> {
        self.huma.check_scope().await?;
        if let IdentityDirectory::Azure(azure) = &self.idp {
            azure.check_scope().await?;
        }
        Ok(())
    }

    /// Huma and the identity directory, to share.
    pub fn shared(self) -> (Arc<dyn Directory>, Arc<dyn Directory>) {
        (Arc::new(self.huma), self.idp.shared())
    }
}

fn required(value: &Option<String>, missing: ConnectError) -> Result<String, ConnectError> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).ok_or(missing)
}

/// Builds both directories from the settings and the secrets. No request is made yet.
///
/// Azure AD is reached service to service, or with a user account when
/// [`ConnectionSettings::azure_token_file`] is given: the refresh token is read from that file
/// now, and every new one is written back to it.
///
/// # Errors
/// [`ConnectError`] naming the missing or wrong setting.
///
/// ```
/// use dirsync_connect::{ConnectionSettings, NewPeople, Secrets, SecretString, connect};
///
/// let settings = ConnectionSettings {
///     huma_client_id: Some("huma-client-id".to_owned()),
///     ..ConnectionSettings::default()
/// };
/// let secrets = Secrets {
///     huma_client_secret: Some(SecretString::from("huma-secret")),
///     ..Secrets::default()
/// };
/// // The Azure app is not set up yet: the error says what to set.
/// let refused = connect(&settings, &NewPeople::default(), &secrets).unwrap_err();
/// assert!(refused.to_string().contains("AZURE_TENANT_ID"));
/// ```
pub fn connect(
    settings: &ConnectionSettings,
    new_people: &NewPeople,
    secrets: &Secrets,
) -> Result<Directories, ConnectError> {
    let huma = huma_directory(settings, new_people, secrets)?;
    let idp = match settings.idp {
        IdpKind::Azure => IdentityDirectory::Azure(azure_directory(settings, new_people, secrets)?),
        IdpKind::Scim => IdentityDirectory::Scim(scim_directory(settings, secrets)?),
    };
    tracing::debug!(huma = %settings.huma_url, idp = idp.directory().name(), "directories made");
    Ok(Directories { huma, idp })
}

fn huma_directory(
    settings: &ConnectionSettings,
    new_people: &NewPeople,
    secrets: &Secrets,
) -> Result<HumaDirectory, ConnectError> {
    let huma_id = required(&settings.huma_client_id, ConnectError::MissingHumaClientId)?;
    let huma_secret = secrets.huma_client_secret.clone().ok_or(ConnectError::MissingHumaSecret)?;
    let client = HumaClient::builder()
        .base_url(&settings.huma_url)
        .credentials(huma_id, huma_secret)
        .max_concurrency(settings.huma_concurrency)
        .build()?;
    let config = HumaDirectoryConfig {
        groups_for_new_users: new_people.huma_groups.clone(),
        invite: false,
        create_job_titles: new_people.create_job_titles,
        scope: settings.scope.huma(),
    };
    Ok(HumaDirectory::new(client, config))
}

fn azure_directory(
    settings: &ConnectionSettings,
    new_people: &NewPeople,
    secrets: &Secrets,
) -> Result<AzureDirectory, ConnectError> {
    let config = AzureDirectoryConfig {
        upn_domain: new_people.upn_domain.clone(),
        scope: settings.scope.azure(),
        ..AzureDirectoryConfig::default()
    };
    Ok(AzureDirectory::new(graph_client(settings, secrets)?, config))
}

fn graph_client(
    settings: &ConnectionSettings,
    secrets: &Secrets,
) -> Result<GraphClient, ConnectError> {
    let app = AzureApp::new(&settings.azure, secrets)?;
    let builder = GraphClient::builder()
        .tenant(app.tenant)
        .graph_url(&settings.graph_url)
        .login_url(&settings.azure.login_url)
        .max_concurrency(settings.graph_concurrency);
    let builder = match &settings.azure_token_file {
        None => builder.client_credentials(app.client_id, app.client_secret),
        Some(path) => {
            let file = azure_graph::RefreshTokenFile::new(path);
            let refresh_token = file.read()?;
            builder
                .user_account(app.client_id, app.client_secret, refresh_token)
                // Each refresh replaces the token and the old one stops working: keep the new one.
                .on_refresh_token(move |token| file.write_or_log(token))
        }
    };
    Ok(builder.build()?)
}

fn scim_directory(
    settings: &ConnectionSettings,
    secrets: &Secrets,
) -> Result<ScimDirectory, ConnectError> {
    let url = required(&settings.scim_url, ConnectError::MissingScimUrl)?;
    let token = secrets.scim_token.clone().ok_or(ConnectError::MissingScimToken)?;
    let client = ScimClient::builder().base_url(url).token(token).build()?;
    let name = settings.idp_name().to_owned();
    let filter = settings.scope.scim_filter.clone();
    Ok(ScimDirectory::new(
        client,
        ScimDirectoryConfig { name, filter, ..ScimDirectoryConfig::default() },
    ))
}

/// The Azure app registration: tenant, client id and client secret, all present.
/// `Debug` hides the secret.
pub struct AzureApp {
    /// The Directory (tenant) ID.
    pub tenant: String,
    /// The Application (client) ID.
    pub client_id: String,
    /// The client secret's Value.
    pub client_secret: SecretString,
}

impl fmt::Debug for AzureApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureApp")
            .field("tenant", &self.tenant)
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

impl AzureApp {
    /// The app from the settings and the secrets.
    ///
    /// # Errors
    /// [`ConnectError`] naming the missing setting.
    pub fn new(azure: &AzureAppSettings, secrets: &Secrets) -> Result<AzureApp, ConnectError> {
        let tenant = required(&azure.azure_tenant, ConnectError::MissingAzureTenant)?;
        let client_id = required(&azure.azure_client_id, ConnectError::MissingAzureClientId)?;
        let client_secret =
            secrets.azure_client_secret.clone().ok_or(ConnectError::MissingAzureSecret)?;
        Ok(AzureApp { tenant, client_id, client_secret })
    }
}

/// Whether `error` comes from the refresh token of a user-account connection that expired or
/// was revoked: the person has to sign in again.
pub fn sign_in_expired(error: &DirectoryError) -> bool {
    let inner = error.get_ref().map(|e| e as &(dyn std::error::Error + 'static));
    inner.into_iter().flat_map(|inner| ErrorChain(inner).iter()).any(|e| {
        matches!(e.downcast_ref::<GraphError>(), Some(GraphError::RefreshTokenExpired { .. }))
    })
}

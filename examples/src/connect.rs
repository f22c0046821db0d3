//! Building the two directories from the command line and the environment, or for the fakes:
//! Huma, and the identity directory (Azure AD, or a SCIM 2.0 provider with `--idp scim`).
//!
//! Secrets come from the environment only ([`Secrets::from_env`]), are held as
//! [`SecretString`], and are never printed: not in errors, not in `Debug` output.

use crate::cli::{AzureArgs, ConnectionArgs, IdpKind, PolicyArgs, ScopeArgs};
use crate::token_file;
use azure_graph::{AzureDirectory, AzureDirectoryConfig, AzureScope, GraphClient, GraphError};
use dirsync::directory::{Directory, DirectoryError};
use dirsync_scim::{ScimClient, ScimDirectory, ScimDirectoryConfig, ScimError};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig, HumaScope, SecretString};
use std::fmt;
use std::sync::Arc;
use testkit::{FakeGraph, FakeHuma};

/// The environment variable holding the Huma API key's Client secret.
pub const HUMA_CLIENT_SECRET: &str = "HUMA_CLIENT_SECRET";
/// The environment variable holding the Azure app's client secret (its Value).
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
/// The environment variable holding the SCIM provider's bearer token (`--idp scim`).
pub const SCIM_TOKEN: &str = "SCIM_TOKEN";

/// The secrets a connection needs. `Debug` shows only whether each is set.
#[derive(Clone, Default)]
pub struct Secrets {
    /// The Huma API key's Client secret.
    pub huma_client_secret: Option<SecretString>,
    /// The Azure app's client secret.
    pub azure_client_secret: Option<SecretString>,
    /// The SCIM provider's bearer token.
    pub scim_token: Option<SecretString>,
}

impl Secrets {
    /// The secrets from [`HUMA_CLIENT_SECRET`], [`AZURE_CLIENT_SECRET`] and [`SCIM_TOKEN`];
    /// empty means unset.
    pub fn from_env() -> Self {
        Secrets {
            huma_client_secret: secret_from_env(HUMA_CLIENT_SECRET),
            azure_client_secret: secret_from_env(AZURE_CLIENT_SECRET),
            scim_token: secret_from_env(SCIM_TOKEN),
        }
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &Option<SecretString>| if s.is_some() { "***" } else { "unset" };
        f.debug_struct("Secrets")
            .field("huma_client_secret", &set(&self.huma_client_secret))
            .field("azure_client_secret", &set(&self.azure_client_secret))
            .field("scim_token", &set(&self.scim_token))
            .finish()
    }
}

/// A secret from an environment variable; `None` when unset or blank.
pub fn secret_from_env(name: &str) -> Option<SecretString> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty()).map(SecretString::from)
}

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

impl From<&PolicyArgs> for NewPeople {
    fn from(args: &PolicyArgs) -> Self {
        NewPeople {
            upn_domain: args.upn_domain.clone().unwrap_or_default(),
            huma_groups: args.huma_groups.clone(),
            create_job_titles: args.create_job_titles,
        }
    }
}

/// Huma and the identity directory, ready to read and write.
#[derive(Debug)]
pub struct Directories {
    /// Huma, the HR side.
    pub huma: HumaDirectory,
    /// The identity-provider side: Azure AD or a SCIM provider.
    pub idp: IdentityDirectory,
}

/// The identity directory the programs keep in step with Huma.
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
}

/// The configuration is incomplete or wrong; the message says what to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

fn required(value: &Option<String>, what: &str) -> Result<String, ConfigError> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ConfigError(what.to_owned()))
}

/// Builds both directories from the arguments and the secrets. No request is made yet.
///
/// Azure AD is reached service to service, or with a user account when
/// [`ConnectionArgs::azure_token_file`] is given: the refresh token is read from that file now,
/// and every new one is written back to it.
///
/// # Errors
/// [`ConfigError`] naming the missing or wrong setting.
pub fn connect(
    connection: &ConnectionArgs,
    new_people: &NewPeople,
    secrets: &Secrets,
) -> Result<Directories, ConfigError> {
    let huma = huma_client(connection, secrets)?;
    let scope = &connection.scope;
    let idp = match connection.idp {
        IdpKind::Azure => {
            azure_directory(graph_client(connection, secrets)?, new_people, scope.azure())
        }
        IdpKind::Scim => IdentityDirectory::Scim(scim_directory(connection, secrets)?),
    };
    Ok(Directories { huma: huma_directory(huma, new_people, scope.huma()), idp })
}

fn scim_directory(
    connection: &ConnectionArgs,
    secrets: &Secrets,
) -> Result<ScimDirectory, ConfigError> {
    let url = required(
        &connection.scim_url,
        "the SCIM base URL is missing: pass --scim-url with the provider's SCIM endpoint, the one \
         /Users is under (e.g. https://api.example.com/scim/v2)",
    )?;
    let token = secrets.scim_token.clone().ok_or_else(|| {
        ConfigError(format!(
            "the SCIM bearer token is missing: set {SCIM_TOKEN} in the environment to a token \
             from the provider's admin console"
        ))
    })?;
    let client = ScimClient::builder()
        .base_url(url)
        .token(token)
        .build()
        .map_err(|e| ConfigError(e.to_string()))?;
    let name = connection.scim_name.trim();
    let name = if name.is_empty() { "SCIM" } else { name };
    let filter = connection.scope.scim_filter.clone();
    Ok(ScimDirectory::new(
        client,
        ScimDirectoryConfig { name: name.to_owned(), filter, ..ScimDirectoryConfig::default() },
    ))
}

fn huma_client(connection: &ConnectionArgs, secrets: &Secrets) -> Result<HumaClient, ConfigError> {
    let huma_id = required(
        &connection.huma_client_id,
        "the Huma Client ID is missing: set HUMA_CLIENT_ID (or --huma-client-id) to the API key's \
         Client ID from System settings → Open API in Huma",
    )?;
    let huma_secret = secrets.huma_client_secret.clone().ok_or_else(|| {
        ConfigError(format!(
            "the Huma Client secret is missing: set {HUMA_CLIENT_SECRET} in the environment"
        ))
    })?;
    HumaClient::builder()
        .base_url(&connection.huma_url)
        .credentials(huma_id, huma_secret)
        .max_concurrency(connection.huma_concurrency)
        .build()
        .map_err(|e| ConfigError(e.to_string()))
}

fn graph_client(
    connection: &ConnectionArgs,
    secrets: &Secrets,
) -> Result<GraphClient, ConfigError> {
    let app = AzureApp::from_args(&connection.azure, secrets)?;
    let builder = GraphClient::builder()
        .tenant(app.tenant)
        .graph_url(&connection.graph_url)
        .login_url(&connection.azure.login_url)
        .max_concurrency(connection.graph_concurrency);
    let builder = match &connection.azure_token_file {
        None => builder.client_credentials(app.client_id, app.client_secret),
        Some(path) => {
            let file = azure_graph::RefreshTokenFile::new(path);
            let refresh_token = token_file::read(&file)?;
            builder
                .user_account(app.client_id, app.client_secret, refresh_token)
                // Each refresh replaces the token and the old one stops working: keep the new one.
                .on_refresh_token(move |token| file.write_or_log(token))
        }
    };
    builder.build().map_err(|e| ConfigError(e.to_string()))
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
    /// The app from the arguments and the secrets.
    ///
    /// # Errors
    /// [`ConfigError`] naming the missing setting.
    pub fn from_args(azure: &AzureArgs, secrets: &Secrets) -> Result<AzureApp, ConfigError> {
        let tenant = required(
            &azure.azure_tenant,
            "the Azure tenant is missing: set AZURE_TENANT_ID (or --azure-tenant) to the Directory \
             (tenant) ID from the app's Overview page",
        )?;
        let client_id = required(
            &azure.azure_client_id,
            "the Azure client id is missing: set AZURE_CLIENT_ID (or --azure-client-id) to the \
             Application (client) ID from the app's Overview page",
        )?;
        let client_secret = secrets.azure_client_secret.clone().ok_or_else(|| {
            ConfigError(format!(
                "the Azure client secret is missing: set {AZURE_CLIENT_SECRET} in the environment \
                 to the client secret's Value"
            ))
        })?;
        Ok(AzureApp { tenant, client_id, client_secret })
    }
}

/// What to tell a person when the identity directory refused: the error's own message and,
/// where this program holds what to fix, how: when the saved sign-in of an Azure AD
/// user-account connection has expired or was revoked, how to sign in again; when a SCIM
/// provider refused the bearer token, the variable that holds it.
pub fn explain_idp_error(error: &DirectoryError) -> String {
    let text = dirsync::directory::ErrorChain(error);
    if sign_in_expired(error) {
        format!("{text}; run `sync login-azure` again to sign in, then start this program again")
    } else if matches!(error.downcast_ref(), Some(ScimError::Unauthorized { .. })) {
        format!("{text}; set {SCIM_TOKEN} to the new token")
    } else {
        text.to_string()
    }
}

/// Whether `error` comes from a refresh token that expired or was revoked.
fn sign_in_expired(error: &DirectoryError) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> =
        error.get_ref().map(|e| e as &(dyn std::error::Error + 'static));
    while let Some(e) = cause {
        if let Some(GraphError::RefreshTokenExpired { .. }) = e.downcast_ref::<GraphError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Both directories pointed at running fakes, with the fakes' default credentials.
///
/// # Panics
/// Never for fakes started with their default configuration (their URLs are loopback `http`).
pub fn connect_to_fakes(graph: &FakeGraph, huma: &FakeHuma, new_people: &NewPeople) -> Directories {
    let connection = fake_connection(graph, huma);
    let secrets = fake_secrets();
    match connect(&connection, new_people, &secrets) {
        Ok(directories) => directories,
        Err(e) => panic!("the fakes' own settings are refused: {e}"),
    }
}

/// The connection arguments that reach the fakes.
pub fn fake_connection(graph: &FakeGraph, huma: &FakeHuma) -> ConnectionArgs {
    ConnectionArgs {
        huma_url: huma.uri(),
        huma_client_id: Some(FakeHuma::CLIENT_ID.to_owned()),
        azure: AzureArgs {
            azure_tenant: Some(FakeGraph::TENANT_ID.to_owned()),
            azure_client_id: Some(FakeGraph::CLIENT_ID.to_owned()),
            login_url: graph.uri(),
        },
        graph_url: graph.uri(),
        azure_token_file: None,
        huma_concurrency: huma_api::DEFAULT_HUMA_CONCURRENCY,
        graph_concurrency: azure_graph::DEFAULT_GRAPH_CONCURRENCY,
        idp: IdpKind::Azure,
        scim_url: None,
        scim_name: "SCIM".to_owned(),
        scope: ScopeArgs::default(),
    }
}

/// The fakes' default secrets.
pub fn fake_secrets() -> Secrets {
    Secrets {
        huma_client_secret: Some(SecretString::from(FakeHuma::CLIENT_SECRET)),
        azure_client_secret: Some(SecretString::from(FakeGraph::CLIENT_SECRET)),
        scim_token: None,
    }
}

fn huma_directory(huma: HumaClient, new_people: &NewPeople, scope: HumaScope) -> HumaDirectory {
    HumaDirectory::new(
        huma,
        HumaDirectoryConfig {
            groups_for_new_users: new_people.huma_groups.clone(),
            invite: false,
            create_job_titles: new_people.create_job_titles,
            scope,
        },
    )
}

fn azure_directory(
    graph: GraphClient,
    new_people: &NewPeople,
    scope: AzureScope,
) -> IdentityDirectory {
    IdentityDirectory::Azure(AzureDirectory::new(
        graph,
        AzureDirectoryConfig {
            upn_domain: new_people.upn_domain.clone(),
            scope,
            ..AzureDirectoryConfig::default()
        },
    ))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn connection() -> ConnectionArgs {
        ConnectionArgs {
            huma_url: huma_api::DEFAULT_BASE_URL.to_owned(),
            huma_client_id: Some("huma-id".into()),
            azure: AzureArgs {
                azure_tenant: Some("contoso.onmicrosoft.com".into()),
                azure_client_id: Some("azure-id".into()),
                login_url: azure_graph::DEFAULT_LOGIN_URL.to_owned(),
            },
            graph_url: azure_graph::DEFAULT_GRAPH_URL.to_owned(),
            azure_token_file: None,
            huma_concurrency: 3,
            graph_concurrency: 5,
            idp: IdpKind::Azure,
            scim_url: None,
            scim_name: "SCIM".to_owned(),
            scope: ScopeArgs::default(),
        }
    }

    #[test]
    fn the_concurrency_settings_reach_both_clients() {
        let secrets = Secrets {
            huma_client_secret: Some(SecretString::from("s1")),
            azure_client_secret: Some(SecretString::from("s2")),
            scim_token: None,
        };
        let Ok(dirs) = connect(&connection(), &NewPeople::default(), &secrets) else {
            panic!("the connection is accepted")
        };
        assert_eq!(dirs.huma.client().max_concurrency(), 3);
        let IdentityDirectory::Azure(azure) = &dirs.idp else { panic!("Azure AD by default") };
        assert_eq!(azure.client().max_concurrency(), 5);
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secrets = Secrets {
            huma_client_secret: Some(SecretString::from("hunter2-huma")),
            azure_client_secret: Some(SecretString::from("hunter2-azure")),
            scim_token: None,
        };
        let shown = format!("{secrets:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let dirs = connect(&connection(), &NewPeople::default(), &secrets);
        let shown = format!("{dirs:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_user_account_connection_never_shows_its_token_or_secret() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("a temporary folder: {e}"));
        let path = dir.path().join("token");
        let written =
            azure_graph::RefreshTokenFile::new(&path).write(&SecretString::from("hunter2-refresh"));
        assert!(written.is_ok(), "{written:?}");
        let args = ConnectionArgs { azure_token_file: Some(path), ..connection() };
        let secrets = Secrets {
            huma_client_secret: Some(SecretString::from("hunter2-huma")),
            azure_client_secret: Some(SecretString::from("hunter2-azure")),
            scim_token: None,
        };
        let dirs = connect(&args, &NewPeople::default(), &secrets);
        assert!(dirs.is_ok(), "{dirs:?}");
        let shown = format!("{dirs:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let app = AzureApp::from_args(&args.azure, &secrets);
        let shown = format!("{app:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_missing_secret_is_named_without_its_value() {
        let secrets = Secrets {
            huma_client_secret: Some(SecretString::from("hunter2")),
            azure_client_secret: None,
            scim_token: None,
        };
        let Err(e) = connect(&connection(), &NewPeople::default(), &secrets) else {
            panic!("a missing secret is refused")
        };
        assert!(e.0.contains(AZURE_CLIENT_SECRET), "{e}");
        assert!(!e.0.contains("hunter2"));
    }

    fn scim_connection() -> ConnectionArgs {
        ConnectionArgs {
            idp: IdpKind::Scim,
            scim_url: Some("https://api.example.com/scim/v2".into()),
            scim_name: "Slack".into(),
            ..connection()
        }
    }

    fn scim_secrets(token: Option<&str>) -> Secrets {
        Secrets {
            huma_client_secret: Some(SecretString::from("hunter2-huma")),
            azure_client_secret: None,
            scim_token: token.map(SecretString::from),
        }
    }

    #[test]
    fn a_scim_connection_needs_its_url_and_token_but_no_azure_app() {
        let dirs =
            connect(&scim_connection(), &NewPeople::default(), &scim_secrets(Some("hunter2")));
        let Ok(dirs) = dirs else { panic!("a SCIM connection needs no Azure settings: {dirs:?}") };
        assert!(matches!(dirs.idp, IdentityDirectory::Scim(_)));
        assert_eq!(dirs.idp.directory().name(), "Slack");
        let shown = format!("{dirs:?}");
        assert!(!shown.contains("hunter2"), "{shown}");

        let no_token = connect(&scim_connection(), &NewPeople::default(), &scim_secrets(None));
        let Err(e) = no_token else { panic!("a missing token is refused") };
        assert!(e.0.contains(SCIM_TOKEN), "{e}");
        let no_url = ConnectionArgs { scim_url: None, ..scim_connection() };
        let Err(e) = connect(&no_url, &NewPeople::default(), &scim_secrets(Some("t"))) else {
            panic!("a missing URL is refused")
        };
        assert!(e.0.contains("--scim-url"), "{e}");
        let plain = ConnectionArgs {
            scim_url: Some("http://scim.example.com".into()),
            ..scim_connection()
        };
        assert!(connect(&plain, &NewPeople::default(), &scim_secrets(Some("t"))).is_err());
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        let mut args = connection();
        args.huma_url = "http://huma.example.com".into();
        let secrets = Secrets {
            huma_client_secret: Some(SecretString::from("s")),
            azure_client_secret: Some(SecretString::from("s")),
            scim_token: None,
        };
        assert!(connect(&args, &NewPeople::default(), &secrets).is_err());
    }
}

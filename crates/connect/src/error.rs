//! Why the settings cannot be made into a connection; each message says what to set.

use crate::secrets::{AZURE_CLIENT_SECRET, HUMA_CLIENT_SECRET, SCIM_TOKEN};
use std::path::PathBuf;

/// The connection settings are incomplete or wrong. No request has been made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// No Huma Client ID.
    #[error(
        "the Huma Client ID is missing: set HUMA_CLIENT_ID (or --huma-client-id) to the API key's \
         Client ID from System settings → Open API in Huma"
    )]
    MissingHumaClientId,
    /// No Huma Client secret.
    #[error("the Huma Client secret is missing: set {HUMA_CLIENT_SECRET} in the environment")]
    MissingHumaSecret,
    /// No Azure tenant.
    #[error(
        "the Azure tenant is missing: set AZURE_TENANT_ID (or --azure-tenant) to the Directory \
         (tenant) ID from the app's Overview page"
    )]
    MissingAzureTenant,
    /// No Azure client id.
    #[error(
        "the Azure client id is missing: set AZURE_CLIENT_ID (or --azure-client-id) to the \
         Application (client) ID from the app's Overview page"
    )]
    MissingAzureClientId,
    /// No Azure client secret.
    #[error(
        "the Azure client secret is missing: set {AZURE_CLIENT_SECRET} in the environment to the \
         client secret's Value"
    )]
    MissingAzureSecret,
    /// No SCIM base URL (with the SCIM provider as the identity directory).
    #[error(
        "the SCIM base URL is missing: pass --scim-url with the provider's SCIM endpoint, the one \
         /Users is under (e.g. https://api.example.com/scim/v2)"
    )]
    MissingScimUrl,
    /// No SCIM bearer token.
    #[error(
        "the SCIM bearer token is missing: set {SCIM_TOKEN} in the environment to a token from \
         the provider's admin console"
    )]
    MissingScimToken,
    /// The token file of a user-account connection is missing or empty: nobody signed in yet.
    #[error(
        "no Azure sign-in in {}: sign in with a user account first; the sign-in is saved there",
        path.display()
    )]
    NotSignedIn {
        /// The token file.
        path: PathBuf,
    },
    /// The token file of a user-account connection cannot be read.
    #[error(transparent)]
    TokenFile(azure_graph::TokenFileError),
    /// Huma's client refused its settings (a URL that is not `https://`, say).
    #[error(transparent)]
    Huma(#[from] huma_api::HumaError),
    /// Microsoft Graph's client refused its settings.
    #[error(transparent)]
    Graph(#[from] azure_graph::GraphError),
    /// The SCIM client refused its settings.
    #[error(transparent)]
    Scim(#[from] dirsync_scim::ScimError),
}

impl From<azure_graph::TokenFileError> for ConnectError {
    fn from(error: azure_graph::TokenFileError) -> Self {
        match error {
            azure_graph::TokenFileError::NotSignedIn { path } => ConnectError::NotSignedIn { path },
            other => ConnectError::TokenFile(other),
        }
    }
}

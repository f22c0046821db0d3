//! The secrets of a connection: from the environment only, held as [`SecretString`], never
//! shown.

use secrecy::SecretString;
use std::fmt;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let secrets = Secrets {
            huma_client_secret: Some(SecretString::from("hunter2-huma")),
            azure_client_secret: Some(SecretString::from("hunter2-azure")),
            scim_token: None,
        };
        let shown = format!("{secrets:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("unset"), "{shown}");
    }
}

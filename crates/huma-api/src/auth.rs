//! Client-credentials tokens: the request and its answer. The runtime's token cache keeps them,
//! refreshes them ahead of expiry, and once however many requests need a token at the same time.

use crate::errors::{HumaError, said};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// The Client ID and Client secret of a Huma API key (System settings → Open API).
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
}

/// The token endpoint's answer (`Credentials`); only what this client uses.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    pub(crate) access_token: SecretString,
    /// The stated lifetime, read leniently: the spec bounds it nowhere, so a negative or
    /// unreadable value is taken as none (the cache then trusts the token for a minimum time).
    #[serde(default, deserialize_with = "dirsync_runtime::lenient::optional_seconds")]
    pub(crate) expires_in: Option<Duration>,
}

/// Reads the token endpoint's answer. The body is never kept in an error: it may hold a token.
pub(crate) fn read_token_answer(status: u16, body: &[u8]) -> Result<TokenAnswer, HumaError> {
    match status {
        200..=299 => serde_json::from_slice(body).map_err(|source| HumaError::Decode {
            what: "the token request".to_owned(),
            source,
            body: "(withheld: it may hold a token)".to_owned(),
        }),
        400 | 401 | 403 => Err(HumaError::InvalidCredentials {
            status,
            description: said(status, body),
        }),
        404 => Err(HumaError::Config {
            message: "the base URL has no token endpoint (HTTP 404 from /auth/oauth/token): check the base URL".to_owned(),
        }),
        _ => Err(HumaError::from_answer(status, None, body)),
    }
}

/// The form for a client-credentials token request.
pub(crate) fn token_form(credentials: &Credentials) -> Result<String, HumaError> {
    serde_urlencoded::to_string([
        ("grant_type", "client_credentials"),
        ("client_id", credentials.client_id.as_str()),
        ("client_secret", credentials.client_secret.expose_secret()),
    ])
    .map_err(|e| HumaError::Config { message: format!("cannot encode the credentials: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_key_says_where_to_fix_it() {
        let body = br#"{"error":"invalid_client","error_description":"Bad client credentials"}"#;
        let Err(err) = read_token_answer(401, body) else { panic!("accepted") };
        let text = err.to_string();
        assert!(text.contains("Client ID and Client secret under System settings → Open API"));
        assert!(text.contains("Bad client credentials"));
    }

    #[test]
    fn an_unreadable_token_answer_never_keeps_the_body() {
        let Err(err) = read_token_answer(200, br#"{"expires_in":3600,"token":"tok-SECRET"}"#)
        else {
            panic!("accepted")
        };
        assert!(!format!("{err:?} {err}").contains("tok-SECRET"));
    }

    #[test]
    fn a_lifetime_that_makes_no_sense_is_no_lifetime() {
        for (body, lifetime) in [
            (r#"{"access_token":"t","expires_in":-30}"#, None),
            (r#"{"access_token":"t","expires_in":"x"}"#, None),
            (r#"{"access_token":"t"}"#, None),
            (r#"{"access_token":"t","expires_in":3600}"#, Some(Duration::from_secs(3600))),
        ] {
            let Ok(answer) = read_token_answer(200, body.as_bytes()) else { panic!("{body}") };
            assert_eq!(answer.expires_in, lifetime, "{body}");
        }
    }
}

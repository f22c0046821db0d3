//! The crate's one error type, with variants a caller can act on, and its conversion to the core's
//! [`dirsync::DirectoryError`].

use crate::accounts::AccountAction;
use crate::users::GraphUserId;
use dirsync::{DirectoryError, ErrorKind};
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What the server said when it refused a request: kept so that support can trace it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// The service's error code (`Authorization_RequestDenied`, `invalid_client`, `AADSTS7000222`).
    pub code: Option<String>,
    /// The service's message.
    pub message: Option<String>,
    /// The request id (`request-id` header or `innerError.request-id`, or the token endpoint's
    /// `trace_id`).
    pub request_id: Option<String>,
    /// The raw body, cut to a few kilobytes.
    pub body: String,
}

impl ErrorDetails {
    /// Details of an answer with `status` and `body`, parsing the Graph or identity-platform error
    /// shape when there is one.
    pub fn from_response(status: u16, request_id: Option<String>, body: &str) -> ErrorDetails {
        let mut details = ErrorDetails {
            status: Some(status),
            code: None,
            message: None,
            request_id,
            body: truncate(body, 4096),
        };
        if let Ok(graph) = serde_json::from_str::<GraphErrorBody>(body) {
            details.code = graph.error.code;
            details.message = graph.error.message;
            if details.request_id.is_none() {
                details.request_id = graph.error.inner_error.and_then(|i| i.request_id);
            }
        } else if let Ok(oauth) = serde_json::from_str::<OAuthErrorBody>(body) {
            details.code = Some(oauth.error);
            details.message = oauth.error_description;
            if details.request_id.is_none() {
                details.request_id = oauth.trace_id;
            }
        }
        details
    }
}

impl fmt::Display for ErrorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("HTTP {status}"));
        }
        if let Some(code) = &self.code {
            parts.push(code.clone());
        }
        if let Some(id) = &self.request_id {
            parts.push(format!("request id {id}"));
        }
        write!(f, "{}", parts.join(", "))
    }
}

fn truncate(body: &str, max: usize) -> String {
    if body.len() <= max {
        return body.to_owned();
    }
    let mut end = max;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &body[..end])
}

#[derive(Deserialize)]
struct GraphErrorBody {
    error: GraphErrorInner,
}

#[derive(Deserialize)]
struct GraphErrorInner {
    code: Option<String>,
    message: Option<String>,
    #[serde(rename = "innerError")]
    inner_error: Option<InnerError>,
}

#[derive(Deserialize)]
struct InnerError {
    #[serde(rename = "request-id")]
    request_id: Option<String>,
}

#[derive(Deserialize)]
pub(crate) struct OAuthErrorBody {
    pub(crate) error: String,
    pub(crate) error_description: Option<String>,
    #[serde(default)]
    pub(crate) error_codes: Vec<u64>,
    pub(crate) trace_id: Option<String>,
}

/// Everything that can go wrong talking to Microsoft Graph and the identity platform.
///
/// Each message says what to do next. The server's answer is kept in [`ErrorDetails`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// AADSTS7000222: the client secret has expired.
    #[error(
        "the Azure client secret has expired (AADSTS7000222): create a new client secret under \
         App registrations → Certificates & secrets and reconnect ({details})"
    )]
    SecretExpired {
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// AADSTS7000215: the client secret is wrong.
    #[error(
        "the Azure client secret is not valid (AADSTS7000215): paste the secret's Value, not its \
         Secret ID; if the Value is lost, create a new client secret ({details})"
    )]
    InvalidSecret {
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// AADSTS90002: the tenant does not exist.
    #[error(
        "Azure tenant {tenant:?} was not found (AADSTS90002): copy the Directory (tenant) ID from \
         the app's Overview page ({details})"
    )]
    TenantNotFound {
        /// The tenant that was asked for.
        tenant: String,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// AADSTS700016: no app with this client id in the tenant.
    #[error(
        "no application with client id {client_id:?} exists in this Azure tenant (AADSTS700016): \
         copy the Application (client) ID from the app's Overview page and check the tenant ID \
         ({details})"
    )]
    AppNotFound {
        /// The client id that was used.
        client_id: String,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// The refresh token of a user-account connection expired or was revoked.
    #[error(
        "the Azure sign-in of the connecting user has expired or was revoked: reconnect with a \
         user account ({details})"
    )]
    RefreshTokenExpired {
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// The token endpoint refused for another reason.
    #[error("Azure refused to issue a token: {message} ({details})")]
    TokenRefused {
        /// The identity platform's description.
        message: String,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// Graph still answered 401 after a fresh token was fetched.
    #[error(
        "Microsoft Graph refused the access token even after a fresh one was fetched: reconnect \
         ({details})"
    )]
    Unauthorized {
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// A 403: the app or the connecting user lacks a permission.
    #[error("Microsoft Graph denied the request: {needed} ({details})")]
    PermissionDenied {
        /// What is missing, in the admin's words.
        needed: String,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// A 403 on enabling, disabling or signing out one user: `accountEnabled` is a sensitive
    /// property, which an app may not change for a user who holds an admin role (and such a
    /// user's sessions are protected alike). Other users are not affected.
    #[error(
        "Azure AD refused to {action} {user}: the user most likely holds an admin role, and the \
         app may not change administrators' accounts; {remedy} ({details})",
        remedy = .action.remedy()
    )]
    AccountRefused {
        /// What was asked.
        action: AccountAction,
        /// The user.
        user: GraphUserId,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// A 404: the user does not exist (any more).
    #[error("the user was not found in Azure AD; it may have been deleted ({details})")]
    NotFound {
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// Graph refused a value or the request (a 400 or another 4xx).
    #[error("Microsoft Graph refused the request: {message} ({details})")]
    Rejected {
        /// Graph's message.
        message: String,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// The saved delta token can no longer be used (`syncStateNotFound`, `resyncRequired`).
    #[error("the saved Azure delta token has expired: a full read is needed ({details})")]
    DeltaExpired {
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// Still throttled (429) after the retry budget was spent.
    #[error(
        "Microsoft Graph kept throttling after {attempts} attempts: try again later, or lower the \
         sync's concurrency ({details})"
    )]
    Throttled {
        /// How long the server last asked to wait.
        retry_after: Option<Duration>,
        /// Attempts made.
        attempts: u32,
        /// The server's last answer.
        details: Box<ErrorDetails>,
    },
    /// Still failing with a server error (5xx) after the retry budget was spent.
    #[error(
        "Microsoft Graph is unavailable after {attempts} attempts: try again later ({details})"
    )]
    Unavailable {
        /// Attempts made.
        attempts: u32,
        /// The server's last answer.
        details: Box<ErrorDetails>,
    },
    /// The request could not be sent or timed out, on every attempt the retry policy allowed.
    #[error("could not reach {what}: check the network and the configured URLs")]
    Transport {
        /// What was being reached (Microsoft Graph, the Azure login service).
        what: &'static str,
        /// The attempts and the last failure.
        #[source]
        source: dirsync_runtime::SendError,
    },
    /// A page's `@odata.nextLink` repeated an earlier one, which would loop forever.
    #[error(
        "Microsoft Graph returned the same next page link twice; the listing was stopped: {url}"
    )]
    RepeatedNextLink {
        /// The link, without its query.
        url: String,
    },
    /// The answer could not be understood.
    #[error("Microsoft Graph's answer could not be understood: {reason}")]
    InvalidResponse {
        /// What was wrong.
        reason: String,
        /// The raw body, cut to a few kilobytes.
        body: String,
    },
    /// The client was configured wrongly.
    #[error("invalid Azure configuration: {0}")]
    Config(String),
    /// A person lacks what Azure needs to create an account.
    #[error("cannot create the Azure AD user: {0}")]
    CannotCreate(String),
    /// A change that cannot be written to Graph (a value of the wrong kind for its field).
    #[error("cannot write the change to Azure AD: {0}")]
    InvalidChange(String),
    /// The whole `$batch` request failed, so every request in it failed with this error.
    #[error("the batch request failed: {0}")]
    BatchFailed(Arc<GraphError>),
}

impl GraphError {
    /// The server's answer, where one came.
    pub fn details(&self) -> Option<&ErrorDetails> {
        match self {
            GraphError::SecretExpired { details }
            | GraphError::InvalidSecret { details }
            | GraphError::TenantNotFound { details, .. }
            | GraphError::AppNotFound { details, .. }
            | GraphError::RefreshTokenExpired { details }
            | GraphError::TokenRefused { details, .. }
            | GraphError::Unauthorized { details }
            | GraphError::PermissionDenied { details, .. }
            | GraphError::AccountRefused { details, .. }
            | GraphError::NotFound { details }
            | GraphError::Rejected { details, .. }
            | GraphError::DeltaExpired { details }
            | GraphError::Throttled { details, .. }
            | GraphError::Unavailable { details, .. } => Some(details.as_ref()),
            GraphError::BatchFailed(inner) => inner.details(),
            _ => None,
        }
    }

    /// The [`ErrorKind`] the core acts on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            GraphError::SecretExpired { .. }
            | GraphError::InvalidSecret { .. }
            | GraphError::TenantNotFound { .. }
            | GraphError::AppNotFound { .. }
            | GraphError::RefreshTokenExpired { .. }
            | GraphError::TokenRefused { .. }
            | GraphError::Unauthorized { .. } => ErrorKind::Authentication,
            GraphError::PermissionDenied { .. } | GraphError::AccountRefused { .. } => {
                ErrorKind::PermissionDenied
            }
            GraphError::NotFound { .. } => ErrorKind::NotFound,
            GraphError::Rejected { .. }
            | GraphError::CannotCreate(_)
            | GraphError::InvalidChange(_) => ErrorKind::InvalidValue,
            GraphError::BatchFailed(inner) => inner.kind(),
            GraphError::Throttled { .. } => ErrorKind::Throttled,
            GraphError::Unavailable { .. } | GraphError::Transport { .. } => ErrorKind::Unavailable,
            GraphError::RepeatedNextLink { .. }
            | GraphError::InvalidResponse { .. }
            | GraphError::DeltaExpired { .. } => ErrorKind::InvalidResponse,
            GraphError::Config(_) => ErrorKind::Other,
        }
    }

    /// An error for a Graph answer that is not a success and will not be retried.
    ///
    /// `write` tells a 403 on a write to one user (an admin's sensitive property) from a 403 on a
    /// read (the app lacks its permission).
    pub(crate) fn from_graph(details: ErrorDetails, write: bool) -> GraphError {
        let details = Box::new(details);
        let code = details.code.as_deref().unwrap_or_default();
        if code == "syncStateNotFound" || code == "resyncRequired" {
            return GraphError::DeltaExpired { details };
        }
        match details.status.unwrap_or_default() {
            401 => GraphError::Unauthorized { details },
            403 if write => GraphError::PermissionDenied {
                needed: "Azure AD refused to change this user; changing phone numbers and other \
                         sensitive properties of users who hold admin roles needs a higher admin \
                         role than the app has, so change it in Azure AD by hand"
                    .to_owned(),
                details,
            },
            403 => GraphError::PermissionDenied {
                needed: "the app needs the application permission User.ReadWrite.All with admin \
                         consent (API permissions → Grant admin consent), or, for a user-account \
                         connection, the connecting user may have lost the User Administrator role"
                    .to_owned(),
                details,
            },
            404 => GraphError::NotFound { details },
            // Gone: only the delta feed answers so, for a token it no longer keeps.
            410 => GraphError::DeltaExpired { details },
            500..=599 => GraphError::Unavailable { attempts: 1, details },
            _ => GraphError::Rejected {
                message: details.message.clone().unwrap_or_else(|| "no message".to_owned()),
                details,
            },
        }
    }

    /// An error for a refusal from the token endpoint, by AADSTS code.
    pub(crate) fn from_token_endpoint(
        details: ErrorDetails,
        tenant: &str,
        client_id: &str,
        refreshing: bool,
    ) -> GraphError {
        let details = Box::new(details);
        let parsed = serde_json::from_str::<OAuthErrorBody>(&details.body).ok();
        let mut codes: Vec<u64> =
            parsed.as_ref().map(|p| p.error_codes.clone()).unwrap_or_default();
        if let Some(code) = details.message.as_deref().and_then(aadsts_code) {
            codes.push(code);
        }
        let has = |c: u64| codes.contains(&c);
        if has(7000222) {
            GraphError::SecretExpired { details }
        } else if has(7000215) {
            GraphError::InvalidSecret { details }
        } else if has(90002) {
            GraphError::TenantNotFound { tenant: tenant.to_owned(), details }
        } else if has(700016) {
            GraphError::AppNotFound { client_id: client_id.to_owned(), details }
        } else if has(70008)
            || has(700082)
            || (refreshing && details.code.as_deref() == Some("invalid_grant"))
        {
            GraphError::RefreshTokenExpired { details }
        } else {
            GraphError::TokenRefused {
                message: details
                    .message
                    .as_deref()
                    .map(|m| m.lines().next().unwrap_or(m).to_owned())
                    .unwrap_or_else(|| "no description".to_owned()),
                details,
            }
        }
    }
}

/// The number in an `AADSTS<number>:` prefix.
fn aadsts_code(description: &str) -> Option<u64> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

impl From<GraphError> for DirectoryError {
    fn from(err: GraphError) -> DirectoryError {
        DirectoryError::from_source(err.kind(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_error_body_is_parsed_with_its_request_id() {
        let body = r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"request-id":"r-1","date":"x"}}}"#;
        let d = ErrorDetails::from_response(403, None, body);
        assert_eq!(d.code.as_deref(), Some("Authorization_RequestDenied"));
        assert_eq!(d.request_id.as_deref(), Some("r-1"));
        let err = GraphError::from_graph(d, false);
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("User.ReadWrite.All"));
    }

    #[test]
    fn aadsts_code_is_read_from_the_description_when_codes_are_missing() {
        let body = r#"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired."}"#;
        let d = ErrorDetails::from_response(401, None, body);
        let err = GraphError::from_token_endpoint(d, "t", "c", false);
        assert!(matches!(err, GraphError::SecretExpired { .. }));
        assert_eq!(aadsts_code("AADSTS90002: Tenant"), Some(90002));
        assert_eq!(aadsts_code("nothing"), None);
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let body = "å".repeat(5000);
        let d = ErrorDetails::from_response(500, None, &body);
        assert!(d.body.len() <= 4096 + 3);
    }

    #[test]
    fn expired_delta_tokens_are_recognised_by_code() {
        let body = r#"{"error":{"code":"resyncRequired","message":"x"}}"#;
        let err = GraphError::from_graph(ErrorDetails::from_response(400, None, body), false);
        assert!(matches!(err, GraphError::DeltaExpired { .. }));
    }
}

//! The crate's one error type, with variants a caller can act on, and its conversion to the core's
//! [`dirsync::directory::DirectoryError`].

use crate::ids::GraphUserId;
use crate::model::AccountAction;
use dirsync::directory::{DirectoryError, ErrorKind};
use dirsync_runtime::{Answer, ErrorDetails, SendError};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// The identity platform's error body, for the numbers in `error_codes`.
#[derive(Deserialize)]
struct OAuthErrorBody {
    #[serde(default)]
    error_codes: Vec<u64>,
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
    /// Graph, or a front end before it, said the request itself was malformed (411 Length
    /// Required, 413, 415, or the code `BadRequest`): a bug in this program, never a refusal
    /// of the person's values.
    #[error(
        "Microsoft Graph refused the request as malformed: {message} ({details}); this is a bug \
         in dirsync, not a problem with the data: please report it with this message"
    )]
    MalformedRequest {
        /// Graph's message, or the status's reason.
        message: String,
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
    /// A group of the scope does not exist (404 `Request_ResourceNotFound`): nothing is read,
    /// since an empty scope would look as if everyone left it.
    #[error(
        "the Azure AD group {group} of the scope was not found: check its Object ID under Groups in the Entra admin center, and that the app may read group members (GroupMember.Read.All) ({details})"
    )]
    GroupNotFound {
        /// The group's id as given.
        group: String,
        /// The server's answer.
        details: Box<ErrorDetails>,
    },
    /// A user was created, but could not be added to the group of the scope.
    #[error(
        "created Azure AD user {user}, but could not add it to the group {group} of the scope: add it to the group in Azure AD, and the next sync pairs it (until then it is outside the scope)"
    )]
    NotAddedToGroup {
        /// The new user.
        user: GraphUserId,
        /// The group.
        group: String,
        /// Why.
        #[source]
        source: Box<GraphError>,
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
            | GraphError::GroupNotFound { details, .. }
            | GraphError::MalformedRequest { details, .. }
            | GraphError::Rejected { details, .. }
            | GraphError::DeltaExpired { details }
            | GraphError::Throttled { details, .. }
            | GraphError::Unavailable { details, .. } => Some(details.as_ref()),
            GraphError::BatchFailed(inner) => inner.details(),
            GraphError::NotAddedToGroup { source, .. } => source.details(),
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
            GraphError::MalformedRequest { .. } => ErrorKind::Protocol,
            GraphError::Rejected { .. }
            | GraphError::CannotCreate(_)
            | GraphError::InvalidChange(_) => ErrorKind::InvalidValue,
            GraphError::BatchFailed(inner) => inner.kind(),
            GraphError::NotAddedToGroup { source, .. } => source.kind(),
            GraphError::GroupNotFound { .. } => ErrorKind::Other,
            GraphError::Throttled { .. } => ErrorKind::Throttled,
            GraphError::Unavailable { .. } | GraphError::Transport { .. } => ErrorKind::Unavailable,
            GraphError::RepeatedNextLink { .. }
            | GraphError::InvalidResponse { .. }
            | GraphError::DeltaExpired { .. } => ErrorKind::InvalidResponse,
            GraphError::Config(_) => ErrorKind::Other,
        }
    }

    /// The error for a Graph answer that is not a success, once no rule sends it again: still
    /// throttled or unavailable when the retries were spent, or refused.
    pub(crate) fn from_answer(answer: &Answer, write: bool) -> GraphError {
        let details = ErrorDetails::from_answer(answer);
        given_up(answer, details).unwrap_or_else(|details| GraphError::from_graph(details, write))
    }

    /// The error for the token endpoint's answer that is not a success.
    pub(crate) fn from_token_answer(
        answer: &Answer,
        tenant: &str,
        client_id: &str,
        refreshing: bool,
    ) -> GraphError {
        let details = ErrorDetails::from_answer(answer);
        given_up(answer, details).unwrap_or_else(|details| {
            if details.is_malformed_request() {
                return GraphError::malformed(details);
            }
            GraphError::from_token_endpoint(details, tenant, client_id, refreshing)
        })
    }

    fn malformed(details: ErrorDetails) -> GraphError {
        let message = details.message.clone().unwrap_or_else(|| {
            let status = details.status.and_then(|s| reqwest::StatusCode::from_u16(s).ok());
            status.and_then(|s| s.canonical_reason()).unwrap_or("no message").to_owned()
        });
        GraphError::MalformedRequest { message, details: Box::new(details) }
    }

    /// An error for a Graph answer that is not a success and will not be retried.
    ///
    /// `write` tells a 403 on a write to one user (an admin's sensitive property) from a 403 on a
    /// read (the app lacks its permission).
    pub(crate) fn from_graph(details: ErrorDetails, write: bool) -> GraphError {
        let code = details.code.as_deref().unwrap_or_default();
        if code == "syncStateNotFound" || code == "resyncRequired" {
            return GraphError::DeltaExpired { details: Box::new(details) };
        }
        // Graph's gateway answers a request it cannot take apart with `BadRequest`; a value the
        // directory refuses is `Request_BadRequest`.
        if details.is_malformed_request() || code == "BadRequest" {
            return GraphError::malformed(details);
        }
        let details = Box::new(details);
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

/// A throttle or an outage still there when the retries were spent; any other answer's
/// details back.
fn given_up(answer: &Answer, details: ErrorDetails) -> Result<GraphError, ErrorDetails> {
    let attempts = answer.attempts;
    match answer.status.as_u16() {
        429 => Ok(GraphError::Throttled {
            retry_after: answer.retry_after,
            attempts,
            details: Box::new(details),
        }),
        500..=599 => Ok(GraphError::Unavailable { attempts, details: Box::new(details) }),
        _ => Err(details),
    }
}

/// The number in an `AADSTS<number>:` prefix.
fn aadsts_code(description: &str) -> Option<u64> {
    let rest = description.trim_start().strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A request to Microsoft Graph that got no answer.
impl From<SendError> for GraphError {
    fn from(source: SendError) -> GraphError {
        GraphError::Transport { what: "Microsoft Graph", source }
    }
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
    fn a_malformed_request_is_a_protocol_error_never_an_invalid_value() {
        let batch = r#"{"error":{"code":"BadRequest","message":"Write request id : 1 does not contain Content-Type header or body."}}"#;
        for (status, body) in
            [(411, "<h2>Length Required</h2>"), (413, ""), (415, "{}"), (400, batch)]
        {
            let err = GraphError::from_graph(ErrorDetails::from_response(status, None, body), true);
            assert!(matches!(err, GraphError::MalformedRequest { .. }), "{status}: {err:?}");
            assert_eq!(err.kind(), ErrorKind::Protocol);
            assert!(!dirsync::held::is_held_back(err.kind()));
            assert!(err.to_string().contains("bug in dirsync"), "{err}");
        }
        let length = GraphError::from_graph(ErrorDetails::from_response(411, None, ""), true);
        assert!(length.to_string().contains("Length Required"), "{length}");
        let value = r#"{"error":{"code":"Request_BadRequest","message":"Invalid value"}}"#;
        let err = GraphError::from_graph(ErrorDetails::from_response(400, None, value), true);
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
    }

    #[test]
    fn expired_delta_tokens_are_recognised_by_code() {
        let body = r#"{"error":{"code":"resyncRequired","message":"x"}}"#;
        let err = GraphError::from_graph(ErrorDetails::from_response(400, None, body), false);
        assert!(matches!(err, GraphError::DeltaExpired { .. }));
    }
}

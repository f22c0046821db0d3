//! The crate's one error type, with variants a caller can act on, and its conversion to the core's
//! [`dirsync::directory::DirectoryError`].

use dirsync::directory::{DirectoryError, ErrorKind};
use dirsync_runtime::{Answer, ErrorDetails, SendError};
use std::time::Duration;

/// What the provider said, as this crate's errors show it: `HTTP 409, scimType uniqueness,
/// "userName ada is taken"` (RFC 7644 §3.12 calls the code `scimType` and the message `detail`).
fn said(details: &ErrorDetails) -> String {
    let mut parts = Vec::new();
    if let Some(status) = details.status {
        parts.push(format!("HTTP {status}"));
    }
    if let Some(scim_type) = &details.code {
        parts.push(format!("scimType {scim_type}"));
    }
    if let Some(detail) = &details.message {
        parts.push(format!("{detail:?}"));
    }
    if let Some(id) = &details.request_id {
        parts.push(format!("request id {id}"));
    }
    parts.join(", ")
}

fn scim_type_is(details: &ErrorDetails, name: &str) -> bool {
    details.code.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(name))
}

/// Everything that can go wrong talking to a SCIM service provider.
///
/// Each message says what to do next; what the provider said is kept in [`ErrorDetails`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScimError {
    /// 401: the bearer token was refused.
    #[error(
        "the SCIM provider refused the bearer token: create a new token in the provider's admin \
         console and connect with it ({})", said(.details)
    )]
    Unauthorized {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 403: the token works but may not do this.
    #[error(
        "the SCIM provider denied the request: give the token's account the right to read and \
         write users, or change this user by hand ({})", said(.details)
    )]
    PermissionDenied {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 404: the user (or the endpoint) does not exist.
    #[error(
        "not found at the SCIM provider: the user may have been deleted, or the SCIM base URL is \
         wrong ({})", said(.details)
    )]
    NotFound {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 409 `uniqueness`: another user already holds the user name, email or employee number.
    #[error(
        "another SCIM user already holds this user name, email or employee number; the next sync \
         pairs them instead ({})", said(.details)
    )]
    AlreadyExists {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 412: the user changed at the provider since it was read (its ETag no longer matches).
    #[error(
        "the SCIM user was changed by someone else since it was read, so nothing was written: \
         sync again to plan against the new values ({})", said(.details)
    )]
    PreconditionFailed {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 411, 413, 415, or 400 `invalidSyntax`: the provider, or a front end before it, said the
    /// request itself was malformed. A bug in this program, never a refusal of the person's
    /// values.
    #[error(
        "the SCIM provider refused the request as malformed ({}): this is a bug in dirsync, not \
         a problem with the data: please report it with this message", said(.details)
    )]
    MalformedRequest {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 400 (`invalidValue`, `mutability`, ...) or another refusal of a value.
    #[error(
        "the SCIM provider refused the request: correct the value where it comes from, then sync \
         again ({})", said(.details)
    )]
    InvalidValue {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 400 `invalidFilter` (or `tooMany`): the provider cannot answer this search.
    #[error("the SCIM provider refused the search filter ({})", said(.details))]
    FilterRefused {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// The filter of the scope cannot be read with: the provider cannot filter, or refused the
    /// expression. Nothing is read, rather than everyone.
    #[error(
        "the scope's filter {filter:?} cannot be used with the SCIM provider ({reason}): check the expression, or sync without a filter"
    )]
    ScopeFilter {
        /// The filter expression.
        filter: String,
        /// Why.
        reason: String,
    },
    /// Another answer that is neither success nor one of the above.
    #[error("the SCIM provider refused the request ({})", said(.details))]
    Rejected {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// Still throttled (429) after the retry budget was spent.
    #[error(
        "the SCIM provider kept throttling after {attempts} attempts: try again later, or lower \
         the sync's concurrency ({})", said(.details)
    )]
    Throttled {
        /// How long the provider last asked to wait.
        retry_after: Option<Duration>,
        /// Attempts made.
        attempts: u32,
        /// The provider's last answer.
        details: Box<ErrorDetails>,
    },
    /// A server error (5xx), still there after the retry budget was spent where it is retried.
    #[error(
        "the SCIM provider is unavailable after {attempts} attempts: try again later ({})", said(.details)
    )]
    Unavailable {
        /// Attempts made.
        attempts: u32,
        /// The provider's last answer.
        details: Box<ErrorDetails>,
    },
    /// The request could not be sent, or timed out, on every attempt the retry policy allowed.
    #[error("could not reach the SCIM provider; check the network and the SCIM base URL")]
    Transport {
        /// The attempts made and the last failure.
        #[source]
        source: dirsync_runtime::SendError,
    },
    /// The answer could not be understood.
    #[error("the SCIM provider's answer could not be understood: {reason}")]
    InvalidResponse {
        /// What was wrong.
        reason: String,
        /// The raw body, cut to a few kilobytes.
        body: String,
    },
    /// The pages of a listing contradict each other, so the listing cannot be trusted whole.
    #[error(
        "the SCIM provider's pages of users contradict each other ({reason}); nothing was taken \
         from this read: sync again, and if it repeats, report it to the provider"
    )]
    Paging {
        /// What contradicted what.
        reason: String,
    },
    /// The client was configured wrongly.
    #[error("invalid SCIM configuration: {0}")]
    Config(String),
    /// A change or a person that cannot be written to SCIM.
    #[error("cannot write to the SCIM provider: {0}")]
    InvalidChange(String),
}

impl ScimError {
    /// The provider's answer, where one came.
    pub fn details(&self) -> Option<&ErrorDetails> {
        match self {
            ScimError::Unauthorized { details }
            | ScimError::PermissionDenied { details }
            | ScimError::NotFound { details }
            | ScimError::AlreadyExists { details }
            | ScimError::PreconditionFailed { details }
            | ScimError::InvalidValue { details }
            | ScimError::MalformedRequest { details }
            | ScimError::FilterRefused { details }
            | ScimError::Rejected { details }
            | ScimError::Throttled { details, .. }
            | ScimError::Unavailable { details, .. } => Some(details.as_ref()),
            _ => None,
        }
    }

    /// The [`ErrorKind`] the core acts on.
    ///
    /// A 412 is [`ErrorKind::Other`]: not transient (sending the same write again would overwrite
    /// what someone else just changed), and the next sync plans against the new values.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ScimError::Unauthorized { .. } => ErrorKind::Authentication,
            ScimError::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            ScimError::NotFound { .. } => ErrorKind::NotFound,
            ScimError::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            ScimError::InvalidValue { .. } | ScimError::InvalidChange(_) => ErrorKind::InvalidValue,
            ScimError::MalformedRequest { .. } => ErrorKind::Protocol,
            ScimError::Throttled { .. } => ErrorKind::Throttled,
            ScimError::Unavailable { .. } | ScimError::Transport { .. } => ErrorKind::Unavailable,
            ScimError::InvalidResponse { .. } | ScimError::Paging { .. } => {
                ErrorKind::InvalidResponse
            }
            ScimError::PreconditionFailed { .. }
            | ScimError::FilterRefused { .. }
            | ScimError::ScopeFilter { .. }
            | ScimError::Rejected { .. }
            | ScimError::Config(_) => ErrorKind::Other,
        }
    }

    /// The error for an answer that is not a success and is not sent again (any more).
    pub(crate) fn from_answer(answer: &Answer) -> ScimError {
        let details = ErrorDetails::from_answer(answer);
        ScimError::from_details(details, answer.attempts, answer.retry_after)
    }

    /// The error for what the provider said, after `attempts`, asking to wait `retry_after`.
    fn from_details(
        details: ErrorDetails,
        attempts: u32,
        retry_after: Option<Duration>,
    ) -> ScimError {
        let details = Box::new(details);
        let is = |name: &str| scim_type_is(&details, name);
        match details.status.unwrap_or_default() {
            _ if details.is_malformed_request() => ScimError::MalformedRequest { details },
            400 if is("invalidSyntax") => ScimError::MalformedRequest { details },
            401 => ScimError::Unauthorized { details },
            403 => ScimError::PermissionDenied { details },
            404 => ScimError::NotFound { details },
            409 if details.code.is_none() || is("uniqueness") => {
                ScimError::AlreadyExists { details }
            }
            412 => ScimError::PreconditionFailed { details },
            400 if is("invalidFilter") || is("tooMany") => ScimError::FilterRefused { details },
            400 => ScimError::InvalidValue { details },
            429 => ScimError::Throttled { retry_after, attempts, details },
            500..=599 => ScimError::Unavailable { attempts, details },
            _ => ScimError::Rejected { details },
        }
    }
}

/// A request to the provider that got no answer.
impl From<SendError> for ScimError {
    fn from(source: SendError) -> ScimError {
        ScimError::Transport { source }
    }
}

impl From<ScimError> for DirectoryError {
    fn from(err: ScimError) -> DirectoryError {
        DirectoryError::from_source(err.kind(), err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(status: u16, body: &str) -> ScimError {
        ScimError::from_details(ErrorDetails::from_response(status, None, body), 1, None)
    }

    #[test]
    fn statuses_and_scim_types_map_to_the_kinds_the_core_acts_on() {
        let uniqueness = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"taken"}"#;
        let cases = [
            (401, "{}", ErrorKind::Authentication),
            (403, "{}", ErrorKind::PermissionDenied),
            (404, "{}", ErrorKind::NotFound),
            (409, uniqueness, ErrorKind::AlreadyExists),
            (412, "{}", ErrorKind::Other),
            (400, r#"{"scimType":"invalidValue","detail":"bad"}"#, ErrorKind::InvalidValue),
            (400, r#"{"scimType":"invalidFilter"}"#, ErrorKind::Other),
            (400, r#"{"scimType":"invalidSyntax","detail":"bad JSON"}"#, ErrorKind::Protocol),
            (411, "<h1>Length Required</h1>", ErrorKind::Protocol),
            (415, "{}", ErrorKind::Protocol),
            (503, "{}", ErrorKind::Unavailable),
        ];
        for (status, body, kind) in cases {
            assert_eq!(error(status, body).kind(), kind, "{status} {body}");
        }
    }

    #[test]
    fn the_message_keeps_what_the_provider_said() {
        let err = error(409, r#"{"scimType":"uniqueness","detail":"userName ada is taken"}"#);
        let text = err.to_string();
        assert!(text.contains("HTTP 409"), "{text}");
        assert!(text.contains("scimType uniqueness"), "{text}");
        assert!(text.contains("userName ada is taken"), "{text}");
        assert!(text.contains("next sync pairs them"), "{text}");
    }

    #[test]
    fn a_malformed_request_says_it_is_a_bug_and_is_never_held_back() {
        let err = error(411, "");
        assert!(err.to_string().contains("bug in dirsync"), "{err}");
        assert!(!dirsync::held::is_held_back(err.kind()));
    }

    #[test]
    fn a_body_that_is_not_scim_is_kept_raw_and_cut() {
        let body = "å".repeat(5000);
        let d = ErrorDetails::from_response(500, None, &body);
        assert_eq!((d.code.as_deref(), d.message.as_deref()), (None, None));
        assert!(d.body.len() <= 4096 + "…".len());
    }
}

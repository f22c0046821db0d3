//! The crate's one error type, with variants a caller can act on, and its conversion to the core's
//! [`dirsync::DirectoryError`].

use dirsync::{DirectoryError, ErrorKind};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// What the SCIM service provider said when it refused a request (RFC 7644 §3.12).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// The SCIM error type (`uniqueness`, `invalidValue`, `invalidFilter`, `mutability`, ...).
    pub scim_type: Option<String>,
    /// The provider's human-readable `detail`.
    pub detail: Option<String>,
    /// The raw body, cut to a few kilobytes.
    pub body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScimErrorBody {
    scim_type: Option<String>,
    detail: Option<String>,
}

impl ErrorDetails {
    /// Details of an answer with `status` and `body`, reading the SCIM error shape when there is
    /// one.
    pub fn from_response(status: u16, body: &str) -> ErrorDetails {
        let parsed = serde_json::from_str::<ScimErrorBody>(body).ok();
        let (scim_type, detail) = parsed.map(|p| (p.scim_type, p.detail)).unwrap_or_default();
        ErrorDetails { status: Some(status), scim_type, detail, body: truncate(body, 4096) }
    }

    fn scim_type_is(&self, name: &str) -> bool {
        self.scim_type.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for ErrorDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("HTTP {status}"));
        }
        if let Some(scim_type) = &self.scim_type {
            parts.push(format!("scimType {scim_type}"));
        }
        if let Some(detail) = &self.detail {
            parts.push(format!("{detail:?}"));
        }
        f.write_str(&parts.join(", "))
    }
}

/// `body` cut to at most `max` bytes, on a character boundary.
pub(crate) fn truncate(body: &str, max: usize) -> String {
    if body.len() <= max {
        return body.to_owned();
    }
    let mut end = max;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &body[..end])
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
         console and set it in SCIM_TOKEN ({details})"
    )]
    Unauthorized {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 403: the token works but may not do this.
    #[error(
        "the SCIM provider denied the request: give the token's account the right to read and \
         write users, or change this user by hand ({details})"
    )]
    PermissionDenied {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 404: the user (or the endpoint) does not exist.
    #[error(
        "not found at the SCIM provider: the user may have been deleted, or the SCIM base URL is \
         wrong ({details})"
    )]
    NotFound {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 409 `uniqueness`: another user already holds the user name, email or employee number.
    #[error(
        "another SCIM user already holds this user name, email or employee number; the next sync \
         pairs them instead ({details})"
    )]
    AlreadyExists {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 412: the user changed at the provider since it was read (its ETag no longer matches).
    #[error(
        "the SCIM user was changed by someone else since it was read, so nothing was written: \
         sync again to plan against the new values ({details})"
    )]
    PreconditionFailed {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 400 (`invalidValue`, `invalidSyntax`, `mutability`, ...) or another refusal of a value.
    #[error(
        "the SCIM provider refused the request: correct the value where it comes from, then sync \
         again ({details})"
    )]
    InvalidValue {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// 400 `invalidFilter` (or `tooMany`): the provider cannot answer this search.
    #[error("the SCIM provider refused the search filter ({details})")]
    FilterRefused {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// Another answer that is neither success nor one of the above.
    #[error("the SCIM provider refused the request ({details})")]
    Rejected {
        /// The provider's answer.
        details: Box<ErrorDetails>,
    },
    /// Still throttled (429) after the retry budget was spent.
    #[error(
        "the SCIM provider kept throttling after {attempts} attempts: try again later, or lower \
         the sync's concurrency ({details})"
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
        "the SCIM provider is unavailable after {attempts} attempts: try again later ({details})"
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
            ScimError::Throttled { .. } => ErrorKind::Throttled,
            ScimError::Unavailable { .. } | ScimError::Transport { .. } => ErrorKind::Unavailable,
            ScimError::InvalidResponse { .. } | ScimError::Paging { .. } => {
                ErrorKind::InvalidResponse
            }
            ScimError::PreconditionFailed { .. }
            | ScimError::FilterRefused { .. }
            | ScimError::Rejected { .. }
            | ScimError::Config(_) => ErrorKind::Other,
        }
    }

    /// The error for an answer that is not a success and is not retried (any more), after
    /// `attempts`, that asked to wait `retry_after`.
    pub(crate) fn from_answer(
        details: ErrorDetails,
        attempts: u32,
        retry_after: Option<Duration>,
    ) -> ScimError {
        let details = Box::new(details);
        match details.status.unwrap_or_default() {
            401 => ScimError::Unauthorized { details },
            403 => ScimError::PermissionDenied { details },
            404 => ScimError::NotFound { details },
            409 if details.scim_type.is_none() || details.scim_type_is("uniqueness") => {
                ScimError::AlreadyExists { details }
            }
            412 => ScimError::PreconditionFailed { details },
            400 if details.scim_type_is("invalidFilter") || details.scim_type_is("tooMany") => {
                ScimError::FilterRefused { details }
            }
            400 => ScimError::InvalidValue { details },
            429 => ScimError::Throttled { retry_after, attempts, details },
            500..=599 => ScimError::Unavailable { attempts, details },
            _ => ScimError::Rejected { details },
        }
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
        ScimError::from_answer(ErrorDetails::from_response(status, body), 1, None)
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
    fn a_body_that_is_not_scim_is_kept_raw_and_cut() {
        let body = "å".repeat(5000);
        let d = ErrorDetails::from_response(500, &body);
        assert_eq!((d.scim_type.as_deref(), d.detail.as_deref()), (None, None));
        assert!(d.body.len() <= 4096 + "…".len());
    }
}

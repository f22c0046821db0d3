//! The crate's error, built from Huma's error answers, and its mapping to the core's error kinds.

use crate::ids::HumaUserId;
use dirsync::directory::{DirectoryError, ErrorKind};
use dirsync_runtime::{ErrorDetails, KEPT_BODY, SendError, truncate};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// Something went wrong talking to Huma. Each variant says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HumaError {
    /// The client was configured wrongly (a bad base URL, missing credentials).
    #[error("invalid Huma client configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// Huma refused the Client ID and Client secret.
    #[error(
        "Huma refused the API key (HTTP {status}{}): check the Client ID and Client secret under System settings → Open API",
        suffix(.description)
    )]
    InvalidCredentials {
        /// The HTTP status of the token endpoint's answer.
        status: u16,
        /// What Huma said, if anything.
        description: Option<String>,
    },
    /// Huma refused a freshly fetched access token.
    #[error(
        "Huma refused the access token even after fetching a new one{}: check that the API key under System settings → Open API still exists and may use this endpoint",
        suffix(.description)
    )]
    Unauthorized {
        /// What Huma said, if anything.
        description: Option<String>,
    },
    /// Huma refused one or more values (HTTP 400).
    #[error("Huma refused the request: {message}{}", fields_suffix(.fields))]
    InvalidField {
        /// Huma's error code, e.g. `field:invalid-format`.
        code: Option<String>,
        /// Huma's message.
        message: String,
        /// The fields Huma named.
        fields: Vec<String>,
    },
    /// The object does not exist (HTTP 404, `object:not-found`).
    #[error("not found in Huma: {message}")]
    NotFound {
        /// Huma's message.
        message: String,
        /// What Huma says was looked for (e.g. `type`, `id`).
        interpolations: BTreeMap<String, String>,
    },
    /// The API key may not do this (HTTP 403).
    #[error(
        "Huma denied access (HTTP 403){}: give the API key the permissions it needs under System settings → Open API",
        suffix(.message)
    )]
    Forbidden {
        /// Huma's message, if any.
        message: Option<String>,
    },
    /// Huma kept asking to slow down (HTTP 429) beyond the retry budget.
    #[error("Huma kept asking to slow down (HTTP 429){}: try again later", after(.retry_after))]
    Throttled {
        /// How long Huma asked to wait, if it said.
        retry_after: Option<Duration>,
    },
    /// Huma answered with a server error beyond the retry budget.
    #[error("Huma had a server error (HTTP {status}){}: try again later", suffix(.message))]
    Server {
        /// The HTTP status.
        status: u16,
        /// Huma's message, if the answer could be read.
        message: Option<String>,
        /// How long Huma asked to wait, if it said.
        retry_after: Option<Duration>,
        /// The answer's body (its start).
        body: String,
    },
    /// Huma, or a front end before it, said the request itself was malformed (411 Length
    /// Required, 413, 415): a bug in this program, never a refusal of the person's values.
    #[error(
        "Huma refused the request as malformed (HTTP {status}): this is a bug in dirsync, not a problem with the data: please report it with this message: {body}"
    )]
    MalformedRequest {
        /// The HTTP status.
        status: u16,
        /// The answer's body (its start).
        body: String,
    },
    /// An answer this client does not expect.
    #[error("Huma answered HTTP {status} unexpectedly: {body}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// The answer's body (its start).
        body: String,
    },
    /// An answer that could not be understood.
    #[error("could not understand Huma's answer to {what}")]
    Decode {
        /// Which call was answered.
        what: String,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
        /// The answer's body (its start), withheld where it could hold a token.
        body: String,
    },
    /// Huma could not be reached or the connection failed, on every attempt the retry policy
    /// allowed.
    #[error("could not reach Huma: check the network and the base URL")]
    Http(#[from] SendError),
    /// A job title that does not exist in Huma, and creating job titles is not allowed.
    #[error(
        "job title {name:?} does not exist in Huma: create it under the job titles in Huma, or allow creating job titles"
    )]
    JobTitleNotFound {
        /// The title's name.
        name: String,
    },
    /// The user has no current position, which is where job title and start date are kept.
    #[error(
        "user {user} has no current position in Huma, where job title and employment start date are kept: add a position to the user in Huma"
    )]
    NoCurrentPosition {
        /// The user.
        user: HumaUserId,
    },
    /// A person cannot be created in Huma without this value.
    #[error("a person cannot be created in Huma without {missing}")]
    MissingForCreate {
        /// The missing value.
        missing: &'static str,
    },
    /// A value of the wrong kind was given for a field.
    #[error("a value of the wrong kind was given for {field}")]
    WrongKind {
        /// The field.
        field: dirsync::model::Field,
    },
    /// The pages of a listing contradict each other (a page longer than asked for, or a full
    /// page of only items already read, as when `offset` is ignored): the read was stopped
    /// rather than trusted.
    #[error(
        "Huma's pages of {what} contradict each other ({reason}); the read was stopped: try again later, and tell Huma's support if it persists"
    )]
    InconsistentPages {
        /// What was being listed.
        what: String,
        /// What did not fit.
        reason: String,
    },
    /// A team, location or company of the scope does not exist in Huma (`GET /groups/{id}`
    /// answered 404): nothing is read, since an empty scope would look as if everyone left it.
    #[error(
        "the Huma {kind} {id} of the scope does not exist: check the {kind} UUIDs given for the scope (in Huma, the {kind}'s page shows its id)"
    )]
    GroupNotFound {
        /// `team`, `location` or `company`.
        kind: &'static str,
        /// The UUID given.
        id: String,
    },
    /// Part of a change was made before a later step failed.
    #[error("{done}, but a later step failed")]
    Incomplete {
        /// What was done.
        done: String,
        /// What failed.
        #[source]
        source: Box<HumaError>,
    },
}

fn suffix(text: &Option<String>) -> String {
    match text {
        Some(text) if !text.is_empty() => format!(": {text}"),
        _ => String::new(),
    }
}

fn fields_suffix(fields: &[String]) -> String {
    if fields.is_empty() { String::new() } else { format!(" (fields: {})", fields.join(", ")) }
}

fn after(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(", asked to wait {}s", wait.as_secs()),
        None => String::new(),
    }
}

impl HumaError {
    /// The core's kind of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HumaError::InvalidCredentials { .. } | HumaError::Unauthorized { .. } => {
                ErrorKind::Authentication
            }
            HumaError::InvalidField { .. }
            | HumaError::JobTitleNotFound { .. }
            | HumaError::MissingForCreate { .. }
            | HumaError::WrongKind { .. } => ErrorKind::InvalidValue,
            HumaError::NotFound { .. } => ErrorKind::NotFound,
            HumaError::Forbidden { .. } | HumaError::NoCurrentPosition { .. } => {
                ErrorKind::PermissionDenied
            }
            HumaError::Throttled { .. } => ErrorKind::Throttled,
            HumaError::Server { .. } | HumaError::Http(_) => ErrorKind::Unavailable,
            HumaError::Decode { .. } | HumaError::InconsistentPages { .. } => {
                ErrorKind::InvalidResponse
            }
            HumaError::MalformedRequest { .. } => ErrorKind::Protocol,
            HumaError::Unexpected { status: 409, .. } => ErrorKind::AlreadyExists,
            HumaError::Incomplete { source, .. } => source.kind(),
            HumaError::Config { .. }
            | HumaError::Unexpected { .. }
            | HumaError::GroupNotFound { .. } => ErrorKind::Other,
        }
    }

    /// The error for a non-success answer from an API call (not the token endpoint).
    pub(crate) fn from_answer(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Self {
        match status {
            400 => match serde_json::from_slice::<InvalidFieldFormat>(body) {
                Ok(e) => HumaError::InvalidField {
                    code: e.error_code,
                    message: e.error_message.unwrap_or_else(|| "invalid request".to_owned()),
                    fields: e.fields.unwrap_or_default(),
                },
                Err(_) => HumaError::Unexpected { status, body: kept(body) },
            },
            401 => HumaError::Unauthorized { description: said(status, body) },
            403 => HumaError::Forbidden { message: said(status, body) },
            404 => match serde_json::from_slice::<NotFoundError>(body) {
                Ok(e) => HumaError::NotFound {
                    message: e.error_message.unwrap_or_else(|| "object not found".to_owned()),
                    interpolations: e
                        .interpolations
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, json_text(v)))
                        .collect(),
                },
                Err(_) => HumaError::NotFound {
                    message: format!("HTTP 404: {}", kept(body)),
                    interpolations: BTreeMap::new(),
                },
            },
            411 | 413 | 415 => HumaError::MalformedRequest { status, body: kept(body) },
            429 => HumaError::Throttled { retry_after },
            500..=599 => HumaError::Server {
                status,
                message: said(status, body),
                retry_after,
                body: kept(body),
            },
            _ => HumaError::Unexpected { status, body: kept(body) },
        }
    }

    /// A decoding failure, keeping the body.
    pub(crate) fn decode(what: impl Into<String>, source: serde_json::Error, body: &[u8]) -> Self {
        HumaError::Decode { what: what.into(), source, body: kept(body) }
    }
}

impl From<HumaError> for DirectoryError {
    fn from(error: HumaError) -> Self {
        DirectoryError::from_source(error.kind(), error)
    }
}

/// The start of a body, as text, for an error.
pub(crate) fn kept(body: &[u8]) -> String {
    truncate(&String::from_utf8_lossy(body), KEPT_BODY)
}

/// What an error answer says (its message, else its code), read by the runtime's one reader of
/// error bodies: Huma answers `{"errorMessage"}`, `{"message"}` (a server error) and OAuth's
/// `{"error", "error_description"}` (the token endpoint).
pub(crate) fn said(status: u16, body: &[u8]) -> Option<String> {
    let details = ErrorDetails::from_response(status, None, &String::from_utf8_lossy(body));
    details.message.or(details.code)
}

fn json_text(value: serde_json::Value) -> String {
    match value {
        serde_json::Value::String(text) => text,
        other => other.to_string(),
    }
}

/// `InvalidFieldFormatResponse`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InvalidFieldFormat {
    error_code: Option<String>,
    error_message: Option<String>,
    fields: Option<Vec<String>>,
}

/// `NotFoundErrorResponse`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotFoundError {
    error_message: Option<String>,
    interpolations: Option<BTreeMap<String, serde_json::Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_field_keeps_message_and_fields() {
        let body = br#"{"errorCode":"field:invalid-format","errorMessage":"Invalid field Format","fields":["homeAddress.country","phone"]}"#;
        let err = HumaError::from_answer(400, None, body);
        let HumaError::InvalidField { code, message, fields } = &err else { panic!("{err:?}") };
        assert_eq!(code.as_deref(), Some("field:invalid-format"));
        assert_eq!(message, "Invalid field Format");
        assert_eq!(fields, &["homeAddress.country", "phone"]);
        assert!(err.to_string().contains("homeAddress.country, phone"));
        assert_eq!(err.kind(), ErrorKind::InvalidValue);
    }

    #[test]
    fn an_unparsable_body_is_kept() {
        let err = HumaError::from_answer(400, None, b"<html>bad gateway</html>");
        assert!(
            matches!(&err, HumaError::Unexpected { status: 400, body } if body.contains("<html>"))
        );
    }

    #[test]
    fn kept_bodies_are_cut_on_a_character_boundary() {
        let long = "é".repeat(KEPT_BODY);
        let text = kept(long.as_bytes());
        assert!(text.ends_with('…'));
        assert!(text.len() <= KEPT_BODY + '…'.len_utf8());
    }

    #[test]
    fn kinds_follow_the_core() {
        assert_eq!(HumaError::from_answer(503, None, b"").kind(), ErrorKind::Unavailable);
        assert_eq!(HumaError::from_answer(429, None, b"").kind(), ErrorKind::Throttled);
        assert_eq!(HumaError::from_answer(401, None, b"").kind(), ErrorKind::Authentication);
        assert_eq!(HumaError::from_answer(403, None, b"").kind(), ErrorKind::PermissionDenied);
        assert_eq!(HumaError::from_answer(409, None, b"").kind(), ErrorKind::AlreadyExists);
        assert_eq!(HumaError::from_answer(404, None, b"").kind(), ErrorKind::NotFound);
    }

    #[test]
    fn a_malformed_request_is_a_protocol_error_never_an_invalid_value() {
        for status in [411, 413, 415] {
            let err = HumaError::from_answer(status, None, b"<h1>Length Required</h1>");
            assert_eq!(err.kind(), ErrorKind::Protocol, "{status}");
            assert!(!dirsync::held::is_held_back(err.kind()));
            assert!(err.to_string().contains("bug in dirsync"), "{err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_answer_maps_to_an_error_without_panicking(
            status in 100u16..600,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let err = HumaError::from_answer(status, None, &body);
            let _ = (err.kind(), err.to_string());
        }
    }
}

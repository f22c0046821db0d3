//! What a service said when it refused a request, read the same way for every client.

use crate::transport::Answer;
use serde_json::{Map, Value};
use std::fmt;

/// How much of an answer's body an error keeps.
pub const KEPT_BODY: usize = 4096;

/// What the server said when it refused a request: kept so that support can trace it.
///
/// Read from the answer by [`ErrorDetails::from_answer`], which knows the error shapes the
/// clients meet: OData's and Microsoft Graph's `{"error": {"code", "message", "innerError"}}`,
/// OAuth 2's `{"error", "error_description"}`, SCIM's `{"scimType", "detail"}` and the common
/// `{"errorCode", "errorMessage"}` and `{"message"}`.
///
/// ```
/// use dirsync_runtime::ErrorDetails;
/// let body = r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges.","innerError":{"request-id":"r-1"}}}"#;
/// let details = ErrorDetails::from_response(403, None, body);
/// assert_eq!(details.code.as_deref(), Some("Authorization_RequestDenied"));
/// assert_eq!(details.to_string(), "HTTP 403, Authorization_RequestDenied, request id r-1");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// The service's error code (`Authorization_RequestDenied`, `invalid_client`, a SCIM
    /// `scimType` such as `uniqueness`).
    pub code: Option<String>,
    /// The service's message.
    pub message: Option<String>,
    /// The request id (a `request-id` header, Graph's `innerError.request-id`, or the identity
    /// platform's `trace_id`).
    pub request_id: Option<String>,
    /// The raw body, cut to [`KEPT_BODY`] bytes.
    pub body: String,
}

/// The headers a request id comes in, most specific first.
const REQUEST_ID_HEADERS: [&str; 4] =
    ["request-id", "client-request-id", "x-ms-request-id", "x-request-id"];

impl ErrorDetails {
    /// The details of a refused answer: its status, the request id of its headers, and what its
    /// body says.
    pub fn from_answer(answer: &Answer) -> ErrorDetails {
        let request_id = REQUEST_ID_HEADERS.iter().find_map(|name| answer.header(name));
        ErrorDetails::from_response(
            answer.status.as_u16(),
            request_id.map(str::to_owned),
            &answer.text(),
        )
    }

    /// The details of an answer with `status` and `body`, reading the error shapes there are.
    pub fn from_response(status: u16, request_id: Option<String>, body: &str) -> ErrorDetails {
        let mut details = ErrorDetails {
            status: Some(status),
            request_id,
            body: truncate(body, KEPT_BODY),
            ..ErrorDetails::default()
        };
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(body) else { return details };
        let nested = map.get("error").and_then(Value::as_object);
        let in_error = |key: &str| nested.and_then(|error| text(error, key));
        details.code = in_error("code")
            .or_else(|| text(&map, "error"))
            .or_else(|| text(&map, "errorCode"))
            .or_else(|| text(&map, "scimType"));
        details.message = in_error("message")
            .or_else(|| text(&map, "error_description"))
            .or_else(|| text(&map, "errorMessage"))
            .or_else(|| text(&map, "detail"))
            .or_else(|| text(&map, "message"));
        if details.request_id.is_none() {
            details.request_id = nested
                .and_then(|error| error.get("innerError"))
                .and_then(Value::as_object)
                .and_then(|inner| text(inner, "request-id"))
                .or_else(|| text(&map, "trace_id"));
        }
        details
    }

    /// Whether the service said the request itself was malformed: 411 Length Required, 413
    /// Content Too Large or 415 Unsupported Media Type. Such a refusal is a bug in the program
    /// that sent the request, never a refusal of the values in it.
    pub fn is_malformed_request(&self) -> bool {
        matches!(self.status, Some(411 | 413 | 415))
    }
}

/// A non-blank string at `key`.
fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    map.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty()).map(str::to_owned)
}

impl fmt::Display for ErrorDetails {
    /// `HTTP 403, Authorization_RequestDenied, request id r-1`: what support needs to trace the
    /// answer (the message is the error's own to show).
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
        f.write_str(&parts.join(", "))
    }
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when something was cut:
/// for bodies and reasons kept in errors, which a hostile or broken server can make huge.
///
/// ```
/// use dirsync_runtime::truncate;
/// assert_eq!(truncate("short", 10), "short");
/// assert_eq!(truncate("ååå", 5), "åå…");
/// ```
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_shape_gives_its_code_message_and_request_id() {
        let read = |body: &str| {
            let d = ErrorDetails::from_response(400, None, body);
            (d.code, d.message, d.request_id)
        };
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(
            read(
                r#"{"error":{"code":"Request_BadRequest","message":"Bad.","innerError":{"request-id":"r-1"}}}"#
            ),
            (some("Request_BadRequest"), some("Bad."), some("r-1"))
        );
        assert_eq!(
            read(
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: x","trace_id":"t-1"}"#
            ),
            (some("invalid_client"), some("AADSTS7000215: x"), some("t-1"))
        );
        assert_eq!(
            read(r#"{"errorCode":"field:invalid-format","errorMessage":"Invalid phone"}"#),
            (some("field:invalid-format"), some("Invalid phone"), None)
        );
        assert_eq!(
            read(r#"{"schemas":[],"status":"409","scimType":"uniqueness","detail":"taken"}"#),
            (some("uniqueness"), some("taken"), None)
        );
        assert_eq!(
            read(r#"{"status":500,"error":"Internal Server Error","message":"Something broke"}"#),
            (some("Internal Server Error"), some("Something broke"), None)
        );
        assert_eq!(read("<html>bad gateway</html>"), (None, None, None));
        assert_eq!(read(r#"{"error":{"code":7,"message":[]}}"#), (None, None, None));
    }

    #[test]
    fn a_request_id_header_wins_over_the_body() {
        let body = r#"{"error":{"code":"x","innerError":{"request-id":"from-body"}}}"#;
        let d = ErrorDetails::from_response(500, Some("from-header".into()), body);
        assert_eq!(d.request_id.as_deref(), Some("from-header"));
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary() {
        let body = "å".repeat(KEPT_BODY);
        let d = ErrorDetails::from_response(500, None, &body);
        assert!(d.body.ends_with('…'));
        assert!(d.body.len() <= KEPT_BODY + '…'.len_utf8());
        assert_eq!(truncate("abc", 0), "…");
    }

    #[test]
    fn length_size_and_media_type_refusals_are_malformed_requests() {
        for (status, malformed) in
            [(411, true), (413, true), (415, true), (400, false), (404, false)]
        {
            let d = ErrorDetails::from_response(status, None, "");
            assert_eq!(d.is_malformed_request(), malformed, "{status}");
        }
    }
}

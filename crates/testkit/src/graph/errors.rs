//! Graph's error bodies: `{"error":{"code","message","innerError":{...}}}`.

use crate::server::{Reply, trace_id};
use serde_json::json;

/// A Graph error answer with its `request-id` header.
pub(crate) fn error(status: u16, code: &str, message: impl Into<String>) -> Reply {
    let request_id = trace_id();
    let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
    Reply::json(
        status,
        json!({"error": {
            "code": code,
            "message": message.into(),
            "innerError": {"date": date, "request-id": request_id, "client-request-id": request_id},
        }}),
    )
    .header("request-id", request_id)
}

pub(crate) fn bad_request(message: impl Into<String>) -> Reply {
    error(400, "Request_BadRequest", message)
}

pub(crate) fn not_found(id: &str) -> Reply {
    error(
        404,
        "Request_ResourceNotFound",
        format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        ),
    )
}

pub(crate) fn invalid_value(property: &str) -> Reply {
    bad_request(format!("Invalid value specified for property '{property}' of resource 'User'."))
}

pub(crate) fn throttled(retry_after_secs: u64) -> Reply {
    error(429, "TooManyRequests", "Too many requests. Please retry again later.")
        .header("Retry-After", retry_after_secs.to_string())
}

pub(crate) fn server_error(status: u16) -> Reply {
    let (code, message) = match status {
        503 => ("serviceNotAvailable", "The service is temporarily unavailable."),
        504 => ("gatewayTimeout", "The gateway did not receive a timely response."),
        _ => ("generalException", "An unexpected error occurred."),
    };
    error(status, code, message)
}

pub(crate) fn unauthorized(message: &str) -> Reply {
    error(401, "InvalidAuthenticationToken", message).header(
        "WWW-Authenticate",
        "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
    )
}

pub(crate) fn forbidden() -> Reply {
    error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
}

//! Huma's error bodies, as its OpenAPI spec gives them.

use crate::server::Reply;
use serde_json::json;

/// 400 `InvalidFieldFormatResponse`.
pub(crate) fn invalid_fields(message: &str, fields: &[String]) -> Reply {
    let mut unique: Vec<&String> = Vec::new();
    for field in fields {
        if !unique.contains(&field) {
            unique.push(field);
        }
    }
    Reply::json(
        400,
        json!({"errorCode": "field:invalid-format", "errorMessage": message, "fields": unique}),
    )
}

/// 400 for one field.
pub(crate) fn invalid_field(field: &str, message: &str) -> Reply {
    invalid_fields(message, &[field.to_owned()])
}

/// 404 `NotFoundErrorResponse`.
pub(crate) fn not_found(kind: &str, id: &str) -> Reply {
    Reply::json(
        404,
        json!({
            "errorCode": "object:not-found",
            "errorMessage": format!("{kind} not found"),
            "interpolations": {"type": kind, "id": id},
        }),
    )
}

/// 401 `InvalidTokenResponse`.
pub(crate) fn invalid_token(error: &str, description: &str) -> Reply {
    Reply::json(401, json!({"error": error, "error_description": description}))
        .header("WWW-Authenticate", format!("Bearer error=\"{error}\""))
}

/// `StandardServerErrorResponse` (also used for 404/405 on unknown paths and for 429).
pub(crate) fn standard(status: u16, path: &str, message: &str) -> Reply {
    let error = match status {
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Internal Server Error",
    };
    Reply::json(
        status,
        json!({
            "timestamp": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "status": status,
            "error": error,
            "message": message,
            "path": path,
        }),
    )
}

//! Sending one request through the shared runtime, and reading its answer the Graph way.

use crate::errors::{ErrorDetails, GraphError};
pub(crate) use dirsync_runtime::{Answer, Transport};
use reqwest::RequestBuilder;
use std::time::Duration;

/// The request id Graph or the login service gave an answer.
pub(crate) fn request_id(answer: &Answer) -> Option<String> {
    ["request-id", "client-request-id", "x-ms-request-id"]
        .iter()
        .find_map(|name| answer.header(name).map(str::to_owned))
}

/// What the server said in a refusal.
pub(crate) fn details(answer: &Answer) -> ErrorDetails {
    ErrorDetails::from_response(answer.status.as_u16(), request_id(answer), &answer.text())
}

/// Sends through `transport` (which retries within the policy) and returns an answer that is not
/// a throttle or an outage: those, still there when the retries are spent, become
/// [`GraphError::Throttled`] and [`GraphError::Unavailable`]. `on_throttle` hears every 429.
pub(crate) async fn send(
    transport: &Transport,
    what: &'static str,
    idempotent: bool,
    build: impl Fn() -> RequestBuilder,
    on_throttle: impl Fn(Option<Duration>),
) -> Result<Answer, GraphError> {
    let answer = transport
        .send_observed(idempotent, build, on_throttle)
        .await
        .map_err(|source| GraphError::Transport { what, source })?;
    let attempts = answer.attempts;
    match answer.status.as_u16() {
        429 => Err(GraphError::Throttled {
            retry_after: answer.retry_after,
            attempts,
            details: Box::new(details(&answer)),
        }),
        500..=599 => Err(GraphError::Unavailable { attempts, details: Box::new(details(&answer)) }),
        _ => Ok(answer),
    }
}

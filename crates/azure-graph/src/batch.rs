//! Writing many users through JSON batches (`/$batch`, at most 20 requests each).

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use crate::ids::GraphUserId;
use crate::model::UserPatch;
use dirsync_runtime::{ErrorDetails, KEPT_BODY, Retries, truncate};
use futures::StreamExt;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The most requests Graph accepts in one batch.
pub const MAX_BATCH: usize = 20;

#[derive(Deserialize)]
struct BatchAnswer {
    responses: Vec<InnerAnswer>,
}

#[derive(Deserialize)]
struct InnerAnswer {
    id: String,
    status: u16,
    #[serde(default)]
    headers: Map<String, Value>,
    #[serde(default)]
    body: Value,
}

impl InnerAnswer {
    fn header(&self, name: &str) -> Option<String> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    }

    fn details(&self) -> ErrorDetails {
        let body = if self.body.is_null() { String::new() } else { self.body.to_string() };
        ErrorDetails::from_response(self.status, self.header("request-id"), &body)
    }

    fn retry_after(&self) -> Option<Duration> {
        dirsync_runtime::parse_retry_after(&self.header("retry-after")?, chrono::Utc::now())
    }

    /// The error of a request still throttled or unavailable after `attempts`.
    fn gave_up(self, attempts: u32) -> GraphError {
        let details = Box::new(self.details());
        if self.status == 429 {
            GraphError::Throttled { retry_after: self.retry_after(), attempts, details }
        } else {
            GraphError::Unavailable { attempts, details }
        }
    }
}

impl GraphClient {
    /// PATCHes many users through `/$batch`, 20 per batch, and returns one result per input, in
    /// input order.
    ///
    /// Each inner answer is read on its own: a 403 on one user (an admin's phone) fails that user
    /// only; inner 429s (and 503/504s) are sent again without the requests that succeeded, in a
    /// new batch of their own, once the longest of their `Retry-After`s has passed (else after a
    /// backoff), within the retry policy's caps. Batches run up to the client's
    /// concurrency and every inner request counts against the write budget. Empty patches send
    /// nothing and succeed.
    pub async fn update_users(
        &self,
        updates: &[(GraphUserId, UserPatch)],
    ) -> Vec<Result<(), GraphError>> {
        let wanted: Vec<usize> = (0..updates.len()).filter(|&i| !updates[i].1.is_empty()).collect();
        let mut results: Vec<Result<(), GraphError>> = (0..updates.len()).map(|_| Ok(())).collect();
        let chunks: Vec<Vec<usize>> = wanted.chunks(MAX_BATCH).map(<[usize]>::to_vec).collect();
        let done: Vec<Vec<(usize, Result<(), GraphError>)>> = futures::stream::iter(chunks)
            .map(|chunk| self.run_batch(updates, chunk))
            .buffer_unordered(self.batch_concurrency())
            .collect()
            .await;
        for (i, result) in done.into_iter().flatten() {
            results[i] = result;
        }
        results
    }

    fn batch_concurrency(&self) -> usize {
        // The transport limits requests in flight; this only keeps enough batches ready.
        self.max_concurrency().max(8)
    }

    /// One group of at most 20, with its inner retries.
    async fn run_batch(
        &self,
        updates: &[(GraphUserId, UserPatch)],
        chunk: Vec<usize>,
    ) -> Vec<(usize, Result<(), GraphError>)> {
        let mut retries = Retries::new(*self.retry_policy());
        let mut out = Vec::with_capacity(chunk.len());
        let mut pending = chunk;
        while !pending.is_empty() {
            let parsed = match self.send_batch(updates, &pending).await {
                Ok(parsed) => parsed,
                Err(shared) => {
                    let failed = |&i: &usize| (i, Err(GraphError::BatchFailed(shared.clone())));
                    out.extend(pending.iter().map(failed));
                    return out;
                }
            };
            let again = sort_answers(parsed, &pending, &mut out);
            if again.is_empty() {
                break;
            }
            let server_wait = again.iter().filter_map(|(_, a)| a.retry_after()).max();
            if again.iter().any(|(_, a)| a.status == 429) {
                self.writes_throttled(server_wait);
            }
            let attempt = retries.attempts();
            let Some(delay) = retries.next_wait(server_wait) else {
                out.extend(again.into_iter().map(|(i, inner)| (i, Err(inner.gave_up(attempt)))));
                break;
            };
            tracing::info!(
                count = again.len(),
                wait_ms = delay.as_millis() as u64,
                "retrying throttled batch requests"
            );
            self.clock().sleep(delay).await;
            pending = again.into_iter().map(|(i, _)| i).collect();
        }
        out
    }

    /// Sends the PATCHes `pending` of `updates` as one batch and reads its answer; an error
    /// fails every request of the batch alike.
    async fn send_batch(
        &self,
        updates: &[(GraphUserId, UserPatch)],
        pending: &[usize],
    ) -> Result<BatchAnswer, Arc<GraphError>> {
        let requests: Vec<Value> = pending
            .iter()
            .map(|&i| {
                let (id, patch) = &updates[i];
                json!({
                    "id": i.to_string(),
                    "method": "PATCH",
                    "url": format!("/users/{}", id.path_segment()),
                    "headers": {"Content-Type": "application/json"},
                    "body": patch.to_json(),
                })
            })
            .collect();
        let body = json!({ "requests": requests });
        let writes = u32::try_from(pending.len()).unwrap_or(u32::MAX);
        // Each inner request carries its Content-Type (Graph refuses a batched write without
        // one); the batch itself is sent again after a server error, as its PATCHes are.
        let call = Call { writes, idempotent: Some(true), body: Some(&body), ..Call::default() };
        let answer = self.call(Method::POST, &self.api("/$batch"), call).await.map_err(Arc::new)?;
        serde_json::from_slice(&answer.body).map_err(|e| {
            Arc::new(GraphError::InvalidResponse {
                reason: format!("the batch answer could not be read: {e}"),
                body: truncate(&answer.text(), KEPT_BODY),
            })
        })
    }
}

/// Puts each inner answer to `pending`'s requests in `out`, and returns those to send again
/// (throttled or unavailable). A request the answer leaves out is a failure of its own.
fn sort_answers(
    parsed: BatchAnswer,
    pending: &[usize],
    out: &mut Vec<(usize, Result<(), GraphError>)>,
) -> Vec<(usize, InnerAnswer)> {
    let mut again = Vec::new();
    let mut answered = std::collections::HashSet::new();
    for inner in parsed.responses {
        let Some(i) = inner.id.parse::<usize>().ok().filter(|i| pending.contains(i)) else {
            tracing::warn!(id = %inner.id, "batch answer for a request that was not sent");
            continue;
        };
        if !answered.insert(i) {
            continue;
        }
        match inner.status {
            200..=299 => out.push((i, Ok(()))),
            429 | 503 | 504 => again.push((i, inner)),
            _ => out.push((i, Err(GraphError::from_graph(inner.details(), true)))),
        }
    }
    for &i in pending.iter().filter(|i| !answered.contains(i)) {
        let reason = format!("the batch answer has no response for request {i}");
        out.push((i, Err(GraphError::InvalidResponse { reason, body: String::new() })));
    }
    again
}

//! Sending one HTTP request with bounded concurrency, retrying throttling and faults.

use crate::errors::{ErrorDetails, GraphError};
use crate::retry::{RetryPolicy, Sleep, retry_after};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// A complete answer: status, headers and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) request_id: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn details(&self) -> ErrorDetails {
        ErrorDetails::from_response(self.status.as_u16(), self.request_id.clone(), &self.text())
    }
}

/// Counts of what the client sent, for measurements and logs.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) retries: AtomicU64,
}

/// What a client has sent so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// HTTP requests sent, retries and token requests included (a `$batch` counts once).
    pub requests: u64,
    /// Of those, retries after a throttle, a server error or a network fault.
    pub retries: u64,
}

/// The HTTP client with its retry policy, its clock and its concurrency limit.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    retry: RetryPolicy,
    sleep: Arc<dyn Sleep>,
    permits: Arc<Semaphore>,
    counters: Arc<Counters>,
}

impl Transport {
    pub(crate) fn new(
        http: reqwest::Client,
        retry: RetryPolicy,
        sleep: Arc<dyn Sleep>,
        max_concurrency: usize,
    ) -> Transport {
        Transport {
            http,
            retry,
            sleep,
            permits: Arc::new(Semaphore::new(max_concurrency.max(1))),
            counters: Arc::default(),
        }
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    pub(crate) fn sleeper(&self) -> &Arc<dyn Sleep> {
        &self.sleep
    }

    pub(crate) fn stats(&self) -> RequestStats {
        RequestStats {
            requests: self.counters.requests.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
        }
    }

    /// Sends the request `build` makes, retrying 429, 503 and 504 (after `Retry-After`, else a
    /// backoff) and, when `idempotent`, network faults, within the retry policy's caps.
    ///
    /// Any other answer, success or not, is returned for the caller to read.
    pub(crate) async fn send(
        &self,
        what: &'static str,
        idempotent: bool,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Answer, GraphError> {
        let mut attempt: u32 = 0;
        let mut waited = Duration::ZERO;
        loop {
            attempt += 1;
            if attempt > 1 {
                self.counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            let result = {
                // The semaphore is never closed; if it were, sending unlimited is the safe fallback.
                let _permit = self.permits.acquire().await.ok();
                self.counters.requests.fetch_add(1, Ordering::Relaxed);
                read(build()).await
            };
            let (delay, failure) = match result {
                Ok(answer) => {
                    let status = answer.status.as_u16();
                    if !matches!(status, 429 | 503 | 504) {
                        tracing::debug!(status, attempt, "answer");
                        return Ok(answer);
                    }
                    let server_wait = retry_after(&answer.headers);
                    let delay = self.retry.delay(attempt, server_wait);
                    tracing::info!(
                        status,
                        attempt,
                        wait_ms = delay.as_millis() as u64,
                        "throttled or unavailable"
                    );
                    let details = Box::new(answer.details());
                    let failure = if status == 429 {
                        GraphError::Throttled {
                            retry_after: server_wait,
                            attempts: attempt,
                            details,
                        }
                    } else {
                        GraphError::Unavailable { attempts: attempt, details }
                    };
                    (delay, failure)
                }
                Err(source) => {
                    tracing::info!(attempt, error = %source, "request failed");
                    let failure = GraphError::Transport { what, source };
                    if !idempotent {
                        return Err(failure);
                    }
                    (self.retry.backoff(attempt), failure)
                }
            };
            if attempt >= self.retry.max_attempts || waited + delay > self.retry.max_total_wait {
                return Err(failure);
            }
            self.sleep.sleep(delay).await;
            waited += delay;
        }
    }
}

async fn read(request: RequestBuilder) -> Result<Answer, reqwest::Error> {
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let request_id = ["request-id", "client-request-id", "x-ms-request-id"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()).map(str::to_owned));
    let body = response.bytes().await?.to_vec();
    Ok(Answer { status, headers, request_id, body })
}

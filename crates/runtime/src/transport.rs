//! Sending one HTTP request: timeouts, no redirects, bounded concurrency, and the retry policy.

use crate::clock::Clock;
use crate::retry::{Retries, RetryPolicy, retry_after};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// How a [`Transport`] is set up.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// The timeout of one attempt of one request, from sending to the end of the answer.
    pub timeout: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// When and how long to retry.
    pub retry: RetryPolicy,
    /// The clock retries wait on.
    pub clock: Arc<dyn Clock>,
    /// How many requests may be in flight at once (at least 1).
    pub max_concurrency: usize,
}

/// A complete answer: status, headers and body, and how many attempts it took.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, read in full.
    pub body: Vec<u8>,
    /// Attempts made for this answer (1 when the first was answered).
    pub attempts: u32,
    /// The `Retry-After` this answer carried, if any.
    pub retry_after: Option<Duration>,
}

impl Answer {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value, if it is present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A request that got no answer: it could not be sent, the connection failed, or it timed out,
/// and the retry policy allowed no more attempts.
#[derive(Debug, thiserror::Error)]
#[error("the request failed after {attempts} attempt(s)")]
pub struct SendError {
    /// Attempts made.
    pub attempts: u32,
    /// The last failure.
    #[source]
    pub source: reqwest::Error,
}

/// What a client has sent so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestStats {
    /// HTTP requests sent, retries and token requests included.
    pub requests: u64,
    /// Of those, retries after a throttle, a server error or a network fault.
    pub retries: u64,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
}

/// The HTTP client of one service, with its retry policy, clock and concurrency limit.
///
/// Redirects are never followed: a bearer token must not travel to wherever a redirect points.
/// Answers 429 are retried for every request (the service did not act on it); 500, 502, 503 and
/// 504 and lost connections only when the request is idempotent; a refused connection (nothing
/// was sent) always.
#[derive(Clone)]
pub struct Transport {
    http: reqwest::Client,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    max_concurrency: usize,
    permits: Arc<Semaphore>,
    counters: Arc<Counters>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("retry", &self.retry)
            .field("max_concurrency", &self.max_concurrency)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// A transport with its own HTTP client.
    ///
    /// # Errors
    /// The HTTP client could not be set up (no TLS backend).
    pub fn new(config: TransportConfig) -> Result<Transport, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent)
            .build()?;
        let max_concurrency = config.max_concurrency.max(1);
        Ok(Transport {
            http,
            retry: config.retry,
            clock: config.clock,
            max_concurrency,
            permits: Arc::new(Semaphore::new(max_concurrency)),
            counters: Arc::default(),
        })
    }

    /// The HTTP client, to build requests with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// How many requests may be in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.max_concurrency
    }

    /// What has been sent so far.
    pub fn stats(&self) -> RequestStats {
        RequestStats {
            requests: self.counters.requests.load(Ordering::Relaxed),
            retries: self.counters.retries.load(Ordering::Relaxed),
        }
    }

    /// Sends the request `build` makes, retrying within the policy (see [`Transport`]).
    ///
    /// Any answer that is not retried, or the last one when the retries are spent, is returned
    /// for the caller to read, success or not.
    ///
    /// # Errors
    /// [`SendError`] when no answer came.
    pub async fn send(
        &self,
        idempotent: bool,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Answer, SendError> {
        self.send_observed(idempotent, build, |_| {}).await
    }

    /// [`Transport::send`], calling `on_throttle` with the server's `Retry-After` at every 429, as
    /// it comes (a write budget slows down on it).
    ///
    /// # Errors
    /// As [`Transport::send`].
    pub async fn send_observed(
        &self,
        idempotent: bool,
        build: impl Fn() -> RequestBuilder,
        on_throttle: impl Fn(Option<Duration>),
    ) -> Result<Answer, SendError> {
        let mut retries = Retries::new(self.retry);
        loop {
            let attempts = retries.attempts();
            let result = {
                // The semaphore is never closed; if it were, sending unlimited is the safe fallback.
                let _permit = self.permits.acquire().await.ok();
                self.counters.requests.fetch_add(1, Ordering::Relaxed);
                read(build()).await
            };
            let wait = match result {
                Ok((status, headers, body)) => {
                    let code = status.as_u16();
                    let server_wait = retry_after(&headers);
                    let answer =
                        Answer { status, headers, body, attempts, retry_after: server_wait };
                    let again = code == 429 || (idempotent && matches!(code, 500 | 502..=504));
                    if !again {
                        tracing::debug!(status = code, attempts, "answer");
                        return Ok(answer);
                    }
                    if code == 429 {
                        on_throttle(server_wait);
                    }
                    match retries.next_wait(server_wait) {
                        Some(wait) => {
                            tracing::info!(
                                status = code,
                                attempts,
                                wait_ms = wait.as_millis() as u64,
                                "throttled or unavailable; retrying"
                            );
                            wait
                        }
                        None => return Ok(answer),
                    }
                }
                Err(source) => {
                    // A refused connection never reached the service, so even a POST may be sent
                    // again; a request lost on the way may have been acted on.
                    let again = idempotent || source.is_connect();
                    match retries.next_wait(None).filter(|_| again) {
                        Some(wait) => {
                            tracing::info!(attempts, error = %source, "request failed; retrying");
                            wait
                        }
                        None => return Err(SendError { attempts, source }),
                    }
                }
            };
            self.counters.retries.fetch_add(1, Ordering::Relaxed);
            self.clock.sleep(wait).await;
        }
    }
}

async fn read(request: RequestBuilder) -> Result<(StatusCode, HeaderMap, Vec<u8>), reqwest::Error> {
    let response = request.send().await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await?.to_vec();
    Ok((status, headers, body))
}

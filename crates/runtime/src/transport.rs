//! Sending one HTTP request: timeouts, no redirects, bounded concurrency, and the retry policy.

use crate::clock::Clock;
use crate::resolve::{SystemResolver, UnresolvedHost, unresolved_host};
use crate::retry::{Retries, RetryPolicy, retry_after};
use crate::settings::ClientSettings;
use reqwest::header::{CONTENT_LENGTH, HeaderMap, HeaderValue, TRANSFER_ENCODING};
use reqwest::{Method, RequestBuilder, StatusCode};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

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

impl SendError {
    /// The host name that could not be found (DNS), when that is why no answer came: such a
    /// request is tried at most twice, since a name that does not resolve will not on a retry.
    pub fn unresolved_host(&self) -> Option<&UnresolvedHost> {
        unresolved_host(&self.source)
    }
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
/// was sent) always, except that a host name that cannot be found (DNS) is tried only once more
/// ([`SendError::unresolved_host`]): a name that did not resolve twice will not on a sixth try,
/// and six tries would only make a wrong URL take half a minute to show. Every write carries its length: a `POST`, `PUT` or `PATCH` without a body
/// is sent with `Content-Length: 0`, which Microsoft's front ends (among others) require,
/// answering 411 Length Required otherwise.
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
    /// A transport with its own HTTP client, from a client's settings (the base URL is the
    /// client's to use).
    ///
    /// # Errors
    /// The HTTP client could not be set up (no TLS backend).
    pub fn new(settings: &ClientSettings) -> Result<Transport, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(settings.user_agent.as_str())
            .dns_resolver(Arc::new(SystemResolver))
            .build()?;
        let max_concurrency = settings.max_concurrency.max(1);
        Ok(Transport {
            http,
            retry: settings.retry,
            clock: settings.clock.clone(),
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
                read(&self.http, build()).await
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
                    // again; a request lost on the way may have been acted on. A host name that
                    // is not found gets one more look-up (a passing hiccup), not the whole policy.
                    let unresolved = unresolved_host(&source).is_some();
                    let again =
                        (idempotent || source.is_connect()) && !(unresolved && attempts > 1);
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

async fn read(
    http: &reqwest::Client,
    request: RequestBuilder,
) -> Result<(StatusCode, HeaderMap, Vec<u8>), reqwest::Error> {
    let mut request = request.build()?;
    with_length(&mut request);
    let response = http.execute(request).await?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await?.to_vec();
    Ok((status, headers, body))
}

/// Gives a write without a body `Content-Length: 0`: the HTTP stack sends none for an empty
/// body, and a front end that needs the length answers 411.
fn with_length(request: &mut reqwest::Request) {
    let write = matches!(*request.method(), Method::POST | Method::PUT | Method::PATCH);
    let empty = request.body().is_none_or(|body| body.as_bytes().is_some_and(<[u8]>::is_empty));
    let headers = request.headers_mut();
    if write && empty && !headers.contains_key(CONTENT_LENGTH) {
        headers.remove(TRANSFER_ENCODING);
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
}

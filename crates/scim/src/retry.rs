//! Sending one request, and sending it again after a 429 or a 503 (honouring `Retry-After`).
//!
//! Everything about waiting and trying again lives here, behind [`send`], so that this module can
//! be replaced by a shared HTTP runtime without touching the rest of the crate.

use crate::errors::{ErrorDetails, ScimError};
use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// How often and how long a request is sent again after a 429, a 503 (any request) or a 502, a
/// 504 or a network fault (reads and `PUT`s only, which are safe to repeat).
///
/// A `Retry-After` from the provider is always honoured (seconds or an HTTP date); without one the
/// wait grows exponentially from [`RetryPolicy::base_delay`] up to [`RetryPolicy::max_delay`], with
/// jitter. Both the attempts and the total wait are capped, so a sync never retries without end.
///
/// ```
/// use dirsync_scim::RetryPolicy;
/// use std::time::Duration;
/// let quick = RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::default() };
/// assert_eq!(quick.max_attempts, 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 means never retry).
    pub max_attempts: u32,
    /// The first backoff wait when the provider gives no `Retry-After`.
    pub base_delay: Duration,
    /// The longest single backoff wait.
    pub max_delay: Duration,
    /// The most time one request may spend waiting between attempts; a `Retry-After` that would
    /// go over it ends the retries.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    /// 5 attempts, backoff from 1 s up to 30 s, at most 2 minutes of waiting per request.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_total_wait: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` (attempt counts from 1): between half and all of
    /// `base * 2^(attempt-1)`, capped at `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let full = self.base_delay.saturating_mul(1u32 << exp).min(self.max_delay);
        let half = full / 2;
        let spread = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        let jitter = if spread == 0 { 0 } else { rand::rng().random_range(0..=spread) };
        half + Duration::from_nanos(jitter)
    }
}

/// Something that waits: the retries' clock. Tests put in one that records the waits and returns
/// at once.
pub trait Sleep: Send + Sync + fmt::Debug {
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>>;
}

/// [`Sleep`] with tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl Sleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A complete answer: status, headers and body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn details(&self) -> ErrorDetails {
        ErrorDetails::from_response(self.status.as_u16(), &self.text())
    }
}

/// The retry policy and the clock it waits on.
#[derive(Debug, Clone)]
pub(crate) struct Retrier {
    pub(crate) policy: RetryPolicy,
    pub(crate) sleep: Arc<dyn Sleep>,
}

impl Retrier {
    /// Sends the request `build` makes until it gets an answer that is not retried, or the policy's
    /// caps are reached. Every answer but a retried one, success or not, is returned to be read;
    /// the last retried one becomes [`ScimError::Throttled`] or [`ScimError::Unavailable`].
    pub(crate) async fn send(
        &self,
        idempotent: bool,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Answer, ScimError> {
        let mut attempt: u32 = 0;
        let mut waited = Duration::ZERO;
        loop {
            attempt += 1;
            let (delay, failure) = match read(build()).await {
                Ok(answer) => {
                    let status = answer.status.as_u16();
                    let retried = match status {
                        429 | 503 => true,
                        502 | 504 => idempotent,
                        _ => false,
                    };
                    if !retried {
                        tracing::debug!(status, attempt, "answer");
                        return Ok(answer);
                    }
                    let server_wait = retry_after(&answer.headers);
                    let delay = server_wait.unwrap_or_else(|| self.policy.backoff(attempt));
                    tracing::info!(
                        status,
                        attempt,
                        wait_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        "throttled or unavailable"
                    );
                    let details = Box::new(answer.details());
                    let failure = if status == 429 {
                        ScimError::Throttled {
                            retry_after: server_wait,
                            attempts: attempt,
                            details,
                        }
                    } else {
                        ScimError::Unavailable { attempts: attempt, details }
                    };
                    (delay, failure)
                }
                Err(source) => {
                    tracing::info!(attempt, error = %source, "request failed");
                    let failure = ScimError::Transport { source };
                    if !idempotent {
                        return Err(failure);
                    }
                    (self.policy.backoff(attempt), failure)
                }
            };
            if attempt >= self.policy.max_attempts || waited + delay > self.policy.max_total_wait {
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
    let body = response.bytes().await?.to_vec();
    Ok(Answer { status, headers, body })
}

/// Reads a `Retry-After` header: whole seconds, or an HTTP date (a date in the past is no wait).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, chrono::Utc::now())
}

fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::Utc.with_ymd_and_hms(2015, 10, 21, 7, 27, 0).single();
        let Some(now) = now else { panic!("a valid time") };
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            assert!(p.backoff(30) <= Duration::from_millis(350));
        }
    }
}

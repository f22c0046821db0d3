//! When and how long to wait before trying a throttled or failed request again.

use futures::future::BoxFuture;
use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::fmt;
use std::time::Duration;

/// How often and how long requests are retried after a 429, a 503/504 or a network fault.
///
/// A `Retry-After` from the server is always honoured (seconds or an HTTP date); without one the
/// wait grows exponentially from [`RetryPolicy::base_delay`] up to [`RetryPolicy::max_delay`], with
/// jitter. Both the number of attempts and the total time spent waiting are capped, so a sync never
/// retries without end.
///
/// ```
/// use azure_graph::RetryPolicy;
/// use std::time::Duration;
/// let quick = RetryPolicy {
///     base_delay: Duration::from_millis(1),
///     ..RetryPolicy::default()
/// };
/// assert_eq!(quick.max_attempts, 6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 means never retry).
    pub max_attempts: u32,
    /// The first backoff wait when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// The longest single backoff wait.
    pub max_delay: Duration,
    /// The most time one request may spend waiting between attempts; a `Retry-After` that would go
    /// over it ends the retries.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts, backoff from 1 s up to 60 s, at most 5 minutes of waiting per request.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_total_wait: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` (attempt counts from 1) with "equal jitter": between
    /// half and all of `base * 2^(attempt-1)`, capped at `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let full = self.base_delay.saturating_mul(1u32 << exp).min(self.max_delay);
        let half = full / 2;
        let jitter_nanos = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        let jitter = if jitter_nanos == 0 { 0 } else { rand::rng().random_range(0..=jitter_nanos) };
        half + Duration::from_nanos(jitter)
    }

    /// How long to wait before the next attempt, given the server's `Retry-After` if any.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        retry_after.unwrap_or_else(|| self.backoff(attempt))
    }
}

/// Reads a `Retry-After` header: whole seconds, or an HTTP date (a date in the past is no wait).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, chrono::Utc::now())
}

fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - now;
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Something that waits: the retries' clock.
///
/// The default is tokio's timer; tests put in one that records the waits and returns at once, so
/// that they can assert exactly what was waited without waiting it.
pub trait Sleep: Send + Sync + fmt::Debug {
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// [`Sleep`] with tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleep;

impl Sleep for TokioSleep {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::Utc.with_ymd_and_hms(2015, 10, 21, 7, 27, 0).single().unwrap();
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
    fn backoff_grows_and_is_capped_with_jitter() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = p.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = p.backoff(3);
            assert!(third >= Duration::from_millis(175) && third <= Duration::from_millis(350));
            assert!(p.backoff(30) <= Duration::from_millis(350));
        }
    }
}

//! When and how long to wait before trying a throttled or failed request again.

use rand::Rng;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use std::time::Duration;

/// How often and how long a request is retried after a 429, a 5xx or a network fault.
///
/// A `Retry-After` from the server is honoured (seconds or an HTTP date); without one the wait
/// grows exponentially from [`RetryPolicy::base_delay`] up to [`RetryPolicy::max_delay`], with
/// jitter, so that many throttled requests do not come back at the same instant. Both the number
/// of attempts and the total time spent waiting are capped: a wait that would go over
/// [`RetryPolicy::max_total_wait`] ends the retries, with the server's last answer.
///
/// ```
/// use dirsync_runtime::RetryPolicy;
/// use std::time::Duration;
/// let quick = RetryPolicy { base_delay: Duration::from_millis(1), ..RetryPolicy::default() };
/// assert_eq!(quick.max_attempts, 6);
/// assert_eq!(RetryPolicy::none().max_attempts, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 means never retry).
    pub max_attempts: u32,
    /// The first backoff wait when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// The longest single backoff wait.
    pub max_delay: Duration,
    /// The most time one request may spend waiting between its attempts.
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
    /// One attempt, no retries.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..RetryPolicy::default() }
    }

    /// The backoff after attempt `attempt` (counting from 1) with "equal jitter": between half
    /// and all of `base_delay * 2^(attempt-1)`, capped at `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let full = self.base_delay.saturating_mul(1u32 << exp).min(self.max_delay);
        let half = full / 2;
        let spread = u64::try_from((full - half).as_nanos()).unwrap_or(u64::MAX);
        let jitter = if spread == 0 { 0 } else { rand::rng().random_range(0..=spread) };
        half + Duration::from_nanos(jitter)
    }
}

/// The retries of one request under a [`RetryPolicy`]: counts the attempts and the time waited.
#[derive(Debug, Clone)]
pub struct Retries {
    policy: RetryPolicy,
    attempt: u32,
    waited: Duration,
}

impl Retries {
    /// The retries of a request whose first attempt is being made.
    pub fn new(policy: RetryPolicy) -> Retries {
        Retries { policy, attempt: 1, waited: Duration::ZERO }
    }

    /// Attempts made so far (the one under way included).
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The wait before the next attempt (`retry_after` if the server gave one, else a backoff),
    /// or `None` when the policy allows no more: the attempts are spent, or the wait would take
    /// the total over [`RetryPolicy::max_total_wait`]. A `Some` counts the next attempt.
    pub fn next_wait(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        if self.attempt >= self.policy.max_attempts {
            return None;
        }
        let wait = retry_after.unwrap_or_else(|| self.policy.backoff(self.attempt));
        if self.waited.saturating_add(wait) > self.policy.max_total_wait {
            return None;
        }
        self.waited += wait;
        self.attempt += 1;
        Some(wait)
    }
}

/// Reads a `Retry-After` header: whole (or fractional) seconds, or an HTTP date (a date in the
/// past is no wait). A value that is neither is ignored.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, chrono::Utc::now())
}

/// Reads a `Retry-After` value as of `now`: seconds, or an HTTP date.
///
/// ```
/// use chrono::TimeZone;
/// use dirsync_runtime::parse_retry_after;
/// use std::time::Duration;
/// let now = chrono::Utc.with_ymd_and_hms(2015, 10, 21, 7, 27, 0).unwrap();
/// assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
/// assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), Some(Duration::from_secs(60)));
/// assert_eq!(parse_retry_after("soon", now), None);
/// ```
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && (0.0..1e9).contains(&seconds))
            .then(|| Duration::from_secs_f64(seconds));
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
        let now = chrono::Utc.with_ymd_and_hms(2015, 10, 21, 7, 27, 0).single().unwrap();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("1.5", now), Some(Duration::from_millis(1500)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
        assert_eq!(parse_retry_after("NaN", now), None);
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

    #[test]
    fn retries_stop_at_the_attempt_cap() {
        let mut retries = Retries::new(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() });
        assert!(retries.next_wait(None).is_some());
        assert!(retries.next_wait(None).is_some());
        assert_eq!(retries.attempts(), 3);
        assert_eq!(retries.next_wait(None), None);
        assert_eq!(Retries::new(RetryPolicy::none()).next_wait(None), None);
    }

    #[test]
    fn a_retry_after_beyond_the_total_wait_ends_the_retries() {
        let policy = RetryPolicy { max_total_wait: Duration::from_secs(60), ..Default::default() };
        let mut retries = Retries::new(policy);
        assert_eq!(retries.next_wait(Some(Duration::from_secs(40))), Some(Duration::from_secs(40)));
        assert_eq!(retries.next_wait(Some(Duration::from_secs(30))), None, "70 s > 60 s");
        assert_eq!(retries.next_wait(Some(Duration::from_secs(20))), Some(Duration::from_secs(20)));
    }
}

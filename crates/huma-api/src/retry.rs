//! When and how long to wait before trying a request again.

use std::hash::BuildHasher;
use std::time::Duration;

/// How requests are retried after HTTP 429, 5xx and connection failures.
///
/// A `Retry-After` from Huma is honoured when it is within [`RetryPolicy::max_backoff`]; a longer
/// one ends the retries at once, with the wait in the error. Without one, waits grow exponentially
/// from [`RetryPolicy::initial_backoff`], with jitter, up to [`RetryPolicy::max_backoff`].
///
/// ```
/// use huma_api::RetryPolicy;
/// use std::time::Duration;
/// // What tests use: the same behaviour, with waits too short to notice.
/// let fast = RetryPolicy {
///     max_retries: 3,
///     initial_backoff: Duration::from_millis(1),
///     max_backoff: Duration::from_millis(10),
/// };
/// assert!(fast.max_retries < RetryPolicy::default().max_retries);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a request is tried again after its first attempt.
    pub max_retries: u32,
    /// The first wait when Huma gives no `Retry-After`.
    pub initial_backoff: Duration,
    /// The longest wait, and the longest `Retry-After` that is honoured.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Four retries, from half a second up to thirty seconds.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }

    /// How long to wait before retry number `retry` (0 for the first), or `None` to stop.
    pub(crate) fn wait(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if retry >= self.max_retries {
            return None;
        }
        if let Some(asked) = retry_after {
            return (asked <= self.max_backoff).then_some(asked);
        }
        let exponential = self.initial_backoff.saturating_mul(1u32 << retry.min(16));
        let capped = exponential.min(self.max_backoff);
        // "Equal jitter": at least half the wait, so retries of many requests spread out.
        let half = capped / 2;
        Some(half + half.mul_f64(random_fraction()))
    }
}

/// A number in `[0, 1)` that differs between calls, without a random-number crate.
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// Reads a `Retry-After` value: whole seconds, or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn waits_grow_stay_capped_and_stop() {
        let policy = RetryPolicy {
            max_retries: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(1),
        };
        let first = policy.wait(0, None).unwrap();
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        let late = policy.wait(9, None).unwrap();
        assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        assert_eq!(policy.wait(10, None), None);
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap_only() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.wait(0, Some(Duration::from_secs(3))), Some(Duration::from_secs(3)));
        assert_eq!(policy.wait(0, Some(Duration::from_secs(300))), None);
        assert_eq!(RetryPolicy::none().wait(0, None), None);
    }
}

//! Keeping writes within the identity service's write budget.

use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// At most `writes` writes in any window of `per`, per app and tenant.
///
/// Graph's identity service allows 3,000 writes per 2 minutes 30 seconds per app and tenant
/// ([`WriteBudget::GRAPH`]), i.e. 20 user updates per second in steady state, whatever the
/// concurrency. The client paces its writes (each PATCH, POST, and each request inside a `$batch`)
/// so that the budget is never exceeded, instead of running into 429s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteBudget {
    /// Writes allowed in one window.
    pub writes: u32,
    /// The window.
    pub per: Duration,
}

impl WriteBudget {
    /// Graph's budget: 3,000 writes per 150 seconds.
    pub const GRAPH: WriteBudget = WriteBudget { writes: 3000, per: Duration::from_secs(150) };
}

impl Default for WriteBudget {
    fn default() -> Self {
        WriteBudget::GRAPH
    }
}

/// A token bucket with a burst of one batch (20 writes, or half the budget if smaller) refilled at
/// `(writes - burst) / per`, so that no window of length `per` holds more than `writes` writes.
#[derive(Debug)]
pub(crate) struct WriteLimiter {
    burst: f64,
    per_second: f64,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl WriteLimiter {
    pub(crate) fn new(budget: WriteBudget) -> WriteLimiter {
        let writes = f64::from(budget.writes.max(1));
        // A burst of one batch, or half the budget when that is smaller.
        let burst = (writes / 2.0).clamp(1.0, 20.0);
        let per_second = (writes - burst).max(1.0) / budget.per.as_secs_f64().max(1e-9);
        WriteLimiter {
            burst,
            per_second,
            state: Mutex::new(Bucket { tokens: burst, at: Instant::now() }),
        }
    }

    /// Waits until `n` writes fit the budget, then takes them. Callers are served in turn.
    pub(crate) async fn acquire(&self, n: u32) {
        let mut bucket = self.state.lock().await;
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.at = now;
        bucket.tokens -= f64::from(n);
        if bucket.tokens < 0.0 {
            let wait = Duration::from_secs_f64(-bucket.tokens / self.per_second);
            tracing::debug!(wait_ms = wait.as_millis() as u64, "pacing writes to the write budget");
            // Sleeping under the lock keeps the others queued behind this write.
            tokio::time::sleep(wait).await;
            bucket.tokens = 0.0;
            bucket.at = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn graph_budget_allows_a_burst_then_about_20_per_second() {
        let limiter = WriteLimiter::new(WriteBudget::GRAPH);
        let start = Instant::now();
        limiter.acquire(20).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "the first batch goes at once");
        for _ in 0..10 {
            limiter.acquire(20).await;
        }
        // 200 more writes at (3000 - 20) / 150 per second.
        let expected = 200.0 / (2980.0 / 150.0);
        let got = start.elapsed().as_secs_f64();
        assert!((got - expected).abs() < 0.05, "{got} vs {expected}");
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_budget() {
        let budget = WriteBudget { writes: 100, per: Duration::from_secs(10) };
        let limiter = WriteLimiter::new(budget);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..400 {
            limiter.acquire(1).await;
            times.push(start.elapsed());
        }
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..].iter().take_while(|u| **u < *t + budget.per).count();
            assert!(in_window <= 100, "{in_window} writes in one window");
        }
    }
}

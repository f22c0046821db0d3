//! The one clock: what time it is, and waiting.

use futures::future::BoxFuture;
use std::fmt;
use std::time::Duration;
use tokio::time::Instant;

/// The clock every wait of a client goes through: retry waits, token expiry, the write budget.
///
/// The default, [`TokioClock`], is tokio's timer, so a test that pauses time
/// (`#[tokio::test(start_paused = true)]`) runs every wait at once and still sees the waits add
/// up. A test whose requests cross real sockets (where paused time would fire timeouts early) can
/// put in a clock that records the waits and moves its own time forward.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Now.
    fn now(&self) -> Instant;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// [`Clock`] on tokio's timer (follows `tokio::time::pause()` and `advance()`).
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn tokio_clock_follows_paused_time() {
        let clock = TokioClock;
        let start = clock.now();
        clock.sleep(Duration::from_secs(150)).await;
        assert_eq!(clock.now() - start, Duration::from_secs(150));
    }
}

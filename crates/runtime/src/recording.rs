//! A clock for tests whose requests cross real sockets.

use crate::clock::Clock;
use futures::future::BoxFuture;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::time::Instant;

/// A [`Clock`] that records every wait and moves its own time forward by it instead of waiting.
///
/// For tests against a local server (wiremock, the testkit fakes): there, paused tokio time would
/// also fire the HTTP timeouts early, while this clock leaves them alone and still lets a test
/// assert exactly what was waited. Clones share the record.
///
/// ```
/// # async fn run() {
/// use dirsync_runtime::{Clock, RecordingClock};
/// use std::time::Duration;
/// let clock = RecordingClock::default();
/// let start = clock.now();
/// clock.sleep(Duration::from_secs(150)).await; // returns at once
/// assert_eq!(clock.now() - start, Duration::from_secs(150));
/// assert_eq!(clock.waits(), [Duration::from_secs(150)]);
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct RecordingClock {
    start: Instant,
    waits: Arc<Mutex<Vec<Duration>>>,
}

impl Default for RecordingClock {
    fn default() -> Self {
        RecordingClock { start: Instant::now(), waits: Arc::default() }
    }
}

impl RecordingClock {
    /// Every wait so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Clock for RecordingClock {
    fn now(&self) -> Instant {
        self.start + self.waits().iter().sum::<Duration>()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.waits.lock().unwrap_or_else(PoisonError::into_inner).push(duration);
        Box::pin(tokio::task::yield_now())
    }
}

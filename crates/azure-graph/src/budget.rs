//! Keeping writes within the identity service's write budget: a sliding window, not a pace.

use dirsync_runtime::Clock;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// At most `writes` writes in any window of `per`, per app and tenant.
///
/// Graph's identity service allows 3,000 writes per 2 minutes 30 seconds per app and tenant
/// ([`WriteBudget::GRAPH`]). The limit is a window, not a pace: the client lets writes (each
/// PATCH, POST, and each request inside a `$batch`) go as fast as the requests allow until the
/// window's writes are spent, less a margin of 1% for writes made elsewhere with the same app,
/// and only then waits for the oldest writes to leave the window. When Graph answers 429 anyway,
/// writes stop for its `Retry-After` and the window's allowance is halved for one window.
///
/// ```
/// use azure_graph::WriteBudget;
/// assert_eq!(WriteBudget::GRAPH.usable(), 2_970);
/// ```
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

    /// The writes the client allows itself in one window: the budget less a margin of 1%
    /// (at least one write when the budget has more than one).
    pub fn usable(&self) -> u32 {
        let margin = self.writes.div_ceil(100);
        self.writes.saturating_sub(margin).max(1)
    }
}

impl Default for WriteBudget {
    fn default() -> Self {
        WriteBudget::GRAPH
    }
}

/// The sliding window: when each write still in it was granted.
#[derive(Debug)]
pub(crate) struct WriteLimiter {
    per: Duration,
    usable: u32,
    clock: Arc<dyn Clock>,
    /// Callers take turns: the first to wait is the first served.
    turn: tokio::sync::Mutex<()>,
    window: std::sync::Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    granted: VecDeque<(Instant, u32)>,
    in_window: u32,
    /// No writes before this (a 429's `Retry-After`).
    paused_until: Option<Instant>,
    /// A lowered allowance, and until when it holds.
    lowered: Option<(u32, Instant)>,
}

impl WriteLimiter {
    pub(crate) fn new(budget: WriteBudget, clock: Arc<dyn Clock>) -> WriteLimiter {
        WriteLimiter {
            per: budget.per,
            usable: budget.usable(),
            clock,
            turn: tokio::sync::Mutex::new(()),
            window: std::sync::Mutex::default(),
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        // Plain data updated in one step: a panic elsewhere cannot leave it torn.
        self.window.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Waits until `n` more writes fit the window, then takes them.
    pub(crate) async fn acquire(&self, n: u32) {
        let _turn = self.turn.lock().await;
        loop {
            let wait = {
                let mut w = self.window();
                let now = self.clock.now();
                match self.try_take(&mut w, now, n) {
                    None => return,
                    Some(wait) => wait,
                }
            };
            tracing::debug!(wait_ms = wait.as_millis() as u64, writes = n, "write budget spent");
            self.clock.sleep(wait).await;
        }
    }

    /// Takes `n` writes now, or says how long until they may fit.
    fn try_take(&self, w: &mut Window, now: Instant, n: u32) -> Option<Duration> {
        while w.granted.front().is_some_and(|(at, _)| *at + self.per <= now) {
            if let Some((_, k)) = w.granted.pop_front() {
                w.in_window -= k;
            }
        }
        if let Some(until) = w.paused_until {
            if until > now {
                return Some(until - now);
            }
            w.paused_until = None;
        }
        let limit = match w.lowered {
            Some((limit, until)) if until > now => limit,
            _ => {
                w.lowered = None;
                self.usable
            }
        };
        // A request larger than the whole allowance goes alone into an empty window.
        if w.in_window + n <= limit || w.in_window == 0 {
            w.granted.push_back((now, n));
            w.in_window += n;
            return None;
        }
        // Wait for the oldest writes to leave until `n` fit.
        let must_leave = (w.in_window + n).saturating_sub(limit).min(w.in_window);
        let mut left = 0;
        for (at, k) in &w.granted {
            left += k;
            if left >= must_leave {
                return Some(*at + self.per - now);
            }
        }
        Some(self.per)
    }

    /// Graph answered 429 to a write: no writes for `retry_after` (else a tenth of the window),
    /// and half the allowance for one window.
    pub(crate) fn throttled(&self, retry_after: Option<Duration>) {
        let now = self.clock.now();
        let pause = retry_after.unwrap_or(self.per / 10).min(self.per);
        let mut w = self.window();
        let until = now + pause;
        w.paused_until = Some(w.paused_until.map_or(until, |u| u.max(until)));
        let current = w.lowered.map_or(self.usable, |(limit, _)| limit);
        w.lowered = Some(((current / 2).max(1), now + self.per));
        tracing::info!(
            pause_ms = pause.as_millis() as u64,
            allowance = (current / 2).max(1),
            "Graph throttled a write; slowing down"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync_runtime::TokioClock;

    fn limiter(budget: WriteBudget) -> WriteLimiter {
        WriteLimiter::new(budget, Arc::new(TokioClock))
    }

    /// The most writes any window of `per` holds, from (time, writes) grants.
    fn fullest_window(grants: &[(Duration, u32)], per: Duration) -> u32 {
        grants
            .iter()
            .enumerate()
            .map(|(i, (t, _))| {
                grants[i..].iter().take_while(|(u, _)| *u < *t + per).map(|(_, n)| n).sum()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn five_hundred_writes_go_without_waiting() {
        let limiter = limiter(WriteBudget::GRAPH);
        let start = Instant::now();
        for _ in 0..25 {
            limiter.acquire(20).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn no_150_s_window_ever_holds_more_than_the_budget() {
        let budget = WriteBudget::GRAPH;
        let limiter = Arc::new(limiter(budget));
        let start = Instant::now();
        // 13,600 writes from 8 writers at once, batches of 20 and single creations mixed.
        let grants = Arc::new(std::sync::Mutex::new(Vec::new()));
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let (limiter, grants) = (limiter.clone(), grants.clone());
                tokio::spawn(async move {
                    for i in 0..100 {
                        let n = if (i + w) % 5 == 0 { 5 } else { 20 };
                        limiter.acquire(n).await;
                        grants.lock().unwrap().push((start.elapsed(), n));
                        // A request's own latency.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.unwrap();
        }
        let mut grants = grants.lock().unwrap().clone();
        grants.sort_by_key(|(t, _)| *t);
        let total: u32 = grants.iter().map(|(_, n)| n).sum();
        assert!(total > 3 * budget.writes, "enough writes to need several windows: {total}");
        let fullest = fullest_window(&grants, budget.per);
        assert!(fullest <= budget.usable(), "{fullest} writes in one window");
        // The window is used, not trickled: the first window's allowance goes at once, and the
        // whole run needs no more windows than the allowance makes necessary.
        let at_once: u32 =
            grants.iter().filter(|(t, _)| *t < Duration::from_secs(2)).map(|(_, n)| n).sum();
        assert!(at_once >= budget.usable() - 20, "{at_once} writes in the first 2 s");
        let windows = total.div_ceil(budget.usable()) - 1;
        let last = grants.last().unwrap().0;
        assert!(last <= budget.per * windows + Duration::from_secs(5), "{last:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttle_pauses_writes_and_halves_the_allowance() {
        let budget = WriteBudget { writes: 100, per: Duration::from_secs(10) };
        let limiter = limiter(budget);
        let start = Instant::now();
        limiter.acquire(10).await;
        limiter.throttled(Some(Duration::from_secs(3)));
        limiter.acquire(1).await;
        assert_eq!(start.elapsed(), Duration::from_secs(3), "the Retry-After is kept");
        let mut grants = vec![(Duration::ZERO, 10), (start.elapsed(), 1)];
        for _ in 0..60 {
            limiter.acquire(1).await;
            grants.push((start.elapsed(), 1));
        }
        // Half of the 99 usable, for one window after the throttle.
        let early: u32 =
            grants.iter().filter(|(t, _)| *t < Duration::from_secs(10)).map(|(_, n)| n).sum();
        assert_eq!(early, 49);
        // Afterwards the full allowance is back.
        assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_larger_than_the_allowance_still_goes() {
        let limiter = limiter(WriteBudget { writes: 10, per: Duration::from_secs(10) });
        let start = Instant::now();
        limiter.acquire(20).await;
        limiter.acquire(20).await;
        assert_eq!(start.elapsed(), Duration::from_secs(10));
    }
}

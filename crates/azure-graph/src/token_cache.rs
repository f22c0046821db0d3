//! The access token in use: fetched once, shared, and replaced shortly before it expires.

use crate::errors::GraphError;
use secrecy::SecretString;
use std::fmt;
use std::future::Future;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// An access token and when to replace it.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub(crate) secret: SecretString,
    refresh_at: Instant,
    generation: u64,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken").field("generation", &self.generation).finish_non_exhaustive()
    }
}

/// How long before its expiry a token is replaced: a tenth of its lifetime, at most five minutes.
pub(crate) fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 10).min(Duration::from_secs(300))
}

/// The cached token. A valid token is read without waiting; when it must be replaced, one caller
/// fetches under the refresh lock and the others wait for that fetch instead of each starting
/// their own.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    slot: std::sync::Mutex<Slot>,
    refresh: Mutex<()>,
}

#[derive(Debug, Default)]
struct Slot {
    token: Option<AccessToken>,
    generation: u64,
}

impl TokenCache {
    /// The current token, fetching a new one with `fetch` (secret, lifetime) if there is none or
    /// it is about to expire.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<AccessToken, GraphError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Duration), GraphError>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _refreshing = self.refresh.lock().await;
        // Fetched by another caller while this one waited.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let (secret, lifetime) = fetch().await?;
        let mut slot = self.slot();
        slot.generation += 1;
        let token = AccessToken {
            secret,
            refresh_at: Instant::now() + lifetime - refresh_margin(lifetime),
            generation: slot.generation,
        };
        slot.token = Some(token.clone());
        Ok(token)
    }

    /// Drops `stale` (refused with a 401) unless another caller already replaced it.
    pub(crate) fn invalidate(&self, stale: &AccessToken) {
        let mut slot = self.slot();
        if slot.token.as_ref().is_some_and(|t| t.generation == stale.generation) {
            slot.token = None;
        }
    }

    /// The cached token while it is not yet due for replacement.
    fn fresh(&self) -> Option<AccessToken> {
        self.slot().token.as_ref().filter(|t| Instant::now() < t.refresh_at).cloned()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Slot> {
        // The lock guards plain data updated in one step: a panic elsewhere cannot leave it torn.
        self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    async fn fetch_counting(
        count: Arc<AtomicU32>,
        lifetime: Duration,
    ) -> Result<(SecretString, Duration), GraphError> {
        let n = count.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok((SecretString::from(format!("token-{n}")), lifetime))
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let count = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, count) = (cache.clone(), count.clone());
                tokio::spawn(async move {
                    cache
                        .get(|| fetch_counting(count, Duration::from_secs(3599)))
                        .await
                        .map(|t| t.generation)
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), 1);
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_replaced_before_it_expires() {
        let cache = TokenCache::default();
        let count = Arc::new(AtomicU32::new(0));
        let lifetime = Duration::from_secs(3599);
        cache.get(|| fetch_counting(count.clone(), lifetime)).await.unwrap();
        tokio::time::advance(Duration::from_secs(3599 - 301)).await;
        cache.get(|| fetch_counting(count.clone(), lifetime)).await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 1, "still fresh 5 minutes before expiry");
        tokio::time::advance(Duration::from_secs(2)).await;
        let t = cache.get(|| fetch_counting(count.clone(), lifetime)).await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 2, "replaced inside the last 5 minutes");
        assert_eq!(t.generation, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_valid_token_is_handed_out_while_the_refresh_lock_is_held() {
        let cache = TokenCache::default();
        let count = Arc::new(AtomicU32::new(0));
        let lifetime = Duration::from_secs(3599);
        let first = cache.get(|| fetch_counting(count.clone(), lifetime)).await.unwrap();
        // A caller that was handed the refresh lock but is not being polled must not hold up
        // everyone else while the cached token is still good.
        let _stuck = cache.refresh.lock().await;
        let again = tokio::time::timeout(
            Duration::from_secs(5),
            cache.get(|| fetch_counting(count.clone(), lifetime)),
        )
        .await
        .expect("no wait for the refresh lock")
        .unwrap();
        assert_eq!((first.generation, again.generation), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn invalidating_a_token_already_replaced_keeps_the_new_one() {
        let cache = TokenCache::default();
        let count = Arc::new(AtomicU32::new(0));
        let lifetime = Duration::from_secs(3599);
        let first = cache.get(|| fetch_counting(count.clone(), lifetime)).await.unwrap();
        cache.invalidate(&first);
        let second = cache.get(|| fetch_counting(count.clone(), lifetime)).await.unwrap();
        cache.invalidate(&first);
        let still = cache.get(|| fetch_counting(count.clone(), lifetime)).await.unwrap();
        assert_eq!((second.generation, still.generation), (2, 2));
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn margin_is_a_tenth_capped_at_five_minutes() {
        assert_eq!(refresh_margin(Duration::from_secs(3599)), Duration::from_secs(300));
        assert_eq!(refresh_margin(Duration::from_secs(60)), Duration::from_secs(6));
    }
}

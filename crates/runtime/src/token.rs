//! The access token in use: fetched once, shared, and replaced ahead of its expiry.

use crate::clock::Clock;
use secrecy::SecretString;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// An access token, and the generation it belongs to: a request refused with it tells the cache
/// which token was bad, so a token fetched meanwhile is not thrown away.
#[derive(Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub secret: SecretString,
    generation: u64,
}

impl AccessToken {
    /// Which fetch this token came from: 1 for the first, and so on.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken").field("generation", &self.generation).finish_non_exhaustive()
    }
}

/// The cached token of one client.
///
/// A valid token is handed out without waiting. When it must be replaced, one caller fetches
/// under the refresh lock and the others wait for that fetch instead of each starting their own.
/// A token is replaced a tenth of its lifetime before it expires (at most five minutes before).
/// A lifetime that is missing, zero, negative or shorter than [`TokenCache::MIN_LIFETIME`] is
/// taken as that minimum: the token is used, and replaced when the service refuses it (see
/// [`TokenCache::invalidate`]) or after the minimum, never before every call.
///
/// ```
/// # async fn run() -> Result<(), std::io::Error> {
/// use dirsync_runtime::{TokenCache, TokioClock};
/// use secrecy::SecretString;
/// use std::{sync::Arc, time::Duration};
/// let cache = TokenCache::new(Arc::new(TokioClock));
/// let hour = Some(Duration::from_secs(3599));
/// let token = cache.get(|| async { Ok::<_, std::io::Error>((SecretString::from("t-1"), hour)) }).await?;
/// let again = cache.get(|| async { Err(std::io::Error::other("no second fetch")) }).await?;
/// assert_eq!(token.generation(), again.generation());
/// # Ok(()) }
/// ```
pub struct TokenCache {
    clock: Arc<dyn Clock>,
    state: std::sync::Mutex<State>,
    refresh: Mutex<()>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    cached: Option<(AccessToken, Instant)>,
    generation: u64,
    /// The newest generation the service has accepted at least once.
    accepted: u64,
}

impl TokenCache {
    /// The shortest lifetime a token is trusted for.
    pub const MIN_LIFETIME: Duration = Duration::from_secs(60);
    /// The most a token is replaced ahead of its expiry.
    pub const MAX_MARGIN: Duration = Duration::from_secs(300);

    /// An empty cache on `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> TokenCache {
        TokenCache { clock, state: std::sync::Mutex::default(), refresh: Mutex::new(()) }
    }

    /// When, after its fetch, a token with the given lifetime is replaced.
    pub fn refresh_after(lifetime: Option<Duration>) -> Duration {
        let lifetime = lifetime.unwrap_or_default().max(Self::MIN_LIFETIME);
        lifetime - (lifetime / 10).min(Self::MAX_MARGIN)
    }

    /// The current token, or a new one from `fetch`, which gives the secret and the lifetime the
    /// service stated (`None` when it stated none that can be used).
    ///
    /// # Errors
    /// What `fetch` failed with.
    pub async fn get<F, Fut, E>(&self, fetch: F) -> Result<AccessToken, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Option<Duration>), E>>,
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
        let refresh_at = self.clock.now() + Self::refresh_after(lifetime);
        let mut state = self.state();
        state.generation += 1;
        let token = AccessToken { secret, generation: state.generation };
        state.cached = Some((token.clone(), refresh_at));
        tracing::debug!(?lifetime, generation = state.generation, "fetched an access token");
        Ok(token)
    }

    /// Notes that the service accepted `token`: a later refusal of it means it expired.
    pub fn accepted(&self, token: &AccessToken) {
        let mut state = self.state();
        state.accepted = state.accepted.max(token.generation);
    }

    /// Forgets `token` after the service refused it (401), unless a newer one was fetched
    /// meanwhile. Returns whether the refusal says something about the credentials: `token` is
    /// the newest and was never accepted. A token already replaced, or one that worked before,
    /// simply expired.
    pub fn invalidate(&self, token: &AccessToken) -> bool {
        let mut state = self.state();
        let newest = state.generation == token.generation;
        if state.cached.as_ref().is_some_and(|(t, _)| t.generation == token.generation) {
            state.cached = None;
        }
        newest && state.accepted < token.generation
    }

    /// The cached token while it is not yet due for replacement.
    fn fresh(&self) -> Option<AccessToken> {
        let now = self.clock.now();
        self.state().cached.as_ref().filter(|(_, at)| now < *at).map(|(t, _)| t.clone())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The lock guards plain data updated in one step: a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TokioClock;
    use secrecy::ExposeSecret;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn cache() -> TokenCache {
        TokenCache::new(Arc::new(TokioClock))
    }

    async fn fetch(
        count: &AtomicU32,
        lifetime: Option<Duration>,
    ) -> Result<(SecretString, Option<Duration>), Infallible> {
        let n = count.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok((SecretString::from(format!("token-{n}")), lifetime))
    }

    const HOUR: Option<Duration> = Some(Duration::from_secs(3599));

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(cache());
        let count = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, count) = (cache.clone(), count.clone());
                tokio::spawn(async move { cache.get(|| fetch(&count, HOUR)).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap().generation(), 1);
        }
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_replaced_before_it_expires() {
        let cache = cache();
        let count = AtomicU32::new(0);
        cache.get(|| fetch(&count, HOUR)).await.unwrap();
        tokio::time::advance(Duration::from_secs(3599 - 301)).await;
        cache.get(|| fetch(&count, HOUR)).await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 1, "still fresh 5 minutes before expiry");
        tokio::time::advance(Duration::from_secs(2)).await;
        let t = cache.get(|| fetch(&count, HOUR)).await.unwrap();
        assert_eq!(count.load(Ordering::SeqCst), 2, "replaced inside the last 5 minutes");
        assert_eq!(t.generation(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_without_a_usable_lifetime_is_used_until_the_floor() {
        for lifetime in [None, Some(Duration::ZERO), Some(Duration::from_secs(1))] {
            let cache = cache();
            let count = AtomicU32::new(0);
            for _ in 0..100 {
                cache.get(|| fetch(&count, lifetime)).await.unwrap();
                tokio::time::advance(Duration::from_millis(500)).await;
            }
            // 50 s of calls: one token.
            assert_eq!(count.load(Ordering::SeqCst), 1, "{lifetime:?}");
            tokio::time::advance(Duration::from_secs(10)).await;
            cache.get(|| fetch(&count, lifetime)).await.unwrap();
            assert_eq!(count.load(Ordering::SeqCst), 2, "replaced after the floor: {lifetime:?}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_valid_token_is_handed_out_while_the_refresh_lock_is_held() {
        let cache = cache();
        let count = AtomicU32::new(0);
        let first = cache.get(|| fetch(&count, HOUR)).await.unwrap();
        // A caller that was handed the refresh lock but is not being polled must not hold up
        // everyone else while the cached token is still good.
        let _stuck = cache.refresh.lock().await;
        let again = tokio::time::timeout(Duration::from_secs(5), cache.get(|| fetch(&count, HOUR)))
            .await
            .expect("no wait for the refresh lock")
            .unwrap();
        assert_eq!((first.generation(), again.generation()), (1, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn an_invalidated_token_is_fetched_again_but_a_newer_one_is_kept() {
        let cache = cache();
        let count = AtomicU32::new(0);
        let old = cache.get(|| fetch(&count, HOUR)).await.unwrap();
        assert!(cache.invalidate(&old), "refused before it ever worked");
        let new = cache.get(|| fetch(&count, HOUR)).await.unwrap();
        assert_eq!(new.secret.expose_secret(), "token-1");
        assert!(!cache.invalidate(&old), "an old token's refusal says nothing about the key");
        let same = cache.get(|| fetch(&count, HOUR)).await.unwrap();
        assert_eq!(same.generation(), 2);
        cache.accepted(&same);
        assert!(!cache.invalidate(&same), "it worked, then expired");
    }

    #[test]
    fn refresh_is_a_tenth_ahead_capped_at_five_minutes() {
        assert_eq!(TokenCache::refresh_after(HOUR), Duration::from_secs(3599 - 300));
        assert_eq!(
            TokenCache::refresh_after(Some(Duration::from_secs(600))),
            Duration::from_secs(540)
        );
        assert_eq!(TokenCache::refresh_after(None), Duration::from_secs(54));
    }
}

//! Client-credentials tokens: fetched once, cached, refreshed shortly before they expire, and
//! refreshed only once however many requests need a token at the same time.

use crate::HumaError;
use crate::errors::token_error_description;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The longest time before expiry at which a token is refreshed.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The Client ID and Client secret of a Huma API key (System settings → Open API).
#[derive(Clone)]
pub(crate) struct Credentials {
    pub(crate) client_id: String,
    pub(crate) client_secret: SecretString,
}

/// An access token and the generation it belongs to, so that a request refused with it can tell
/// the cache which token was bad (and a token fetched meanwhile is not thrown away).
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub(crate) secret: SecretString,
    generation: u64,
}

struct Cached {
    token: AccessToken,
    refresh_at: Instant,
}

/// The token cache. A valid token is read without waiting; when it must be replaced, one caller
/// fetches under the refresh lock and the others wait for that fetch instead of each starting
/// their own.
#[derive(Default)]
pub(crate) struct TokenCache {
    current: std::sync::Mutex<State>,
    refresh: Mutex<()>,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    generation: u64,
    /// The newest generation Huma has accepted at least once.
    accepted: u64,
}

impl TokenCache {
    /// A valid token: the cached one, or one fetched by `fetch`.
    pub(crate) async fn token<F, Fut>(&self, fetch: F) -> Result<AccessToken, HumaError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<TokenAnswer, HumaError>>,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _refreshing = self.refresh.lock().await;
        // Fetched by another caller while this one waited.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let answer = fetch().await?;
        let lifetime = Duration::from_secs(answer.expires_in);
        let margin = REFRESH_MARGIN.min(lifetime / 2);
        let mut state = self.state();
        state.generation += 1;
        let token = AccessToken { secret: answer.access_token, generation: state.generation };
        state.cached =
            Some(Cached { token: token.clone(), refresh_at: Instant::now() + lifetime - margin });
        tracing::debug!(expires_in = answer.expires_in, "fetched a Huma access token");
        Ok(token)
    }

    /// Notes that Huma accepted `token`: a later refusal of it means it expired.
    pub(crate) fn accepted(&self, token: &AccessToken) {
        let mut state = self.state();
        state.accepted = state.accepted.max(token.generation);
    }

    /// Forgets `token` after Huma refused it, unless a newer one has been fetched meanwhile.
    /// Returns whether the refusal says something about the key: `token` is the newest and Huma
    /// never accepted it. A token already replaced, or one that worked before, simply expired.
    pub(crate) fn invalidate(&self, token: &AccessToken) -> bool {
        let mut state = self.state();
        let newest = state.generation == token.generation;
        if state.cached.as_ref().is_some_and(|c| c.token.generation == token.generation) {
            state.cached = None;
        }
        newest && state.accepted < token.generation
    }

    /// The cached token while it is not yet due for refresh.
    fn fresh(&self) -> Option<AccessToken> {
        let state = self.state();
        state.cached.as_ref().filter(|c| Instant::now() < c.refresh_at).map(|c| c.token.clone())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The lock guards plain data updated in one step: a panic elsewhere cannot leave it torn.
        self.current.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The token endpoint's answer (`Credentials`); only what this client uses.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    access_token: SecretString,
    #[serde(default = "default_expires_in")]
    expires_in: u64,
}

fn default_expires_in() -> u64 {
    // `expires_in` is required by the spec; without it, refresh well within an hour.
    600
}

/// Reads the token endpoint's answer. The body is never kept in an error: it may hold a token.
pub(crate) fn read_token_answer(status: u16, body: &[u8]) -> Result<TokenAnswer, HumaError> {
    match status {
        200..=299 => serde_json::from_slice(body).map_err(|source| HumaError::Decode {
            what: "the token request".to_owned(),
            source,
            body: "(withheld: it may hold a token)".to_owned(),
        }),
        400 | 401 | 403 => Err(HumaError::InvalidCredentials {
            status,
            description: token_error_description(body),
        }),
        404 => Err(HumaError::Config {
            message: "the base URL has no token endpoint (HTTP 404 from /auth/oauth/token): check the base URL".to_owned(),
        }),
        _ => Err(HumaError::from_answer(status, None, body)),
    }
}

/// The form for a client-credentials token request.
pub(crate) fn token_form(credentials: &Credentials) -> Result<String, HumaError> {
    serde_urlencoded::to_string([
        ("grant_type", "client_credentials"),
        ("client_id", credentials.client_id.as_str()),
        ("client_secret", credentials.client_secret.expose_secret()),
    ])
    .map_err(|e| HumaError::Config { message: format!("cannot encode the credentials: {e}") })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn answer(token: &str, expires_in: u64) -> TokenAnswer {
        TokenAnswer { access_token: token.into(), expires_in }
    }

    #[tokio::test]
    async fn one_fetch_serves_concurrent_callers() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let (cache, fetches) = (cache.clone(), fetches.clone());
                tokio::spawn(async move {
                    cache
                        .token(|| async move {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok(answer("t1", 3600))
                        })
                        .await
                        .map(|t| t.secret.expose_secret().to_owned())
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "t1");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_valid_token_is_handed_out_while_the_refresh_lock_is_held() {
        let cache = TokenCache::default();
        cache.token(|| async { Ok(answer("t1", 3600)) }).await.unwrap();
        // A caller that was handed the refresh lock but is not being polled must not hold up
        // everyone else while the cached token is still good.
        let _stuck = cache.refresh.lock().await;
        let token = tokio::time::timeout(
            Duration::from_secs(5),
            cache.token(|| async { Ok(answer("t2", 3600)) }),
        )
        .await
        .expect("no wait for the refresh lock")
        .unwrap();
        assert_eq!(token.secret.expose_secret(), "t1");
    }

    #[tokio::test]
    async fn an_invalidated_token_is_fetched_again_but_a_newer_one_is_kept() {
        let cache = TokenCache::default();
        let old = cache.token(|| async { Ok(answer("t1", 3600)) }).await.unwrap();
        cache.invalidate(&old);
        let new = cache.token(|| async { Ok(answer("t2", 3600)) }).await.unwrap();
        assert_eq!(new.secret.expose_secret(), "t2");
        // A late report about the old token does not throw the new one away.
        assert!(!cache.invalidate(&old), "an old token's refusal says nothing about the key");
        let same = cache.token(|| async { Ok(answer("t3", 3600)) }).await.unwrap();
        assert_eq!(same.secret.expose_secret(), "t2");
    }

    #[tokio::test]
    async fn only_a_newest_token_never_accepted_counts_against_the_key() {
        let cache = TokenCache::default();
        let first = cache.token(|| async { Ok(answer("t1", 3600)) }).await.unwrap();
        assert!(cache.invalidate(&first), "refused before it ever worked");
        let second = cache.token(|| async { Ok(answer("t2", 3600)) }).await.unwrap();
        cache.accepted(&second);
        assert!(!cache.invalidate(&second), "it worked, then expired");
    }

    #[tokio::test]
    async fn a_token_is_kept_while_valid_and_refreshed_when_it_expires() {
        let cache = TokenCache::default();
        cache.token(|| async { Ok(answer("t1", 3600)) }).await.unwrap();
        let still = cache.token(|| async { Ok(answer("t2", 3600)) }).await.unwrap();
        assert_eq!(still.secret.expose_secret(), "t1");
        let cache = TokenCache::default();
        cache.token(|| async { Ok(answer("t1", 0)) }).await.unwrap();
        let fresh = cache.token(|| async { Ok(answer("t2", 0)) }).await.unwrap();
        assert_eq!(fresh.secret.expose_secret(), "t2");
    }

    #[test]
    fn a_refused_key_says_where_to_fix_it() {
        let body = br#"{"error":"invalid_client","error_description":"Bad client credentials"}"#;
        let Err(err) = read_token_answer(401, body) else { panic!("accepted") };
        let text = err.to_string();
        assert!(text.contains("Client ID and Client secret under System settings → Open API"));
        assert!(text.contains("Bad client credentials"));
    }

    #[test]
    fn an_unreadable_token_answer_never_keeps_the_body() {
        let Err(err) = read_token_answer(200, br#"{"access_token":"tok-SECRET","expires_in":"x"}"#)
        else {
            panic!("accepted")
        };
        assert!(!format!("{err:?} {err}").contains("tok-SECRET"));
    }
}

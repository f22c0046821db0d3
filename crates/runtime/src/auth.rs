//! How a client proves who it is: a fixed bearer token, or access tokens it fetches and caches.

use crate::clock::Clock;
use crate::token::{AccessToken, TokenCache};
use futures::future::BoxFuture;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// Fetches a new access token: the secret, and the lifetime the service stated (`None` when it
/// stated none that can be used).
type Fetch<E> =
    Arc<dyn Fn() -> BoxFuture<'static, Result<(SecretString, Option<Duration>), E>> + Send + Sync>;

/// How a client authenticates its calls; `E` is the client's own error, which a token fetch
/// fails with.
///
/// The one 401 rule ([`crate::ApiClient::call`]) follows from it: a fixed token refused with
/// 401 is refused for good, so the answer is at once the client's authentication error; a
/// fetched token refused with 401 is dropped and the request sent again with a fresh one.
///
/// ```
/// use dirsync_runtime::{Auth, TokioClock};
/// use secrecy::SecretString;
/// use std::{sync::Arc, time::Duration};
/// let fixed: Auth<std::io::Error> = Auth::bearer(SecretString::from("s3cr3t"));
/// let fetched: Auth<std::io::Error> = Auth::tokens(Arc::new(TokioClock), || async {
///     Ok((SecretString::from("from the token endpoint"), Some(Duration::from_secs(3599))))
/// });
/// assert!(!format!("{fixed:?} {fetched:?}").contains("s3cr3t"));
/// ```
pub enum Auth<E> {
    /// A bearer token given once, which the service either accepts or does not (SCIM).
    Bearer(SecretString),
    /// Access tokens fetched when needed, shared by every call and replaced ahead of expiry
    /// (Microsoft Graph, Huma).
    Tokens {
        /// The cached token.
        cache: TokenCache,
        /// Fetches a new one.
        fetch: Fetch<E>,
    },
}

impl<E> fmt::Debug for Auth<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
            Auth::Tokens { cache, .. } => f.debug_tuple("Tokens").field(cache).finish(),
        }
    }
}

/// The token one attempt was sent with.
pub(crate) enum Held {
    Fixed(HeaderValue),
    Fetched(AccessToken),
}

impl Held {
    /// The `Authorization` header value.
    pub(crate) fn header(&self) -> HeaderValue {
        match self {
            Held::Fixed(value) => value.clone(),
            Held::Fetched(token) => bearer(&token.secret),
        }
    }
}

impl<E> Auth<E> {
    /// A fixed bearer token.
    pub fn bearer(token: SecretString) -> Auth<E> {
        Auth::Bearer(token)
    }

    /// Access tokens from `fetch`, cached on `clock`.
    pub fn tokens<F, Fut>(clock: Arc<dyn Clock>, fetch: F) -> Auth<E>
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(SecretString, Option<Duration>), E>> + Send + 'static,
    {
        Auth::Tokens { cache: TokenCache::new(clock), fetch: Arc::new(move || Box::pin(fetch())) }
    }

    /// The token to send: the fixed one, or the cached one (fetched first when there is none
    /// that is fresh).
    pub(crate) async fn token(&self) -> Result<Held, E> {
        match self {
            Auth::Bearer(token) => Ok(Held::Fixed(bearer(token))),
            Auth::Tokens { cache, fetch } => cache.get(|| fetch()).await.map(Held::Fetched),
        }
    }

    /// Notes that the service accepted `held`: a later refusal of it means it expired.
    pub(crate) fn accepted(&self, held: &Held) {
        if let (Auth::Tokens { cache, .. }, Held::Fetched(token)) = (self, held) {
            cache.accepted(token);
        }
    }

    /// Drops a token the service refused with 401. `None` for a fixed token, which cannot be
    /// replaced; else whether the refusal may say the credentials are wrong: the token is the
    /// newest and the service never accepted it ([`TokenCache::invalidate`]).
    pub(crate) fn refused(&self, held: &Held) -> Option<bool> {
        match (self, held) {
            (Auth::Tokens { cache, .. }, Held::Fetched(token)) => Some(cache.invalidate(token)),
            _ => None,
        }
    }
}

/// `Bearer <token>`, marked sensitive so that it never shows in logs.
fn bearer(token: &SecretString) -> HeaderValue {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}

use crate::HumaError;
use crate::auth::{Credentials, read_token_answer, token_form};
use dirsync_runtime::{
    AccessToken, Clock, RequestStats, RetryPolicy, TokenCache, TokioClock, Transport,
    TransportConfig,
};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;
use url::Url;

/// Huma's Open API.
pub const DEFAULT_BASE_URL: &str = "https://openapi.humahr.com";
/// How many requests are in flight at once (user details, list pages), unless configured.
///
/// Huma documents no rate limit; 16 keeps a 10,000-person read to seconds without pressing a
/// service whose limits are unknown, and a 429 is honoured (`Retry-After`) whatever the setting.
pub const DEFAULT_HUMA_CONCURRENCY: usize = 16;

/// A client for Huma's Open API. Cheap to clone; clones share the token and connections.
///
/// ```
/// use huma_api::{HumaClient, SecretString};
/// use std::time::Duration;
/// let client = HumaClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .credentials("c0ffee00-client-id", SecretString::from("the-client-secret"))
///     .max_concurrency(4)
///     .timeout(Duration::from_secs(30))
///     .build()?;
/// assert!(!format!("{client:?}").contains("the-client-secret"));
/// assert_eq!(client.max_concurrency(), 4);
/// # Ok::<(), huma_api::HumaError>(())
/// ```
#[derive(Clone)]
pub struct HumaClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    base: Url,
    credentials: Credentials,
    tokens: TokenCache,
}

impl fmt::Debug for HumaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumaClient")
            .field("base_url", &self.inner.base.as_str())
            .field("client_id", &self.inner.credentials.client_id)
            .field("client_secret", &"***")
            .field("retry", self.inner.transport.retry_policy())
            .field("max_concurrency", &self.inner.transport.max_concurrency())
            .finish()
    }
}

/// Builds a [`HumaClient`]; see [`HumaClient::builder`].
pub struct HumaClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    max_concurrency: usize,
    retry: RetryPolicy,
    timeout: Duration,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for HumaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumaClientBuilder")
            .field("base_url", &self.base_url)
            .field("client_id", &self.credentials.as_ref().map(|c| c.client_id.as_str()))
            .field("client_secret", &"***")
            .field("max_concurrency", &self.max_concurrency)
            .field("retry", &self.retry)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl HumaClientBuilder {
    /// The API's base URL (default [`DEFAULT_BASE_URL`]). Only `https://`, except loopback
    /// addresses (`http://127.0.0.1:PORT`, `http://localhost`) for tests and local fakes.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The API key's Client ID and Client secret, from System settings → Open API in Huma.
    #[must_use]
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        self.credentials = Some(Credentials { client_id: client_id.into(), client_secret });
        self
    }

    /// How many requests may be in flight at once: user details and list pages read together
    /// (default [`DEFAULT_HUMA_CONCURRENCY`]; at least 1).
    #[must_use]
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n.max(1);
        self
    }

    /// When and how long requests are retried (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long one request may take (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The clock every wait goes through: retries and token expiry (default [`TokioClock`],
    /// which follows `tokio::time::pause()`).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the client. No request is made until the first call.
    ///
    /// # Errors
    /// [`HumaError::Config`]: no credentials, or a base URL that is not `https://` (or loopback
    /// `http://`).
    pub fn build(self) -> Result<HumaClient, HumaError> {
        let base = checked_base_url(&self.base_url)?;
        let credentials = self.credentials.ok_or_else(|| HumaError::Config {
            message: "no credentials: set the Client ID and Client secret from System settings → Open API".to_owned(),
        })?;
        if credentials.client_id.trim().is_empty()
            || credentials.client_secret.expose_secret().is_empty()
        {
            return Err(HumaError::Config {
                message: "the Client ID or Client secret is empty: copy them from System settings → Open API".to_owned(),
            });
        }
        let transport = Transport::new(TransportConfig {
            timeout: self.timeout,
            user_agent: concat!("dirsync-huma-api/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: self.retry,
            clock: self.clock.clone(),
            max_concurrency: self.max_concurrency,
        })
        .map_err(|e| HumaError::Config { message: format!("cannot build the HTTP client: {e}") })?;
        Ok(HumaClient {
            inner: Arc::new(Inner {
                transport,
                base,
                credentials,
                tokens: TokenCache::new(self.clock),
            }),
        })
    }
}

fn checked_base_url(text: &str) -> Result<Url, HumaError> {
    dirsync_runtime::endpoint_url(text)
        .map_err(|e| HumaError::Config { message: format!("the base URL: {e}") })
}

/// A request's body.
pub(crate) enum Body {
    None,
    Json(Vec<u8>),
}

impl Body {
    pub(crate) fn json(value: &impl Serialize) -> Result<Body, HumaError> {
        serde_json::to_vec(value)
            .map(Body::Json)
            .map_err(|e| HumaError::Config { message: format!("cannot encode a request: {e}") })
    }
}

impl HumaClient {
    /// A builder with the defaults: [`DEFAULT_BASE_URL`], [`DEFAULT_HUMA_CONCURRENCY`],
    /// [`RetryPolicy::default`], a 30 s timeout, [`TokioClock`].
    pub fn builder() -> HumaClientBuilder {
        HumaClientBuilder {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credentials: None,
            max_concurrency: DEFAULT_HUMA_CONCURRENCY,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            clock: Arc::new(TokioClock),
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// How many requests may be in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.inner.transport.max_concurrency()
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> RequestStats {
        self.inner.transport.stats()
    }

    /// Fetches an access token now (it is cached for later calls), to check the credentials.
    ///
    /// # Errors
    /// [`HumaError::InvalidCredentials`] when Huma refuses the API key; transport errors.
    pub async fn authenticate(&self) -> Result<(), HumaError> {
        self.token().await.map(|_| ())
    }

    fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn token(&self) -> Result<AccessToken, HumaError> {
        self.inner
            .tokens
            .get(|| async {
                let form = token_form(&self.inner.credentials)?;
                let url = self.endpoint(&["auth", "oauth", "token"]);
                let answer = self
                    .send(true, || {
                        self.inner
                            .transport
                            .http()
                            .post(url.clone())
                            .header(
                                reqwest::header::CONTENT_TYPE,
                                "application/x-www-form-urlencoded",
                            )
                            .body(form.clone())
                    })
                    .instrument(tracing::debug_span!("huma.token"))
                    .await?;
                let token = read_token_answer(answer.status.as_u16(), &answer.body)?;
                Ok::<_, HumaError>((token.access_token, token.expires_in))
            })
            .await
    }

    /// Sends a request through the transport, which retries within the policy.
    async fn send(
        &self,
        idempotent: bool,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<dirsync_runtime::Answer, HumaError> {
        self.inner.transport.send(idempotent, build).await.map_err(HumaError::Http)
    }

    /// Makes an authenticated API call and returns the successful answer's body. A 401 refreshes
    /// the token and tries again; a second new token refused at once, before Huma ever accepted
    /// it, is an error (the key is broken). A refused token that was already replaced, that
    /// worked before, or that waited out throttling or faults on the way, simply expired: that is
    /// not counted against the key, and the token is refreshed again (at most as many times as
    /// the retry policy makes attempts).
    pub(crate) async fn call(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Body,
    ) -> Result<Vec<u8>, HumaError> {
        let url = self.endpoint(segments);
        let span = tracing::debug_span!("huma.request", method = %method, path = %url.path());
        async {
            let idempotent = method != Method::POST;
            // Refusals of a new, never accepted token that came at once: the second is an error.
            let mut refusals = 0usize;
            let mut refreshes = 0;
            loop {
                let token = self.token().await?;
                let answer = self
                    .send(idempotent, || {
                        let request = self
                            .inner
                            .transport
                            .http()
                            .request(method.clone(), url.clone())
                            .bearer_auth(token.secret.expose_secret())
                            .query(query);
                        match &body {
                            Body::None => request,
                            Body::Json(bytes) => request
                                .header(reqwest::header::CONTENT_TYPE, "application/json")
                                .body(bytes.clone()),
                        }
                    })
                    .await?;
                match answer.status.as_u16() {
                    200..=299 => {
                        self.inner.tokens.accepted(&token);
                        return Ok(answer.body);
                    }
                    401 if refreshes < self.inner.transport.retry_policy().max_attempts => {
                        let untried = self.inner.tokens.invalidate(&token);
                        let at_once = untried && answer.attempts == 1;
                        if at_once && refusals > 0 {
                            return Err(HumaError::from_answer(401, None, &answer.body));
                        }
                        tracing::info!("Huma refused the access token; fetching a new one");
                        refusals += usize::from(at_once);
                        refreshes += 1;
                    }
                    status => {
                        return Err(HumaError::from_answer(
                            status,
                            answer.retry_after,
                            &answer.body,
                        ));
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// [`Self::call`], decoding the answer as `T`.
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
        body: Body,
    ) -> Result<T, HumaError> {
        let what = format!("{method} /{}", segments.join("/"));
        let bytes = self.call(method, segments, query, body).await?;
        serde_json::from_slice(&bytes).map_err(|e| HumaError::decode(what, e, &bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_on_loopback() {
        for ok in [
            "https://openapi.humahr.com",
            "https://demo.openapi.humahr.com/",
            "http://127.0.0.1:8080",
            "http://localhost:3000/",
            "http://[::1]:9000",
        ] {
            assert!(checked_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://openapi.humahr.com",
            "ftp://127.0.0.1",
            "openapi.humahr.com",
            "http://10.0.0.1",
        ] {
            assert!(matches!(checked_base_url(bad), Err(HumaError::Config { .. })), "{bad}");
        }
    }

    fn client(base: &str) -> HumaClient {
        HumaClient::builder().base_url(base).credentials("id", "secret".into()).build().unwrap()
    }

    #[test]
    fn paths_are_appended_to_the_base_and_segments_escaped() {
        let c = client("https://openapi.humahr.com");
        assert_eq!(c.endpoint(&["users", "u1"]).as_str(), "https://openapi.humahr.com/users/u1");
        let c = client("http://127.0.0.1:1/prefix/");
        assert_eq!(c.endpoint(&["users"]).as_str(), "http://127.0.0.1:1/prefix/users");
        assert_eq!(c.endpoint(&["users", "../x?y"]).path(), "/prefix/users/..%2Fx%3Fy");
    }

    #[test]
    fn building_needs_credentials() {
        let err = HumaClient::builder().build().unwrap_err();
        assert!(err.to_string().contains("System settings → Open API"));
        let err = HumaClient::builder().credentials(" ", "s".into()).build().unwrap_err();
        assert!(matches!(err, HumaError::Config { .. }));
    }

    #[test]
    fn debug_hides_the_secret() {
        let c = HumaClient::builder().credentials("id-1", "very-secret".into());
        assert!(!format!("{c:?}").contains("very-secret"));
        let c = c.build().unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("very-secret") && shown.contains("id-1"), "{shown}");
    }
}

//! The client: its builder, and the one way every request goes out (token, retries, errors).

use crate::HumaError;
use crate::auth::{Credentials, TokenCache, read_token_answer, token_form};
use crate::retry::{RetryPolicy, parse_retry_after};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;
use url::{Host, Url};

/// Huma's Open API.
pub const DEFAULT_BASE_URL: &str = "https://openapi.humahr.com";
/// How many user details are read at the same time, unless configured.
pub const DEFAULT_DETAIL_CONCURRENCY: usize = 8;

/// A client for Huma's Open API. Cheap to clone; clones share the token and connections.
///
/// ```
/// use huma_api::{HumaClient, SecretString};
/// let client = HumaClient::builder()
///     .base_url("http://127.0.0.1:8080")
///     .credentials("c0ffee00-client-id", SecretString::from("the-client-secret"))
///     .detail_concurrency(4)
///     .build()?;
/// assert!(!format!("{client:?}").contains("the-client-secret"));
/// # Ok::<(), huma_api::HumaError>(())
/// ```
#[derive(Clone)]
pub struct HumaClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    tokens: TokenCache,
    retry: RetryPolicy,
    detail_concurrency: usize,
}

impl fmt::Debug for HumaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumaClient")
            .field("base_url", &self.inner.base.as_str())
            .field("client_id", &self.inner.credentials.client_id)
            .field("client_secret", &"***")
            .field("retry", &self.inner.retry)
            .field("detail_concurrency", &self.inner.detail_concurrency)
            .finish()
    }
}

/// Builds a [`HumaClient`]; see [`HumaClient::builder`].
pub struct HumaClientBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    detail_concurrency: usize,
    retry: RetryPolicy,
    timeout: Duration,
    http: Option<reqwest::Client>,
}

impl fmt::Debug for HumaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumaClientBuilder")
            .field("base_url", &self.base_url)
            .field("client_id", &self.credentials.as_ref().map(|c| c.client_id.as_str()))
            .field("client_secret", &"***")
            .field("detail_concurrency", &self.detail_concurrency)
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

    /// How many user details (and, once the total is known, list pages) are read at the same
    /// time (default [`DEFAULT_DETAIL_CONCURRENCY`]; at least 1).
    #[must_use]
    pub fn detail_concurrency(mut self, n: usize) -> Self {
        self.detail_concurrency = n.max(1);
        self
    }

    /// How requests are retried (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How long one request may take (default 30 s). Ignored with [`Self::http_client`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Uses this HTTP client (for proxies or custom TLS) instead of building one.
    #[must_use]
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
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
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .user_agent(concat!("dirsync-huma-api/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| HumaError::Config {
                    message: format!("cannot build the HTTP client: {e}"),
                })?,
        };
        Ok(HumaClient {
            inner: Arc::new(Inner {
                http,
                base,
                credentials,
                tokens: TokenCache::default(),
                retry: self.retry,
                detail_concurrency: self.detail_concurrency,
            }),
        })
    }
}

fn checked_base_url(text: &str) -> Result<Url, HumaError> {
    let url = Url::parse(text.trim()).map_err(|e| HumaError::Config {
        message: format!("the base URL {text:?} is not a URL: {e}"),
    })?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(HumaError::Config {
            message: format!(
                "the base URL {text:?} is not https: only loopback addresses may use http"
            ),
        }),
        _ => Err(HumaError::Config {
            message: format!("the base URL {text:?} must start with https://"),
        }),
    }
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

/// An answer read in full.
struct Answer {
    status: u16,
    retry_after: Option<Duration>,
    body: Vec<u8>,
    /// Whether the request was sent more than once (it waited, so its token may have expired).
    retried: bool,
}

impl HumaClient {
    /// A builder with the defaults: [`DEFAULT_BASE_URL`], [`DEFAULT_DETAIL_CONCURRENCY`],
    /// [`RetryPolicy::default`], a 30 s timeout.
    pub fn builder() -> HumaClientBuilder {
        HumaClientBuilder {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credentials: None,
            detail_concurrency: DEFAULT_DETAIL_CONCURRENCY,
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
            http: None,
        }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        &self.inner.base
    }

    /// How many user details are read at the same time.
    pub fn detail_concurrency(&self) -> usize {
        self.inner.detail_concurrency
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

    async fn token(&self) -> Result<crate::auth::AccessToken, HumaError> {
        self.inner
            .tokens
            .token(|| async {
                let form = token_form(&self.inner.credentials)?;
                let url = self.endpoint(&["auth", "oauth", "token"]);
                let answer = self
                    .send(true, || {
                        self.inner
                            .http
                            .post(url.clone())
                            .header(
                                reqwest::header::CONTENT_TYPE,
                                "application/x-www-form-urlencoded",
                            )
                            .body(form.clone())
                    })
                    .instrument(tracing::debug_span!("huma.token"))
                    .await?;
                read_token_answer(answer.status, &answer.body)
            })
            .await
    }

    /// Sends a request, retrying 429 always and 5xx and failed connections when `idempotent`.
    async fn send(
        &self,
        idempotent: bool,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Answer, HumaError> {
        let policy = self.inner.retry;
        let mut retry = 0;
        loop {
            let response = match build().send().await {
                Ok(response) => response,
                Err(error) => {
                    // A refused connection never reached Huma, so even a POST may be sent again.
                    // A connection lost after the request went out (reset, or closed before the
                    // answer) may or may not have reached Huma: only idempotent requests are
                    // sent again.
                    let lost = error.is_timeout() || error.is_request();
                    let retryable = error.is_connect() || (idempotent && lost);
                    match policy.wait(retry, None).filter(|_| retryable) {
                        Some(wait) => {
                            tracing::warn!(%error, retry, ?wait, "Huma could not be reached; retrying");
                            tokio::time::sleep(wait).await;
                            retry += 1;
                            continue;
                        }
                        None => return Err(HumaError::Http(error)),
                    }
                }
            };
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            let body = response.bytes().await.map_err(HumaError::Http)?.to_vec();
            let retryable = status == 429 || (idempotent && (500..=599).contains(&status));
            if retryable && let Some(wait) = policy.wait(retry, retry_after) {
                tracing::warn!(status, retry, ?wait, "Huma asked to wait; retrying");
                tokio::time::sleep(wait).await;
                retry += 1;
                continue;
            }
            tracing::debug!(status, "Huma answered");
            return Ok(Answer { status, retry_after, body, retried: retry > 0 });
        }
    }

    /// Makes an authenticated API call and returns the successful answer's body. A 401 refreshes
    /// the token and tries again; a second new token refused at once, before Huma ever accepted
    /// it, is an error (the key is broken). A refused token that was already replaced, that
    /// worked before, or that waited out throttling or faults on the way, simply expired: that is
    /// not counted against the key, and the token is refreshed again (at most as many times as
    /// the retry policy retries).
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
                            .http
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
                match answer.status {
                    200..=299 => {
                        self.inner.tokens.accepted(&token);
                        return Ok(answer.body);
                    }
                    401 if refreshes <= self.inner.retry.max_retries => {
                        let untried = self.inner.tokens.invalidate(&token);
                        let at_once = untried && !answer.retried;
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

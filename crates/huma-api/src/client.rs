use crate::auth::{Credentials, read_token_answer, token_form};
use crate::errors::HumaError;
use dirsync_runtime::{
    ApiClient, Auth, Call, ClientSettings, Clock, RequestStats, RetryPolicy, Transport,
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
    api: ApiClient<HumaError>,
    client_id: String,
}

impl fmt::Debug for HumaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = self.inner.api.transport();
        f.debug_struct("HumaClient")
            .field("base_url", &self.inner.api.base().as_str())
            .field("client_id", &self.inner.client_id)
            .field("client_secret", &"***")
            .field("retry", transport.retry_policy())
            .field("max_concurrency", &transport.max_concurrency())
            .finish()
    }
}

/// Builds a [`HumaClient`]; see [`HumaClient::builder`].
pub struct HumaClientBuilder {
    settings: ClientSettings,
    credentials: Option<Credentials>,
}

impl fmt::Debug for HumaClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HumaClientBuilder")
            .field("settings", &self.settings)
            .field("client_id", &self.credentials.as_ref().map(|c| c.client_id.as_str()))
            .field("client_secret", &"***")
            .finish()
    }
}

impl HumaClientBuilder {
    /// The API's base URL (default [`DEFAULT_BASE_URL`]). Only `https://`, except loopback
    /// addresses (`http://127.0.0.1:PORT`, `http://localhost`) for tests and local fakes.
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.settings.base_url = Some(url.into());
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
        self.settings.max_concurrency = n.max(1);
        self
    }

    /// When and how long requests are retried (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.settings.retry = retry;
        self
    }

    /// How long one request may take (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// The clock every wait goes through: retries and token expiry (default [`TokioClock`](crate::TokioClock),
    /// which follows `tokio::time::pause()`).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.settings.clock = clock;
        self
    }

    /// Builds the client. No request is made until the first call.
    ///
    /// # Errors
    /// [`HumaError::Config`]: no credentials, or a base URL that is not `https://` (or loopback
    /// `http://`).
    pub fn build(self) -> Result<HumaClient, HumaError> {
        let base = self
            .settings
            .checked_base_url()
            .map_err(|e| HumaError::Config { message: format!("the base URL: {e}") })?;
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
        let transport = Transport::new(&self.settings).map_err(|e| HumaError::Config {
            message: format!("cannot build the HTTP client: {e}"),
        })?;
        let token_url = dirsync_runtime::join(&base, &["auth", "oauth", "token"]);
        let client_id = credentials.client_id.clone();
        let auth = Auth::tokens(self.settings.clock, {
            let transport = transport.clone();
            move || fetch_token(transport.clone(), token_url.clone(), credentials.clone())
        });
        let api = ApiClient::new("huma", transport, base, auth);
        Ok(HumaClient { inner: Arc::new(Inner { api, client_id }) })
    }
}

/// Asks the token endpoint for a token with the API key. Sent again after a lost answer:
/// asking twice does no harm.
async fn fetch_token(
    transport: Transport,
    url: Url,
    credentials: Credentials,
) -> Result<(SecretString, Option<Duration>), HumaError> {
    let form = token_form(&credentials)?;
    let post = Call::new(Method::POST, url)
        .body("application/x-www-form-urlencoded", form.into_bytes())
        .idempotent(true);
    let answer = transport.send_call(&post).instrument(tracing::debug_span!("huma.token")).await?;
    let token = read_token_answer(answer.status.as_u16(), &answer.body)?;
    Ok((token.access_token, token.expires_in))
}

/// `call` with `value` as its JSON body.
pub(crate) fn with_json<'a>(call: Call<'a>, value: &impl Serialize) -> Result<Call<'a>, HumaError> {
    call.json(value)
        .map_err(|e| HumaError::Config { message: format!("cannot encode a request: {e}") })
}

impl HumaClient {
    /// A builder with the defaults: [`DEFAULT_BASE_URL`], [`DEFAULT_HUMA_CONCURRENCY`],
    /// [`RetryPolicy::default`], a 30 s timeout, [`TokioClock`](crate::TokioClock).
    pub fn builder() -> HumaClientBuilder {
        let user_agent = concat!("dirsync-huma-api/", env!("CARGO_PKG_VERSION"));
        let settings =
            ClientSettings::new(user_agent, Duration::from_secs(30), DEFAULT_HUMA_CONCURRENCY)
                .with_base_url(DEFAULT_BASE_URL);
        HumaClientBuilder { settings, credentials: None }
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &Url {
        self.inner.api.base()
    }

    /// How many requests may be in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.inner.api.transport().max_concurrency()
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> RequestStats {
        self.inner.api.transport().stats()
    }

    /// Fetches an access token now (it is cached for later calls), to check the credentials.
    ///
    /// # Errors
    /// [`HumaError::InvalidCredentials`] when Huma refuses the API key; transport errors.
    pub async fn authenticate(&self) -> Result<(), HumaError> {
        self.inner.api.authenticate().await
    }

    /// A request to `{base}/{segments…}?{query}`, each segment escaped.
    pub(crate) fn request(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Call<'static> {
        let mut url = self.inner.api.url(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Call::new(method, url)
    }

    /// Makes an authenticated API call (the runtime's: one 401 rule, one idempotency rule) and
    /// returns the successful answer's body; any other answer is Huma's error.
    pub(crate) async fn call(&self, call: Call<'_>) -> Result<Vec<u8>, HumaError> {
        let refused = |answer: dirsync_runtime::Answer| {
            HumaError::from_answer(answer.status.as_u16(), answer.retry_after, &answer.body)
        };
        Ok(self.inner.api.call(call, refused).await?.body)
    }

    /// [`Self::call`], decoding the answer as `T`.
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        call: Call<'_>,
    ) -> Result<T, HumaError> {
        let what = format!("{} {}", call.method(), call.url().path());
        let bytes = self.call(call).await?;
        serde_json::from_slice(&bytes).map_err(|e| HumaError::decode(what, e, &bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_on_loopback() {
        let build =
            |url: &str| HumaClient::builder().base_url(url).credentials("id", "s".into()).build();
        for ok in [
            "https://openapi.humahr.com",
            "https://demo.openapi.humahr.com/",
            "http://127.0.0.1:8080",
            "http://localhost:3000/",
            "http://[::1]:9000",
        ] {
            assert!(build(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://openapi.humahr.com",
            "ftp://127.0.0.1",
            "openapi.humahr.com",
            "http://10.0.0.1",
        ] {
            assert!(matches!(build(bad), Err(HumaError::Config { .. })), "{bad}");
        }
    }

    fn client(base: &str) -> HumaClient {
        HumaClient::builder().base_url(base).credentials("id", "secret".into()).build().unwrap()
    }

    #[test]
    fn paths_are_appended_to_the_base_and_segments_escaped() {
        let url =
            |c: &HumaClient, segments: &[&str]| c.request(Method::GET, segments, &[]).url().clone();
        let c = client("https://openapi.humahr.com");
        assert_eq!(url(&c, &["users", "u1"]).as_str(), "https://openapi.humahr.com/users/u1");
        let c = client("http://127.0.0.1:1/prefix/");
        assert_eq!(url(&c, &["users"]).as_str(), "http://127.0.0.1:1/prefix/users");
        assert_eq!(url(&c, &["users", "../x?y"]).path(), "/prefix/users/..%2Fx%3Fy");
        let query = [("limit", "50".to_owned())];
        let listed = c.request(Method::GET, &["users"], &query).url().clone();
        assert_eq!(listed.as_str(), "http://127.0.0.1:1/prefix/users?limit=50");
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

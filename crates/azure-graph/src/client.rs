//! The Graph client, its builder, and the authenticated request every call goes through.

use crate::auth::{Credentials, LoginEndpoint, RefreshTokenCallback};
use crate::budget::{WriteBudget, WriteLimiter};
use crate::errors::GraphError;
use crate::transport::{Answer, Transport};
use dirsync_runtime::{
    AccessToken, Clock, RequestStats, RetryPolicy, TokenCache, TokioClock, TransportConfig,
};
use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::Instrument;
use url::Url;

/// The public Graph service.
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com";
/// The public identity platform.
pub const DEFAULT_LOGIN_URL: &str = "https://login.microsoftonline.com";

/// How many Graph requests are in flight at once, unless configured.
pub const DEFAULT_GRAPH_CONCURRENCY: usize = 4;

/// A client for the parts of Microsoft Graph v1.0 that people sync needs.
///
/// Cheap to clone (the clones share the token, the concurrency limit and the write budget).
/// Build one with [`GraphClient::builder`].
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    transport: Transport,
    login: LoginEndpoint,
    credentials: Credentials,
    tokens: TokenCache,
    graph_base: String,
    graph_origin: url::Origin,
    writes: Option<WriteLimiter>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("GraphClient")
            .field("tenant", &inner.login.tenant)
            .field("credentials", &inner.credentials)
            .field("graph_url", &inner.graph_base)
            .field("login_url", &inner.login.base)
            .field("retry", inner.transport.retry_policy())
            .finish_non_exhaustive()
    }
}

/// Options of one request to Graph.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Call<'a> {
    /// Counts against the write budget, with this many writes (a `$batch` of 20 PATCHes is 20).
    pub(crate) writes: u32,
    /// Safe to send again after a network fault.
    pub(crate) idempotent: bool,
    /// Sends `ConsistencyLevel: eventual` (advanced queries).
    pub(crate) eventual: bool,
    /// A JSON body.
    pub(crate) body: Option<&'a serde_json::Value>,
}

impl GraphClient {
    /// A builder; at least [`GraphClientBuilder::tenant`] and credentials are needed.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::default()
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> RequestStats {
        self.inner.transport.stats()
    }

    /// The refresh token in use, for a user-account connection: persist it after use, since every
    /// refresh replaces it (see also [`GraphClientBuilder::on_refresh_token`]).
    pub fn refresh_token(&self) -> Option<SecretString> {
        self.inner.credentials.refresh_token()
    }

    /// The Graph base URL, without a trailing slash.
    pub fn graph_url(&self) -> &str {
        &self.inner.graph_base
    }

    /// Fetches an access token now (or reuses the cached one), to check the connection.
    ///
    /// # Errors
    /// The identity platform refused: the error says what to fix.
    pub async fn authenticate(&self) -> Result<(), GraphError> {
        self.token().await.map(|_| ())
    }

    /// `{graph_url}/v1.0{path}`.
    pub(crate) fn api(&self, path: &str) -> String {
        format!("{}/v1.0{}", self.inner.graph_base, path)
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        self.inner.transport.retry_policy()
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.transport.clock()
    }

    /// How many requests may be in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.inner.transport.max_concurrency()
    }

    /// Waits until `n` more writes fit the write budget.
    pub(crate) async fn pace_writes(&self, n: u32) {
        if let Some(limiter) = &self.inner.writes {
            limiter.acquire(n).await;
        }
    }

    /// Graph throttled a write: the write budget slows down.
    pub(crate) fn writes_throttled(&self, retry_after: Option<Duration>) {
        if let Some(limiter) = &self.inner.writes {
            limiter.throttled(retry_after);
        }
    }

    /// Refuses a link (`@odata.nextLink`, a saved deltaLink) that leads away from the Graph
    /// service: the access token must never be sent anywhere else.
    pub(crate) fn check_link(&self, link: &str) -> Result<(), GraphError> {
        match Url::parse(link) {
            Ok(url) if url.origin() == self.inner.graph_origin => Ok(()),
            _ => Err(GraphError::InvalidResponse {
                reason: format!(
                    "a link leads away from the configured Graph service ({}): {}",
                    self.inner.graph_base,
                    without_query(link)
                ),
                body: String::new(),
            }),
        }
    }

    async fn token(&self) -> Result<AccessToken, GraphError> {
        let inner = &self.inner;
        inner
            .tokens
            .get(|| async {
                let tokens = inner.credentials.fetch(&inner.transport, &inner.login).await?;
                Ok::<_, GraphError>((tokens.access_token, tokens.expires_in))
            })
            .await
    }

    /// Sends an authenticated request and returns a successful answer; any other answer becomes a
    /// [`GraphError`]. A 401 drops the token and tries once more with a fresh one.
    pub(crate) async fn call(
        &self,
        method: Method,
        url: &str,
        call: Call<'_>,
    ) -> Result<Answer, GraphError> {
        let body = match call.body {
            Some(value) => Some(serde_json::to_vec(value).map_err(|e| {
                GraphError::Config(format!("could not encode a request body: {e}"))
            })?),
            None => None,
        };
        let span = tracing::debug_span!("graph", method = %method, path = %path_of(url));
        async {
            if call.writes > 0 {
                self.pace_writes(call.writes).await;
            }
            let mut refreshed = false;
            loop {
                let token = self.token().await?;
                let on_throttle = |wait: Option<Duration>| {
                    if call.writes > 0 {
                        self.writes_throttled(wait);
                    }
                };
                let answer = crate::transport::send(
                    &self.inner.transport,
                    "Microsoft Graph",
                    call.idempotent,
                    || {
                        let mut request = self
                            .inner
                            .transport
                            .http()
                            .request(method.clone(), url)
                            .header(AUTHORIZATION, bearer(&token.secret));
                        if call.eventual {
                            request = request.header(
                                HeaderName::from_static("consistencylevel"),
                                HeaderValue::from_static("eventual"),
                            );
                        }
                        if let Some(body) = &body {
                            request =
                                request.header(CONTENT_TYPE, "application/json").body(body.clone());
                        }
                        request
                    },
                    on_throttle,
                )
                .await?;
                if answer.status.is_success() {
                    self.inner.tokens.accepted(&token);
                    return Ok(answer);
                }
                if answer.status.as_u16() == 401 && !refreshed {
                    tracing::info!("access token refused; fetching a new one");
                    self.inner.tokens.invalidate(&token);
                    refreshed = true;
                    continue;
                }
                let details = crate::transport::details(&answer);
                tracing::debug!(status = answer.status.as_u16(), code = ?details.code, "refused");
                return Err(GraphError::from_graph(details, call.writes > 0));
            }
        }
        .instrument(span)
        .await
    }
}

fn bearer(token: &SecretString) -> HeaderValue {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer invalid"));
    value.set_sensitive(true);
    value
}

/// The path of a URL, for logs (queries may hold delta tokens).
fn path_of(url: &str) -> String {
    Url::parse(url).map(|u| u.path().to_owned()).unwrap_or_default()
}

fn without_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// Builds a [`GraphClient`].
///
/// ```
/// use azure_graph::{GraphClient, RetryPolicy};
/// use secrecy::SecretString;
/// use std::time::Duration;
/// let client = GraphClient::builder()
///     .tenant("contoso.onmicrosoft.com")
///     .client_credentials("11111111-2222-3333-4444-555555555555", SecretString::from("s3cr3t"))
///     .graph_url("http://127.0.0.1:8080")
///     .login_url("http://127.0.0.1:8080")
///     .retry(RetryPolicy::default())
///     .timeout(Duration::from_secs(30))
///     .max_concurrency(8)
///     .build()?;
/// assert_eq!(client.max_concurrency(), 8);
/// assert!(!format!("{client:?}").contains("s3cr3t"));
///
/// let refused = GraphClient::builder()
///     .tenant("t")
///     .client_credentials("c", SecretString::from("s"))
///     .graph_url("http://graph.example.com")
///     .build();
/// assert!(refused.is_err(), "plain http is only allowed on loopback");
/// # Ok::<(), azure_graph::GraphError>(())
/// ```
pub struct GraphClientBuilder {
    tenant: Option<String>,
    credentials: Option<Credentials>,
    on_refresh: Option<RefreshTokenCallback>,
    graph_url: String,
    login_url: String,
    retry: RetryPolicy,
    timeout: Duration,
    max_concurrency: usize,
    write_budget: Option<WriteBudget>,
    clock: Arc<dyn Clock>,
}

impl Default for GraphClientBuilder {
    fn default() -> Self {
        GraphClientBuilder {
            tenant: None,
            credentials: None,
            on_refresh: None,
            graph_url: DEFAULT_GRAPH_URL.to_owned(),
            login_url: DEFAULT_LOGIN_URL.to_owned(),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(60),
            max_concurrency: DEFAULT_GRAPH_CONCURRENCY,
            write_budget: Some(WriteBudget::GRAPH),
            clock: Arc::new(TokioClock),
        }
    }
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("tenant", &self.tenant)
            .field("credentials", &self.credentials)
            .field("graph_url", &self.graph_url)
            .field("login_url", &self.login_url)
            .finish_non_exhaustive()
    }
}

impl GraphClientBuilder {
    /// The Directory (tenant) ID, or a verified domain of the tenant.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// "Service to service": the app's client id and its client secret's Value.
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Self {
        self.credentials = Some(Credentials::ClientCredentials {
            client_id: client_id.into(),
            client_secret: secret,
        });
        self
    }

    /// "With user account": the app's client id and secret and a refresh token from
    /// [`crate::AuthorizationCodeFlow::redeem`]. Each refresh replaces the refresh token: see
    /// [`GraphClientBuilder::on_refresh_token`] and [`GraphClient::refresh_token`].
    pub fn user_account(
        mut self,
        client_id: impl Into<String>,
        secret: SecretString,
        refresh_token: SecretString,
    ) -> Self {
        self.credentials = Some(Credentials::UserAccount {
            client_id: client_id.into(),
            client_secret: secret,
            refresh_token: Mutex::new(refresh_token),
            on_refresh: None,
        });
        self
    }

    /// Called with every new refresh token (user-account mode), so it can be persisted: the old
    /// one stops working.
    pub fn on_refresh_token(
        mut self,
        callback: impl Fn(&SecretString) + Send + Sync + 'static,
    ) -> Self {
        self.on_refresh = Some(Arc::new(callback));
        self
    }

    /// The Graph base URL (default [`DEFAULT_GRAPH_URL`]); `http://` only on loopback.
    pub fn graph_url(mut self, url: impl Into<String>) -> Self {
        self.graph_url = url.into();
        self
    }

    /// The login base URL (default [`DEFAULT_LOGIN_URL`]); `http://` only on loopback.
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
        self
    }

    /// When and how long to retry (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The timeout of one HTTP request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many requests may be in flight at once (default [`DEFAULT_GRAPH_CONCURRENCY`]; at
    /// least 1).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.max_concurrency = n.max(1);
        self
    }

    /// The write budget to keep to (default [`WriteBudget::GRAPH`]); `None` for none (tests and
    /// benchmarks against a local server).
    pub fn write_budget(mut self, budget: Option<WriteBudget>) -> Self {
        self.write_budget = budget;
        self
    }

    /// The clock every wait goes through: retries, token expiry, the write budget (default
    /// [`TokioClock`], which follows `tokio::time::pause()`).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`GraphError::Config`]: no tenant or credentials, a URL that is not a URL, or `http://` to
    /// a host that is not loopback.
    pub fn build(self) -> Result<GraphClient, GraphError> {
        let tenant = self
            .tenant
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| GraphError::Config("the tenant ID is missing".to_owned()))?;
        if tenant.contains(['/', '?', '#']) {
            return Err(GraphError::Config(format!("{tenant:?} is not a tenant ID")));
        }
        let mut credentials = self.credentials.ok_or_else(|| {
            GraphError::Config(
                "the client id and secret (or a refresh token) are missing".to_owned(),
            )
        })?;
        if let Credentials::UserAccount { on_refresh, .. } = &mut credentials {
            *on_refresh = self.on_refresh;
        }
        if credentials.client_id().trim().is_empty() {
            return Err(GraphError::Config("the client id is empty".to_owned()));
        }
        let graph_base = base_url("Graph URL", &self.graph_url)?;
        let graph_origin = checked_url("Graph URL", &graph_base)?.origin();
        let login_base = base_url("login URL", &self.login_url)?;
        let transport =
            transport(self.timeout, self.retry, self.clock.clone(), self.max_concurrency)?;
        Ok(GraphClient {
            inner: Arc::new(Inner {
                transport,
                login: LoginEndpoint { base: login_base, tenant: tenant.trim().to_owned() },
                credentials,
                tokens: TokenCache::new(self.clock.clone()),
                graph_base,
                graph_origin,
                writes: self.write_budget.map(|budget| WriteLimiter::new(budget, self.clock)),
            }),
        })
    }
}

/// The shared runtime's transport: rustls, timeouts, no redirects (a token must not follow one).
pub(crate) fn transport(
    timeout: Duration,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    max_concurrency: usize,
) -> Result<Transport, GraphError> {
    Transport::new(TransportConfig {
        timeout,
        user_agent: concat!("dirsync-azure-graph/", env!("CARGO_PKG_VERSION")).to_owned(),
        retry,
        clock,
        max_concurrency,
    })
    .map_err(|e| GraphError::Config(format!("could not set up HTTP: {e}")))
}

/// Parses `value` as an `https://` URL, or `http://` to a loopback host.
pub(crate) fn checked_url(what: &str, value: &str) -> Result<Url, GraphError> {
    dirsync_runtime::endpoint_url(value).map_err(|e| GraphError::Config(format!("the {what}: {e}")))
}

/// A checked base URL without a trailing slash, query or fragment.
pub(crate) fn base_url(what: &str, value: &str) -> Result<String, GraphError> {
    Ok(checked_url(what, value)?.as_str().trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_is_refused_except_on_loopback() {
        assert!(base_url("x", "http://127.0.0.1:9/").is_ok());
        assert!(base_url("x", "http://[::1]:9").is_ok());
        assert!(base_url("x", "http://localhost:9").is_ok());
        assert!(base_url("x", "http://10.0.0.1").is_err());
        assert!(base_url("x", "http://graph.microsoft.com").is_err());
        assert!(base_url("x", "ftp://127.0.0.1").is_err());
        assert_eq!(
            base_url("x", "https://graph.microsoft.com/").unwrap(),
            "https://graph.microsoft.com"
        );
    }

    #[test]
    fn builder_needs_a_tenant_and_credentials() {
        let err = GraphClient::builder().build().unwrap_err();
        assert!(err.to_string().contains("tenant"));
        let err = GraphClient::builder().tenant("t").build().unwrap_err();
        assert!(err.to_string().contains("client id"));
    }
}

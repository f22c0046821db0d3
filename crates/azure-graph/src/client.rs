//! The Graph client, its builder, and the authenticated request every call goes through.

use crate::auth::{Credentials, LoginEndpoint, RefreshTokenCallback};
use crate::budget::{WriteBudget, WriteLimiter};
use crate::endpoints::{DEFAULT_LOGIN_URL, base_url, checked_url, default_settings, transport};
use crate::errors::GraphError;
use dirsync_runtime::{Answer, ApiClient, Auth, ClientSettings, Clock, RequestStats, RetryPolicy};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::SecretString;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use url::Url;

/// A client for the parts of Microsoft Graph v1.0 that people sync needs.
///
/// Cheap to clone (the clones share the token, the concurrency limit and the write budget).
/// Build one with [`GraphClient::builder`].
#[derive(Clone)]
pub struct GraphClient {
    inner: Arc<Inner>,
}

struct Inner {
    api: ApiClient<GraphError>,
    login: LoginEndpoint,
    credentials: Arc<Credentials>,
    graph_base: String,
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
            .field("retry", inner.api.transport().retry_policy())
            .finish_non_exhaustive()
    }
}

/// What Graph's own rules add to one request.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Call<'a> {
    /// Counts against the write budget, with this many writes (a `$batch` of 20 PATCHes is 20).
    pub(crate) writes: u32,
    /// Safe to send again after a network fault or a server error whatever its method (`None`:
    /// by its method, [`dirsync_runtime::is_idempotent`]).
    pub(crate) idempotent: Option<bool>,
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
        self.inner.api.transport().stats()
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
        self.inner.api.authenticate().await
    }

    /// `{graph_url}/v1.0{path}`.
    pub(crate) fn api(&self, path: &str) -> String {
        format!("{}/v1.0{}", self.inner.graph_base, path)
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        self.inner.api.transport().retry_policy()
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        self.inner.api.transport().clock()
    }

    /// How many requests may be in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.inner.api.transport().max_concurrency()
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
            Ok(url) if url.origin() == self.inner.api.base().origin() => Ok(()),
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

    /// Sends an authenticated request (the runtime's call: one 401 rule, one idempotency rule)
    /// with Graph's own rules: the write budget, `ConsistencyLevel`, and Graph's errors.
    pub(crate) async fn call(
        &self,
        method: Method,
        url: &str,
        call: Call<'_>,
    ) -> Result<Answer, GraphError> {
        let url = Url::parse(url).map_err(|e| {
            GraphError::Config(format!("bad Graph URL {:?}: {e}", without_query(url)))
        })?;
        let write = call.writes > 0;
        let mut request = dirsync_runtime::Call::new(method, url);
        if let Some(body) = call.body {
            request = request
                .json(body)
                .map_err(|e| GraphError::Config(format!("could not encode a request body: {e}")))?;
        }
        if let Some(idempotent) = call.idempotent {
            request = request.idempotent(idempotent);
        }
        if call.eventual {
            let eventual = HeaderValue::from_static("eventual");
            request = request.header(HeaderName::from_static("consistencylevel"), eventual);
        }
        let throttled = |wait: Option<Duration>| self.writes_throttled(wait);
        if write {
            self.pace_writes(call.writes).await;
            request = request.on_throttle(&throttled);
        }
        self.inner.api.call(request, |answer| GraphError::from_answer(&answer, write)).await
    }
}

fn without_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// Builds a [`GraphClient`].
///
/// ```
/// use azure_graph::{GraphClient, RetryPolicy};
/// use azure_graph::SecretString;
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
    /// The Graph URL is the base URL.
    settings: ClientSettings,
    login_url: String,
    write_budget: Option<WriteBudget>,
}

impl Default for GraphClientBuilder {
    fn default() -> Self {
        GraphClientBuilder {
            tenant: None,
            credentials: None,
            on_refresh: None,
            settings: default_settings(),
            login_url: DEFAULT_LOGIN_URL.to_owned(),
            write_budget: Some(WriteBudget::GRAPH),
        }
    }
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("tenant", &self.tenant)
            .field("credentials", &self.credentials)
            .field("settings", &self.settings)
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

    /// The Graph base URL (default [`DEFAULT_GRAPH_URL`](crate::DEFAULT_GRAPH_URL)); `http://` only on loopback.
    pub fn graph_url(mut self, url: impl Into<String>) -> Self {
        self.settings.base_url = Some(url.into());
        self
    }

    /// The login base URL (default [`DEFAULT_LOGIN_URL`]); `http://` only on loopback.
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.login_url = url.into();
        self
    }

    /// When and how long to retry (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.settings.retry = retry;
        self
    }

    /// The timeout of one HTTP request (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.settings.timeout = timeout;
        self
    }

    /// How many requests may be in flight at once (default [`DEFAULT_GRAPH_CONCURRENCY`](crate::DEFAULT_GRAPH_CONCURRENCY); at
    /// least 1).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.settings.max_concurrency = n.max(1);
        self
    }

    /// The write budget to keep to (default [`WriteBudget::GRAPH`]); `None` for none (tests and
    /// benchmarks against a local server).
    pub fn write_budget(mut self, budget: Option<WriteBudget>) -> Self {
        self.write_budget = budget;
        self
    }

    /// The clock every wait goes through: retries, token expiry, the write budget (default
    /// [`TokioClock`](crate::TokioClock), which follows `tokio::time::pause()`).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.settings.clock = clock;
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
        let graph_url = checked_url("Graph URL", self.settings.base_url.as_deref().unwrap_or(""))?;
        let graph_base = graph_url.as_str().trim_end_matches('/').to_owned();
        let login = LoginEndpoint {
            base: base_url("login URL", &self.login_url)?,
            tenant: tenant.trim().to_owned(),
        };
        let transport = transport(&self.settings)?;
        let credentials = Arc::new(credentials);
        let auth = {
            let (credentials, login, transport) =
                (credentials.clone(), login.clone(), transport.clone());
            Auth::tokens(self.settings.clock.clone(), move || {
                let (credentials, login, transport) =
                    (credentials.clone(), login.clone(), transport.clone());
                async move {
                    let tokens = credentials.fetch(&transport, &login).await?;
                    Ok((tokens.access_token, tokens.expires_in))
                }
            })
        };
        let api = ApiClient::new("graph", transport, graph_url, auth);
        let writes = self.write_budget.map(|budget| WriteLimiter::new(budget, self.settings.clock));
        Ok(GraphClient { inner: Arc::new(Inner { api, login, credentials, graph_base, writes }) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_needs_a_tenant_and_credentials() {
        let err = GraphClient::builder().build().unwrap_err();
        assert!(err.to_string().contains("tenant"));
        let err = GraphClient::builder().tenant("t").build().unwrap_err();
        assert!(err.to_string().contains("client id"));
    }
}

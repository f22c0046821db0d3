//! The SCIM client, its builder, and the authenticated request every call goes through.

use crate::discovery::ServiceProviderConfig;
use crate::errors::ScimError;
use crate::paging::{ListPage, Pager};
use dirsync_runtime::{
    Answer, ApiClient, Auth, Call, ClientSettings, Clock, KEPT_BODY, RequestStats, RetryPolicy,
    Transport, truncate,
};
use reqwest::header::{ACCEPT, ETAG, HeaderValue, IF_MATCH};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OnceCell;
use url::Url;

/// The media type of SCIM bodies.
const SCIM_JSON: &str = "application/scim+json";
/// The schema of a PATCH request body.
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// How many requests to the provider are in flight at once, unless configured.
///
/// SCIM providers rarely document a rate limit, and several keep it low; 4 keeps a sync's writes
/// moving without pressing them, and a 429 is honoured (`Retry-After`) whatever the setting.
pub const DEFAULT_SCIM_CONCURRENCY: usize = 4;

/// A user as the provider holds it: its id, its version, and the whole resource, so that a `PUT`
/// can send back what this crate does not understand unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUser {
    /// The provider's `id`.
    pub id: String,
    /// The resource's version (the `ETag` header, else `meta.version`), when the provider keeps one.
    pub etag: Option<String>,
    /// The resource as JSON.
    pub resource: Value,
}

impl ScimUser {
    /// A user from its JSON, with the `ETag` header of the answer if there was one.
    ///
    /// # Errors
    /// [`ScimError::InvalidResponse`] when the resource is not an object with a string `id`.
    pub fn from_resource(resource: Value, etag: Option<String>) -> Result<ScimUser, ScimError> {
        let Some(id) = resource.get("id").and_then(Value::as_str).map(str::to_owned) else {
            return Err(ScimError::InvalidResponse {
                reason: "a user has no id".to_owned(),
                body: truncate(&resource.to_string(), KEPT_BODY),
            });
        };
        let etag = etag.or_else(|| {
            resource.pointer("/meta/version").and_then(Value::as_str).map(str::to_owned)
        });
        Ok(ScimUser { id, etag, resource })
    }
}

/// One operation of a `PATCH` (RFC 7644 §3.5.2).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    /// `add`, `replace` or `remove`.
    pub op: &'static str,
    /// The attribute path (`title`, `name.givenName`, `urn:…:User:employeeNumber`).
    pub path: String,
    /// The new value.
    pub value: Value,
}

impl PatchOperation {
    /// A `replace` of the attribute at `path`.
    pub fn replace(path: impl Into<String>, value: Value) -> PatchOperation {
        PatchOperation { op: "replace", path: path.into(), value }
    }
}

/// A client for the `/Users` endpoint of a SCIM 2.0 service provider (RFC 7644).
///
/// Cheap to clone (the clones share the connection pool and the discovered features).
/// Build one with [`ScimClient::builder`].
#[derive(Clone)]
pub struct ScimClient {
    inner: Arc<Inner>,
}

struct Inner {
    api: ApiClient<ScimError>,
    features: OnceCell<ServiceProviderConfig>,
}

impl fmt::Debug for ScimClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = self.inner.api.transport();
        f.debug_struct("ScimClient")
            .field("base_url", &self.inner.api.base().as_str())
            .field("token", &"***")
            .field("retry", transport.retry_policy())
            .field("max_concurrency", &transport.max_concurrency())
            .field("features", &self.inner.features.get())
            .finish()
    }
}

impl ScimClient {
    /// A builder; [`ScimClientBuilder::base_url`] and [`ScimClientBuilder::token`] are needed.
    pub fn builder() -> ScimClientBuilder {
        ScimClientBuilder::default()
    }

    /// The base URL, as configured (the one `/Users` is under).
    pub fn base_url(&self) -> &str {
        self.inner.api.base().as_str()
    }

    /// How many requests may be in flight at once.
    pub fn max_concurrency(&self) -> usize {
        self.inner.api.transport().max_concurrency()
    }

    /// What this client has sent so far.
    pub fn stats(&self) -> RequestStats {
        self.inner.api.transport().stats()
    }

    /// What the provider supports: read from `/ServiceProviderConfig` once, then remembered. A
    /// provider that answers 404 or 501 there is taken to support nothing optional
    /// ([`ServiceProviderConfig::MINIMAL`]).
    ///
    /// # Errors
    /// The configuration could not be read (401, 403, unreachable, not JSON).
    pub async fn features(&self) -> Result<ServiceProviderConfig, ScimError> {
        self.inner
            .features
            .get_or_try_init(|| async {
                let url = self.url(&["ServiceProviderConfig"]);
                match self.call(Method::GET, url, None, None).await {
                    Ok(answer) => {
                        let config = ServiceProviderConfig::parse(&answer.body)?;
                        tracing::info!(?config, "SCIM service provider configuration");
                        Ok(config)
                    }
                    // 501 is a 5xx, so it arrives as Unavailable: match the status itself.
                    Err(e) if matches!(e.details().and_then(|d| d.status), Some(404 | 501)) => {
                        tracing::warn!(
                            "the SCIM provider publishes no ServiceProviderConfig; assuming no \
                             PATCH, no filter and no ETags"
                        );
                        Ok(ServiceProviderConfig::MINIMAL)
                    }
                    Err(e) => Err(e),
                }
            })
            .await
            .copied()
    }

    /// Every user, or those matching `filter`, read page by page (`startIndex` / `count`, at most
    /// `page_size` and the provider's `maxResults` at a time).
    ///
    /// # Errors
    /// Any failed page fails the whole listing: a partial list is never returned. Pages that
    /// contradict each other are [`ScimError::Paging`].
    pub async fn list_users(
        &self,
        filter: Option<&str>,
        page_size: u32,
    ) -> Result<Vec<ScimUser>, ScimError> {
        let features = self.features().await?;
        let size = features.max_results.map_or(page_size, |max| page_size.min(max));
        let mut pager = Pager::new(size);
        let mut users = Vec::new();
        while let Some((start, count)) = pager.next() {
            let mut url = self.url(&["Users"]);
            {
                let mut query = url.query_pairs_mut();
                if let Some(filter) = filter {
                    query.append_pair("filter", filter);
                }
                query
                    .append_pair("startIndex", &start.to_string())
                    .append_pair("count", &count.to_string());
            }
            let answer = self.call(Method::GET, url, None, None).await?;
            let page = ListPage::parse(&answer.body)?;
            let mut page_users = Vec::with_capacity(page.resources.len());
            for resource in &page.resources {
                page_users.push(ScimUser::from_resource(resource.clone(), None)?);
            }
            pager.accept(&page, page_users.iter().map(|u| u.id.as_str()))?;
            users.extend(page_users);
        }
        tracing::debug!(users = users.len(), "listed SCIM users");
        Ok(users)
    }

    /// One user, or `None` if the provider has no user with this id.
    ///
    /// # Errors
    /// A failed read.
    pub async fn get_user(&self, id: &str) -> Result<Option<ScimUser>, ScimError> {
        match self.call(Method::GET, self.url(&["Users", id]), None, None).await {
            Ok(answer) => user_from_answer(&answer).map(Some),
            Err(ScimError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates a user (`POST /Users`) and returns it as the provider now holds it.
    ///
    /// # Errors
    /// The provider refused (409 `uniqueness` is [`ScimError::AlreadyExists`]) or could not be
    /// reached.
    pub async fn create_user(&self, resource: &Value) -> Result<ScimUser, ScimError> {
        let answer = self.call(Method::POST, self.url(&["Users"]), Some(resource), None).await?;
        user_from_answer(&answer)
    }

    /// Replaces a user whole (`PUT /Users/{id}`), only if it is still at version `if_match` when
    /// one is given.
    ///
    /// # Errors
    /// The provider refused (412 is [`ScimError::PreconditionFailed`]) or could not be reached.
    pub async fn replace_user(
        &self,
        id: &str,
        resource: &Value,
        if_match: Option<&str>,
    ) -> Result<(), ScimError> {
        self.call(Method::PUT, self.url(&["Users", id]), Some(resource), if_match).await?;
        Ok(())
    }

    /// Changes attributes of a user (`PATCH /Users/{id}`), only if it is still at version
    /// `if_match` when one is given.
    ///
    /// # Errors
    /// The provider refused (412 is [`ScimError::PreconditionFailed`]) or could not be reached.
    pub async fn patch_user(
        &self,
        id: &str,
        operations: &[PatchOperation],
        if_match: Option<&str>,
    ) -> Result<(), ScimError> {
        let operations: Vec<Value> = operations
            .iter()
            .map(|o| json!({ "op": o.op, "path": o.path, "value": o.value }))
            .collect();
        let body = json!({ "schemas": [PATCH_OP], "Operations": operations });
        self.call(Method::PATCH, self.url(&["Users", id]), Some(&body), if_match).await?;
        Ok(())
    }

    /// `{base}/{segments…}`, each segment escaped.
    fn url(&self, segments: &[&str]) -> Url {
        self.inner.api.url(segments)
    }

    /// Sends an authenticated request (the runtime's call; a refused bearer token is refused for
    /// good) and returns a successful answer; any other answer becomes a [`ScimError`]. By the
    /// one idempotency rule, every request is sent again after a 429; reads and `PUT`s also
    /// after a 5xx outage or a lost connection (a `POST` or `PATCH` is never sent twice once it
    /// may have arrived).
    async fn call(
        &self,
        method: Method,
        url: Url,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<Answer, ScimError> {
        let accept = HeaderValue::from_static("application/scim+json, application/json");
        let mut call = Call::new(method, url).header(ACCEPT, accept);
        if let Some(value) = body {
            let body = serde_json::to_vec(value).map_err(|e| {
                ScimError::InvalidChange(format!("could not encode a request body: {e}"))
            })?;
            call = call.body(SCIM_JSON, body);
        }
        if let Some(tag) = if_match {
            let tag = HeaderValue::from_str(tag).map_err(|_| ScimError::InvalidResponse {
                reason: "the provider's ETag cannot be sent back in If-Match".to_owned(),
                body: truncate(tag, 256),
            })?;
            call = call.header(IF_MATCH, tag);
        }
        self.inner.api.call(call, |answer| ScimError::from_answer(&answer)).await
    }
}

fn user_from_answer(answer: &Answer) -> Result<ScimUser, ScimError> {
    let resource: Value =
        serde_json::from_slice(&answer.body).map_err(|_| ScimError::InvalidResponse {
            reason: if answer.status == StatusCode::NO_CONTENT {
                "a user was expected, but the answer was empty".to_owned()
            } else {
                "a user is not JSON".to_owned()
            },
            body: truncate(&answer.text(), KEPT_BODY),
        })?;
    let etag = answer.headers.get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
    ScimUser::from_resource(resource, etag)
}

/// Builds a [`ScimClient`].
///
/// ```
/// use dirsync_scim::{RetryPolicy, ScimClient};
/// use dirsync_scim::SecretString;
/// use std::time::Duration;
/// let client = ScimClient::builder()
///     .base_url("https://api.example.com/scim/v2")
///     .token(SecretString::from("s3cr3t-token"))
///     .retry(RetryPolicy::default())
///     .timeout(Duration::from_secs(30))
///     .max_concurrency(2)
///     .build()?;
/// assert_eq!(client.max_concurrency(), 2);
/// assert!(!format!("{client:?}").contains("s3cr3t"));
///
/// let refused = ScimClient::builder()
///     .base_url("http://scim.example.com/v2")
///     .token(SecretString::from("t"))
///     .build();
/// assert!(refused.is_err(), "plain http is only allowed on loopback");
/// # Ok::<(), dirsync_scim::ScimError>(())
/// ```
pub struct ScimClientBuilder {
    settings: ClientSettings,
    token: Option<SecretString>,
    features: Option<ServiceProviderConfig>,
}

impl Default for ScimClientBuilder {
    fn default() -> Self {
        let user_agent = concat!("dirsync-scim/", env!("CARGO_PKG_VERSION"));
        ScimClientBuilder {
            settings: ClientSettings::new(
                user_agent,
                Duration::from_secs(60),
                DEFAULT_SCIM_CONCURRENCY,
            ),
            token: None,
            features: None,
        }
    }
}

impl fmt::Debug for ScimClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScimClientBuilder")
            .field("settings", &self.settings)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("features", &self.features)
            .finish_non_exhaustive()
    }
}

impl ScimClientBuilder {
    /// The SCIM base URL, the one `/Users` and `/ServiceProviderConfig` are under
    /// (e.g. `https://api.example.com/scim/v2`); `http://` only on loopback.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.settings.base_url = Some(url.into());
        self
    }

    /// The bearer token every request carries. It is never logged or shown in `Debug` output.
    pub fn token(mut self, token: SecretString) -> Self {
        self.token = Some(token);
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

    /// How many requests may be in flight at once (default [`DEFAULT_SCIM_CONCURRENCY`]; at
    /// least 1).
    pub fn max_concurrency(mut self, n: usize) -> Self {
        self.settings.max_concurrency = n.max(1);
        self
    }

    /// The clock the retries wait on (default [`TokioClock`](crate::TokioClock), which follows
    /// `tokio::time::pause()`).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.settings.clock = clock;
        self
    }

    /// The provider's features, for a provider that does not publish `/ServiceProviderConfig`
    /// (or publishes a wrong one); without it they are read from there on first use.
    pub fn features(mut self, features: ServiceProviderConfig) -> Self {
        self.features = Some(features);
        self
    }

    /// The client.
    ///
    /// # Errors
    /// [`ScimError::Config`]: no base URL or token, a URL that is not a URL, or `http://` to a
    /// host that is not loopback.
    pub fn build(self) -> Result<ScimClient, ScimError> {
        if self.settings.base_url.as_deref().is_none_or(|u| u.trim().is_empty()) {
            return Err(ScimError::Config("the SCIM base URL is missing".to_owned()));
        }
        let base = self
            .settings
            .checked_base_url()
            .map_err(|e| ScimError::Config(format!("the SCIM base URL: {e}")))?;
        let token = self
            .token
            .filter(|t| !t.expose_secret().trim().is_empty())
            .ok_or_else(|| ScimError::Config("the SCIM bearer token is missing".to_owned()))?;
        let transport = Transport::new(&self.settings)
            .map_err(|e| ScimError::Config(format!("could not set up HTTP: {e}")))?;
        let features = match self.features {
            Some(features) => OnceCell::new_with(Some(features)),
            None => OnceCell::new(),
        };
        let api = ApiClient::new("scim", transport, base, Auth::bearer(token));
        Ok(ScimClient { inner: Arc::new(Inner { api, features }) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(base: &str) -> Result<ScimClient, ScimError> {
        ScimClient::builder().base_url(base).token(SecretString::from("hunter2")).build()
    }

    #[test]
    fn http_is_refused_except_on_loopback() {
        assert!(client("http://127.0.0.1:9/scim/v2").is_ok());
        assert!(client("http://[::1]:9").is_ok());
        assert!(client("http://localhost:9").is_ok());
        assert!(client("http://10.0.0.1/scim").is_err());
        assert!(client("ftp://127.0.0.1").is_err());
        assert!(client("https://example.com/scim?x=1").is_err());
    }

    #[test]
    fn paths_are_joined_and_ids_escaped() -> Result<(), ScimError> {
        let c = client("https://example.com/scim/v2/")?;
        assert_eq!(
            c.url(&["Users", "a/b c"]).as_str(),
            "https://example.com/scim/v2/Users/a%2Fb%20c"
        );
        let c = client("https://example.com/scim/v2")?;
        assert_eq!(c.url(&["Users"]).as_str(), "https://example.com/scim/v2/Users");
        Ok(())
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let builder = ScimClient::builder().token(SecretString::from("hunter2"));
        assert!(!format!("{builder:?}").contains("hunter2"));
        let shown = format!("{:?}", client("https://example.com/scim"));
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("***"), "{shown}");
    }

    #[test]
    fn a_missing_token_or_url_is_named() {
        let err = ScimClient::builder().token(SecretString::from("t")).build().err();
        assert!(err.is_some_and(|e| e.to_string().contains("base URL")));
        let err = ScimClient::builder().base_url("https://example.com").build().err();
        assert!(err.is_some_and(|e| e.to_string().contains("token")));
    }
}

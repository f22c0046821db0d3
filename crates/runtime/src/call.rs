//! The authenticated call every client makes: one 401 rule, one idempotency rule.

use crate::auth::Auth;
use crate::endpoint::join;
use crate::transport::{Answer, SendError, Transport};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, RequestBuilder};
use serde::Serialize;
use std::fmt;
use std::time::Duration;
use tracing::Instrument;
use url::Url;

/// Whether a request with `method` may be sent again when its answer was lost or was a server
/// error: the methods RFC 9110 calls idempotent (`GET`, `HEAD`, `OPTIONS`, `TRACE`, `PUT`,
/// `DELETE`). `POST` and `PATCH` are not, unless a call says so ([`Call::idempotent`]).
///
/// ```
/// use dirsync_runtime::is_idempotent;
/// use reqwest::Method;
/// assert!(is_idempotent(&Method::PUT));
/// assert!(!is_idempotent(&Method::PATCH));
/// ```
pub fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// Told of every 429 with the server's `Retry-After`, as it comes.
type OnThrottle<'a> = &'a (dyn Fn(Option<Duration>) + Send + Sync);

/// One request, as a client describes it: method, URL, headers, body, and whether it is safe to
/// send again.
///
/// ```
/// use dirsync_runtime::Call;
/// use reqwest::Method;
/// let url = url::Url::parse("https://graph.example.com/v1.0/users/u1").unwrap();
/// let call = Call::new(Method::PATCH, url).json(&serde_json::json!({"city": "Oslo"}))?;
/// assert!(!call.is_idempotent(), "a PATCH is not, by its method");
/// assert!(call.idempotent(true).is_idempotent(), "unless the call says so");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone)]
pub struct Call<'a> {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Vec<u8>>,
    idempotent: Option<bool>,
    on_throttle: Option<OnThrottle<'a>>,
}

impl fmt::Debug for Call<'_> {
    /// The method and the path: a query may hold a delta token, and headers a secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("path", &self.url.path())
            .field("idempotent", &self.is_idempotent())
            .finish_non_exhaustive()
    }
}

impl<'a> Call<'a> {
    /// A request without a body.
    pub fn new(method: Method, url: Url) -> Call<'a> {
        Call {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            idempotent: None,
            on_throttle: None,
        }
    }

    /// With a header.
    #[must_use]
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// With a body of `content_type`.
    #[must_use]
    pub fn body(mut self, content_type: &'static str, body: Vec<u8>) -> Self {
        self.headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        self.body = Some(body);
        self
    }

    /// With `value` as an `application/json` body.
    ///
    /// # Errors
    /// `value` cannot be written as JSON (a map with keys that are not strings).
    pub fn json(self, value: &impl Serialize) -> Result<Self, serde_json::Error> {
        Ok(self.body("application/json", serde_json::to_vec(value)?))
    }

    /// Says whether this request may be sent again after a lost answer or a server error,
    /// whatever its method: a `PATCH` that sets values is, a `POST` that an API documents as
    /// safe to repeat is.
    #[must_use]
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = Some(idempotent);
        self
    }

    /// With `observer` told of every 429 and the server's `Retry-After` (a write budget slows
    /// down on it).
    #[must_use]
    pub fn on_throttle(mut self, observer: OnThrottle<'a>) -> Self {
        self.on_throttle = Some(observer);
        self
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Whether the request may be sent again: as the call said, else by its method
    /// ([`is_idempotent`]).
    pub fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or_else(|| is_idempotent(&self.method))
    }

    /// The request for one attempt.
    fn request(
        &self,
        http: &reqwest::Client,
        authorization: Option<HeaderValue>,
    ) -> RequestBuilder {
        let mut request =
            http.request(self.method.clone(), self.url.clone()).headers(self.headers.clone());
        if let Some(value) = authorization {
            request = request.header(AUTHORIZATION, value);
        }
        match &self.body {
            Some(body) => request.body(body.clone()),
            None => request,
        }
    }
}

impl Transport {
    /// Sends `call` without authentication (a token request), retrying within the policy, and
    /// returns the answer whatever its status.
    ///
    /// # Errors
    /// [`SendError`] when no answer came.
    pub async fn send_call(&self, call: &Call<'_>) -> Result<Answer, SendError> {
        self.send_attempts(call, None).await
    }

    async fn send_attempts(
        &self,
        call: &Call<'_>,
        authorization: Option<HeaderValue>,
    ) -> Result<Answer, SendError> {
        let on_throttle = |wait: Option<Duration>| {
            if let Some(observer) = call.on_throttle {
                observer(wait);
            }
        };
        let build = || call.request(self.http(), authorization.clone());
        self.send_observed(call.is_idempotent(), build, on_throttle).await
    }
}

/// One service's API: its transport, its base URL and how it authenticates.
///
/// [`ApiClient::call`] is the call every client makes. It sends through the [`Transport`]
/// (timeouts, retries, bounded concurrency, every write with its length), with:
/// - **one 401 rule**: a fetched token refused with 401 is dropped and the request sent again
///   with a fresh one. When the fresh token is refused too, at once and before the service
///   ever accepted it, the credentials are refused: that 401 is the refusal, after exactly one
///   refresh. A token that worked before, or was refused only after the request waited out
///   throttling or an outage, simply expired, and is replaced again (at most as many times as
///   the retry policy makes attempts). A 401 to a fixed token is the refusal at once;
/// - **one idempotency rule**: a 429 is sent again for every request (the service did not act
///   on it); a 5xx or a lost answer only for an idempotent one ([`Call::is_idempotent`]).
///
/// ```
/// use dirsync_runtime::{ApiClient, Auth, ClientSettings, Transport};
/// use secrecy::SecretString;
/// use std::time::Duration;
/// let settings = ClientSettings::new("example/1.0", Duration::from_secs(30), 4)
///     .with_base_url("https://scim.example.com/v2");
/// let api: ApiClient<std::io::Error> = ApiClient::new(
///     "scim",
///     Transport::new(&settings).expect("rustls is built in"),
///     settings.checked_base_url().expect("https"),
///     Auth::bearer(SecretString::from("s3cr3t")),
/// );
/// assert_eq!(api.url(&["Users", "a/b"]).as_str(), "https://scim.example.com/v2/Users/a%2Fb");
/// assert!(!format!("{api:?}").contains("s3cr3t"));
/// ```
pub struct ApiClient<E> {
    service: &'static str,
    transport: Transport,
    base: Url,
    auth: Auth<E>,
}

impl<E> fmt::Debug for ApiClient<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiClient")
            .field("service", &self.service)
            .field("base", &self.base.as_str())
            .field("auth", &self.auth)
            .field("transport", &self.transport)
            .finish()
    }
}

impl<E> ApiClient<E> {
    /// The API of `service` (a name for logs) at `base`.
    pub fn new(service: &'static str, transport: Transport, base: Url, auth: Auth<E>) -> Self {
        ApiClient { service, transport, base, auth }
    }

    /// The transport.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `{base}/{segments…}`, each segment escaped ([`join`]).
    pub fn url(&self, segments: &[&str]) -> Url {
        join(&self.base, segments)
    }

    /// Fetches an access token now, or reuses the cached one (nothing for a fixed token): to
    /// check the credentials up front.
    ///
    /// # Errors
    /// What the token fetch failed with.
    pub async fn authenticate(&self) -> Result<(), E> {
        self.auth.token().await.map(|_| ())
    }
}

impl<E: From<SendError>> ApiClient<E> {
    /// Sends `call` with the client's authentication, under the one 401 rule and the one
    /// idempotency rule (see [`ApiClient`]), and returns a successful (2xx) answer. Any other
    /// answer, once no rule sends the request again, becomes the client's own error through
    /// `refused`, which sees the whole answer ([`crate::ErrorDetails::from_answer`] reads it).
    ///
    /// # Errors
    /// What the token fetch failed with; [`SendError`] (through `E: From<SendError>`) when no
    /// answer came; `refused`'s error for an answer that is not a success.
    pub async fn call(
        &self,
        call: Call<'_>,
        refused: impl FnOnce(Answer) -> E,
    ) -> Result<Answer, E> {
        let span = tracing::debug_span!(
            "call",
            service = self.service,
            method = %call.method,
            path = %call.url.path()
        );
        async {
            let max_refreshes = self.transport.retry_policy().max_attempts;
            let (mut refreshes, mut untried_refused) = (0, false);
            loop {
                let token = self.auth.token().await?;
                let answer = self.transport.send_attempts(&call, Some(token.header())).await?;
                if answer.status.is_success() {
                    self.auth.accepted(&token);
                    return Ok(answer);
                }
                if answer.status.as_u16() == 401
                    && let Some(untried) = self.auth.refused(&token)
                {
                    // Refused at once, never having worked: the credentials, not the token.
                    let credentials = untried && answer.attempts == 1;
                    if !(credentials && untried_refused) && refreshes < max_refreshes {
                        tracing::info!(
                            "access token refused; sending the request again with a fresh one"
                        );
                        untried_refused |= credentials;
                        refreshes += 1;
                        continue;
                    }
                }
                tracing::debug!(
                    status = answer.status.as_u16(),
                    attempts = answer.attempts,
                    "refused"
                );
                return Err(refused(answer));
            }
        }
        .instrument(span)
        .await
    }
}

//! The settings every client builder takes by the same names.

use crate::clock::{Clock, TokioClock};
use crate::endpoint::{EndpointError, endpoint_url};
use crate::retry::RetryPolicy;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// What every client's builder keeps: where the service is, how long a request may take, how
/// often it is retried, the clock, how many requests are in flight at once and the
/// `User-Agent`. Each builder sets them through setters of its own name
/// (`.retry(..)`, `.timeout(..)`, `.max_concurrency(..)`, `.clock(..)`) and hands them to
/// [`crate::Transport::new`].
///
/// ```
/// use dirsync_runtime::{ClientSettings, Transport};
/// use std::time::Duration;
/// let settings = ClientSettings::new("example/1.0", Duration::from_secs(30), 4)
///     .with_base_url("https://api.example.com");
/// assert_eq!(settings.checked_base_url()?.as_str(), "https://api.example.com/");
/// let transport = Transport::new(&settings).expect("rustls is built in");
/// assert_eq!(transport.max_concurrency(), 4);
/// # Ok::<(), dirsync_runtime::EndpointError>(())
/// ```
#[derive(Clone)]
pub struct ClientSettings {
    /// The service's base URL, as given (checked by [`ClientSettings::checked_base_url`]).
    pub base_url: Option<String>,
    /// The timeout of one attempt of one request, from sending to the end of the answer.
    pub timeout: Duration,
    /// When and how long to retry.
    pub retry: RetryPolicy,
    /// The clock every wait goes through: retries, token expiry, rate limits.
    pub clock: Arc<dyn Clock>,
    /// How many requests may be in flight at once (at least 1).
    pub max_concurrency: usize,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("max_concurrency", &self.max_concurrency)
            .field("user_agent", &self.user_agent)
            .finish_non_exhaustive()
    }
}

impl ClientSettings {
    /// A client's defaults: no base URL, [`RetryPolicy::default`], [`TokioClock`].
    pub fn new(user_agent: impl Into<String>, timeout: Duration, max_concurrency: usize) -> Self {
        ClientSettings {
            base_url: None,
            timeout,
            retry: RetryPolicy::default(),
            clock: Arc::new(TokioClock),
            max_concurrency: max_concurrency.max(1),
            user_agent: user_agent.into(),
        }
    }

    /// With a default base URL.
    #[must_use]
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The base URL, checked by the one rule for endpoints ([`endpoint_url`]).
    ///
    /// # Errors
    /// [`EndpointError`] for a URL that is not allowed, or none at all.
    pub fn checked_base_url(&self) -> Result<Url, EndpointError> {
        let given = self.base_url.as_deref().map(str::trim).unwrap_or_default();
        endpoint_url(given)
    }
}

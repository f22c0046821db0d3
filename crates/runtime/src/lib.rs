//! # dirsync-runtime
//!
//! What every dirsync HTTP client shares, so that the clients behave the same and are tested the
//! same way:
//!
//! - [`Clock`]: the one clock every retry wait, token expiry and rate limit uses. The default,
//!   [`TokioClock`], follows tokio's timer, so tests run on paused time
//!   (`tokio::time::pause()`); tests that cannot pause time put in a clock of their own.
//! - [`RetryPolicy`]: attempts and a cap on the total wait, `Retry-After` (seconds or an HTTP
//!   date) honoured, otherwise exponential backoff with jitter; [`Retries`] applies it.
//! - [`Transport`]: the HTTP client with timeouts and no redirects, bounded concurrency, the
//!   retry policy applied to every request, and every write sent with its length; a host name
//!   that cannot be found fails at once ([`UnresolvedHost`]) rather than after every retry.
//! - [`ApiClient`]: the one authenticated call ([`ApiClient::call`]) every client makes: its
//!   [`Auth`] (a fixed bearer token, or access tokens from a [`TokenCache`]), one 401 rule
//!   (a refused token is replaced; a fresh one refused at once is the client's authentication
//!   error), one idempotency rule ([`is_idempotent`], with a per-call override), and refusals
//!   read by one reader ([`ErrorDetails`]).
//! - [`TokenCache`]: one access token shared by all callers, fetched once however many wait,
//!   replaced ahead of expiry, never fetched before every call (a lifetime too short to trust
//!   is raised to [`TokenCache::MIN_LIFETIME`]; a refusal with 401 replaces it sooner).
//! - [`ClientSettings`]: what every client builder takes by the same names (base URL, timeout,
//!   retry, clock, concurrency, user agent).
//! - [`endpoint_url`]: the one rule for endpoints: `https://`, or `http://` to loopback only;
//!   [`join`] builds a URL from a base and escaped segments.
//! - [`lenient`]: numbers a service leaves unbounded (`total`, `expires_in`) read without failing
//!   on a negative or missing value; [`truncate`] cuts what an error keeps.
//!
//! ```
//! use dirsync_runtime::{RetryPolicy, Retries, TokioClock};
//! use std::time::Duration;
//!
//! let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
//! let mut retries = Retries::new(policy);
//! // The server asked to wait 2 s: that is the wait, within the policy's caps.
//! assert_eq!(retries.next_wait(Some(Duration::from_secs(2))), Some(Duration::from_secs(2)));
//! assert!(retries.next_wait(None).is_some());
//! assert_eq!(retries.next_wait(None), None, "three attempts in all");
//! # let _ = TokioClock;
//! ```

mod auth;
mod call;
mod clock;
mod details;
mod endpoint;
pub mod lenient;
#[cfg(feature = "test-support")]
mod recording;
mod resolve;
mod retry;
mod settings;
mod task;
mod token;
mod transport;

pub use auth::Auth;
pub use call::{ApiClient, Call, is_idempotent};
pub use clock::{Clock, TokioClock};
pub use details::{ErrorDetails, KEPT_BODY, truncate};
pub use endpoint::{EndpointError, endpoint_url, is_loopback, join};
#[cfg(feature = "test-support")]
pub use recording::RecordingClock;
pub use resolve::UnresolvedHost;
pub use retry::{Retries, RetryPolicy, parse_retry_after, retry_after};
pub use settings::ClientSettings;
pub use task::spawned;
pub use token::{AccessToken, TokenCache};
pub use transport::{Answer, RequestStats, SendError, Transport};

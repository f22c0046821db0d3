//! # huma-api
//!
//! A typed client for the parts of Huma's Open API that people sync needs, verification of Huma's
//! profile webhooks, and the [`dirsync::directory::Directory`] implementation over them.
//!
//! - [`webhook`]: verify a webhook request from its raw body and headers and parse it into a
//!   typed event; needs no client.
//! - [`HumaClient`]: client credentials (System settings → Open API in Huma), a cached token,
//!   retries (the shared [`dirsync_runtime`]), and the calls sync needs: users, their details, positions, job titles.
//! - [`HumaDirectory`]: Huma as a [`dirsync::directory::Directory`] over a client.
//! - [`mapping`] and [`model`]: Huma's JSON and the core's `Person` and `Record`; a user whose
//!   JSON is of the wrong shape is an unreadable record ([`mapping::record_from_json`]), not a
//!   failed read.
//! - [`HumaError`]: what went wrong and what to do about it.
//!
//! Webhooks need no client:
//!
//! ```
//! use hmac::{Hmac, Mac};
//! use huma_api::webhook::{Topic, WebhookVerifier};
//!
//! let body = br#"{"topic":"users-update","users":[{"id":"0b6c8f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f","email":"ada@example.com"}]}"#;
//! // What Huma sends: the HMAC-SHA256 of the raw body with the webhook's client secret.
//! let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"webhook-secret").unwrap();
//! mac.update(body);
//! let signature = hex::encode(mac.finalize().into_bytes());
//!
//! let verifier = WebhookVerifier::new(Some("webhook-secret".into()), None);
//! let event = verifier.verify(&[("Huma-HMAC-SHA256", signature.as_str())], body)?;
//! assert_eq!(event.topic, Topic::UsersUpdate);
//! assert_eq!(event.users[0].email.as_deref(), Some("ada@example.com"));
//!
//! // A tampered body is refused, and the error says nothing about the expected signature.
//! let tampered = br#"{"topic":"users-delete","users":[{"id":"0b6c8f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f"}]}"#;
//! assert!(verifier.verify(&[("huma-hmac-sha256", signature.as_str())], tampered).is_err());
//! # Ok::<(), huma_api::webhook::WebhookError>(())
//! ```
//!
//! Reading and writing people goes through a [`HumaClient`] and, for a sync, a
//! [`HumaDirectory`] over it:
//!
//! ```no_run
//! use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig, SecretString};
//! use dirsync::directory::Directory;
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = HumaClient::builder()
//!     .credentials("client-id", SecretString::from("client-secret"))
//!     .max_concurrency(16)
//!     .build()?;
//! let huma = HumaDirectory::new(client, HumaDirectoryConfig::default());
//! let everyone = huma.snapshot().await?;
//! # let _ = everyone;
//! # Ok(()) }
//! ```

mod auth;
mod client;
mod directory;
mod errors;
mod ids;
mod lenient;
pub mod mapping;
pub mod model;
mod paging;
mod positions;
mod raw;
mod scope;
mod users;
pub mod webhook;

pub use client::{DEFAULT_BASE_URL, DEFAULT_HUMA_CONCURRENCY, HumaClient, HumaClientBuilder};
pub use directory::{HumaDirectory, HumaDirectoryConfig};
pub use dirsync_runtime::{Clock, RequestStats, RetryPolicy, TokioClock};
pub use errors::HumaError;
pub use ids::{HumaUserId, JobTitleId, PositionId};
pub use scope::HumaScope;
/// The type every secret of this crate is given in (client secrets, tokens, passwords):
/// `secrecy`'s `SecretString`, of secrecy 0.10, re-exported so that a service needs no
/// dependency of its own to make one (`SecretString::from(value)`). Every dirsync adapter crate
/// re-exports the same type. To read one back (to persist a refresh token), depend on
/// `secrecy = "0.10"` and use its `ExposeSecret`.
pub use secrecy::SecretString;
pub use users::PAGE_SIZE;

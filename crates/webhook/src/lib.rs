//! # dirsync-webhook
//!
//! The receiver of Huma's profile webhooks as an axum [`Router`](axum::Router) a service mounts:
//! each request is verified ([`huma_api::webhook::WebhookVerifier`]: the HMAC signature and/or the
//! access token), and the people it names are pushed from Huma to Azure AD at once by
//! [`dirsync::realtime::RealtimePush`], the sync's own engine over one person at a time.
//!
//! ```no_run
//! use dirsync::{
//!     directory::InMemoryDirectory,
//!     realtime::{AutoProvisioning, PushSettings},
//!     store::MemoryStore,
//! };
//! use dirsync_webhook::Receiver;
//! use huma_api::SecretString;
//! use huma_api::webhook::WebhookVerifier;
//! use std::sync::Arc;
//! # async fn demo() -> std::io::Result<()> {
//! // The client secret the webhook is configured with in Huma.
//! let verifier = WebhookVerifier::new(Some(SecretString::from("the webhook's secret")), None);
//! let receiver = Receiver::new(
//!     Arc::new(InMemoryDirectory::new([]).with_name("Huma")),
//!     Arc::new(InMemoryDirectory::new([]).with_name("Azure AD")),
//!     verifier,
//! )
//! .with_store(Arc::new(MemoryStore::new())) // the sync's state: its links, and new ones
//! // Create people not in Azure AD yet.
//! .with_settings(PushSettings { provisioning: AutoProvisioning::On, ..PushSettings::default() });
//! // POST /webhooks/huma beside the service's own routes:
//! let app = axum::Router::new().merge(receiver.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! `POST /webhooks/huma` ([`PATH`]) takes the raw body, at most [`MAX_BODY`] bytes. `users-create`
//! and `users-update` go to the push, which reads the people again from Huma, finds each one's
//! Azure AD user through the state's links (or by employment id or email), writes only the
//! supported fields that differ, creates people only with auto-provisioning on, and commits new
//! links to the state without overwriting a running sync's. With a scope on either side (the
//! directories' own), a person outside it is answered and left alone (`out_of_scope`, with why).
//! With leavers on ([`Receiver::with_settings`], [`dirsync::realtime::PushSettings::leavers`]), a
//! `users-delete` disables the Azure AD accounts linked to the
//! deleted people, and an update that makes a person inactive disables theirs (never deleting
//! anyone).
//!
//! The answers:
//!
//! - **200** with a JSON [`PushSummary`]: one entry per person, with what was done.
//! - **502** with the same summary when a read from Huma or a write to Azure AD failed, so that
//!   the sender tries again.
//! - **202** (`{"ignored":true,"topic":…}`) for topics that need no push: `users-export`, unknown
//!   ones, and `users-delete` without leavers.
//! - **401** (`{"error":"unauthorized"}`) when the signature or token does not match or is
//!   missing; why goes to the log only.
//! - **400** for a verified body that is not a JSON object; **413** for a body over the limit.
//!
//! Pushes of one person run one after the other ([`dirsync::realtime::PersonLocks`], shared by every
//! request and every clone of the receiver): a webhook delivered twice at once creates nobody
//! twice, and the second copy is answered `unchanged`.

mod answer;
mod receiver;

pub use answer::{PushAction, PushSummary, UserPush};
pub use receiver::Receiver;
// The signature Huma sends lives beside the verifier that checks it; still here for senders that
// took it from this crate.
pub use huma_api::webhook::sign;

/// The path Huma posts to, relative to where the Router is mounted.
pub const PATH: &str = "/webhooks/huma";

/// The largest body accepted: 256 KiB (a webhook names users by id; this is thousands of them).
pub const MAX_BODY: usize = 256 * 1024;

//! # dirsync-scim
//!
//! A client for the users of any SCIM 2.0 service provider (RFC 7643 / RFC 7644: Slack, Zoom,
//! Atlassian, GitHub Enterprise, an in-house application), and the [`dirsync::directory::Directory`] over it
//! ([`ScimDirectory`]), so that the same engine keeps Huma and such a provider in step.
//!
//! - Users: the core User schema and the enterprise extension's `employeeNumber`, mapped to the
//!   supported fields (see [`to_record`] and `docs/scim.md`); the employment start
//!   date lives in a configured attribute, else it is not synced ([`StartDateAttribute`]).
//! - Discovery: `/ServiceProviderConfig` is read once ([`ServiceProviderConfig`]); changes are
//!   `PATCH`es when the provider supports them, else a `PUT` of the whole user; writes carry
//!   `If-Match` when it versions users with ETags; searches use a filter when it supports them.
//! - Paging by `startIndex` / `count` that never trusts `totalResults`: a listing stops at a
//!   short or empty page, and pages that contradict each other fail the read.
//! - A bearer token ([`SecretString`]), never logged, `***` in `Debug` output; only
//!   `https://` except on loopback.
//! - The HTTP runtime the other dirsync adapters share ([`dirsync_runtime`]): retries after a
//!   429 (any request) or a 5xx outage (reads and `PUT`s) honouring `Retry-After`, capped in
//!   attempts and total wait ([`RetryPolicy`]); timeouts; no redirects; bounded concurrency
//!   ([`ScimClientBuilder::max_concurrency`]); one [`Clock`] for every wait.
//! - Errors as the provider reports them (`scimType`, `detail`, status) in [`ScimError`], each
//!   saying what to do, mapped to the core's [`dirsync::directory::ErrorKind`].
//!
//! ```
//! use dirsync::{directory::Directory, model::Field};
//! use dirsync_scim::{
//!     AttributePath, DateFormat, ScimClient, ScimDirectory, ScimDirectoryConfig, StartDateAttribute,
//! };
//! use dirsync_scim::SecretString;
//!
//! let client = ScimClient::builder()
//!     .base_url("https://api.example.com/scim/v2")
//!     .token(SecretString::from("s3cr3t-token"))
//!     .build()?;
//! let slack = ScimDirectory::new(client.clone(), ScimDirectoryConfig {
//!     name: "Slack".into(),
//!     ..ScimDirectoryConfig::default()
//! });
//! // No request is made until a read or a write.
//! assert_eq!(slack.name(), "Slack");
//! assert!(!slack.capabilities().writable.contains(Field::EmploymentStartDate));
//!
//! let with_start = ScimDirectory::new(client, ScimDirectoryConfig {
//!     start_date: Some(StartDateAttribute {
//!         path: AttributePath::parse("urn:example:params:scim:schemas:extension:hr:2.0:User:startDate")?,
//!         format: DateFormat::Date,
//!     }),
//!     ..ScimDirectoryConfig::default()
//! });
//! assert!(with_start.capabilities().writable.contains(Field::EmploymentStartDate));
//! assert!(!format!("{with_start:?}").contains("s3cr3t"));
//! # Ok::<(), dirsync_scim::ScimError>(())
//! ```
#![warn(missing_docs)]

mod client;
mod directory;
mod discovery;
mod errors;
mod mapping;
mod paging;

pub use client::{
    DEFAULT_SCIM_CONCURRENCY, PatchOperation, ScimClient, ScimClientBuilder, ScimUser,
};
pub use directory::{ScimDirectory, ScimDirectoryConfig};
pub use dirsync_runtime::{Clock, ErrorDetails, RequestStats, RetryPolicy, TokioClock};
pub use discovery::ServiceProviderConfig;
pub use errors::ScimError;
pub use mapping::{
    AttributePath, CORE_USER, DateFormat, ENTERPRISE_USER, StartDateAttribute, apply_changes,
    filter_value, new_user, to_record,
};
/// The type every secret of this crate is given in (client secrets, tokens, passwords):
/// `secrecy`'s `SecretString`, of secrecy 0.10, re-exported so that a service needs no
/// dependency of its own to make one (`SecretString::from(value)`). Every dirsync adapter crate
/// re-exports the same type. To read one back (to persist a refresh token), depend on
/// `secrecy = "0.10"` and use its `ExposeSecret`.
pub use secrecy::SecretString;

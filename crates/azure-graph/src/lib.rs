//! # azure-graph
//!
//! A small, hand-written client for the parts of Microsoft Graph v1.0 that people sync needs, and
//! the [`dirsync::directory::Directory`] implementation over it ([`AzureDirectory`]).
//!
//! - Authentication in Huma's two modes: "Service to service" (client credentials) and "With user
//!   account" ([`AuthorizationCodeFlow`] with PKCE, then refresh tokens that are handed back to be
//!   persisted). Tokens are cached and refreshed shortly before expiry, once, however many calls
//!   wait on them.
//! - Users: list (`$select` of the mapped properties, `$top=999`, every `@odata.nextLink`), get,
//!   find, create, PATCH only what changed, and batched PATCHes through `/$batch`.
//! - Lenient reads: each user of a page is read on its own, and one of the wrong shape
//!   (`"jobTitle": 42`) becomes an [`UnreadableUser`] (the core's unreadable record) instead of
//!   failing the read; a page whose shape is wrong still fails it.
//! - Incremental reads through `/users/delta`; an expired delta token falls back to a full read.
//! - A scope ([`AzureScope`]): the members of a group (transitive, read with the mapped
//!   properties), less those of excluded groups; new users added to the group.
//! - Account control: disabling and enabling sign-in (`accountEnabled`) and revoking sign-in
//!   sessions, with a 403 on an administrator's account reported for that user, saying what to do.
//! - Throttling: `Retry-After` honoured, otherwise exponential backoff with jitter, capped in
//!   attempts and total wait (the shared [`dirsync_runtime`]); bounded concurrency; writes kept
//!   within Graph's write window (3,000 per 150 s), going at once until it is spent.
//! - Errors that say what to do ([`GraphError`]); secrets never in `Debug` output or logs.
//! - The report email through `sendMail` ([`GraphMailer`], a [`dirsync::mail::Mailer`]).
//!
//! ```
//! use azure_graph::{AzureDirectory, AzureDirectoryConfig, GraphClient, PhoneProperty};
//! use dirsync::{directory::Directory, model::Field};
//! use azure_graph::SecretString;
//!
//! let client = GraphClient::builder()
//!     .tenant("contoso.onmicrosoft.com")
//!     .client_credentials("11111111-2222-3333-4444-555555555555", SecretString::from("s3cr3t-value"))
//!     .build()?;
//! let azure = AzureDirectory::new(
//!     client,
//!     AzureDirectoryConfig {
//!         upn_domain: "contoso.com".into(),
//!         phone_property: PhoneProperty::MobilePhone,
//!         ..AzureDirectoryConfig::default()
//!     },
//! );
//! // No request is made until a read or a write.
//! let caps = azure.capabilities();
//! assert!(caps.writable.contains(Field::Phone));
//! assert_eq!(caps.limits.employment_id, Some(16));
//! assert!(!format!("{azure:?}").contains("s3cr3t-value"));
//! # Ok::<(), azure_graph::GraphError>(())
//! ```
#![warn(missing_docs)]

mod accounts;
mod auth;
mod batch;
mod budget;
mod client;
mod delta;
mod directory;
mod endpoints;
mod errors;
mod groups;
mod ids;
mod mail;
mod mapping;
mod model;
mod page;
mod paging;
mod password;
mod redirect;
mod scope;
mod token_file;
mod users;

pub use auth::{
    AuthorizationCodeFlow, AuthorizeRequest, GRAPH_DEFAULT_SCOPE, PkceVerifier,
    RefreshTokenCallback, USER_ACCOUNT_SCOPES, UserTokens,
};
pub use batch::MAX_BATCH;
pub use budget::WriteBudget;
pub use client::{GraphClient, GraphClientBuilder};
pub use delta::DeltaRound;
pub use directory::{AzureDirectory, AzureDirectoryConfig};
pub use dirsync_runtime::{Clock, ErrorDetails, RequestStats, RetryPolicy, TokioClock};
pub use endpoints::{DEFAULT_GRAPH_CONCURRENCY, DEFAULT_GRAPH_URL, DEFAULT_LOGIN_URL};
pub use errors::GraphError;
pub use ids::GraphUserId;
pub use mail::{GraphMailer, SendMailError};
pub use mapping::{
    GRAPH_LIMITS, PhoneProperty, mail_nickname, new_user, patch_for, select, to_record,
};
pub use model::{AccountAction, GraphUser, NewUser, UserPatch};
pub use page::{UnreadableUser, UserEntry, UsersPage, read_users_page};
pub use redirect::{RedirectError, code_from_redirect};
pub use scope::AzureScope;
/// The type every secret of this crate is given in (client secrets, tokens, passwords):
/// `secrecy`'s `SecretString`, of secrecy 0.10, re-exported so that a service needs no
/// dependency of its own to make one (`SecretString::from(value)`). Every dirsync adapter crate
/// re-exports the same type. To read one back (to persist a refresh token), depend on
/// `secrecy = "0.10"` and use its `ExposeSecret`.
pub use secrecy::SecretString;
pub use token_file::{RefreshTokenFile, TokenFileError};

//! # dirsync-connect
//!
//! One organisation's settings made into what a sync runs on: the two directories (Huma, and
//! Azure AD or a SCIM 2.0 provider, each narrowed to its scope), the state store (a JSON file or
//! the organisation's rows in PostgreSQL), and the report email (over SMTP or Microsoft Graph).
//! Where the adapters each know one service, this crate knows them all, so that a service that
//! embeds dirsync, and the example programs, set up a connection the same way.
//!
//! - [`ConnectionSettings`], [`ScopeSettings`] → [`connect`] → [`Directories`];
//! - [`StateSettings`] → [`StateLocation`] → [`OpenStore`];
//! - [`EmailSettings`] and [`SmtpEnv`] → [`send_report`];
//! - [`PolicySettings`] → the core's [`Policy`](dirsync::policy::Policy), and all of a
//!   [`SyncSettings`] → a checked [`SyncSetup`] → a
//!   [`Synchronizer`](dirsync::sync::Synchronizer);
//! - [`Secrets`]: from the environment only, never shown;
//! - [`OrganisationJob`]: one organisation as a [`dirsync_postgres::Worker`] serves it;
//! - [`Problem`]: why a run cannot start or stopped, for a person, and its [`ProblemKind`].
//!
//! With the `webhook` feature, `ReceiverSettings` make the receiver of Huma's webhooks
//! (`dirsync_webhook::Receiver`) ready to serve.
//!
//! With the `review` feature, `SyncSetup::review` makes the review page (`dirsync_review::Review`)
//! of a sync, and `review_email` its report email.
//!
//! With the `testkit` feature, `ConnectionSettings::for_fakes` and `Secrets::for_fakes` reach
//! testkit's fake Huma and Graph.
//!
//! With the `clap` feature every settings type is also `clap::Args`, whose flags are the
//! `sync` program's (`--huma-url`, `--azure-group`, …), and `orgs_file` reads a TOML file of
//! organisations whose keys are those flags.
//!
//! ```
//! use dirsync_connect::{ConnectionSettings, IdpKind, NewPeople, Secrets, SecretString, connect};
//!
//! let settings = ConnectionSettings {
//!     huma_client_id: Some("huma-client-id".to_owned()),
//!     idp: IdpKind::Scim,
//!     scim_url: Some("https://api.example.com/scim/v2".to_owned()),
//!     scim_name: "Slack".to_owned(),
//!     ..ConnectionSettings::default()
//! };
//! let secrets = Secrets {
//!     huma_client_secret: Some(SecretString::from("huma-secret")),
//!     scim_token: Some(SecretString::from("scim-token")),
//!     ..Secrets::default()
//! };
//! let directories = connect(&settings, &NewPeople::default(), &secrets)?; // no request yet
//! assert_eq!(directories.idp.directory().name(), "Slack");
//! # Ok::<(), dirsync_connect::ConnectError>(())
//! ```
#![warn(missing_docs)]

mod directories;
mod email;
mod error;
#[cfg(feature = "testkit")]
mod fakes;
mod job;
mod policy;
mod problem;
mod secrets;
mod settings;
mod setup;
mod state;

#[cfg(feature = "clap")]
pub mod orgs_file;
#[cfg(feature = "webhook")]
mod receiver;
#[cfg(feature = "review")]
mod review;

pub use directories::{
    AzureApp, Directories, IdentityDirectory, NewPeople, connect, sign_in_expired,
};
pub use email::{
    EmailOutcome, EmailSettings, EmailVia, EmailWhen, MailerError, SMTP_PASSWORD, SMTP_URL,
    SmtpEnv, mailer, send_report, send_report_with,
};
pub use error::ConnectError;
pub use job::{JobError, JobNote, OrganisationJob};
pub use policy::{Create, FileSettings, PolicySettings, Prefer, SyncSettings};
pub use problem::{Problem, ProblemKind, idp_refused};
#[cfg(feature = "webhook")]
pub use receiver::{
    HUMA_WEBHOOK_SECRET, HUMA_WEBHOOK_TOKEN, ReadyReceiver, ReceiverError, ReceiverSettings,
    verifier_from_env,
};
#[cfg(feature = "review")]
pub use review::review_email;
/// The type every secret is given in: `secrecy`'s `SecretString`, the one every dirsync adapter
/// crate re-exports.
pub use secrecy::SecretString;
pub use secrets::{AZURE_CLIENT_SECRET, HUMA_CLIENT_SECRET, SCIM_TOKEN, Secrets, secret_from_env};
pub use settings::{
    AzureAppSettings, ConnectionSettings, DEFAULT_TOKEN_FILE, IdpKind, ScopeSettings,
    parse_group_id,
};
pub use setup::{ReportFileError, SetupError, SyncSetup, WrittenReport};
pub use state::{
    DEFAULT_STATE_FILE, OpenStore, StateLocation, StateLocationError, StateSettings, holder,
    is_url, open_database,
};

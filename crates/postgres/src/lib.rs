//! # dirsync-postgres
//!
//! The states of many organisations in one PostgreSQL database, for services that run dirsync
//! for many organisations, on many machines: a [`PostgresStore`] per organisation is a
//! [`dirsync::store::StateStore`] whose save writes the rows a run changed, whose lease works across
//! machines and ends with its holder, and which records every run in a history a person can
//! ask about ("what did the sync do to Kari last month?").
//!
//! ```no_run
//! # async fn run(huma: &dyn dirsync::directory::Directory, azure: &dyn dirsync::directory::Directory) -> Result<(), Box<dyn std::error::Error>> {
//! use dirsync::{
//!     policy::{ConflictRule, Policy},
//!     store::{HistoryQuery, RunHistory},
//!     sync::Synchronizer,
//! };
//! use dirsync_postgres::PostgresDatabase;
//!
//! // The schema is created (or migrated) here; the password comes from PGPASSWORD.
//! let db = PostgresDatabase::connect("postgres://dirsync@db.internal/dirsync?sslmode=require").await?;
//! let acme = db.organisation("acme").await?;
//! let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
//! let sync = Synchronizer::new(huma, azure, &acme).with_policy(policy).with_holder("worker-3");
//! let synced = sync.plan().await?.apply().await?; // under acme's lease, on any machine
//!
//! let kari = acme.query(&HistoryQuery::default().person("h-kari")).await?;
//! # let _ = (synced, kari); Ok(()) }
//! ```
//!
//! - [`PostgresDatabase`]: the pool, the schema (versioned migrations shipped here, run at
//!   connect; a newer schema is refused), the organisations, the history across them.
//! - [`PostgresStore`]: one organisation's state, lease and history.
//! - [`sync_if_due`]: what a worker does for one organisation of its round.
//! - [`Worker`]: a worker's rounds over the organisations it serves ([`OrgJob`]), a few at a
//!   time, until it is told to stop.
//! - [`StopSignals`]: a worker process's two-stage stop: the first Ctrl-C or SIGTERM stops it
//!   taking up organisations, the second ends the syncs under way.
//! - [`PostgresConfig`]: the URL (no password in it), `PGPASSWORD`, TLS with rustls.

mod config;
mod database;
mod error;
mod history;
mod key;
mod lease;
mod round;
mod rows;
mod schema;
mod stop;
mod store;
mod worker;

pub use config::{DEFAULT_HISTORY_RETENTION, DEFAULT_MAX_CONNECTIONS, PostgresConfig};
pub use database::PostgresDatabase;
pub use error::PgError;
pub use key::OrgKey;
pub use round::{MIN_PAUSE, OrgDone, OrgJob, OrgStatus, RoundOutcome, RoundSummary, Worker};
pub use schema::SCHEMA_VERSION;
/// The type every secret of this crate is given in (client secrets, tokens, passwords):
/// `secrecy`'s `SecretString`, of secrecy 0.10, re-exported so that a service needs no
/// dependency of its own to make one (`SecretString::from(value)`). Every dirsync adapter crate
/// re-exports the same type. To read one back (to persist a refresh token), depend on
/// `secrecy = "0.10"` and use its `ExposeSecret`.
pub use secrecy::SecretString;
pub use stop::StopSignals;
pub use store::PostgresStore;
pub use worker::{OrgRun, sync_if_due};

/// The first key of every advisory lock this crate takes ("dsyn"): organisation leases use the
/// organisation's id as the second, the schema's migration uses 0.
pub(crate) const LOCK_NAMESPACE: i32 = 0x6473_796e;

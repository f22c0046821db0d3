//! One throwaway PostgreSQL server per test binary, and a new database on it per test.
#![allow(dead_code, unreachable_pub)]

use dirsync::{model::Person, store::SyncState};
use dirsync_postgres::{PostgresConfig, PostgresDatabase};
use secrecy::SecretString;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use testkit::postgres::{PASSWORD, TempPostgres};

/// The server every test of this binary uses; `None` when PostgreSQL is not installed.
pub static SERVER: LazyLock<Option<TempPostgres>> = LazyLock::new(TempPostgres::start);

/// A new, empty database on the server: its name and its URL (no password in it).
pub fn new_database() -> Option<(&'static TempPostgres, String, String)> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let server = SERVER.as_ref()?;
    let name = format!("t{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    server.create_database(&name);
    let url = server.url(&name);
    Some((server, name, url))
}

/// The settings for `url`, with the server's password.
pub fn config(url: &str) -> PostgresConfig {
    PostgresConfig::from_url(url).expect("a test URL").password(&SecretString::from(PASSWORD))
}

/// A connected database of its own, with the server and its name; `None` when skipped.
pub async fn database() -> Option<(PostgresDatabase, &'static TempPostgres, String)> {
    let (server, name, url) = new_database()?;
    let db = PostgresDatabase::open(config(&url)).await.expect("connects and migrates");
    Some((db, server, name))
}

/// A state of `n` links (h0 → a0, ...), each with a baseline.
pub fn linked(n: usize) -> SyncState {
    let mut state = SyncState::new();
    for i in 0..n {
        let baseline = Person::new()
            .with_email(format!("p{i}@example.com"))
            .with_given_name(format!("P{i}"))
            .with_job_title("Engineer");
        state.link(format!("h{i}").into(), format!("a{i}").into(), baseline);
    }
    state
}

//! The schema: versioned migrations shipped in the crate, run at connect under a lock, and a
//! database whose schema is newer than this crate refused.

use crate::{LOCK_NAMESPACE, PgError};
use refinery::error::Kind;
use refinery::{Migration, Runner};

/// The migrations, oldest first: each is applied once, in its own transaction.
const MIGRATIONS: &[(&str, &str)] = &[
    ("V1__state_and_history", include_str!("../migrations/V1__state_and_history.sql")),
    ("V2__reported", include_str!("../migrations/V2__reported.sql")),
];

/// The table that records which migrations a database has.
const HISTORY_TABLE: &str = "dirsync_schema_history";

/// The schema version this crate makes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Brings the schema up to [`SCHEMA_VERSION`], or refuses a newer one, holding the migration
/// lock so that processes starting at once migrate one after the other.
pub(crate) async fn migrate(
    client: &mut tokio_postgres::Client,
    target: &str,
) -> Result<(), PgError> {
    client
        .execute("SELECT pg_advisory_lock($1, 0)", &[&LOCK_NAMESPACE])
        .await
        .map_err(|e| PgError::database("lock the schema for its migration", target, e))?;
    let migrated = run(client, target).await;
    // The lock also ends with the connection, which the caller closes next.
    let _ = client.execute("SELECT pg_advisory_unlock($1, 0)", &[&LOCK_NAMESPACE]).await;
    migrated
}

async fn run(client: &mut tokio_postgres::Client, target: &str) -> Result<(), PgError> {
    // Checked before the migration tool reads the history, so a newer program's rows are never
    // read by this one's rules.
    if let Some(found) = newest_version(client).await.filter(|v| *v > SCHEMA_VERSION) {
        return Err(PgError::NewerSchema {
            target: target.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let migrations = MIGRATIONS
        .iter()
        .map(|(name, sql)| Migration::unapplied(name, sql))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| PgError::Migration { target: target.to_owned(), source })?;
    let mut runner = Runner::new(&migrations);
    runner.set_migration_table_name(HISTORY_TABLE);
    match runner.run_async(client).await {
        Ok(report) => {
            for applied in report.applied_migrations() {
                tracing::info!(
                    version = applied.version(),
                    name = applied.name(),
                    "schema migrated"
                );
            }
            Ok(())
        }
        Err(e) => match e.kind() {
            Kind::MissingVersion(newer) => {
                let found = newest_version(client).await.unwrap_or(i64::from(newer.version()));
                Err(PgError::NewerSchema {
                    target: target.to_owned(),
                    found,
                    supported: SCHEMA_VERSION,
                })
            }
            _ => Err(PgError::Migration { target: target.to_owned(), source: e }),
        },
    }
}

/// The newest version the database's schema history records, if it has one.
async fn newest_version(client: &tokio_postgres::Client) -> Option<i64> {
    let sql = format!("SELECT MAX(version)::bigint FROM {HISTORY_TABLE}");
    client.query_one(&sql, &[]).await.ok()?.get(0)
}

//! The crate's one error type, and what it becomes for the core ([`dirsync::store::StateError`]).

use dirsync::store::StateError;
use tokio_postgres::error::SqlState;

/// Something went wrong with the database. Each variant says what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgError {
    /// The connection settings are wrong (a URL that is not a PostgreSQL URL, a password in it).
    #[error("invalid PostgreSQL settings: {0}")]
    Config(String),
    /// An organisation key that cannot be used.
    #[error(
        "the organisation key {shown:?} cannot be used: {reason}; use 1 to {max} letters, digits, \
         '.', '_', '-' or ':', starting with a letter or a digit",
        max = crate::OrgKey::MAX_LEN
    )]
    OrgKey {
        /// The key as given (its start, for a long one).
        shown: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The root certificate file for TLS could not be read.
    #[error("cannot use the root certificate file {path} (sslrootcert): {reason}")]
    RootCertificate {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The server refused the user name or password.
    #[error(
        "PostgreSQL at {target} refused the password of user {user:?}: set the right one in \
         PGPASSWORD (a password written in the URL is refused)"
    )]
    Authentication {
        /// host:port/database.
        target: String,
        /// The user.
        user: String,
        /// The server's answer.
        #[source]
        source: tokio_postgres::Error,
    },
    /// TLS was required (`sslmode=require`) but the server does not offer it.
    #[error(
        "PostgreSQL at {target} does not offer TLS, which sslmode=require asks for: enable ssl on \
         the server, or connect with sslmode=disable on a network you trust"
    )]
    TlsRefused {
        /// host:port/database.
        target: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The server could not be reached or the connection failed.
    #[error(
        "could not connect to PostgreSQL at {target}: check the host, the port and that the \
         server runs"
    )]
    Connect {
        /// host:port/database.
        target: String,
        /// The driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The database's schema was made by a newer version of this crate.
    #[error(
        "the dirsync schema in {target} is at version {found}, newer than version {supported} \
         that this program knows: upgrade the program; nothing was written"
    )]
    NewerSchema {
        /// host:port/database.
        target: String,
        /// The database's version.
        found: i64,
        /// The newest version this crate knows.
        supported: i64,
    },
    /// Creating or migrating the schema failed.
    #[error(
        "could not create or migrate the dirsync schema in {target}: check that the user may \
         create tables there"
    )]
    Migration {
        /// host:port/database.
        target: String,
        /// Why.
        #[source]
        source: refinery::Error,
    },
    /// A table of the schema is missing, though the schema's history says it was made.
    #[error(
        "the table {table} is missing from {target}, though the dirsync schema there says it was \
         created: restore the database from a backup (nothing was written)"
    )]
    MissingTable {
        /// The table.
        table: String,
        /// host:port/database.
        target: String,
    },
    /// A stored value could not be read back.
    #[error("a stored {what} of organisation {organisation:?} cannot be read: {reason}")]
    Corrupt {
        /// What was read ("link h1").
        what: String,
        /// The organisation.
        organisation: String,
        /// What is wrong.
        reason: String,
    },
    /// No connection could be had from the pool in time.
    #[error("no connection to PostgreSQL at {target} became free: {reason}")]
    Pool {
        /// host:port/database.
        target: String,
        /// Why.
        reason: String,
    },
    /// A statement failed.
    #[error("PostgreSQL at {target} refused to {action}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// host:port/database.
        target: String,
        /// The server's or the driver's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

impl PgError {
    /// The error for `source`, which happened while doing `action` on `target`, in the words that
    /// fit it best.
    pub(crate) fn database(
        action: &'static str,
        target: &str,
        source: tokio_postgres::Error,
    ) -> Self {
        if source.code() == Some(&SqlState::UNDEFINED_TABLE) {
            let table = source
                .as_db_error()
                .map(|db| missing_table(db.message()))
                .unwrap_or_else(|| "of the dirsync schema".to_owned());
            return PgError::MissingTable { table, target: target.to_owned() };
        }
        PgError::Database { action, target: target.to_owned(), source }
    }

    /// The error for a failed connection attempt with `user`.
    pub(crate) fn connect(target: &str, user: &str, source: tokio_postgres::Error) -> Self {
        let target = target.to_owned();
        let refused = [SqlState::INVALID_PASSWORD, SqlState::INVALID_AUTHORIZATION_SPECIFICATION];
        if source.code().is_some_and(|code| refused.contains(code)) {
            return PgError::Authentication { target, user: user.to_owned(), source };
        }
        // The driver gives no code for this one; its words are all there is.
        if dirsync::directory::ErrorChain(&source)
            .to_string()
            .contains("server does not support TLS")
        {
            return PgError::TlsRefused { target, source };
        }
        PgError::Connect { target, source }
    }

    /// The core's error for this one, met while doing `action` on the state of `store`.
    pub(crate) fn into_state(self, action: &'static str, store: &str) -> StateError {
        StateError::Store { action, store: store.to_owned(), source: Box::new(self) }
    }
}

/// The table a "relation … does not exist" message names.
fn missing_table(message: &str) -> String {
    message.split('"').nth(1).unwrap_or(message).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_table_is_read_from_the_message() {
        assert_eq!(missing_table("relation \"dirsync_links\" does not exist"), "dirsync_links");
        assert_eq!(missing_table("no quotes"), "no quotes");
    }
}

//! Where the programs keep the state: a JSON file (`--state FILE`, the default), or one
//! organisation's rows in a PostgreSQL database (`--state postgres://USER@HOST:PORT/DB --org
//! KEY`, the password from `PGPASSWORD`).

use crate::cli::StateArgs;
use crate::run::{Failure, Outcome};
use dirsync::{
    directory::ErrorChain,
    store::{JsonFileStore, StateStore, SyncState},
};
use dirsync_postgres::{OrgKey, PostgresConfig, PostgresDatabase, PostgresStore};
use std::fmt;
use std::path::PathBuf;

/// Where the state is.
#[derive(Debug, Clone)]
pub enum StateLocation {
    /// A JSON file.
    File(PathBuf),
    /// An organisation in a PostgreSQL database.
    Postgres {
        /// The database (no password: that comes from `PGPASSWORD` when connecting).
        database: Box<PostgresConfig>,
        /// The organisation.
        org: OrgKey,
    },
}

impl fmt::Display for StateLocation {
    /// The file's path, or "organisation KEY in HOST:PORT/DB".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateLocation::File(path) => write!(f, "{}", path.display()),
            StateLocation::Postgres { database, org } => {
                write!(f, "organisation {org} in {}", database.target())
            }
        }
    }
}

/// Whether `--state` names a database rather than a file.
pub fn is_url(text: &str) -> bool {
    text.contains("://")
}

/// The database a `--state postgres://…` names (the URL checked, no connection made).
///
/// # Errors
/// [`Outcome::Usage`]: not a PostgreSQL URL, or a password written in it.
pub fn database(url: &str) -> Result<PostgresConfig, Failure> {
    PostgresConfig::from_url(url).map_err(|e| Failure::new(Outcome::Usage, e.to_string()))
}

impl StateLocation {
    /// The location `--state` and `--org` name.
    ///
    /// # Errors
    /// [`Outcome::Usage`]: a database without `--org` (or a file with it), a URL that is not
    /// PostgreSQL's, a password in the URL, an organisation key that cannot be used.
    pub fn from_args(args: &StateArgs) -> Result<StateLocation, Failure> {
        let usage = |message: String| Failure::new(Outcome::Usage, message);
        let text = args.state.to_string_lossy();
        if !is_url(&text) {
            return match &args.org {
                None => Ok(StateLocation::File(args.state.clone())),
                Some(_) => Err(usage(
                    "--org is for a state in PostgreSQL (--state postgres://USER@HOST:PORT/DB); \
                     a state file holds one organisation: leave --org (and DIRSYNC_ORG) out"
                        .to_owned(),
                )),
            };
        }
        let database = database(&text)?;
        let Some(org) = &args.org else {
            return Err(usage(format!(
                "--state {} holds many organisations: say which with --org KEY (or DIRSYNC_ORG)",
                database.target()
            )));
        };
        let org = OrgKey::new(org).map_err(|e| usage(e.to_string()))?;
        Ok(StateLocation::Postgres { database: Box::new(database), org })
    }

    /// The message for a state that cannot be used: a file's path is named, a database's own
    /// error names the organisation already.
    pub fn cannot_use(&self, error: &(dyn std::error::Error + 'static)) -> String {
        match self {
            StateLocation::File(path) => {
                format!("cannot use the state file {}: {}", path.display(), ErrorChain(error))
            }
            StateLocation::Postgres { .. } => ErrorChain(error).to_string(),
        }
    }

    /// The store, the organisation added to the database if it is new there.
    ///
    /// # Errors
    /// [`Outcome::CouldNotRun`]: the database cannot be reached or used.
    pub async fn open(&self) -> Result<OpenStore, Failure> {
        match self {
            StateLocation::File(path) => Ok(OpenStore::File(JsonFileStore::new(path))),
            StateLocation::Postgres { database, org } => {
                let db = connect(database).await?;
                let store = db.organisation(org.as_str()).await.map_err(could_not_run)?;
                Ok(OpenStore::Postgres(store))
            }
        }
    }

    /// The store if there is a state there already (a file that exists, an organisation the
    /// database knows); nothing is added.
    ///
    /// # Errors
    /// [`Outcome::CouldNotRun`]: the database cannot be reached or used.
    pub async fn open_existing(&self) -> Result<Option<OpenStore>, Failure> {
        match self {
            StateLocation::File(path) if !path.is_file() => Ok(None),
            StateLocation::File(path) => Ok(Some(OpenStore::File(JsonFileStore::new(path)))),
            StateLocation::Postgres { database, org } => {
                let db = connect(database).await?;
                let store = db.find_organisation(org.as_str()).await.map_err(could_not_run)?;
                Ok(store.map(OpenStore::Postgres))
            }
        }
    }

    /// The state as stored now, without the lease (an empty state where there is none yet).
    ///
    /// # Errors
    /// [`Outcome::CouldNotRun`]: the state cannot be read.
    pub async fn load(&self) -> Result<SyncState, Failure> {
        let store = match self {
            // The file store reads a missing file as an empty state, and refuses anything else.
            StateLocation::File(path) => OpenStore::File(JsonFileStore::new(path)),
            StateLocation::Postgres { .. } => match self.open_existing().await? {
                Some(store) => store,
                None => return Ok(SyncState::new()),
            },
        };
        let loaded = store.store().load().await;
        loaded.map_err(|e| Failure::new(Outcome::CouldNotRun, self.cannot_use(&e)))
    }
}

/// Connects to `database` with the password in `PGPASSWORD`, and makes sure of its schema.
///
/// # Errors
/// [`Outcome::CouldNotRun`], with the database's words.
pub async fn connect(database: &PostgresConfig) -> Result<PostgresDatabase, Failure> {
    PostgresDatabase::open(database.clone().password_from_env()).await.map_err(could_not_run)
}

fn could_not_run(e: dirsync_postgres::PgError) -> Failure {
    Failure::new(Outcome::CouldNotRun, ErrorChain(&e).to_string())
}

/// An open state store: a file, or an organisation's rows.
#[derive(Debug, Clone)]
pub enum OpenStore {
    /// A JSON file.
    File(JsonFileStore),
    /// An organisation in PostgreSQL.
    Postgres(PostgresStore),
}

impl OpenStore {
    /// The store, for the library.
    pub fn store(&self) -> &dyn StateStore {
        match self {
            OpenStore::File(file) => file,
            OpenStore::Postgres(rows) => rows,
        }
    }

    /// The store, to share (the review page keeps it across requests).
    pub fn shared(self) -> std::sync::Arc<dyn StateStore> {
        match self {
            OpenStore::File(file) => std::sync::Arc::new(file),
            OpenStore::Postgres(rows) => std::sync::Arc::new(rows),
        }
    }
}

/// How a program describes itself to the lease and the history: "sync apply on HOST (process
/// PID)", so a second sync on another machine is told where the first one runs.
pub fn holder(program: &str) -> String {
    let pid = std::process::id();
    match host_name() {
        Some(host) => format!("{program} on {host} (process {pid})"),
        None => format!("{program} (process {pid})"),
    }
}

/// This machine's name, where the system tells it.
fn host_name() -> Option<String> {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|file| std::fs::read_to_string(file).ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(state: &str, org: Option<&str>) -> Result<StateLocation, Failure> {
        StateLocation::from_args(&StateArgs { state: state.into(), org: org.map(Into::into) })
    }

    #[test]
    fn a_path_is_a_file_and_a_postgres_url_needs_an_organisation() {
        assert!(matches!(location("dirsync-state.json", None), Ok(StateLocation::File(_))));
        let Ok(StateLocation::Postgres { database, org }) =
            location("postgres://dirsync@db.example.com:5432/dirsync", Some("acme"))
        else {
            panic!("a database and an organisation")
        };
        assert_eq!((database.target(), org.as_str()), ("db.example.com:5432/dirsync", "acme"));

        let no_org = location("postgres://dirsync@db.example.com/dirsync", None).unwrap_err();
        assert_eq!(no_org.outcome, Outcome::Usage);
        assert!(no_org.message.contains("--org KEY"), "{}", no_org.message);
        let file_org = location("state.json", Some("acme")).unwrap_err();
        assert_eq!(file_org.outcome, Outcome::Usage);
        assert!(file_org.message.contains("leave --org"), "{}", file_org.message);
    }

    #[test]
    fn a_bad_url_password_or_key_is_a_usage_error_that_never_shows_the_password() {
        for (state, org) in [
            ("postgres://dirsync:hunter2@db.example.com/dirsync", "acme"),
            ("mysql://dirsync@db.example.com/dirsync", "acme"),
            ("postgres://dirsync@db.example.com/dirsync", "acme\"; DROP TABLE x; --"),
        ] {
            let refused = location(state, Some(org)).unwrap_err();
            assert_eq!(refused.outcome, Outcome::Usage, "{state}");
            assert!(!refused.message.contains("hunter2"), "{}", refused.message);
        }
    }

    #[test]
    fn the_holder_names_the_program_and_the_process() {
        let holder = holder("sync apply");
        assert!(holder.starts_with("sync apply"), "{holder}");
        assert!(holder.ends_with(&format!("(process {})", std::process::id())), "{holder}");
    }
}

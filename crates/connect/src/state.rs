//! Where an organisation's state is kept: a JSON file, or its rows in a PostgreSQL database
//! (`postgres://USER@HOST:PORT/DB` and an organisation key, the password from `PGPASSWORD`).

use dirsync::{
    directory::ErrorChain,
    store::{JsonFileStore, MemoryStore, StateStore, SyncState},
};
use dirsync_postgres::{OrgKey, PgError, PostgresConfig, PostgresDatabase, PostgresStore};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// The state file's default name, in the current directory.
pub const DEFAULT_STATE_FILE: &str = "dirsync-state.json";

/// Where the state is, as a person writes it: a file or a database URL, and the organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct StateSettings {
    /// The state: links between the two sides and the values they agreed on. A JSON file, or
    /// a PostgreSQL database, postgres://USER@HOST:PORT/DATABASE (with --org; the password from
    /// PGPASSWORD, never in the URL).
    #[cfg_attr(
        feature = "clap",
        arg(
            long,
            env = "DIRSYNC_STATE",
            hide_env_values = true,
            value_name = "FILE|URL",
            default_value = DEFAULT_STATE_FILE
        )
    )]
    pub state: PathBuf,
    /// The organisation whose state it is, with --state postgres://…: 1 to 128 letters, digits,
    /// '.', '_', '-' or ':'.
    #[cfg_attr(feature = "clap", arg(long, env = "DIRSYNC_ORG", value_name = "KEY"))]
    pub org: Option<String>,
}

impl Default for StateSettings {
    /// [`DEFAULT_STATE_FILE`], no organisation.
    fn default() -> Self {
        StateSettings { state: PathBuf::from(DEFAULT_STATE_FILE), org: None }
    }
}

/// Why a state cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateLocationError {
    /// An organisation was named for a state file.
    #[error(
        "--org is for a state in PostgreSQL (--state postgres://USER@HOST:PORT/DB); a state file \
         holds one organisation: leave --org (and DIRSYNC_ORG) out"
    )]
    OrgWithFile,
    /// A database was named without the organisation.
    #[error("--state {target} holds many organisations: say which with --org KEY (or DIRSYNC_ORG)")]
    NoOrg {
        /// The database, without user or password.
        target: String,
    },
    /// The URL is not a PostgreSQL URL, holds a password, or the key cannot be used.
    #[error(transparent)]
    Settings(PgError),
    /// The database cannot be reached or used.
    #[error(transparent)]
    Database(PgError),
    /// The state file cannot be used.
    #[error("cannot use the state file {}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: dirsync::store::StateError,
    },
    /// The organisation's state in the database cannot be used (the error names it).
    #[error(transparent)]
    Stored(dirsync::store::StateError),
}

impl StateLocationError {
    /// Whether the settings are wrong (rather than the state or the database unusable).
    pub fn is_settings(&self) -> bool {
        matches!(
            self,
            StateLocationError::OrgWithFile
                | StateLocationError::NoOrg { .. }
                | StateLocationError::Settings(_)
        )
    }
}

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

/// Whether a state setting names a database rather than a file.
pub fn is_url(text: &str) -> bool {
    text.contains("://")
}

/// Connects to `database` with the password in `PGPASSWORD`, and makes sure of its schema.
///
/// # Errors
/// The database's own words.
pub async fn open_database(database: &PostgresConfig) -> Result<PostgresDatabase, PgError> {
    PostgresDatabase::open(database.clone().password_from_env()).await
}

impl StateLocation {
    /// The location the settings name; nothing is opened.
    ///
    /// # Errors
    /// [`StateLocationError`] for which [`StateLocationError::is_settings`]: a database without
    /// an organisation (or a file with one), a URL that is not PostgreSQL's, a password in the
    /// URL, an organisation key that cannot be used.
    ///
    /// ```
    /// use dirsync_connect::{StateLocation, StateSettings};
    /// let file = StateLocation::new(&StateSettings::default())?;
    /// assert_eq!(file.to_string(), "dirsync-state.json");
    /// let db = StateSettings {
    ///     state: "postgres://dirsync@db.example.com/dirsync".into(),
    ///     org: Some("acme".to_owned()),
    /// };
    /// let db = StateLocation::new(&db)?;
    /// assert_eq!(db.to_string(), "organisation acme in db.example.com:5432/dirsync");
    /// # Ok::<(), dirsync_connect::StateLocationError>(())
    /// ```
    pub fn new(settings: &StateSettings) -> Result<StateLocation, StateLocationError> {
        let text = settings.state.to_string_lossy();
        if !is_url(&text) {
            return match &settings.org {
                None => Ok(StateLocation::File(settings.state.clone())),
                Some(_) => Err(StateLocationError::OrgWithFile),
            };
        }
        let database = PostgresConfig::from_url(&text).map_err(StateLocationError::Settings)?;
        let Some(org) = &settings.org else {
            return Err(StateLocationError::NoOrg { target: database.target().to_owned() });
        };
        let org = OrgKey::new(org).map_err(StateLocationError::Settings)?;
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
    /// [`StateLocationError::Database`]: the database cannot be reached or used.
    pub async fn open(&self) -> Result<OpenStore, StateLocationError> {
        match self {
            StateLocation::File(path) => Ok(OpenStore::File(JsonFileStore::new(path))),
            StateLocation::Postgres { database, org } => {
                let db = open_database(database).await.map_err(StateLocationError::Database)?;
                let store = db.organisation(org.as_str()).await;
                Ok(OpenStore::Postgres(store.map_err(StateLocationError::Database)?))
            }
        }
    }

    /// The store if there is a state there already (a file that exists, an organisation the
    /// database knows); nothing is added.
    ///
    /// # Errors
    /// [`StateLocationError::Database`]: the database cannot be reached or used.
    pub async fn open_existing(&self) -> Result<Option<OpenStore>, StateLocationError> {
        match self {
            StateLocation::File(path) if !path.is_file() => Ok(None),
            StateLocation::File(path) => Ok(Some(OpenStore::File(JsonFileStore::new(path)))),
            StateLocation::Postgres { database, org } => {
                let db = open_database(database).await.map_err(StateLocationError::Database)?;
                let store = db.find_organisation(org.as_str()).await;
                Ok(store.map_err(StateLocationError::Database)?.map(OpenStore::Postgres))
            }
        }
    }

    /// The state as stored now, without the lease (an empty state where there is none yet).
    ///
    /// # Errors
    /// [`StateLocationError::Database`], [`StateLocationError::File`] or
    /// [`StateLocationError::Stored`]: the state cannot be read.
    pub async fn load(&self) -> Result<SyncState, StateLocationError> {
        let store = match self {
            // The file store reads a missing file as an empty state, and refuses anything else.
            StateLocation::File(path) => OpenStore::File(JsonFileStore::new(path)),
            StateLocation::Postgres { .. } => match self.open_existing().await? {
                Some(store) => store,
                None => return Ok(SyncState::new()),
            },
        };
        store.store().load().await.map_err(|source| match self {
            StateLocation::File(path) => StateLocationError::File { path: path.clone(), source },
            StateLocation::Postgres { .. } => StateLocationError::Stored(source),
        })
    }

    /// A copy of the state as stored now, in memory: a plan over it takes no lease, so that it
    /// may run beside a sync and never keeps one from starting.
    ///
    /// # Errors
    /// As [`StateLocation::load`].
    pub async fn snapshot(&self) -> Result<MemoryStore, StateLocationError> {
        self.load().await.map(MemoryStore::with_state)
    }
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

    /// The store, to share (a page or a receiver keeps it across requests).
    pub fn shared(self) -> Arc<dyn StateStore> {
        match self {
            OpenStore::File(file) => Arc::new(file),
            OpenStore::Postgres(rows) => Arc::new(rows),
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

    fn location(state: &str, org: Option<&str>) -> Result<StateLocation, StateLocationError> {
        StateLocation::new(&StateSettings { state: state.into(), org: org.map(Into::into) })
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
        assert!(no_org.is_settings());
        assert!(no_org.to_string().contains("--org KEY"), "{no_org}");
        let file_org = location("state.json", Some("acme")).unwrap_err();
        assert!(file_org.is_settings());
        assert!(file_org.to_string().contains("leave --org"), "{file_org}");
    }

    #[test]
    fn a_bad_url_password_or_key_is_a_settings_error_that_never_shows_the_password() {
        for (state, org) in [
            ("postgres://dirsync:hunter2@db.example.com/dirsync", "acme"),
            ("mysql://dirsync@db.example.com/dirsync", "acme"),
            ("postgres://dirsync@db.example.com/dirsync", "acme\"; DROP TABLE x; --"),
        ] {
            let refused = location(state, Some(org)).unwrap_err();
            assert!(refused.is_settings(), "{state}");
            assert!(!ErrorChain(&refused).to_string().contains("hunter2"), "{refused}");
        }
    }

    #[test]
    fn the_holder_names_the_program_and_the_process() {
        let holder = holder("sync apply");
        assert!(holder.starts_with("sync apply"), "{holder}");
        assert!(holder.ends_with(&format!("(process {})", std::process::id())), "{holder}");
    }
}

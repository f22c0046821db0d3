//! The database: a pool of connections, the schema made and checked at connect, and the
//! organisations whose states it keeps.

use crate::config::PostgresConfig;
use crate::{OrgKey, PgError, PostgresStore, schema};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_postgres_rustls::MakeRustlsConnect;

/// One PostgreSQL database holding the states of many organisations, each under its
/// [`OrgKey`], and the history of their runs. Cheap to clone: clones share the pool.
///
/// [`PostgresDatabase::connect`] creates the schema, or migrates it to this version, before
/// anything else (under a lock, so that many workers starting at once do it once); a database
/// whose schema is newer than this crate is refused ([`PgError::NewerSchema`]) and left as it is.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use dirsync_postgres::PostgresDatabase;
/// // The password comes from PGPASSWORD, never from the URL.
/// let db = PostgresDatabase::connect("postgres://dirsync@db.internal:5432/dirsync?sslmode=require").await?;
/// let acme = db.organisation("acme").await?; // a dirsync::store::StateStore
/// # let _ = acme; Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresDatabase {
    inner: Arc<Inner>,
}

struct Inner {
    config: PostgresConfig,
    tls: MakeRustlsConnect,
    pool: Pool,
}

impl std::fmt::Debug for PostgresDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDatabase").field("config", &self.inner.config).finish()
    }
}

impl PostgresDatabase {
    /// Connects to the database at `url` (see [`PostgresConfig::from_url`]) with the password
    /// in `PGPASSWORD`, and makes sure its schema is this crate's.
    ///
    /// # Errors
    /// [`PgError`]: the URL, the password, TLS, the connection, or the schema.
    pub async fn connect(url: &str) -> Result<PostgresDatabase, PgError> {
        Self::open(PostgresConfig::from_url(url)?.password_from_env()).await
    }

    /// Connects with `config`, and makes sure the schema is this crate's.
    ///
    /// # Errors
    /// As [`PostgresDatabase::connect`].
    pub async fn open(config: PostgresConfig) -> Result<PostgresDatabase, PgError> {
        let tls = config.tls()?;
        let (mut client, task) = dedicated(&config, &tls, None).await?;
        let migrated = schema::migrate(&mut client, config.target()).await;
        task.abort();
        migrated?;
        let manager = Manager::from_config(
            config.pg.clone(),
            tls.clone(),
            ManagerConfig { recycling_method: RecyclingMethod::Fast },
        );
        let pool = Pool::builder(manager)
            .max_size(config.max_connections)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(60)))
            .create_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| PgError::Config(format!("the connection pool cannot be made: {e}")))?;
        tracing::info!(target = config.target(), "connected to PostgreSQL");
        Ok(PostgresDatabase { inner: Arc::new(Inner { config, tls, pool }) })
    }

    /// Where the database is: `host:port/database`.
    pub fn target(&self) -> &str {
        self.inner.config.target()
    }

    /// The state of organisation `key`, made empty if the database does not know it yet.
    ///
    /// # Errors
    /// [`PgError::OrgKey`] for a key that cannot be used (nothing is written), or a database
    /// error.
    pub async fn organisation(&self, key: &str) -> Result<PostgresStore, PgError> {
        let key = OrgKey::new(key)?;
        let client = self.client().await?;
        let target = self.target();
        client
            .execute(
                "INSERT INTO dirsync_organisations (key) VALUES ($1) ON CONFLICT (key) DO NOTHING",
                &[&key.as_str()],
            )
            .await
            .map_err(|e| PgError::database("add the organisation", target, e))?;
        let row = client
            .query_one("SELECT id FROM dirsync_organisations WHERE key = $1", &[&key.as_str()])
            .await
            .map_err(|e| PgError::database("read the organisation", target, e))?;
        Ok(PostgresStore::new(self.clone(), key, row.get(0)))
    }

    /// The state of organisation `key` if the database has one, without adding it: for readers
    /// (a plan, a release, the history) that must not leave a new organisation behind a typo.
    ///
    /// # Errors
    /// [`PgError::OrgKey`] for a key that cannot be used, or a database error.
    pub async fn find_organisation(&self, key: &str) -> Result<Option<PostgresStore>, PgError> {
        let key = OrgKey::new(key)?;
        let client = self.client().await?;
        let row = client
            .query_opt("SELECT id FROM dirsync_organisations WHERE key = $1", &[&key.as_str()])
            .await
            .map_err(|e| PgError::database("read the organisation", self.target(), e))?;
        Ok(row.map(|row| PostgresStore::new(self.clone(), key, row.get(0))))
    }

    /// The organisations the database keeps a state for, by key.
    ///
    /// # Errors
    /// A database error.
    pub async fn organisations(&self) -> Result<Vec<OrgKey>, PgError> {
        let client = self.client().await?;
        let rows = client
            .query("SELECT key FROM dirsync_organisations ORDER BY key", &[])
            .await
            .map_err(|e| PgError::database("list the organisations", self.target(), e))?;
        rows.iter().map(|row| OrgKey::new(row.get(0))).collect()
    }

    /// A connection from the pool.
    pub(crate) async fn client(&self) -> Result<Object, PgError> {
        self.inner.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(source) => {
                PgError::connect(self.target(), self.inner.config.user(), source)
            }
            other => PgError::Pool { target: self.target().to_owned(), reason: other.to_string() },
        })
    }

    /// A connection of its own (for a lease), with `options` for the server.
    pub(crate) async fn dedicated(
        &self,
        options: Option<&str>,
    ) -> Result<(tokio_postgres::Client, JoinHandle<()>), PgError> {
        dedicated(&self.inner.config, &self.inner.tls, options).await
    }

    /// How long the history keeps a run.
    pub(crate) fn history_retention(&self) -> Duration {
        self.inner.config.history_retention
    }
}

/// A connection outside the pool, whose driver task runs until the connection ends or the
/// returned handle is aborted.
async fn dedicated(
    config: &PostgresConfig,
    tls: &MakeRustlsConnect,
    options: Option<&str>,
) -> Result<(tokio_postgres::Client, JoinHandle<()>), PgError> {
    let mut pg = config.pg.clone();
    if let Some(options) = options {
        let all = match pg.get_options() {
            Some(given) => format!("{given} {options}"),
            None => options.to_owned(),
        };
        pg.options(all);
    }
    let (client, connection) = pg
        .connect(tls.clone())
        .await
        .map_err(|e| PgError::connect(config.target(), config.user(), e))?;
    let task = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "a PostgreSQL connection ended");
        }
    });
    Ok((client, task))
}

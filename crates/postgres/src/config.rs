//! How to reach the database: the URL, the password from the environment, TLS with rustls.

use crate::PgError;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres_rustls::MakeRustlsConnect;
use url::Url;

/// How long the history keeps a run, unless configured.
pub const DEFAULT_HISTORY_RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// How many connections the pool keeps at most, unless configured (leases take their own).
pub const DEFAULT_MAX_CONNECTIONS: usize = 8;

/// The settings of a [`crate::PostgresDatabase`]: a `postgres://` URL without a password, the
/// password apart, TLS, and the pool's size.
///
/// The URL is libpq's (`postgres://USER@HOST:PORT/DATABASE?sslmode=require`), with `sslmode`
/// `disable`, `prefer` (the default: TLS when the server offers it), `require`, `verify-ca` or
/// `verify-full`; TLS always checks the server's certificate against the Mozilla roots and the
/// certificates in `sslrootcert` (a PEM file; managed services publish theirs). A password in
/// the URL is refused, because URLs end up in logs and process lists: it comes from
/// `PGPASSWORD`, as with libpq, or from [`PostgresConfig::password`].
///
/// ```
/// use dirsync_postgres::PostgresConfig;
/// let config = PostgresConfig::from_url("postgres://dirsync@db.example.com:5432/dirsync?sslmode=require")?;
/// assert_eq!(config.target(), "db.example.com:5432/dirsync");
/// assert!(PostgresConfig::from_url("postgres://dirsync:hunter2@db.example.com/dirsync").is_err());
/// # Ok::<(), dirsync_postgres::PgError>(())
/// ```
#[derive(Clone)]
pub struct PostgresConfig {
    pub(crate) pg: tokio_postgres::Config,
    root_certificates: Vec<CertificateDer<'static>>,
    root_file: Option<String>,
    target: String,
    pub(crate) max_connections: usize,
    pub(crate) history_retention: Duration,
}

impl fmt::Debug for PostgresConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("target", &self.target)
            .field("user", &self.pg.get_user())
            .field("password", &self.pg.get_password().map(|_| "***"))
            .field("ssl_mode", &self.pg.get_ssl_mode())
            .field("sslrootcert", &self.root_file)
            .field("max_connections", &self.max_connections)
            .field("history_retention", &self.history_retention)
            .finish()
    }
}

impl PostgresConfig {
    /// Settings from a `postgres://` (or `postgresql://`) URL; no password yet.
    ///
    /// # Errors
    /// [`PgError::Config`] for a URL that is not one, or that holds a password;
    /// [`PgError::RootCertificate`] for an `sslrootcert` that cannot be read.
    pub fn from_url(text: &str) -> Result<PostgresConfig, PgError> {
        let url = Url::parse(text.trim()).map_err(|e| {
            PgError::Config(format!(
                "the state URL is not a URL ({e}): use postgres://USER@HOST:PORT/DATABASE"
            ))
        })?;
        if !matches!(url.scheme(), "postgres" | "postgresql") {
            return Err(PgError::Config(format!(
                "a {}:// URL is not a PostgreSQL URL: use postgres://USER@HOST:PORT/DATABASE",
                url.scheme()
            )));
        }
        if url.password().is_some() || url.query_pairs().any(|(k, _)| k == "password") {
            return Err(PgError::Config(
                "the URL holds a password, and URLs end up in logs: take it out and set \
                 PGPASSWORD instead"
                    .to_owned(),
            ));
        }
        let (url, root_file, mode) = own_parameters(url);
        let mut pg = tokio_postgres::Config::from_str(url.as_str())
            .map_err(|e| PgError::Config(format!("the state URL cannot be used: {e}")))?;
        if let Some(mode) = mode {
            pg.ssl_mode(mode);
        }
        if pg.get_application_name().is_none() {
            pg.application_name("dirsync");
        }
        let root_certificates = match &root_file {
            Some(path) => read_certificates(path)?,
            None => Vec::new(),
        };
        Ok(PostgresConfig {
            target: target_of(&pg),
            pg,
            root_certificates,
            root_file,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            history_retention: DEFAULT_HISTORY_RETENTION,
        })
    }

    /// The password to connect with.
    #[must_use]
    pub fn password(mut self, password: &SecretString) -> Self {
        self.pg.password(password.expose_secret().as_bytes());
        self
    }

    /// The password from `PGPASSWORD`, as libpq takes it, when it is set.
    #[must_use]
    pub fn password_from_env(self) -> Self {
        match std::env::var("PGPASSWORD") {
            Ok(password) if !password.is_empty() => self.password(&SecretString::from(password)),
            _ => self,
        }
    }

    /// The most connections the pool keeps (default [`DEFAULT_MAX_CONNECTIONS`]; at least 1).
    /// Each lease takes one more of its own.
    #[must_use]
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// How long the history keeps a run (default [`DEFAULT_HISTORY_RETENTION`], 30 days).
    #[must_use]
    pub fn history_retention(mut self, keep: Duration) -> Self {
        self.history_retention = keep;
        self
    }

    /// Where the database is, for messages: `host:port/database`, never a password.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The user it connects as.
    pub(crate) fn user(&self) -> &str {
        self.pg.get_user().unwrap_or("(the system user)")
    }

    /// The TLS connector: rustls, with the Mozilla roots and the `sslrootcert` certificates.
    pub(crate) fn tls(&self) -> Result<MakeRustlsConnect, PgError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for certificate in &self.root_certificates {
            roots.add(certificate.clone()).map_err(|e| PgError::RootCertificate {
                path: self.root_file.clone().unwrap_or_default(),
                reason: e.to_string(),
            })?;
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| PgError::Config(format!("TLS cannot be set up: {e}")))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }
}

/// Takes out of `url` what this crate reads itself: `sslrootcert`, and an `sslmode` the driver
/// does not know (`verify-ca`, `verify-full`: rustls always verifies, so they mean `require`).
fn own_parameters(mut url: Url) -> (Url, Option<String>, Option<tokio_postgres::config::SslMode>) {
    let mut root_file = None;
    let mut mode = None;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter_map(|(key, value)| match (&*key, &*value) {
            ("sslrootcert", _) => {
                root_file = Some(value.into_owned());
                None
            }
            ("sslmode", "verify-ca" | "verify-full") => {
                mode = Some(tokio_postgres::config::SslMode::Require);
                None
            }
            _ => Some((key.into_owned(), value.into_owned())),
        })
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    (url, root_file, mode)
}

fn read_certificates(path: &str) -> Result<Vec<CertificateDer<'static>>, PgError> {
    let refused = |reason: String| PgError::RootCertificate { path: path.to_owned(), reason };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|e| refused(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| refused(e.to_string()))?;
    if certificates.is_empty() {
        return Err(refused("it holds no PEM certificate".to_owned()));
    }
    Ok(certificates)
}

/// `host:port/database` of a configuration.
fn target_of(pg: &tokio_postgres::Config) -> String {
    let host = match pg.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = pg.get_ports().first().copied().unwrap_or(5432);
    let database = pg.get_dbname().or(pg.get_user()).unwrap_or("postgres");
    format!("{host}:{port}/{database}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio_postgres::config::SslMode;

    #[test]
    fn a_password_in_the_url_is_refused() {
        for url in ["postgres://u:secret@h/db", "postgres://u@h/db?password=secret"] {
            let err = PostgresConfig::from_url(url).expect_err(url);
            assert!(err.to_string().contains("PGPASSWORD"), "{err}");
            assert!(!err.to_string().contains("secret"), "{err}");
        }
    }

    #[test]
    fn other_schemes_and_non_urls_are_refused() {
        assert!(PostgresConfig::from_url("mysql://u@h/db").is_err());
        assert!(PostgresConfig::from_url("dirsync-state.json").is_err());
    }

    #[test]
    fn sslmode_and_sslrootcert_are_read_and_the_rest_passed_on() {
        let config = PostgresConfig::from_url(
            "postgresql://dirsync@db.example.com:6543/state?sslmode=verify-full&connect_timeout=5",
        )
        .unwrap();
        assert_eq!(config.pg.get_ssl_mode(), SslMode::Require);
        assert_eq!(config.pg.get_connect_timeout(), Some(&Duration::from_secs(5)));
        assert_eq!(config.target(), "db.example.com:6543/state");
        assert_eq!(config.user(), "dirsync");
        let missing = PostgresConfig::from_url("postgres://u@h/db?sslrootcert=/nonexistent.pem");
        assert!(matches!(missing, Err(PgError::RootCertificate { .. })), "{missing:?}");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let config = PostgresConfig::from_url("postgres://u@h/db")
            .unwrap()
            .password(&SecretString::from("hunter2"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2") && shown.contains("***"), "{shown}");
    }
}

//! # dirsync-smtp
//!
//! Sends dirsync's report email ([`dirsync::mail::Email`]) over SMTP with `lettre`: STARTTLS or
//! implicit TLS (rustls, with the web's root certificates or ones you add), authentication,
//! timeouts. Plain, unencrypted SMTP is allowed to loopback addresses only.
//!
//! The server comes from a URL, as in the `SMTP_URL` setting:
//!
//! - `smtp://user@mail.example.com:587`: STARTTLS, required (the default port is 587);
//! - `smtps://user@mail.example.com:465`: implicit TLS (the default port is 465);
//! - `smtp://127.0.0.1:2525?tls=none`: no TLS, for a relay on the same machine only.
//!
//! The user name goes in the URL (`%40` for an `@` in it); the password never does: it is given
//! as a [`SecretString`] (from `SMTP_PASSWORD`), and it appears in no log, error or `Debug`
//! output.
//!
//! ```
//! use dirsync_smtp::{Security, SmtpConfig, SmtpMailer};
//! use dirsync_smtp::SecretString;
//!
//! let config = SmtpConfig::from_url("smtp://sync%40example.com@mail.example.com")?
//!     .with_password(SecretString::from("s3cr3t-value"));
//! assert_eq!(config.security(), Security::StartTls);
//! assert_eq!(config.port(), 587);
//! let mailer = SmtpMailer::new(config)?; // nothing is sent until `Mailer::send`
//! assert!(!format!("{mailer:?}").contains("s3cr3t-value"));
//! # Ok::<(), dirsync_smtp::SmtpError>(())
//! ```
#![warn(missing_docs)]

mod config;
mod error;
mod message;

pub use config::{DEFAULT_TIMEOUT, Security, SmtpConfig};
pub use error::SmtpError;
pub use message::to_eml;
/// The type every secret of this crate is given in (client secrets, tokens, passwords):
/// `secrecy`'s `SecretString`, of secrecy 0.10, re-exported so that a service needs no
/// dependency of its own to make one (`SecretString::from(value)`). Every dirsync adapter crate
/// re-exports the same type. To read one back (to persist a refresh token), depend on
/// `secrecy = "0.10"` and use its `ExposeSecret`.
pub use secrecy::SecretString;

use async_trait::async_trait;
use dirsync::mail::{Email, MailError, Mailer};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use std::fmt;

/// A [`Mailer`] over SMTP.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    name: String,
    host: String,
    port: u16,
    timeout: std::time::Duration,
}

impl fmt::Debug for SmtpMailer {
    /// The server; never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `config`; it connects only when it sends.
    ///
    /// # Errors
    /// [`SmtpError::Config`]: a user name without a password (or the reverse), or a root
    /// certificate that is not PEM.
    pub fn new(config: SmtpConfig) -> Result<SmtpMailer, SmtpError> {
        config.check()?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .timeout(Some(config.timeout));
        if config.security != Security::None {
            let mut tls = TlsParameters::builder(config.host.clone());
            for pem in &config.root_certificates {
                let certificate = Certificate::from_pem(pem).map_err(|_| {
                    SmtpError::Config(
                        "a root certificate given for the SMTP server is not a PEM certificate"
                            .to_owned(),
                    )
                })?;
                tls = tls.add_root_certificate(certificate);
            }
            let tls = tls.build_rustls().map_err(|e| {
                SmtpError::Config(format!("cannot set up TLS for the SMTP server: {e}"))
            })?;
            builder = builder.tls(match config.security {
                Security::Tls => Tls::Wrapper(tls),
                _ => Tls::Required(tls),
            });
        }
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder
                .credentials(Credentials::new(user.clone(), password.expose_secret().to_owned()));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            name: format!("the SMTP server {}:{}", config.host, config.port),
            host: config.host,
            port: config.port,
            timeout: config.timeout,
        })
    }

    /// Sends `email`, with this crate's own error.
    ///
    /// # Errors
    /// See [`SmtpError`]: each variant says what to do.
    pub async fn send_email(&self, email: &Email) -> Result<(), SmtpError> {
        let message = message::to_message(email)?;
        let span = tracing::info_span!("smtp_send", host = %self.host, port = self.port);
        let server = format!("{}:{}", self.host, self.port);
        // lettre bounds connecting only; a server that stops answering later must not hold the
        // run, so the whole send is bounded too.
        let send = tokio::time::timeout(self.timeout, self.transport.send(message));
        match tracing::Instrument::instrument(send, span).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(SmtpError::from_lettre(e, server, self.timeout)),
            Err(_) => Err(SmtpError::Timeout { server, after: self.timeout }),
        }
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, email: &Email) -> Result<(), MailError> {
        self.send_email(email).await.map_err(|e| MailError::from_source(e.kind(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn email() -> Email {
        dirsync_report::ReportEmail::new(&dirsync::report::Report::default())
            .to_email("sync@example.com", ["hr@example.com"])
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_a_timeout_that_says_what_to_check() {
        // Accepts the connection and never greets.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let held = tokio::spawn(async move {
            let accepted = listener.accept().await;
            tokio::time::sleep(Duration::from_secs(30)).await;
            drop(accepted);
        });
        let config = SmtpConfig::from_url(&format!("smtp://127.0.0.1:{port}?tls=none"))
            .expect("a URL")
            .with_timeout(Duration::from_millis(300));
        // The server holds the connection far longer than the limit.
        let err = SmtpMailer::new(config).expect("a mailer").send_email(&email()).await;
        held.abort();
        let err = err.expect_err("no answer");
        assert!(matches!(err, SmtpError::Timeout { .. }), "{err:?}");
        assert!(err.to_string().contains("check the host and port in the SMTP URL"), "{err}");
    }

    #[tokio::test]
    async fn nothing_listening_is_a_connection_error() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
            listener.local_addr().expect("an address").port()
        };
        let config =
            SmtpConfig::from_url(&format!("smtp://127.0.0.1:{port}?tls=none")).expect("a URL");
        let err = SmtpMailer::new(config).expect("a mailer").send(&email()).await;
        let err = err.expect_err("nobody there");
        assert_eq!(err.kind(), dirsync::mail::MailErrorKind::Connection);
        assert!(err.to_string().starts_with("cannot talk to the SMTP server 127.0.0.1:"), "{err}");
    }
}

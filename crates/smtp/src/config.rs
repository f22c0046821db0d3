//! Where the SMTP server is and how to talk to it, from a URL.

use crate::SmtpError;
use dirsync_runtime::is_loopback;
use secrecy::SecretString;
use std::fmt;
use std::time::Duration;
use url::Url;

/// How long sending one email may take by default: connecting, TLS, authentication and the
/// message.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How the connection to the server is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// Plain SMTP upgraded with STARTTLS, which the server must offer (`smtp://`).
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Tls,
    /// No TLS (`smtp://...?tls=none`): loopback addresses only.
    None,
}

/// An SMTP server and the account to send with.
#[derive(Clone)]
pub struct SmtpConfig {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) security: Security,
    pub(crate) username: Option<String>,
    pub(crate) password: Option<SecretString>,
    pub(crate) timeout: Duration,
    pub(crate) root_certificates: Vec<Vec<u8>>,
}

impl fmt::Debug for SmtpConfig {
    /// Every setting but the password, which shows as `***` when there is one.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("root_certificates", &self.root_certificates.len())
            .finish()
    }
}

impl SmtpConfig {
    /// The server in `url`: `smtp://[user@]host[:port]` (STARTTLS required, port 587 by
    /// default), `smtps://[user@]host[:port]` (implicit TLS, port 465 by default), or
    /// `smtp://host:port?tls=none` (no TLS, loopback only).
    ///
    /// # Errors
    /// [`SmtpError::Config`] for anything else, and for a password in the URL (give it with
    /// [`SmtpConfig::with_password`] instead, so it stays out of logs and shell history).
    pub fn from_url(url: &str) -> Result<SmtpConfig, SmtpError> {
        let config = |m: String| SmtpError::Config(m);
        let parsed = Url::parse(url.trim()).map_err(|e| {
            config(format!(
                "the SMTP URL is not a URL ({e}): write it as smtp://mail.example.com:587 or \
                 smtps://mail.example.com:465"
            ))
        })?;
        if parsed.password().is_some() {
            return Err(config(
                "the SMTP URL holds a password: remove it from the URL and give the password on \
                 its own (SmtpConfig::with_password), so it stays out of logs"
                    .to_owned(),
            ));
        }
        let (mut security, default_port) = match parsed.scheme() {
            "smtp" => (Security::StartTls, 587),
            "smtps" => (Security::Tls, 465),
            other => {
                return Err(config(format!(
                    "the SMTP URL's scheme {other:?} is not smtp or smtps: write \
                     smtp://host:587 (STARTTLS) or smtps://host:465 (implicit TLS)"
                )));
            }
        };
        let host = match parsed.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err(config("the SMTP URL names no host".to_owned())),
        };
        for (key, value) in parsed.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "none") if security == Security::StartTls => security = Security::None,
                ("tls", "required") if security == Security::StartTls => {}
                _ => {
                    return Err(config(format!(
                        "the SMTP URL's setting {key}={value} is not known: the only one is \
                         tls=none, with smtp://, for a server on this machine"
                    )));
                }
            }
        }
        if security == Security::None && !is_loopback(&parsed) {
            return Err(config(format!(
                "unencrypted SMTP (tls=none) is allowed only to this machine (localhost, \
                 127.0.0.1, ::1), not to {host}: use smtp:// (STARTTLS) or smtps://"
            )));
        }
        let username = match percent_decode(parsed.username()) {
            user if user.is_empty() => None,
            user => Some(user),
        };
        Ok(SmtpConfig {
            host,
            port: parsed.port().unwrap_or(default_port),
            security,
            username,
            password: None,
            timeout: DEFAULT_TIMEOUT,
            root_certificates: Vec::new(),
        })
    }

    /// With the password of the URL's user.
    #[must_use]
    pub fn with_password(mut self, password: SecretString) -> Self {
        self.password = Some(password);
        self
    }

    /// With a time limit for sending one email, from connecting to the server's last answer
    /// (default [`DEFAULT_TIMEOUT`]).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Also trusts this root certificate (PEM), e.g. an organisation's own certificate
    /// authority; the web's root certificates are trusted already.
    #[must_use]
    pub fn with_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// The server's host name or address.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is secured.
    pub fn security(&self) -> Security {
        self.security
    }

    /// The user name, if the server is logged in to.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }

    /// A user name needs a password, and a password a user name.
    pub(crate) fn check(&self) -> Result<(), SmtpError> {
        match (&self.username, &self.password) {
            (Some(user), None) => Err(SmtpError::Config(format!(
                "the SMTP URL names the user {user:?} but no password was given: give the \
                 user's password (SmtpConfig::with_password)"
            ))),
            (None, Some(_)) => Err(SmtpError::Config(
                "an SMTP password was given but the URL names no user: write it as \
                 smtp://USER@host:587 (%40 for an @ in the user name)"
                    .to_owned(),
            )),
            _ => Ok(()),
        }
    }
}

/// `sync%40example.com` → `sync@example.com`.
fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> String {
        SmtpConfig::from_url(url).expect_err(url).to_string()
    }

    #[test]
    fn smtp_means_starttls_and_smtps_implicit_tls_with_their_default_ports() {
        let c = SmtpConfig::from_url("smtp://sync%40example.com@mail.example.com").expect("ok");
        assert_eq!(
            (c.security(), c.port(), c.host()),
            (Security::StartTls, 587, "mail.example.com")
        );
        assert_eq!(c.username(), Some("sync@example.com"));
        let c = SmtpConfig::from_url("smtps://mail.example.com").expect("ok");
        assert_eq!((c.security(), c.port(), c.username()), (Security::Tls, 465, None));
        let c = SmtpConfig::from_url("smtp://[::1]:2525?tls=none").expect("ok");
        assert_eq!((c.security(), c.port(), c.host()), (Security::None, 2525, "::1"));
    }

    #[test]
    fn unencrypted_smtp_is_refused_beyond_this_machine() {
        assert!(refused("smtp://mail.example.com:25?tls=none").contains("only to this machine"));
        assert!(refused("smtps://127.0.0.1:465?tls=none").contains("not known"));
        assert!(SmtpConfig::from_url("smtp://localhost:25?tls=none").is_ok());
        assert!(SmtpConfig::from_url("smtp://127.0.0.1:25?tls=none").is_ok());
        assert!(refused("smtp://10.0.0.1:25?tls=none").contains("only to this machine"));
    }

    #[test]
    fn a_password_in_the_url_is_refused_without_repeating_it() {
        let message = refused("smtp://user:hunter2@mail.example.com");
        assert!(message.contains("give the password on its own"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(refused("http://mail.example.com").contains("not smtp or smtps"));
        assert!(refused("mail.example.com:587").contains("not smtp or smtps"));
    }

    #[test]
    fn a_user_needs_a_password_and_debug_never_shows_it() {
        let config = SmtpConfig::from_url("smtp://u@mail.example.com").expect("ok");
        let refused = config.check().expect_err("no password").to_string();
        assert!(refused.contains("no password was given"), "{refused}");
        let config = config.with_password(SecretString::from("hunter2"));
        assert!(config.check().is_ok());
        let debug = format!("{config:?}");
        assert!(debug.contains("***") && !debug.contains("hunter2"), "{debug}");
    }
}

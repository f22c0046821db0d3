//! Why an email was not sent over SMTP, with what to do about it.

use dirsync::directory::ErrorChain;
use dirsync::mail::MailErrorKind;

/// Everything that can keep an email from going out over SMTP.
///
/// The messages say what to do; none holds the password (the server's replies are kept, and a
/// server never repeats a password in them).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// The settings are wrong; nothing was tried.
    #[error("invalid SMTP settings: {0}")]
    Config(String),
    /// An address of the email is not one the server can take; nothing was sent.
    #[error("the address {address:?} cannot be used in an email: {reason}")]
    Address {
        /// The address.
        address: String,
        /// Why.
        reason: String,
    },
    /// The message could not be put together (an attachment's media type, say).
    #[error("the email could not be composed: {0}")]
    Message(String),
    /// The server refused the user name or password.
    #[error(
        "the SMTP server {server} refused the user name or password ({reply}): check the user \
         name in the SMTP URL and the password; some providers need an app password or SMTP \
         authentication enabled for the mailbox"
    )]
    AuthenticationRefused {
        /// `host:port`.
        server: String,
        /// The server's reply.
        reply: String,
    },
    /// The server refused a recipient or the sender.
    #[error(
        "the SMTP server {server} refused a recipient or the sender ({reply}): check the \
         recipients' and the sender's addresses, and that the account may send as the sender"
    )]
    RecipientRefused {
        /// `host:port`.
        server: String,
        /// The server's reply.
        reply: String,
    },
    /// The server refused the message for another reason, or asked to try later.
    #[error(
        "the SMTP server {server} did not take the email ({reply}); try again later, or ask its administrator"
    )]
    Rejected {
        /// `host:port`.
        server: String,
        /// The server's reply.
        reply: String,
    },
    /// The secure connection could not be made.
    #[error(
        "the secure connection to the SMTP server {server} failed: check that the URL's scheme \
         fits the port (smtp:// with STARTTLS, usually 587; smtps:// with implicit TLS, usually \
         465), that the server offers STARTTLS, and that its certificate is valid for this host \
         name"
    )]
    Tls {
        /// `host:port`.
        server: String,
        /// Why.
        #[source]
        source: lettre::transport::smtp::Error,
    },
    /// The server did not take the email in time.
    #[error(
        "the SMTP server {server} did not take the email within {after:?}: check the host and \
         port in the SMTP URL and that a firewall lets the connection through"
    )]
    Timeout {
        /// `host:port`.
        server: String,
        /// The time limit.
        after: std::time::Duration,
    },
    /// The server could not be reached, or the connection broke.
    #[error(
        "cannot talk to the SMTP server {server}: check the host and port in the SMTP URL and \
         that a firewall lets the connection through"
    )]
    Connect {
        /// `host:port`.
        server: String,
        /// Why.
        #[source]
        source: lettre::transport::smtp::Error,
    },
}

impl SmtpError {
    /// The kind the core's [`dirsync::mail::MailError`] carries.
    pub fn kind(&self) -> MailErrorKind {
        match self {
            SmtpError::Config(_) => MailErrorKind::Config,
            SmtpError::Address { .. } => MailErrorKind::InvalidAddress,
            SmtpError::Message(_) => MailErrorKind::Other,
            SmtpError::AuthenticationRefused { .. } => MailErrorKind::Authentication,
            SmtpError::RecipientRefused { .. } => MailErrorKind::RecipientRefused,
            SmtpError::Rejected { .. } => MailErrorKind::Unavailable,
            SmtpError::Tls { .. } | SmtpError::Timeout { .. } | SmtpError::Connect { .. } => {
                MailErrorKind::Connection
            }
        }
    }

    /// The error for a failure of lettre's transport, by the server's reply code.
    pub(crate) fn from_lettre(
        e: lettre::transport::smtp::Error,
        server: String,
        timeout: std::time::Duration,
    ) -> Self {
        if let Some(code) = e.status() {
            let reply = e.to_string();
            return match u16::from(code) {
                // 530 authentication required, 534 mechanism too weak, 535 credentials invalid.
                530 | 534 | 535 => SmtpError::AuthenticationRefused { server, reply },
                // Mailbox unavailable or unknown, not local, name not allowed.
                450 | 550 | 551 | 553 => SmtpError::RecipientRefused { server, reply },
                _ => SmtpError::Rejected { server, reply },
            };
        }
        // lettre refuses to go on unencrypted when the server offers no STARTTLS.
        let no_starttls = e.is_client() && e.to_string().contains("STARTTLS");
        if e.is_tls() || no_starttls || broken_tls(&e) {
            SmtpError::Tls { server, source: e }
        } else if e.is_timeout() {
            SmtpError::Timeout { server, after: timeout }
        } else {
            SmtpError::Connect { server, source: e }
        }
    }
}

/// Whether a connection error comes from the TLS handshake: rustls reports a certificate it does
/// not trust, or a peer that does not speak TLS, as invalid data.
fn broken_tls(e: &lettre::transport::smtp::Error) -> bool {
    ErrorChain(e)
        .find::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData)
}

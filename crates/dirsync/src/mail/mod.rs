//! An email, and the one trait every way of sending it implements.
//!
//! The `dirsync-report` crate composes the report email ([`Email`]: a subject that states the
//! outcome, an HTML and a plain-text part, the full list of changes attached as CSV and JSON)
//! from a [`crate::report::Report`]. A [`Mailer`] sends it: the `dirsync-smtp` crate over SMTP, the
//! `azure-graph` crate through Microsoft Graph's `sendMail`, or an embedding service's own.
//!
//! Sending is never part of the sync: a report email that cannot be sent is a [`MailError`] to
//! print, and the sync's result and report stay as they are.
//!
//! ```
//! use dirsync::mail::{Email, MailError, Mailer};
//! use std::sync::Mutex;
//!
//! /// A mailer that keeps what it was given, as a test would.
//! #[derive(Default)]
//! struct Outbox(Mutex<Vec<Email>>);
//!
//! #[async_trait::async_trait]
//! impl Mailer for Outbox {
//!     fn name(&self) -> &str {
//!         "outbox"
//!     }
//!     async fn send(&self, email: &Email) -> Result<(), MailError> {
//!         self.0.lock().expect("not poisoned").push(email.clone());
//!         Ok(())
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let email = Email {
//!     from: "sync@example.com".into(),
//!     to: vec!["hr@example.com".into()],
//!     subject: "Huma ↔ Azure AD sync: nothing to change".into(),
//!     text: "Nothing needed to change.".into(),
//!     html: "<p>Nothing needed to change.</p>".into(),
//!     attachments: Vec::new(),
//! };
//! let outbox = Outbox::default();
//! dirsync::mail::send_email(&outbox, &email).await?;
//! let sent = outbox.0.lock().expect("not poisoned");
//! assert!(sent[0].subject.contains("nothing to change"), "{}", sent[0].subject);
//! # Ok::<(), MailError>(())
//! # }).unwrap();
//! ```

use async_trait::async_trait;
use std::{error::Error as StdError, fmt};

/// When a report is emailed: after every run, or only after one that needs someone to look.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EmailOn {
    /// After every run.
    #[default]
    Always,
    /// Only when a write failed or was not attempted, the run stopped early, something is newly
    /// held back, or a finding is new; a finding that stands is repeated in those emails, and
    /// in a weekly reminder at most ([`crate::report::Report::has_problems`]).
    Problems,
}

impl EmailOn {
    /// Whether a run with `report` is emailed under this rule.
    pub fn wants(self, report: &crate::Report) -> bool {
        match self {
            EmailOn::Always => true,
            EmailOn::Problems => report.has_problems(),
        }
    }
}

/// One email: who from and to, a subject, an HTML and a plain-text part, and attachments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The sender's address, e.g. `sync@example.com`.
    pub from: String,
    /// The recipients' addresses.
    pub to: Vec<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text part.
    pub text: String,
    /// The HTML part: one self-contained document.
    pub html: String,
    /// Files attached to it.
    pub attachments: Vec<Attachment>,
}

/// A file attached to an [`Email`].
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name the recipient sees, e.g. `changes.csv`.
    pub name: String,
    /// Its media type, e.g. `text/csv; charset=utf-8`.
    pub content_type: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Attachment {
    /// The name, type and size; not the content.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// A way of sending an [`Email`]: SMTP, Microsoft Graph, or a service's own.
///
/// Object safe, so a service can hold a `Box<dyn Mailer>` chosen at run time.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// What it sends through, for messages: e.g. "SMTP server mail.example.com:587".
    fn name(&self) -> &str;

    /// Sends `email` to every one of its recipients, or says why not.
    ///
    /// # Errors
    /// A [`MailError`] whose message says what to do.
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}

/// Sends `email` through `mailer` after checking its addresses, under a `tracing` span; a
/// failure is logged and returned for the caller to print, and never touches the sync.
///
/// # Errors
/// [`MailErrorKind::InvalidAddress`] for a malformed or missing address (nothing was sent), or
/// the mailer's error.
pub async fn send_email(mailer: &dyn Mailer, email: &Email) -> Result<(), MailError> {
    check_addresses(email)?;
    let span = tracing::info_span!("send_email", via = mailer.name(), to = email.to.len());
    let sent = tracing::Instrument::instrument(mailer.send(email), span).await;
    match &sent {
        Ok(()) => tracing::info!(via = mailer.name(), "report email sent"),
        Err(e) => {
            tracing::warn!(via = mailer.name(), error = %crate::ErrorChain(e), "report email not sent");
        }
    }
    sent
}

fn check_addresses(email: &Email) -> Result<(), MailError> {
    if email.to.is_empty() {
        return Err(MailError::new(
            MailErrorKind::InvalidAddress,
            "the email has no recipient: give at least one address to send it to",
        ));
    }
    for (role, address) in
        std::iter::once(("sender", &email.from)).chain(email.to.iter().map(|a| ("recipient", a)))
    {
        if crate::check_email(address).is_err() {
            return Err(MailError::new(
                MailErrorKind::InvalidAddress,
                format!("the {role} address {address:?} is not an email address: correct it"),
            ));
        }
    }
    Ok(())
}

/// What kind of failure a [`MailError`] is, so a caller can act without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MailErrorKind {
    /// An address is malformed or missing; nothing was sent.
    InvalidAddress,
    /// The mail service refused the credentials.
    Authentication,
    /// The credentials work but may not send as this sender.
    PermissionDenied,
    /// The sender is unknown to the mail service.
    UnknownSender,
    /// The mail service refused a recipient.
    RecipientRefused,
    /// The mail service could not be reached, or the secure connection to it failed.
    Connection,
    /// The mail service asked to slow down, or was unavailable, beyond the retries.
    Unavailable,
    /// The configuration is wrong (a URL, a missing password).
    Config,
    /// Something else.
    Other,
}

/// Why an email was not sent: a kind to act on and a message that says what to do.
///
/// A transport's own error can be wrapped whole ([`MailError::from_source`]); the `MailError`
/// then shows its message, and the transport's error is reached with
/// [`MailError::downcast_ref`].
///
/// ```
/// use dirsync::mail::{MailError, MailErrorKind};
/// let err = MailError::new(MailErrorKind::Connection, "cannot reach mail.example.com:587");
/// assert_eq!(err.kind(), MailErrorKind::Connection);
/// assert_eq!(err.to_string(), "cannot reach mail.example.com:587");
/// ```
#[derive(Debug)]
pub struct MailError {
    kind: MailErrorKind,
    message: String,
    inner: Option<Box<dyn StdError + Send + Sync>>,
}

impl MailError {
    /// An error of `kind` whose message says what happened and what to do.
    pub fn new(kind: MailErrorKind, message: impl Into<String>) -> Self {
        MailError { kind, message: message.into(), inner: None }
    }

    /// An error of `kind` standing in for a transport's own error: its message is the
    /// transport error's, and its source is the transport error's source.
    pub fn from_source(kind: MailErrorKind, source: impl StdError + Send + Sync + 'static) -> Self {
        MailError { kind, message: source.to_string(), inner: Some(Box::new(source)) }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> MailErrorKind {
        self.kind
    }

    /// The transport's own error as an `E`, when this one stands in for an `E`.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.inner.as_deref().and_then(|inner| inner.downcast_ref::<E>())
    }
}

impl fmt::Display for MailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for MailError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.as_deref().and_then(|inner| inner.source())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Never;

    #[async_trait]
    impl Mailer for Never {
        fn name(&self) -> &str {
            "never"
        }
        async fn send(&self, _: &Email) -> Result<(), MailError> {
            panic!("an email with a bad address must not reach the mailer")
        }
    }

    fn email(from: &str, to: &[&str]) -> Email {
        Email {
            from: from.to_owned(),
            to: to.iter().map(|s| (*s).to_owned()).collect(),
            subject: String::new(),
            text: String::new(),
            html: String::new(),
            attachments: Vec::new(),
        }
    }

    #[test]
    fn a_bad_or_missing_address_is_refused_before_sending() {
        let send = |e: Email| futures::executor::block_on(send_email(&Never, &e));
        let no_one = send(email("sync@example.com", &[])).expect_err("refused");
        assert_eq!(no_one.kind(), MailErrorKind::InvalidAddress);
        let bad = send(email("sync@example.com", &["hr@example.com", "n/a"])).expect_err("refused");
        assert!(bad.to_string().contains("\"n/a\""), "{bad}");
        let sender = send(email("", &["hr@example.com"])).expect_err("refused");
        assert!(sender.to_string().contains("sender"), "{sender}");
    }

    #[test]
    fn an_attachment_shows_its_size_not_its_content() {
        let a = Attachment {
            name: "changes.csv".into(),
            content_type: "text/csv".into(),
            bytes: b"secret-ish".to_vec(),
        };
        let debug = format!("{a:?}");
        assert!(debug.contains("changes.csv") && debug.contains("10"), "{debug}");
        assert!(!debug.contains("secret-ish"));
    }
}

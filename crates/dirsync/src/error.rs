//! The error a directory returns, in terms the core can act on.

use serde::{Deserialize, Serialize};
use std::{error::Error as StdError, fmt};

/// What kind of failure a [`DirectoryError`] is, so the caller can act without parsing messages.
///
/// In JSON (a report's failed writes) a kind is the same words as its `Display`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The record does not exist (any more).
    #[serde(rename = "not found")]
    NotFound,
    /// A record with the same identity already exists.
    #[serde(rename = "already exists")]
    AlreadyExists,
    /// The credentials were refused or have expired; nothing will work until they are fixed.
    #[serde(rename = "authentication failed")]
    Authentication,
    /// The credentials work but lack a permission, for all users or for this one (e.g. an admin's
    /// phone in Azure AD).
    #[serde(rename = "permission denied")]
    PermissionDenied,
    /// The directory refused a value.
    #[serde(rename = "invalid value")]
    InvalidValue,
    /// The directory kept asking us to slow down beyond the retry budget.
    #[serde(rename = "throttled")]
    Throttled,
    /// The directory could not be reached, timed out or answered with a server error beyond the
    /// retry budget.
    #[serde(rename = "unavailable")]
    Unavailable,
    /// The answer could not be understood.
    #[serde(rename = "invalid response")]
    InvalidResponse,
    /// The directory said the request itself was malformed (HTTP 411, 413, 415, or its own
    /// word for it): a bug in the program that sent it, to be reported, never a refusal of the
    /// person's value (so it is not held back, as [`ErrorKind::InvalidValue`] is).
    #[serde(rename = "protocol error")]
    Protocol,
    /// Something else.
    #[serde(rename = "error", other)]
    Other,
}

impl ErrorKind {
    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::Throttled | ErrorKind::Unavailable)
    }

    /// Whether this failure concerns the whole connection rather than one record, so a run should
    /// stop rather than fail every record the same way.
    pub fn is_fatal(self) -> bool {
        matches!(self, ErrorKind::Authentication)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::Authentication => "authentication failed",
            ErrorKind::PermissionDenied => "permission denied",
            ErrorKind::InvalidValue => "invalid value",
            ErrorKind::Throttled => "throttled",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::InvalidResponse => "invalid response",
            ErrorKind::Protocol => "protocol error",
            ErrorKind::Other => "error",
        })
    }
}

/// An error from a [`crate::directory::Directory`]: a kind to act on and a message that says what to do.
///
/// An adapter's own error can be wrapped whole ([`DirectoryError::from_source`]): the
/// `DirectoryError` then stands in for it, as [`std::io::Error`] does for a custom error. Its
/// `Display` is the adapter error's, its [`source`](StdError::source) is the adapter error's
/// source, so a printer that walks the chain shows every message once; the adapter error
/// itself is reached with [`DirectoryError::get_ref`] or [`DirectoryError::downcast_ref`].
///
/// ```
/// use dirsync::directory::{DirectoryError, ErrorKind};
/// let err = DirectoryError::new(ErrorKind::NotFound, "user u1 no longer exists in Azure AD");
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert_eq!(err.to_string(), "user u1 no longer exists in Azure AD");
///
/// let io = std::io::Error::other("connection reset");
/// let wrapped = DirectoryError::from_source(ErrorKind::Unavailable, io);
/// assert_eq!(wrapped.to_string(), "connection reset");
/// assert!(std::error::Error::source(&wrapped).is_none()); // the message is not repeated
/// assert!(wrapped.downcast_ref::<std::io::Error>().is_some());
/// ```
#[derive(Debug)]
pub struct DirectoryError {
    kind: ErrorKind,
    message: String,
    inner: Option<Box<dyn StdError + Send + Sync>>,
}

impl DirectoryError {
    /// An error of `kind` whose message says what happened and what to do.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DirectoryError { kind, message: message.into(), inner: None }
    }

    /// An error of `kind` standing in for an adapter's own error: its message is the adapter
    /// error's, and its source is the adapter error's source.
    pub fn from_source(kind: ErrorKind, source: impl StdError + Send + Sync + 'static) -> Self {
        DirectoryError { kind, message: source.to_string(), inner: Some(Box::new(source)) }
    }

    /// The adapter's own error, when this one stands in for it.
    pub fn get_ref(&self) -> Option<&(dyn StdError + Send + Sync + 'static)> {
        self.inner.as_deref()
    }

    /// The adapter's own error as an `E`, when this one stands in for an `E`.
    pub fn downcast_ref<E: StdError + 'static>(&self) -> Option<&E> {
        self.get_ref().and_then(|inner| inner.downcast_ref::<E>())
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, as displayed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for DirectoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for DirectoryError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner.as_deref().and_then(|inner| inner.source())
    }
}

/// Shows an error with every cause in its chain, each once: `"what: why: why"`. For the texts a
/// person reads (a report's failed write, a program's last line), where only one line fits.
///
/// ```
/// use dirsync::directory::ErrorChain;
/// #[derive(Debug, thiserror::Error)]
/// #[error("could not read the state")]
/// struct Outer(#[source] std::io::Error);
/// let e = Outer(std::io::Error::other("permission denied"));
/// assert_eq!(ErrorChain(&e).to_string(), "could not read the state: permission denied");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn StdError + 'static));

impl<'a> ErrorChain<'a> {
    /// The error, then each of its causes in turn.
    pub fn iter(self) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
        std::iter::successors(Some(self.0), |&error| error.source())
    }

    /// The first error of the chain that is an `E`: to tell a cause deep in a client's error
    /// (an expired sign-in, a failed TLS handshake) without matching every layer.
    ///
    /// ```
    /// use dirsync::directory::ErrorChain;
    /// #[derive(Debug, thiserror::Error)]
    /// #[error("could not read the state")]
    /// struct Outer(#[source] std::io::Error);
    /// let e = Outer(std::io::Error::new(std::io::ErrorKind::PermissionDenied, "no"));
    /// let io = ErrorChain(&e).find::<std::io::Error>();
    /// assert_eq!(io.map(|io| io.kind()), Some(std::io::ErrorKind::PermissionDenied));
    /// ```
    pub fn find<E: StdError + 'static>(self) -> Option<&'a E> {
        self.iter().find_map(|error| error.downcast_ref::<E>())
    }
}

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        self.iter().skip(1).try_for_each(|cause| write!(f, ": {cause}"))
    }
}

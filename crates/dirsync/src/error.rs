//! The error a directory returns, in terms the core can act on.

use std::{error::Error as StdError, fmt};

/// What kind of failure a [`DirectoryError`] is, so the caller can act without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The record does not exist (any more).
    NotFound,
    /// A record with the same identity already exists.
    AlreadyExists,
    /// The credentials were refused or have expired; nothing will work until they are fixed.
    Authentication,
    /// The credentials work but lack a permission, for all users or for this one (e.g. an admin's
    /// phone in Azure AD).
    PermissionDenied,
    /// The directory refused a value.
    InvalidValue,
    /// The directory kept asking us to slow down beyond the retry budget.
    Throttled,
    /// The directory could not be reached, timed out or answered with a server error beyond the
    /// retry budget.
    Unavailable,
    /// The answer could not be understood.
    InvalidResponse,
    /// Something else.
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
            ErrorKind::Other => "error",
        })
    }
}

/// An error from a [`crate::Directory`]: a kind to act on and a message that says what to do.
///
/// Adapters keep their own detailed error as the [`source`](StdError::source).
///
/// ```
/// use dirsync::{DirectoryError, ErrorKind};
/// let err = DirectoryError::new(ErrorKind::NotFound, "user u1 no longer exists in Azure AD");
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert_eq!(err.to_string(), "user u1 no longer exists in Azure AD");
/// ```
#[derive(Debug)]
pub struct DirectoryError {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

impl DirectoryError {
    /// An error of `kind` whose message says what happened and what to do.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DirectoryError { kind, message: message.into(), source: None }
    }

    /// An error of `kind` wrapping an adapter's own error, whose message is used.
    pub fn from_source(kind: ErrorKind, source: impl StdError + Send + Sync + 'static) -> Self {
        DirectoryError { kind, message: source.to_string(), source: Some(Box::new(source)) }
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
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}

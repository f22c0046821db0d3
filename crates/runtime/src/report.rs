//! Showing an error with its causes.

use std::error::Error;

/// An error and each of its causes (`source()`), joined with `": "`: what `anyhow`'s `{:#}`
/// shows. Every error of the clients shows only its own words and leaves its cause to
/// `source()`, so each message appears once.
///
/// ```
/// #[derive(Debug, thiserror::Error)]
/// #[error("could not reach Huma")]
/// struct Outer(#[source] std::io::Error);
/// let err = Outer(std::io::Error::other("connection refused"));
/// assert_eq!(dirsync_runtime::error_chain(&err), "could not reach Huma: connection refused");
/// ```
pub fn error_chain(err: &(dyn Error + 'static)) -> String {
    let mut shown = err.to_string();
    let mut cause = err.source();
    while let Some(next) = cause {
        shown.push_str(": ");
        shown.push_str(&next.to_string());
        cause = next.source();
    }
    shown
}

//! The key an organisation's state is kept under.

use crate::PgError;
use std::fmt;

/// The key of one organisation's state ("acme", "customer-4711"), as the embedding service
/// names it: 1 to [`OrgKey::MAX_LEN`] letters, digits, `.`, `_`, `-` or `:`, starting with a
/// letter or a digit. Keys show up in logs, lease holders and the history, so they are kept to
/// characters that need no quoting anywhere.
///
/// ```
/// use dirsync_postgres::OrgKey;
/// assert!(OrgKey::new("acme").is_ok());
/// assert!(OrgKey::new("tenant:4711.eu-north").is_ok());
/// assert!(OrgKey::new("acme'; DROP TABLE x; --").is_err());
/// assert!(OrgKey::new(&"a".repeat(10_000)).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrgKey(String);

impl OrgKey {
    /// The longest key.
    pub const MAX_LEN: usize = 128;

    /// A key, if `key` is one.
    ///
    /// # Errors
    /// [`PgError::OrgKey`], saying what is wrong.
    pub fn new(key: &str) -> Result<OrgKey, PgError> {
        let refuse = |reason| {
            let shown: String = key.chars().take(40).collect();
            let shown = if shown.len() < key.len() { format!("{shown}…") } else { shown };
            Err(PgError::OrgKey { shown, reason })
        };
        if key.is_empty() {
            return refuse("it is empty");
        }
        if key.len() > Self::MAX_LEN {
            return refuse("it is too long");
        }
        if !key.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return refuse("it does not start with a letter or a digit");
        }
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')) {
            return refuse("it holds a character other than those allowed");
        }
        Ok(OrgKey(key.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrgKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for OrgKey {
    type Err = PgError;

    fn from_str(key: &str) -> Result<OrgKey, PgError> {
        OrgKey::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_keys_are_refused_with_the_reason_and_a_short_quote() {
        let reason = |key: &str| match OrgKey::new(key) {
            Err(PgError::OrgKey { shown, reason }) => (shown, reason),
            other => panic!("{key:?} refused: {other:?}"),
        };
        assert_eq!(reason("").1, "it is empty");
        assert_eq!(reason("-x").1, "it does not start with a letter or a digit");
        assert_eq!(reason("acme\"co").1, "it holds a character other than those allowed");
        assert_eq!(reason("ac me").1, "it holds a character other than those allowed");
        assert_eq!(reason("åse").1, "it does not start with a letter or a digit");
        let (shown, why) = reason(&"k".repeat(10_000));
        assert_eq!(why, "it is too long");
        assert_eq!(shown.chars().count(), 41, "40 characters and an ellipsis");
        assert_eq!(OrgKey::new(&"k".repeat(128)).map(|k| k.as_str().len()).ok(), Some(128));
    }
}

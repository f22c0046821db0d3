//! Reading numbers that a service's specification leaves unbounded (a page's `total`, a token's
//! `expires_in`) without failing on a value that makes no sense: a negative, fractional,
//! quoted, absent or `null` number is read as "not given" (or its whole part), never as an error.
//!
//! ```
//! use serde::Deserialize;
//! #[derive(Deserialize)]
//! struct Page {
//!     #[serde(default, deserialize_with = "dirsync_runtime::lenient::optional_u64")]
//!     total: Option<u64>,
//! }
//! let read = |json: &str| serde_json::from_str::<Page>(json).unwrap().total;
//! assert_eq!(read(r#"{"total": 120}"#), Some(120));
//! assert_eq!(read(r#"{"total": -1}"#), None);
//! assert_eq!(read(r#"{"total": "7"}"#), Some(7));
//! assert_eq!(read(r#"{"total": null}"#), None);
//! assert_eq!(read(r#"{}"#), None);
//! ```

use serde::{Deserialize, Deserializer};
use std::time::Duration;

#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(String),
    Other(serde::de::IgnoredAny),
}

/// A non-negative whole number, or `None` for anything else (negative, not a number, `null`).
///
/// # Errors
/// None of its own; only what the deserializer fails with when the input is not readable at all.
pub fn optional_u64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    Ok(match Option::<Number>::deserialize(deserializer)? {
        Some(Number::Unsigned(n)) => Some(n),
        Some(Number::Signed(n)) => u64::try_from(n).ok(),
        // The whole part; `as` saturates, and NaN is refused first.
        Some(Number::Float(f)) if f.is_finite() && f >= 0.0 => Some(f as u64),
        Some(Number::Text(text)) => text.trim().parse().ok(),
        _ => None,
    })
}

/// [`optional_u64`] as a number of seconds.
///
/// # Errors
/// As [`optional_u64`].
pub fn optional_seconds<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    Ok(optional_u64(deserializer)?.map(Duration::from_secs))
}

/// Whether `json` (valid JSON) is an object: it starts with `{`, after white space. Checked
/// before reading a struct, because serde also reads a struct from an array of its fields in
/// order, and a user that is an array is not a user.
///
/// ```
/// use dirsync_runtime::lenient::is_object;
/// assert!(is_object(b" {\"id\": 1}"));
/// assert!(!is_object(b"[1, 2]"));
/// ```
pub fn is_object(json: &[u8]) -> bool {
    json.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Token {
        #[serde(default, deserialize_with = "optional_seconds")]
        expires_in: Option<Duration>,
    }

    #[test]
    fn odd_lifetimes_are_read_as_not_given() {
        let read = |json: &str| serde_json::from_str::<Token>(json).unwrap().expires_in;
        assert_eq!(read(r#"{"expires_in": 3599}"#), Some(Duration::from_secs(3599)));
        assert_eq!(read(r#"{"expires_in": 0}"#), Some(Duration::ZERO));
        assert_eq!(read(r#"{"expires_in": -5}"#), None);
        assert_eq!(read(r#"{"expires_in": 12.7}"#), Some(Duration::from_secs(12)));
        assert_eq!(read(r#"{"expires_in": 1e300}"#), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(read(r#"{"expires_in": "x"}"#), None);
        assert_eq!(read(r#"{"expires_in": {"a": 1}}"#), None);
        assert_eq!(read(r#"{"expires_in": [1]}"#), None);
        assert_eq!(read(r#"{}"#), None);
    }
}

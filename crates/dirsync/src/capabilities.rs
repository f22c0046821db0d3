//! What a directory can write, and the limits its values must keep.

use crate::text::char_len;
use crate::{Field, FieldRef, FieldSet};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a directory can write and which limits its values must keep, so the engine can refuse a
/// value before any request is made.
///
/// ```
/// use dirsync::{Capabilities, Field, FieldRef, Limits};
/// let caps = Capabilities {
///     limits: Limits { employment_id: Some(16), ..Limits::default() },
///     ..Capabilities::default()
/// };
/// assert!(caps.check(Field::EmploymentId, FieldRef::Text("E-1")).is_ok());
/// let err = caps.check(Field::EmploymentId, FieldRef::Text("E-0000000000000017")).unwrap_err();
/// assert_eq!(err.max, 16);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Fields the directory can write at all.
    pub writable: FieldSet,
    /// Fields a new record must have, besides [`Capabilities::email_required`].
    pub required_on_create: FieldSet,
    /// Whether a new record needs an email.
    pub email_required: bool,
    /// Whether the directory can create records.
    pub can_create: bool,
    /// Maximum lengths, in characters.
    pub limits: Limits,
}

impl Default for Capabilities {
    /// Everything writable, creation allowed, nothing required, no limits.
    fn default() -> Self {
        Capabilities {
            writable: FieldSet::all(),
            required_on_create: FieldSet::empty(),
            email_required: false,
            can_create: true,
            limits: Limits::default(),
        }
    }
}

impl Capabilities {
    /// Checks a value against this directory's limits.
    ///
    /// # Errors
    /// [`TooLong`] naming the first part of the value that is over its limit.
    pub fn check(&self, field: Field, value: FieldRef<'_>) -> Result<(), TooLong> {
        let l = &self.limits;
        let parts: Vec<(&'static str, Option<&str>, Option<usize>)> = match (field, value) {
            (Field::Address, FieldRef::Address(a)) => vec![
                ("street", a.street(), l.street),
                ("postal code", a.postal_code(), l.postal_code),
                ("city", a.city(), l.city),
            ],
            (_, FieldRef::Text(text)) => vec![("", Some(text), l.for_text(field))],
            _ => Vec::new(),
        };
        for (part, text, max) in parts {
            if let (Some(text), Some(max)) = (text, max) {
                let len = char_len(text);
                if len > max {
                    return Err(TooLong { field, part: part.to_owned(), len, max });
                }
            }
        }
        Ok(())
    }
}

/// Maximum lengths of values, in characters; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Employment id.
    pub employment_id: Option<usize>,
    /// Given name.
    pub given_name: Option<usize>,
    /// Family name.
    pub family_name: Option<usize>,
    /// Phone number.
    pub phone: Option<usize>,
    /// Job title.
    pub job_title: Option<usize>,
    /// The street, all lines together with their line breaks.
    pub street: Option<usize>,
    /// Postal code.
    pub postal_code: Option<usize>,
    /// City.
    pub city: Option<usize>,
}

impl Limits {
    fn for_text(&self, field: Field) -> Option<usize> {
        match field {
            Field::EmploymentId => self.employment_id,
            Field::GivenName => self.given_name,
            Field::FamilyName => self.family_name,
            Field::Phone => self.phone,
            Field::JobTitle => self.job_title,
            Field::Address | Field::EmploymentStartDate => None,
        }
    }
}

/// A value longer than the target directory allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct TooLong {
    /// The field.
    pub field: Field,
    /// The part of the address, or empty for a whole field.
    pub part: String,
    /// The value's length in characters.
    pub len: usize,
    /// The limit.
    pub max: usize,
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.field)?;
        if !self.part.is_empty() {
            write!(f, " ({})", self.part)?;
        }
        write!(
            f,
            " is {} characters long, over the limit of {}: shorten it at the source",
            self.len, self.max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Address;

    #[test]
    fn address_parts_are_checked_against_their_own_limits() {
        let caps = Capabilities {
            limits: Limits { postal_code: Some(4), city: Some(128), ..Limits::default() },
            ..Capabilities::default()
        };
        let ok = Address::new("x", "0150", "Oslo", None);
        assert!(caps.check(Field::Address, FieldRef::Address(&ok)).is_ok());
        let long = Address::new("x", "01500", "Oslo", None);
        let err = caps.check(Field::Address, FieldRef::Address(&long)).unwrap_err();
        assert_eq!((err.part.as_str(), err.len, err.max), ("postal code", 5, 4));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let caps = Capabilities {
            limits: Limits { given_name: Some(3), ..Limits::default() },
            ..Capabilities::default()
        };
        assert!(caps.check(Field::GivenName, FieldRef::Text("Åsa")).is_ok());
        assert!(caps.check(Field::GivenName, FieldRef::Text("Åsaa")).is_err());
    }
}

//! What a directory can write, and the limits its values must keep.

use crate::text::{char_len, first_control};
use crate::{BlockReason, Field, FieldRef, FieldSet, InvalidValue, Person};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What a directory can write and which limits its values must keep, so the engine can refuse a
/// value before any request is made.
///
/// ```
/// use dirsync::{
///     directory::{Capabilities, Limits},
///     model::{Field, FieldRef},
/// };
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
    /// Whether the directory can disable and enable accounts ([`crate::directory::Directory::set_enabled`]),
    /// which leavers need.
    #[serde(default)]
    pub can_disable: bool,
    /// Whether the directory can revoke a user's sign-in sessions
    /// ([`crate::directory::Directory::revoke_sessions`]).
    #[serde(default)]
    pub can_revoke_sessions: bool,
    /// Maximum lengths, in characters.
    pub limits: Limits,
}

impl Default for Capabilities {
    /// Everything writable, creation and account control allowed, nothing required, no limits.
    fn default() -> Self {
        Capabilities {
            writable: FieldSet::all(),
            required_on_create: FieldSet::empty(),
            email_required: false,
            can_create: true,
            can_disable: true,
            can_revoke_sessions: true,
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
                    let (part, unit) = (part.to_owned(), LengthUnit::Characters);
                    return Err(TooLong { field, part, len, max, unit });
                }
            }
        }
        if let (FieldRef::Address(a), Some(max)) = (value, l.street_line) {
            for line in a.street_lines() {
                let len = char_len(line);
                if len > max {
                    let (part, unit) = ("street line".to_owned(), LengthUnit::Characters);
                    return Err(TooLong { field, part, len, max, unit });
                }
            }
        }
        if let (FieldRef::Address(a), Some(max)) = (value, l.street_lines) {
            // A street with more lines than the target keeps would come back changed (its last
            // lines joined into one) and be written again on every sync.
            let lines = a.street_lines().count();
            if lines > max {
                let part = "street".to_owned();
                return Err(TooLong { field, part, len: lines, max, unit: LengthUnit::Lines });
            }
        }
        Ok(())
    }
}

impl Capabilities {
    /// Why `value` cannot be written to this directory, if it cannot: it holds a control
    /// character ([`InvalidCharacters`], the same rule for every directory) or breaks one of this
    /// directory's limits ([`Capabilities::check`]). Whether the field may be written at all
    /// ([`Capabilities::writable`], read-only fields) is not part of this check.
    ///
    /// This is the check the engine makes before it plans any write, on either side.
    ///
    /// ```
    /// use dirsync::{
    ///     directory::Capabilities,
    ///     model::{Field, FieldRef},
    ///     plan::BlockReason,
    /// };
    /// let caps = Capabilities::default();
    /// assert_eq!(caps.refusal(Field::GivenName, FieldRef::Text("Ada")), None);
    /// let refused = caps.refusal(Field::GivenName, FieldRef::Text("Ad\u{0}a"));
    /// assert!(matches!(refused, Some(BlockReason::InvalidCharacters(_))));
    /// ```
    pub fn refusal(&self, field: Field, value: FieldRef<'_>) -> Option<BlockReason> {
        if let Some(invalid) = InvalidCharacters::find(field, value) {
            return Some(BlockReason::InvalidCharacters(invalid));
        }
        self.check(field, value).err().map(BlockReason::TooLong)
    }

    /// Why `field` cannot be written to a record of this directory, if it cannot, in the order a
    /// person would fix it: the directory cannot write the field, the record holds it read-only,
    /// the value comes from an invalid source value, or the value itself is refused
    /// ([`Capabilities::refusal`]). The one rule for syncs, creations and real-time pushes.
    pub fn blocked(
        &self,
        field: Field,
        value: Option<FieldRef<'_>>,
        read_only: bool,
        invalid_source: Option<&InvalidValue>,
    ) -> Option<BlockReason> {
        if !self.writable.contains(field) {
            Some(BlockReason::NotWritable)
        } else if read_only {
            Some(BlockReason::ReadOnly)
        } else if let Some(invalid) = invalid_source {
            Some(BlockReason::InvalidSource(invalid.clone()))
        } else {
            value.and_then(|v| self.refusal(field, v))
        }
    }

    /// What a new record of `person` in this directory would hold: the values it can take, those
    /// it cannot (with why), and the required values that would then be missing (field names,
    /// and "Email"). `invalid` are values of the source record that are not valid there.
    pub fn new_record(&self, person: &Person, invalid: &[InvalidValue]) -> NewRecord {
        let mut writable = person.clone();
        let mut left_out = Vec::new();
        for field in Field::ALL {
            let Some(value) = person.get(field) else { continue };
            let invalid_source = invalid.iter().find(|v| v.field == field);
            if let Some(reason) = self.blocked(field, Some(value), false, invalid_source) {
                writable.clear(field);
                left_out.push((field, reason));
            }
        }
        let missing = self
            .required_on_create
            .iter()
            .filter(|f| writable.get(*f).is_none())
            .map(Field::label)
            .chain((self.email_required && writable.email().is_none()).then_some("Email"))
            .collect();
        NewRecord { person: writable, left_out, missing }
    }
}

/// What a new record would hold, from [`Capabilities::new_record`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// The values the directory can take.
    pub person: Person,
    /// The values left out, and why.
    pub left_out: Vec<(Field, BlockReason)>,
    /// Required values that are missing (or cannot be written): field names, and "Email".
    pub missing: Vec<&'static str>,
}

/// A value that holds a control character, which is never written to any directory.
///
/// The rule: a text value may not hold a control character (Unicode category Cc: U+0000 to
/// U+001F, U+007F and U+0080 to U+009F, which includes NUL, tab, carriage return and escape).
/// The one exception is the line break (`\n`) between the lines of an address's street; the
/// street's carriage returns are already gone, because [`crate::model::Address`] joins its lines with
/// `\n`. Formatting characters such as zero-width joiners are not control characters: they occur
/// in real names and are allowed.
///
/// Values are read as they are (so they still pair and compare), but a value with a control
/// character is not written: the engine reports it as
/// [`BlockReason::InvalidCharacters`], through [`Capabilities::refusal`].
///
/// ```
/// use dirsync::{
///     directory::InvalidCharacters,
///     model::{Address, Field, FieldRef},
/// };
/// let bad = InvalidCharacters::find(Field::FamilyName, FieldRef::Text("Love\u{0}lace")).unwrap();
/// assert_eq!((bad.character, bad.position), ('\u{0}', 5));
/// assert_eq!(bad.to_string(), "Family name holds the control character U+0000 at character 5: remove it at the source");
///
/// let street = Address::new("Main St 1\r\nFlat 2", "", "", None);
/// assert_eq!(InvalidCharacters::find(Field::Address, FieldRef::Address(&street)), None);
/// let tabbed = Address::new("", "", "Os\tlo", None);
/// let bad = InvalidCharacters::find(Field::Address, FieldRef::Address(&tabbed)).unwrap();
/// assert_eq!((bad.part.as_str(), bad.character), ("city", '\t'));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct InvalidCharacters {
    /// The field.
    pub field: Field,
    /// The part of the address, or empty for a whole field.
    pub part: String,
    /// The first control character found.
    pub character: char,
    /// Its position in the value, in characters, counting from 1.
    pub position: usize,
}

impl InvalidCharacters {
    /// The first control character in `value` that may not be written, if there is one.
    pub fn find(field: Field, value: FieldRef<'_>) -> Option<InvalidCharacters> {
        let parts: [(&'static str, Option<&str>, bool); 3] = match value {
            FieldRef::Address(a) => [
                ("street", a.street(), true),
                ("postal code", a.postal_code(), false),
                ("city", a.city(), false),
            ],
            FieldRef::Text(text) => [("", Some(text), false), ("", None, false), ("", None, false)],
            FieldRef::Date(_) => return None,
        };
        parts.into_iter().find_map(|(part, text, lines)| {
            let allowed: &[char] = if lines { &['\n'] } else { &[] };
            let (position, character) = first_control(text?, allowed)?;
            Some(InvalidCharacters { field, part: part.to_owned(), character, position })
        })
    }
}

impl fmt::Display for InvalidCharacters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.field)?;
        if !self.part.is_empty() {
            write!(f, " ({})", self.part)?;
        }
        write!(
            f,
            " holds the control character U+{:04X} at character {}: remove it at the source",
            u32::from(self.character),
            self.position
        )
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
    /// Each line of the street on its own (Huma keeps up to three lines of 255 characters).
    pub street_line: Option<usize>,
    /// How many lines the street may have (Huma's three); a count of lines, not characters.
    pub street_lines: Option<usize>,
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
    /// What `len` and `max` count.
    #[serde(default)]
    pub unit: LengthUnit,
}

/// What a [`TooLong`] counts: characters, or for a street, its lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LengthUnit {
    /// Characters (Unicode scalar values).
    #[default]
    Characters,
    /// Lines of a street.
    Lines,
}

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.field)?;
        if !self.part.is_empty() {
            write!(f, " ({})", self.part)?;
        }
        let unit = match self.unit {
            LengthUnit::Characters => "characters",
            LengthUnit::Lines => "lines",
        };
        write!(
            f,
            " is {} {unit} long, over the limit of {}: shorten it at the source",
            self.len, self.max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

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
    fn control_characters_are_refused_except_street_line_breaks() {
        let caps = Capabilities::default();
        for bad in
            ["Ada\u{0}", "A\u{0}da", "Ada\tLovelace", "Ada\u{1b}[31m", "Ada\u{7f}", "Ada\u{85}"]
        {
            let refused = caps.refusal(Field::GivenName, FieldRef::Text(bad));
            assert!(matches!(refused, Some(BlockReason::InvalidCharacters(_))), "{bad:?}");
        }
        for good in ["Ada", "Åsa", "Zoë", "ज़\u{200d}", "O'Brien-Smith"] {
            assert_eq!(caps.refusal(Field::GivenName, FieldRef::Text(good)), None, "{good:?}");
        }
        let street = Address::new("Main 1\nFlat 2", "0150", "Oslo", None);
        assert_eq!(caps.refusal(Field::Address, FieldRef::Address(&street)), None);
        let nul_street = Address::new("Main\u{0} 1\nFlat 2", "", "", None);
        let Some(BlockReason::InvalidCharacters(bad)) =
            caps.refusal(Field::Address, FieldRef::Address(&nul_street))
        else {
            panic!("a NUL in the street is refused");
        };
        assert_eq!((bad.part.as_str(), bad.character, bad.position), ("street", '\u{0}', 5));
        let postal = Address::new("", "01\n50", "", None);
        let Some(BlockReason::InvalidCharacters(bad)) =
            caps.refusal(Field::Address, FieldRef::Address(&postal))
        else {
            panic!("a line break outside the street is refused");
        };
        assert_eq!((bad.part.as_str(), bad.character), ("postal code", '\n'));
    }

    #[test]
    fn characters_are_checked_before_length() {
        let caps = Capabilities {
            limits: Limits { employment_id: Some(2), ..Limits::default() },
            ..Capabilities::default()
        };
        let refused = caps.refusal(Field::EmploymentId, FieldRef::Text("E\u{0}123"));
        assert!(matches!(refused, Some(BlockReason::InvalidCharacters(_))));
        let refused = caps.refusal(Field::EmploymentId, FieldRef::Text("E123"));
        assert!(matches!(refused, Some(BlockReason::TooLong(_))));
    }

    #[test]
    fn each_street_line_is_checked_against_the_line_limit() {
        let caps = Capabilities {
            limits: Limits { street_line: Some(5), ..Limits::default() },
            ..Capabilities::default()
        };
        let short = Address::new("Main1\nFlat2", "", "", None);
        assert!(caps.check(Field::Address, FieldRef::Address(&short)).is_ok());
        let long = Address::new("Main1\nFlat 22", "", "", None);
        let err = caps.check(Field::Address, FieldRef::Address(&long)).unwrap_err();
        assert_eq!((err.part.as_str(), err.len, err.max), ("street line", 7, 5));
        assert_eq!(err.unit, LengthUnit::Characters);
    }

    #[test]
    fn a_street_with_more_lines_than_the_target_keeps_is_refused() {
        let caps = Capabilities {
            limits: Limits { street_lines: Some(3), ..Limits::default() },
            ..Capabilities::default()
        };
        let three = Address::new("Main 1\nFlat 2\nBack door", "", "", None);
        assert!(caps.check(Field::Address, FieldRef::Address(&three)).is_ok());
        let four = Address::new("Main 1\nFlat 2\nBack door\nBell 3", "", "", None);
        let err = caps.check(Field::Address, FieldRef::Address(&four)).unwrap_err();
        assert_eq!(
            (err.part.as_str(), err.len, err.max, err.unit),
            ("street", 4, 3, LengthUnit::Lines)
        );
        assert_eq!(
            err.to_string(),
            "Address (street) is 4 lines long, over the limit of 3: shorten it at the source"
        );
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

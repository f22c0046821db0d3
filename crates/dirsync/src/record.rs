//! One user as a directory sees them.

use crate::{Field, FieldSet, Person, ScopeStatus};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A directory's own id for a record (a Huma user UUID, a Graph user object id). Opaque to the core.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(Arc<str>);

impl RecordId {
    /// Wraps a directory's id.
    pub fn new(id: impl Into<String>) -> Self {
        RecordId(Arc::from(id.into()))
    }

    /// The id as the directory spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RecordId {
    fn from(id: &str) -> Self {
        RecordId::new(id)
    }
}

impl From<String> for RecordId {
    fn from(id: String) -> Self {
        RecordId::new(id)
    }
}

/// One user as a directory sees them: their values, which fields may not be written, whether they
/// are active, and any value the directory holds that could not be understood.
///
/// ```
/// use dirsync::{
///     directory::Record,
///     model::{Field, Person},
/// };
/// let record = Record::new("u1", Person::new().with_given_name("Ada"))
///     .read_only(Field::Phone)
///     .inactive();
/// assert!(!record.active);
/// assert!(record.read_only.contains(Field::Phone));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The directory's id for this user.
    pub id: RecordId,
    /// The supported values.
    pub person: Person,
    /// Fields this directory will not let us write for this user.
    #[serde(default, skip_serializing_if = "FieldSet::is_empty")]
    pub read_only: FieldSet,
    /// Whether the user is active (an inactive Huma user, a disabled Azure account).
    pub active: bool,
    /// Values the directory holds that are not valid for their field (e.g. the Azure country
    /// "Norway"); the field is left out of [`Record::person`] and never written to the other side.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid: Vec<InvalidValue>,
    /// Set when the directory returned this record but it could not be understood (a property
    /// of the wrong type, say): the reason, for a person to read. [`Record::person`] then holds
    /// only the keys that could be read (employment id, email). Such a record takes no writes,
    /// is paired with nobody, and no counterpart with its keys is created, so it can never cause
    /// a duplicate; see [`Record::unreadable`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// Where the record stands toward the scope its directory reads: in it (the default),
    /// outside it, or excluded from every sync (see [`ScopeStatus`]).
    #[serde(default, skip_serializing_if = "is_in_scope")]
    pub scope: ScopeStatus,
}

fn is_in_scope(status: &ScopeStatus) -> bool {
    status.is_in()
}

impl Record {
    /// An active record with no read-only fields.
    pub fn new(id: impl Into<RecordId>, person: Person) -> Self {
        Record {
            id: id.into(),
            person,
            read_only: FieldSet::empty(),
            active: true,
            invalid: Vec::new(),
            unreadable: None,
            scope: ScopeStatus::In,
        }
    }

    /// A record the directory returned but that could not be understood: its id, whatever keys
    /// could be read (`keys`: employment id and email, nothing else), and why.
    ///
    /// ```
    /// use dirsync::{directory::Record, model::Person};
    /// let record = Record::unreadable(
    ///     "u7",
    ///     Person::new().with_email("ada@example.com"),
    ///     "jobTitle is a number, not text",
    /// );
    /// assert!(record.is_unreadable());
    /// assert_eq!(record.person.email(), Some("ada@example.com"));
    /// ```
    pub fn unreadable(id: impl Into<RecordId>, keys: Person, reason: impl Into<String>) -> Self {
        let mut record = Record::new(id, keys.keys_only());
        record.unreadable = Some(reason.into());
        record
    }

    /// Whether the record could not be understood ([`Record::unreadable`]).
    pub fn is_unreadable(&self) -> bool {
        self.unreadable.is_some()
    }

    /// Marks `field` read-only.
    #[must_use]
    pub fn read_only(mut self, field: Field) -> Self {
        self.read_only.insert(field);
        self
    }

    /// Marks the record inactive.
    #[must_use]
    pub fn inactive(mut self) -> Self {
        self.active = false;
        self
    }

    /// Marks the record as outside its directory's scope ([`ScopeStatus::Out`]).
    #[must_use]
    pub fn out_of_scope(self) -> Self {
        self.with_scope(ScopeStatus::Out)
    }

    /// Marks the record as excluded from every sync ([`ScopeStatus::Excluded`]).
    #[must_use]
    pub fn excluded(self) -> Self {
        self.with_scope(ScopeStatus::Excluded)
    }

    /// The record with `status` toward its directory's scope.
    #[must_use]
    pub fn with_scope(mut self, status: ScopeStatus) -> Self {
        self.scope = status;
        self
    }

    /// Notes a value that could not be understood.
    #[must_use]
    pub fn with_invalid(mut self, invalid: InvalidValue) -> Self {
        self.invalid.push(invalid);
        self
    }

    /// The invalid value noted for `field`, if any.
    pub fn invalid_value(&self, field: Field) -> Option<&InvalidValue> {
        self.invalid.iter().find(|v| v.field == field)
    }
}

/// A value a directory holds that does not fit its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidValue {
    /// The field it belongs to.
    pub field: Field,
    /// The value as the directory holds it.
    pub value: String,
    /// Why it is not valid, for a person to read (e.g. "country \"Norway\" is not an ISO 3166-1
    /// alpha-2 code; did you mean NO?").
    pub reason: String,
}

impl InvalidValue {
    /// A value of `field` that is not valid, with the reason.
    pub fn new(field: Field, value: impl Into<String>, reason: impl fmt::Display) -> Self {
        InvalidValue { field, value: value.into(), reason: reason.to_string() }
    }
}

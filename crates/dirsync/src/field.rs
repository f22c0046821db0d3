//! The supported fields and sets of them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One supported field. The address syncs as a whole, so it is one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The employment id (Huma `employmentId`, Graph `employeeId`).
    EmploymentId,
    /// The given name.
    GivenName,
    /// The family name (Graph `surname`).
    FamilyName,
    /// The phone number (Graph `mobilePhone` or `businessPhones[0]`).
    Phone,
    /// The address: street, postal code, city and country together.
    Address,
    /// The job title.
    JobTitle,
    /// The employment start date (Graph `employeeHireDate`).
    EmploymentStartDate,
}

impl Field {
    /// Every supported field, in a fixed order.
    pub const ALL: [Field; 7] = [
        Field::EmploymentId,
        Field::GivenName,
        Field::FamilyName,
        Field::Phone,
        Field::Address,
        Field::JobTitle,
        Field::EmploymentStartDate,
    ];

    /// The name a person reads, as in Huma's list of supported fields.
    pub fn label(self) -> &'static str {
        match self {
            Field::EmploymentId => "Employment ID",
            Field::GivenName => "Given name",
            Field::FamilyName => "Family name",
            Field::Phone => "Phone number",
            Field::Address => "Address",
            Field::JobTitle => "Job title",
            Field::EmploymentStartDate => "Employment start date",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A set of fields, e.g. the read-only fields of a record or the writable fields of a directory.
///
/// ```
/// use dirsync::model::{Field, FieldSet};
/// let set = FieldSet::from_iter([Field::Phone, Field::Address]);
/// assert!(set.contains(Field::Phone));
/// assert!(!set.contains(Field::JobTitle));
/// assert_eq!(FieldSet::all().len(), 7);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Vec<Field>", into = "Vec<Field>")]
pub struct FieldSet(u8);

impl FieldSet {
    /// The empty set.
    pub const fn empty() -> Self {
        FieldSet(0)
    }

    /// Every supported field.
    pub fn all() -> Self {
        Field::ALL.into_iter().collect()
    }

    /// Whether `field` is in the set.
    pub fn contains(self, field: Field) -> bool {
        self.0 & field.bit() != 0
    }

    /// Adds `field`.
    pub fn insert(&mut self, field: Field) {
        self.0 |= field.bit();
    }

    /// Removes `field`.
    pub fn remove(&mut self, field: Field) {
        self.0 &= !field.bit();
    }

    /// The set with `field` added.
    #[must_use]
    pub fn with(mut self, field: Field) -> Self {
        self.insert(field);
        self
    }

    /// How many fields the set holds.
    pub fn len(&self) -> usize {
        self.0.count_ones() as usize
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }

    /// The fields in the set, in [`Field::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Field> {
        Field::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl FromIterator<Field> for FieldSet {
    fn from_iter<I: IntoIterator<Item = Field>>(iter: I) -> Self {
        let mut set = FieldSet::empty();
        for field in iter {
            set.insert(field);
        }
        set
    }
}

impl From<Vec<Field>> for FieldSet {
    fn from(fields: Vec<Field>) -> Self {
        fields.into_iter().collect()
    }
}

impl From<FieldSet> for Vec<Field> {
    fn from(set: FieldSet) -> Self {
        set.iter().collect()
    }
}

impl fmt::Debug for FieldSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

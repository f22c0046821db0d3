//! Scope: which people a sync looks after on each side.
//!
//! A directory reads its own scope (Huma teams, locations or companies; the members of an Azure
//! AD group; a SCIM filter), because only it knows how to ask its service for just those people,
//! and marks every record it returns with where the person stands ([`ScopeStatus`]). The engine
//! keeps the rules at the scope's edge, the same for a sync and a real-time push: nobody outside
//! the scope is written, created on the other side, disabled or counted; excluded people are not
//! even paired. What [`crate::policy::Scope`] holds are the rules that are not the directory's to know.

use serde::{Deserialize, Serialize};

/// Where one record stands toward the scope its directory reads (see [`crate::directory::Directory::scope`]).
///
/// ```
/// use dirsync::{directory::Record, model::Person, plan::ScopeStatus};
/// let admin = Record::new("a9", Person::new().with_email("root@example.com")).excluded();
/// assert_eq!(admin.scope, ScopeStatus::Excluded);
/// assert!(Record::new("a1", Person::new()).scope.is_in());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScopeStatus {
    /// In the scope the directory reads (everyone, for a directory that reads no scope).
    #[default]
    In,
    /// Outside the scope: the directory holds the person, but its scope does not take them in (a
    /// Huma user of another company, an Azure AD user who is not in the group). A directory
    /// returns such a record only when asked for it by id or by key: a linked person who left
    /// the scope, or a twin found outside it. Paired by a link only, never written, never
    /// created on the other side; disabled only with [`crate::policy::Scope::disable_out_of_scope`].
    Out,
    /// Excluded from every sync (a member of an excluded group, such as administrators and
    /// break-glass accounts): never paired, never written, never disabled, never created on the
    /// other side, and nobody with the same employment id or email is created in its stead.
    Excluded,
}

impl ScopeStatus {
    /// Whether the record is in the scope.
    pub fn is_in(self) -> bool {
        self == ScopeStatus::In
    }
}

/// The scope one side was read in, and how many people the read found there: what a plan says
/// about each side's scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeCount {
    /// The scope, for people, as the directory describes it ([`crate::directory::Directory::scope`]).
    pub description: String,
    /// The people in the scope (inactive ones included).
    pub people: usize,
    /// Linked people outside the scope, looked up one by one (they left the scope).
    pub outside: usize,
    /// Excluded people.
    pub excluded: usize,
}

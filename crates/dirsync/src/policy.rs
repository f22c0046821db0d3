//! How the engine settles what it can without asking a person.

use crate::{Field, RecordId, Side};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What to do when both sides hold a different value for a field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictRule {
    /// The HR system's value wins.
    PreferHr,
    /// The identity directory's value wins.
    PreferIdp,
    /// Leave it to a person: a pending decision.
    #[default]
    Ask,
    /// Leave both values as they are.
    Skip,
}

/// What to do when one side has a value and the other has none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingRule {
    /// Copy the value to the empty side.
    #[default]
    Fill,
    /// Leave it to a person: a pending decision.
    Ask,
    /// Leave the empty side empty.
    Skip,
}

/// Which people found on one side only are created on the other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreationRule {
    /// Nobody.
    #[default]
    None,
    /// Everybody.
    All,
    /// Leave it to a person: a pending decision each.
    Ask,
    /// Only these records (ids on the side where the person exists).
    Selected(BTreeSet<RecordId>),
}

/// Which people a run may change, beyond the scope each directory reads (see
/// [`crate::plan::ScopeStatus`]). People left alone still take part in pairing by their links, so their
/// twin is never mistaken for someone missing.
///
/// A person outside a directory's scope is never written, created on the other side, counted
/// toward the thresholds or disabled as a leaver; a linked person who leaves the scope keeps
/// their link, and the plan says they left the scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scope {
    /// Also change and create inactive people (inactive in Huma, disabled in Azure AD).
    pub include_inactive: bool,
    /// Disable the identity-directory account of a linked person who left the scope (moved to
    /// another company, removed from the group), as a leaver's is disabled, and enable it again
    /// when they come back, if the sync disabled it. Only with [`Leavers::disable`], and under
    /// [`crate::apply::ApplyOptions::max_disables`].
    pub disable_out_of_scope: bool,
}

/// What happens to the identity-directory account of a person who leaves the HR system: inactive
/// there, or gone while linked. Off by default; a sync never deletes anyone.
///
/// With [`Leavers::disable`], the account is disabled (and, with [`Leavers::revoke_sessions`],
/// signed out everywhere); when the person is active again in the HR system, the account is
/// enabled again, but only an account the sync disabled itself (it remembers them in
/// [`crate::store::SyncState::disabled`]): one an administrator disabled by hand stays as it is. How
/// many one run may disable is bounded by [`crate::apply::ApplyOptions::max_disables`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Leavers {
    /// Disable the accounts of leavers, and enable again those it disabled once they return.
    pub disable: bool,
    /// Also revoke a disabled leaver's sign-in sessions.
    pub revoke_sessions: bool,
}

/// The rules the engine settles a plan by.
///
/// The default asks about every conflict, fills missing values, creates nobody and leaves inactive
/// people alone. (The safety threshold is not the plan's to settle: it is
/// [`crate::apply::ApplyOptions::max_people_changed`].)
///
/// ```
/// use dirsync::{
///     model::Field,
///     policy::{ConflictRule, CreationRule, Policy},
/// };
/// let policy = Policy {
///     conflicts: ConflictRule::PreferHr,
///     create_in_idp: CreationRule::All,
///     ..Policy::default()
/// }
/// .with_conflict_rule(Field::Phone, ConflictRule::PreferIdp);
/// assert_eq!(policy.conflict_rule(Field::Phone), ConflictRule::PreferIdp);
/// assert_eq!(policy.conflict_rule(Field::JobTitle), ConflictRule::PreferHr);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Policy {
    /// The conflict rule for every field without its own.
    pub conflicts: ConflictRule,
    /// Conflict rules for single fields.
    pub field_conflicts: BTreeMap<Field, ConflictRule>,
    /// The missing-value rule.
    pub missing: MissingRule,
    /// Who of those found only in the HR system is created in the identity directory.
    pub create_in_idp: CreationRule,
    /// Who of those found only in the identity directory is created in the HR system.
    pub create_in_hr: CreationRule,
    /// Which people may be changed.
    pub scope: Scope,
    /// What happens to the accounts of people who left.
    pub leavers: Leavers,
}

impl Policy {
    /// The policy with its own conflict rule for `field`.
    #[must_use]
    pub fn with_conflict_rule(mut self, field: Field, rule: ConflictRule) -> Self {
        self.field_conflicts.insert(field, rule);
        self
    }

    /// The conflict rule for `field`.
    pub fn conflict_rule(&self, field: Field) -> ConflictRule {
        self.field_conflicts.get(&field).copied().unwrap_or(self.conflicts)
    }

    /// The rule for creating people on `target`.
    pub fn creation_rule(&self, target: Side) -> &CreationRule {
        match target {
            Side::Hr => &self.create_in_hr,
            Side::Idp => &self.create_in_idp,
        }
    }

    /// The same policy with the two sides' roles swapped.
    #[must_use]
    pub fn mirrored(&self) -> Policy {
        let swap = |rule: ConflictRule| match rule {
            ConflictRule::PreferHr => ConflictRule::PreferIdp,
            ConflictRule::PreferIdp => ConflictRule::PreferHr,
            other => other,
        };
        Policy {
            conflicts: swap(self.conflicts),
            field_conflicts: self.field_conflicts.iter().map(|(f, r)| (*f, swap(*r))).collect(),
            missing: self.missing,
            create_in_idp: self.create_in_hr.clone(),
            create_in_hr: self.create_in_idp.clone(),
            scope: self.scope,
            leavers: self.leavers,
        }
    }
}

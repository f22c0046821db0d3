//! The engine's answer: what differs, what the policy settled, what is left to decide.
//!
//! [`reconcile`] makes a [`Plan`] from two snapshots; each item has an [`ItemId`] to decide it
//! by ([`Decision`]) and a [`PlanItem`] to look at; [`Plan::operations`] turns the settled plan
//! into the [`Operations`] that apply writes.

pub use crate::accounts::{AccountAction, AccountChange, AccountReason};
pub use crate::id::ItemId;
pub use crate::item::{ItemKind, PlanItem};
pub use crate::operations::{Create, Operation, Operations, PlannedChange, SkippedWrite, Update};
pub use crate::reconcile::reconcile;
pub use crate::scope::{ScopeCount, ScopeStatus};

use crate::{
    Capabilities, Field, FieldValue, InvalidCharacters, InvalidValue, Names, Person, RecordId,
    Side, TooLong,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// Everything one reconciliation found, in a deterministic order: same input, same plan.
///
/// Plain data: it serialises to JSON and back, so it can be shown in a UI, stored, and settled later.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// What the two systems are called, for every text a person reads.
    #[serde(default)]
    pub names: Names,
    /// What the HR system can write.
    pub hr_capabilities: Capabilities,
    /// What the identity directory can write.
    pub idp_capabilities: Capabilities,
    /// Every pair of records found to be the same person, by HR id.
    pub pairs: Vec<Pair>,
    /// Field differences of pairs in scope, by HR id and field.
    pub changes: Vec<Change>,
    /// People found on one side only, to create on the other, by side and id.
    pub creations: Vec<Creation>,
    /// Problems with records that stop them being paired, created or fully synced.
    pub findings: Vec<Finding>,
    /// Links whose record on one side is gone while the other is still there, unpaired: kept in
    /// the next state, so that a rule creating everyone does not bring back someone deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub broken_links: Vec<BrokenLink>,
    /// Leavers' accounts to disable (and sign out), returners' accounts to enable again, as the
    /// policy's [`crate::policy::Leavers`] says; by account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<AccountChange>,
    /// Links kept as they are although their records are not paired: one of them is excluded
    /// from the sync, or was left out of a scoped read and not looked up; by HR id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_links: Vec<KeptLink>,
    /// The scope the HR side was read in and how many people it held; `None` when it reads
    /// everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr_scope: Option<ScopeCount>,
    /// The scope the identity directory was read in and how many people it held; `None` when it
    /// reads everyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp_scope: Option<ScopeCount>,
}

/// A link from the state kept as it is, with nothing written to either record: see
/// [`Plan::kept_links`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptLink {
    /// The HR record.
    pub hr: RecordId,
    /// The identity directory's record.
    pub idp: RecordId,
    /// The values both sides agreed on at the last sync.
    pub baseline: Person,
}

/// A link from the state whose record on one side no longer exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokenLink {
    /// The HR record.
    pub hr: RecordId,
    /// The identity directory's record.
    pub idp: RecordId,
    /// The side whose record is gone.
    pub gone: Side,
    /// The values both sides agreed on at the last sync.
    pub baseline: Person,
}

impl BrokenLink {
    /// The record still there.
    pub fn remaining(&self) -> &RecordId {
        match self.gone {
            Side::Hr => &self.idp,
            Side::Idp => &self.hr,
        }
    }
}

/// Two records, one on each side, that hold the same person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// The HR record.
    pub hr: RecordId,
    /// The identity directory's record.
    pub idp: RecordId,
    /// How they were found to be the same person.
    pub matched_by: MatchedBy,
    /// Whether the policy's scope lets this run change them.
    pub in_scope: bool,
    /// One of the two is outside its directory's scope: nothing is written to either, and the
    /// person, linked before, left the scope (see [`FindingKind::LeftScope`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub outside_scope: bool,
    /// The baseline to remember if none of this pair's writes succeeds: the values both sides
    /// hold now, and for fields that still differ, the value agreed on before. Each write that
    /// succeeds adds its value on top.
    pub agreed: Person,
}

/// How two records were paired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// A link remembered from an earlier sync.
    Link,
    /// The same employment id.
    EmploymentId,
    /// The same email, ignoring case.
    Email,
}

/// One field of one pair that differs between the sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The stable id to decide it by.
    pub id: ItemId,
    /// The HR record.
    pub hr: RecordId,
    /// The identity directory's record.
    pub idp: RecordId,
    /// The person's name.
    pub name: String,
    /// The field.
    pub field: Field,
    /// What kind of difference it is.
    pub kind: ChangeKind,
    /// The HR system's value.
    pub hr_value: Option<FieldValue>,
    /// The identity directory's value.
    pub idp_value: Option<FieldValue>,
    /// Sides this field cannot be written to, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked: Vec<Blocked>,
    /// How it is settled; `None` while a person still has to decide.
    pub settled: Option<Settled>,
}

impl Change {
    /// The value on `side`.
    pub fn value(&self, side: Side) -> Option<&FieldValue> {
        match side {
            Side::Hr => self.hr_value.as_ref(),
            Side::Idp => self.idp_value.as_ref(),
        }
    }

    /// The record on `side`.
    pub fn record(&self, side: Side) -> &RecordId {
        match side {
            Side::Hr => &self.hr,
            Side::Idp => &self.idp,
        }
    }

    /// Why this field cannot be written to `side`, if it cannot.
    pub fn blocked_toward(&self, side: Side) -> Option<&BlockReason> {
        self.blocked.iter().find(|b| b.toward == side).map(|b| &b.reason)
    }

    /// The value both sides should hold once `winner`'s value is taken: the winner's value, with
    /// any address parts it lacks kept from the other side (a sync never loses a known value).
    ///
    /// A winner whose value is invalid for the field (e.g. a country that is not alpha-2) keeps
    /// its value untouched: it cannot flow, and nothing is merged into it either.
    pub fn resolved_value(&self, winner: Side) -> Option<FieldValue> {
        let win = self.value(winner)?;
        let winner_invalid =
            matches!(self.blocked_toward(winner.other()), Some(BlockReason::InvalidSource(_)));
        if winner_invalid {
            return Some(win.clone());
        }
        match (win, self.value(winner.other())) {
            (FieldValue::Address(w), Some(FieldValue::Address(other))) => {
                Some(FieldValue::Address(w.filled_from(other)))
            }
            _ => Some(win.clone()),
        }
    }
}

/// What kind of difference a [`Change`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "side")]
pub enum ChangeKind {
    /// One side has no value (or, for the address, lacks parts the other has): a missing value.
    Missing(Side),
    /// Only this side changed since the last sync: the change flows to the other side.
    Changed(Side),
    /// Both sides hold different values and the baseline cannot tell who changed: a conflict.
    Conflict,
}

/// A settled item: the decision and who made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    /// The decision.
    pub decision: Decision,
    /// Who made it.
    pub by: DecidedBy,
}

/// Who settled an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The baseline: only one side changed, so its change flows.
    Baseline,
    /// The policy.
    Policy,
    /// The caller, through [`Plan::decide`].
    Caller,
    /// The person's record on the other side was deleted since the last sync: a rule creating
    /// everyone does not create them again; a decision to create them (or a rule naming their
    /// record) does.
    Deletion,
}

/// A decision about one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The HR system's value wins (a change).
    UseHr,
    /// The identity directory's value wins (a change).
    UseIdp,
    /// Create the person on the other side (a creation).
    Create,
    /// Leave things as they are.
    Skip,
}

/// A side a value cannot be written to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    /// The side that cannot be written.
    pub toward: Side,
    /// Why.
    pub reason: BlockReason,
}

/// Why a value cannot be written to a side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockReason {
    /// The target marks the field read-only for this person.
    ReadOnly,
    /// The target cannot write this field at all.
    NotWritable,
    /// The value is longer than the target allows.
    TooLong(TooLong),
    /// The source's value is not valid (e.g. a country that is not ISO 3166-1 alpha-2).
    InvalidSource(InvalidValue),
    /// The value holds a control character (such as NUL), which no directory is sent; see
    /// [`InvalidCharacters`] for the rule.
    InvalidCharacters(InvalidCharacters),
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockReason::ReadOnly => f.write_str("the field is read-only for this person there"),
            BlockReason::NotWritable => f.write_str("that system cannot write this field"),
            BlockReason::TooLong(too_long) => too_long.fmt(f),
            BlockReason::InvalidSource(invalid) => f.write_str(&invalid.reason),
            BlockReason::InvalidCharacters(invalid) => invalid.fmt(f),
        }
    }
}

/// A person found on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Creation {
    /// The stable id to decide it by.
    pub id: ItemId,
    /// The side the person exists on; they would be created on the other.
    pub source: Side,
    /// Their record there.
    pub record: RecordId,
    /// Their name.
    pub name: String,
    /// The values to create them with: those that can be written to the target.
    pub person: Person,
    /// Values left out because the target cannot take them, and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<(Field, BlockReason)>,
    /// How it is settled; `None` while a person still has to decide.
    pub settled: Option<Settled>,
    /// Why the person cannot be created on the target, when they cannot (it creates nobody, a
    /// value it requires is missing, their email cannot be written). Only a policy that would
    /// not create them leaves such a person here, settled as "skip"; a policy that would create
    /// them makes it a [`FindingKind::CannotCreate`] finding instead. Deciding to create them is
    /// refused ([`DecisionError::CannotCreate`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cannot_create: Option<String>,
}

impl Creation {
    /// The side the person would be created on.
    pub fn target(&self) -> Side {
        self.source.other()
    }
}

/// A problem that stops records being paired, created or fully synced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// A stable id.
    pub id: ItemId,
    /// What kind of problem.
    pub kind: FindingKind,
    /// The records concerned.
    pub records: Vec<RecordRef>,
    /// What is wrong and what to do, for a person.
    pub message: String,
}

/// A record on one side.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RecordRef {
    /// The side.
    pub side: Side,
    /// The record's id there.
    pub id: RecordId,
}

/// What kind of problem a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Several records share a key (employment id or email), so none of them is paired by it or
    /// created on the other side.
    Ambiguous,
    /// A record's twin on the other side already belongs to someone else; it is not created again.
    WouldDuplicate,
    /// A remembered link points at a record that no longer exists.
    LinkBroken,
    /// A person the policy would create cannot be created: a value the target requires is
    /// missing, the target creates nobody, or their email cannot be written (it holds a control
    /// character). Someone the policy would not create is a [`Creation`] settled as "skip"
    /// instead, with [`Creation::cannot_create`] saying why.
    CannotCreate,
    /// A record holds a value that is not valid for its field; that field is not synced from it.
    InvalidValue,
    /// A directory returned the same record id twice; the second is ignored.
    DuplicateRecordId,
    /// Two records share an email that is not an email address (such as "n/a"): they are not
    /// paired by it, and neither is created on the other side.
    MalformedEmail,
    /// A directory returned a record that cannot be understood: it takes no writes, is paired
    /// by no key, and nobody with its keys is created on the other side.
    Unreadable,
    /// A linked person left the scope of one side (moved to another company, removed from the
    /// group): the link is kept and nothing is written; their account is disabled only with
    /// [`crate::policy::Scope::disable_out_of_scope`].
    LeftScope,
    /// A person's twin (by link, employment id or email) is excluded from the sync, such as an
    /// administrator's account: nothing is written, and nobody is created in its stead.
    Excluded,
    /// A person's twin by employment id or email is outside the other side's scope: they are not
    /// paired, and nobody is created in its stead.
    OutsideScope,
    /// A linked record was left out of a scoped read and not looked up, so whether it still
    /// exists is not known: the link is kept and nothing is written to the person.
    NotLookedUp,
}

/// The plan still has pending decisions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{} decision(s) are still pending (first: {}); settle each with Plan::decide or a policy before applying",
    .pending.len(),
    .pending.first().map(ItemId::as_str).unwrap_or("-")
)]
pub struct PendingDecisions {
    /// The ids of the pending items.
    pub pending: Vec<ItemId>,
}

/// A decision that cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecisionError {
    /// No item has this id (the situation may have changed since the id was shown).
    #[error(
        "no change or creation has the id {0}; read the plan again, the values may have changed"
    )]
    UnknownItem(ItemId),
    /// The decision does not fit the item (e.g. `Create` for a field change).
    #[error(
        "{decision:?} is not a decision for {id}: use UseHr, UseIdp or Skip for a change, Create or Skip for a creation"
    )]
    WrongKind {
        /// The item.
        id: ItemId,
        /// The decision that does not fit.
        decision: Decision,
    },
    /// The person cannot be created on the other side ([`Creation::cannot_create`]).
    #[error("{id} cannot be created: {reason}; settle it with Skip")]
    CannotCreate {
        /// The item.
        id: ItemId,
        /// Why.
        reason: String,
    },
    /// The chosen side's value cannot be written where it would have to go.
    #[error("{id} cannot take that value: {reason}")]
    Blocked {
        /// The item.
        id: ItemId,
        /// Why.
        reason: BlockReason,
    },
}

/// How many items of each kind a plan has.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Pairs of records.
    pub pairs: usize,
    /// Pairs out of the policy's scope, left alone.
    pub out_of_scope: usize,
    /// Conflicts.
    pub conflicts: usize,
    /// Missing values.
    pub missing: usize,
    /// One-sided changes that flow to the other side.
    pub flows: usize,
    /// People to create in the HR system.
    pub create_in_hr: usize,
    /// People to create in the identity directory.
    pub create_in_idp: usize,
    /// Findings.
    pub findings: usize,
    /// Items waiting for a decision.
    pub pending: usize,
    /// Leavers' accounts to disable.
    #[serde(default)]
    pub disables: usize,
    /// Accounts to enable again.
    #[serde(default)]
    pub enables: usize,
    /// Linked people who left the scope of one side (pairs outside the scope), left alone.
    #[serde(default)]
    pub left_scope: usize,
}

impl Plan {
    /// The ids of items still waiting for a decision, in plan order.
    pub fn pending(&self) -> Vec<ItemId> {
        let changes = self.changes.iter().filter(|c| c.settled.is_none()).map(|c| &c.id);
        let creations = self.creations.iter().filter(|c| c.settled.is_none()).map(|c| &c.id);
        changes.chain(creations).cloned().collect()
    }

    /// Whether every item is settled, so the plan can be applied.
    pub fn is_settled(&self) -> bool {
        self.changes.iter().all(|c| c.settled.is_some())
            && self.creations.iter().all(|c| c.settled.is_some())
    }

    /// Settles one item.
    ///
    /// # Errors
    /// [`DecisionError`] when no item has that id, the decision does not fit the item, or the
    /// chosen value cannot be written where it has to go (e.g. to a read-only field).
    pub fn decide(&mut self, id: &ItemId, decision: Decision) -> Result<(), DecisionError> {
        self.decide_all([(id.clone(), decision)])
    }

    /// Settles many items at once (e.g. from a decisions file); stops at the first that fails,
    /// keeping those before it.
    ///
    /// # Errors
    /// As [`Plan::decide`].
    pub fn decide_all(
        &mut self,
        decisions: impl IntoIterator<Item = (ItemId, Decision)>,
    ) -> Result<(), DecisionError> {
        let changes: HashMap<ItemId, usize> =
            self.changes.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        let creations: HashMap<ItemId, usize> =
            self.creations.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        let by = DecidedBy::Caller;
        for (id, decision) in decisions {
            if let Some(&i) = changes.get(&id) {
                let change = &mut self.changes[i];
                let winner = match decision {
                    Decision::UseHr => Side::Hr,
                    Decision::UseIdp => Side::Idp,
                    Decision::Skip => {
                        change.settled = Some(Settled { decision, by });
                        continue;
                    }
                    Decision::Create => return Err(DecisionError::WrongKind { id, decision }),
                };
                if let Some(reason) = change.blocked_toward(winner.other())
                    && change.value(winner).is_some()
                {
                    let reason = reason.clone();
                    return Err(DecisionError::Blocked { id, reason });
                }
                change.settled = Some(Settled { decision, by });
            } else if let Some(&i) = creations.get(&id) {
                if !matches!(decision, Decision::Create | Decision::Skip) {
                    return Err(DecisionError::WrongKind { id, decision });
                }
                let creation = &mut self.creations[i];
                if let (Decision::Create, Some(why)) = (decision, &creation.cannot_create) {
                    return Err(DecisionError::CannotCreate { id, reason: why.clone() });
                }
                creation.settled = Some(Settled { decision, by });
            } else {
                return Err(DecisionError::UnknownItem(id));
            }
        }
        Ok(())
    }

    /// Counts of what the plan holds.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            pairs: self.pairs.len(),
            out_of_scope: self.pairs.iter().filter(|p| !p.in_scope).count(),
            left_scope: self.pairs.iter().filter(|p| p.outside_scope).count(),
            findings: self.findings.len(),
            pending: self.pending().len(),
            ..Summary::default()
        };
        for change in &self.changes {
            match change.kind {
                ChangeKind::Conflict => s.conflicts += 1,
                ChangeKind::Missing(_) => s.missing += 1,
                ChangeKind::Changed(_) => s.flows += 1,
            }
        }
        for creation in &self.creations {
            match creation.target() {
                Side::Hr => s.create_in_hr += 1,
                Side::Idp => s.create_in_idp += 1,
            }
        }
        for account in &self.accounts {
            match account.action {
                AccountAction::Disable => s.disables += 1,
                AccountAction::Enable => s.enables += 1,
                AccountAction::RevokeSessions => {}
            }
        }
        s
    }

    /// The capabilities of `side`.
    pub fn capabilities(&self, side: Side) -> &Capabilities {
        match side {
            Side::Hr => &self.hr_capabilities,
            Side::Idp => &self.idp_capabilities,
        }
    }
}

fn is_false(value: &bool) -> bool {
    !value
}

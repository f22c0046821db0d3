//! A settled plan turned into the writes that carry it out.

use crate::{
    AccountAction, AccountChange, BlockReason, Decision, Field, FieldChange, FieldValue, ItemId,
    PendingDecisions, Person, Plan, RecordId, Side,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The writes a settled plan needs, and the writes it cannot make (with why).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operations {
    /// The writes: one update per record that changes, one create per person to create.
    pub operations: Vec<Operation>,
    /// Values that were to be written but cannot be.
    pub skipped: Vec<SkippedWrite>,
}

/// One write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
// Both variants are common and built once per run; boxing would only add an allocation each.
#[allow(clippy::large_enum_variant)]
pub enum Operation {
    /// Set fields of one record.
    Update(Update),
    /// Create one person.
    Create(Create),
    /// Disable, enable or sign out one identity-directory account (a leaver's, a returner's).
    Account(AccountChange),
}

impl Operation {
    /// The side written to.
    pub fn target(&self) -> Side {
        match self {
            Operation::Update(u) => u.target,
            Operation::Create(c) => c.target,
            Operation::Account(_) => Side::Idp,
        }
    }

    /// The person's name.
    pub fn name(&self) -> &str {
        match self {
            Operation::Update(u) => &u.name,
            Operation::Create(c) => &c.name,
            Operation::Account(a) => &a.name,
        }
    }
}

/// Set fields of one record of a pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    /// The side written to.
    pub target: Side,
    /// The pair's HR record.
    pub hr: RecordId,
    /// The pair's identity-directory record.
    pub idp: RecordId,
    /// The person's name.
    pub name: String,
    /// The fields to set.
    pub changes: Vec<PlannedChange>,
}

impl Update {
    /// The record written to.
    pub fn record(&self) -> &RecordId {
        match self.target {
            Side::Hr => &self.hr,
            Side::Idp => &self.idp,
        }
    }

    /// The changes in the form [`crate::directory::Directory::update`] takes.
    pub fn field_changes(&self) -> Vec<FieldChange> {
        self.changes.iter().map(|c| FieldChange { field: c.field, value: c.to.clone() }).collect()
    }
}

/// One field's planned change: from what, to what, and the plan item it carries out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedChange {
    /// The plan item.
    pub item: ItemId,
    /// The field.
    pub field: Field,
    /// The value before.
    pub from: Option<FieldValue>,
    /// The value after.
    pub to: FieldValue,
}

/// Create one person on a side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Create {
    /// The plan item.
    pub item: ItemId,
    /// The side to create on.
    pub target: Side,
    /// The person's record on the other side.
    pub source: RecordId,
    /// The person's name.
    pub name: String,
    /// The values to create them with.
    pub person: Person,
}

/// A value the plan wanted written that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedWrite {
    /// The plan item.
    pub item: ItemId,
    /// The side it would have been written to.
    pub target: Side,
    /// The record there.
    pub record: RecordId,
    /// The person's name.
    pub name: String,
    /// The field.
    pub field: Field,
    /// Why it is not written.
    pub reason: BlockReason,
}

impl Operations {
    /// How many accounts the operations disable: what [`crate::apply::ApplyOptions::max_disables`]
    /// counts.
    pub fn disables(&self) -> usize {
        let disable = |op: &&Operation| matches!(op, Operation::Account(a) if a.action == AccountAction::Disable);
        self.operations.iter().filter(disable).count()
    }

    /// How many different people the operations change or create: what the safety threshold counts.
    pub fn people_changed(&self) -> usize {
        let mut pairs = BTreeSet::new();
        let mut created = 0;
        for op in &self.operations {
            match op {
                Operation::Update(u) => {
                    pairs.insert(&u.hr);
                }
                Operation::Create(_) => created += 1,
                Operation::Account(account) => {
                    pairs.insert(&account.hr);
                }
            }
        }
        pairs.len() + created
    }
}

impl Plan {
    /// The writes that carry out this plan.
    ///
    /// # Errors
    /// [`PendingDecisions`] while any item waits for a decision: nothing may be written until
    /// every question has an answer.
    pub fn operations(&self) -> Result<Operations, PendingDecisions> {
        let pending = self.pending();
        if !pending.is_empty() {
            return Err(PendingDecisions { pending });
        }
        let mut updates: BTreeMap<(Side, &RecordId), Update> = BTreeMap::new();
        let mut skipped = Vec::new();
        for change in &self.changes {
            let winner = match change.settled.map(|s| s.decision) {
                Some(Decision::UseHr) => Side::Hr,
                Some(Decision::UseIdp) => Side::Idp,
                _ => continue,
            };
            let Some(value) = change.resolved_value(winner) else { continue };
            for target in Side::BOTH {
                if change.value(target) == Some(&value) {
                    continue;
                }
                let blocked = change
                    .blocked_toward(target)
                    .cloned()
                    .or_else(|| self.capabilities(target).refusal(change.field, value.as_ref()));
                let record = change.record(target);
                if let Some(reason) = blocked {
                    skipped.push(SkippedWrite {
                        item: change.id.clone(),
                        target,
                        record: record.clone(),
                        name: change.name.clone(),
                        field: change.field,
                        reason,
                    });
                    continue;
                }
                let update = updates.entry((target, record)).or_insert_with(|| Update {
                    target,
                    hr: change.hr.clone(),
                    idp: change.idp.clone(),
                    name: change.name.clone(),
                    changes: Vec::new(),
                });
                update.changes.push(PlannedChange {
                    item: change.id.clone(),
                    field: change.field,
                    from: change.value(target).cloned(),
                    to: value.clone(),
                });
            }
        }
        let mut operations: Vec<Operation> = updates.into_values().map(Operation::Update).collect();
        for creation in &self.creations {
            if creation.settled.map(|s| s.decision) != Some(Decision::Create) {
                continue;
            }
            operations.push(Operation::Create(Create {
                item: creation.id.clone(),
                target: creation.target(),
                source: creation.record.clone(),
                name: creation.name.clone(),
                person: creation.person.clone(),
            }));
        }
        operations.extend(self.accounts.iter().cloned().map(Operation::Account));
        Ok(Operations { operations, skipped })
    }
}

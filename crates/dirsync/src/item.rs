//! One change or creation of a plan, found by its id: what a rule needs to decide it.

use crate::{
    BlockReason, Blocked, Change, ChangeKind, Creation, Field, FieldValue, ItemId, Plan, RecordId,
    Settled, Side,
};

/// What kind of item a [`PlanItem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// Both sides hold different values and the baseline cannot tell who changed: a conflict.
    Conflict,
    /// The value is missing on this side (or, for the address, parts of it), and the other side
    /// has it.
    Missing(Side),
    /// Only this side changed since the last sync: its value flows to the other side.
    Changed(Side),
    /// The person is found on one side only and would be created on this side.
    Create(Side),
}

/// One item of a [`Plan`], by its id ([`Plan::item`]): a field that differs between a pair, or
/// a person found on one side only. Everything a rule decides by is a method away (the person,
/// the field, both values, the sides, the kind, what is blocked); the item itself is there too.
///
/// ```
/// use dirsync::{
///     directory::{Record, Snapshot},
///     model::{Field, Person, Side},
///     plan::{Decision, ItemKind, reconcile},
///     policy::{ConflictRule, Policy},
///     store::SyncState,
/// };
/// let ada = Person::new().with_email("ada@example.com").with_given_name("Ada");
/// let hr = Snapshot::new(vec![Record::new("h1", ada.clone().with_job_title("CTO").with_phone("+47 1"))]);
/// let idp =
///     Snapshot::new(vec![Record::new("a1", ada.with_job_title("Engineer").with_phone("+47 2"))]);
/// let policy = Policy { conflicts: ConflictRule::Ask, ..Policy::default() };
/// let mut plan = reconcile(&hr, &idp, &SyncState::new(), &policy);
///
/// // Take Huma's value for job titles; leave phones to a person.
/// for id in plan.pending() {
///     let Some(item) = plan.item(&id) else { continue };
///     let decision = match (item.kind(), item.field()) {
///         (ItemKind::Conflict, Some(Field::JobTitle)) => Decision::UseHr,
///         _ => continue,
///     };
///     plan.decide(&id, decision)?;
/// }
/// let left = plan.pending();
/// assert_eq!(left.len(), 1);
/// let phone = plan.item(&left[0]).expect("in the plan");
/// assert_eq!((phone.name(), phone.field()), ("Ada", Some(Field::Phone)));
/// assert_eq!(phone.value(Side::Idp).map(|v| v.to_string()).as_deref(), Some("+47 2"));
/// # Ok::<(), dirsync::plan::DecisionError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlanItem<'a> {
    /// A field of a pair that differs.
    Change(&'a Change),
    /// A person found on one side only.
    Creation(&'a Creation),
}

impl<'a> PlanItem<'a> {
    /// Its id.
    pub fn id(&self) -> &'a ItemId {
        match self {
            PlanItem::Change(change) => &change.id,
            PlanItem::Creation(creation) => &creation.id,
        }
    }

    /// The person's name.
    pub fn name(&self) -> &'a str {
        match self {
            PlanItem::Change(change) => &change.name,
            PlanItem::Creation(creation) => &creation.name,
        }
    }

    /// What kind of item it is.
    pub fn kind(&self) -> ItemKind {
        match self {
            PlanItem::Change(change) => match change.kind {
                ChangeKind::Conflict => ItemKind::Conflict,
                ChangeKind::Missing(side) => ItemKind::Missing(side),
                ChangeKind::Changed(side) => ItemKind::Changed(side),
            },
            PlanItem::Creation(creation) => ItemKind::Create(creation.target()),
        }
    }

    /// The field that differs (none for a creation).
    pub fn field(&self) -> Option<Field> {
        match self {
            PlanItem::Change(change) => Some(change.field),
            PlanItem::Creation(_) => None,
        }
    }

    /// The field's value on `side` (none where it is missing, and for a creation: its values are
    /// [`Creation::person`]).
    pub fn value(&self, side: Side) -> Option<&'a FieldValue> {
        match self {
            PlanItem::Change(change) => change.value(side),
            PlanItem::Creation(_) => None,
        }
    }

    /// The person's record on `side` (for a creation, only on the side they are found on).
    pub fn record(&self, side: Side) -> Option<&'a RecordId> {
        match self {
            PlanItem::Change(change) => Some(change.record(side)),
            PlanItem::Creation(creation) => (creation.source == side).then_some(&creation.record),
        }
    }

    /// The sides the field cannot be written to, and why (none for a creation: the values it
    /// leaves out are [`Creation::left_out`], and whether it can be made at all is
    /// [`Creation::cannot_create`]).
    pub fn blocked(&self) -> &'a [Blocked] {
        match self {
            PlanItem::Change(change) => &change.blocked,
            PlanItem::Creation(_) => &[],
        }
    }

    /// Why the field cannot be written to `side`, if it cannot.
    pub fn blocked_toward(&self, side: Side) -> Option<&'a BlockReason> {
        self.blocked().iter().find(|b| b.toward == side).map(|b| &b.reason)
    }

    /// How it is settled; `None` while it waits for a decision.
    pub fn settled(&self) -> Option<Settled> {
        match self {
            PlanItem::Change(change) => change.settled,
            PlanItem::Creation(creation) => creation.settled,
        }
    }
}

impl Plan {
    /// The change or creation with the id `id` (as [`Plan::pending`] lists them), or `None` when
    /// the plan has no such item. It looks through the plan, so a rule over many items walks
    /// [`Plan::changes`] and [`Plan::creations`] itself.
    pub fn item(&self, id: &ItemId) -> Option<PlanItem<'_>> {
        let change = self.changes.iter().find(|c| &c.id == id).map(PlanItem::Change);
        change.or_else(|| self.creations.iter().find(|c| &c.id == id).map(PlanItem::Creation))
    }
}

#[cfg(test)]
mod tests {
    use super::ItemKind;
    use crate::{
        CreationRule, Decision, ItemId, Person, Policy, Record, Side, Snapshot, SyncState,
        reconcile,
    };

    #[test]
    fn a_creation_is_found_by_its_id_with_its_side_and_record() {
        let hr = Snapshot::new(vec![Record::new("h1", Person::new().with_given_name("Bo"))]);
        let policy = Policy { create_in_idp: CreationRule::Ask, ..Policy::default() };
        let plan = reconcile(&hr, &Snapshot::new(Vec::new()), &SyncState::new(), &policy);
        let id = plan.pending().pop().expect("Bo waits for a decision");
        let item = plan.item(&id).expect("found");
        assert_eq!((item.name(), item.kind()), ("Bo", ItemKind::Create(Side::Idp)));
        assert_eq!(item.record(Side::Hr).map(|r| r.as_str()), Some("h1"));
        assert_eq!((item.record(Side::Idp), item.field(), item.settled()), (None, None, None));
        assert!(item.blocked().is_empty());
        assert!(plan.item(&ItemId::new("new-0000000000000000")).is_none());
        let mut plan = plan;
        plan.decide(&id, Decision::Create).expect("decided");
        let settled = plan.item(&id).and_then(|item| item.settled());
        assert_eq!(settled.map(|s| s.decision), Some(Decision::Create));
    }
}

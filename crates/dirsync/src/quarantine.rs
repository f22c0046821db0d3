//! Writes a directory refuses for good (a 403 on an administrator's phone, a 400 for a value it
//! will never take) are remembered and held back, so one such write does not fail every run.
//! They are tried again when the value changes on either side, on an escalating schedule, or
//! when a person releases them; failures that may pass by themselves (throttling, outages) are
//! never held back.

use crate::report::{HeldItem, Outcome};
use crate::{
    AccountAction, ErrorKind, Field, FieldValue, ItemId, Operation, Operations, Person, RecordId,
    Side,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::time::Duration;

/// How long a held write waits before it is tried again, after its first refusal, second, third,
/// and every one after: an hour, six hours, a day, a week.
pub const RETRY_SCHEDULE: [Duration; 4] = [
    Duration::from_secs(3_600),
    Duration::from_secs(6 * 3_600),
    Duration::from_secs(24 * 3_600),
    Duration::from_secs(7 * 24 * 3_600),
];

/// Whether a failure of `kind` is a refusal that retrying will not change, so the write is held
/// back: a permission the app lacks for this record, or a value the directory refuses.
pub fn is_held_back(kind: ErrorKind) -> bool {
    matches!(kind, ErrorKind::PermissionDenied | ErrorKind::InvalidValue)
}

/// What a held write writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "what")]
pub enum Write {
    /// One field of a record.
    Field(Field),
    /// A new person.
    Create,
    /// A change to an account.
    Account(AccountAction),
}

impl fmt::Display for Write {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Write::Field(field) => f.write_str(field.label()),
            Write::Create => f.write_str("create the person"),
            Write::Account(action) => action.fmt(f),
        }
    }
}

/// A write a directory refused for good, remembered in [`crate::store::SyncState::held`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldWrite {
    /// A stable id to release it by (`SyncState::release`).
    pub id: ItemId,
    /// The side written to.
    pub target: Side,
    /// The record written to (for a new person: their record on the other side).
    pub record: RecordId,
    /// The person's name.
    pub name: String,
    /// What it writes.
    pub write: Write,
    /// The value it writes, as shown to people (none for an account change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The value the target held, as shown to people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<String>,
    /// The field value it writes, as a value: a change on either side retries the write, and
    /// values are compared, not how they are shown (two addresses can be shown alike).
    /// `None` for a creation, an account change, or a write remembered by a version that kept
    /// only the text; then [`HeldWrite::value`] is compared until the write is refused again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_data: Option<FieldValue>,
    /// The field value the target held, as a value (`None` when it held nothing, or as for
    /// [`HeldWrite::value_data`], when only [`HeldWrite::current`] was remembered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_data: Option<FieldValue>,
    /// The person a refused creation writes, as a value (`None` for any other write, or as for
    /// [`HeldWrite::value_data`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_data: Option<Person>,
    /// What kind of refusal.
    pub kind: ErrorKind,
    /// The directory's message.
    pub error: String,
    /// When it was first refused.
    pub first_seen: DateTime<Utc>,
    /// When it was last refused.
    pub last_seen: DateTime<Utc>,
    /// How many times it was refused.
    pub attempts: u32,
}

impl HeldWrite {
    /// When it is tried again, unless its value changes first: [`RETRY_SCHEDULE`] after the last
    /// refusal.
    pub fn next_try(&self) -> DateTime<Utc> {
        let step = (self.attempts.max(1) as usize - 1).min(RETRY_SCHEDULE.len() - 1);
        let wait =
            chrono::Duration::from_std(RETRY_SCHEDULE[step]).unwrap_or(chrono::Duration::MAX);
        self.last_seen.checked_add_signed(wait).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Whether it writes `value` over the same value of the target as when it was refused.
    fn same(&self, value: Value<'_>) -> bool {
        match value {
            Value::Field { to, from } => {
                same_as(&self.value, self.value_data.as_ref(), Some(to), FieldValue::to_string)
                    && same_as(
                        &self.current,
                        self.current_data.as_ref(),
                        from,
                        FieldValue::to_string,
                    )
            }
            Value::Person(person) => {
                same_as(&self.value, self.person_data.as_ref(), Some(person), person_text)
                    && self.current.is_none()
            }
            Value::Nothing => self.value.is_none() && self.current.is_none(),
        }
    }

    /// Remembers `value` as what it writes: as shown to people, and as a value.
    fn set_value(&mut self, value: Value<'_>) {
        (self.value, self.current) = (value.text(), value.current_text());
        (self.value_data, self.current_data, self.person_data) = match value {
            Value::Field { to, from } => (Some(to.clone()), from.cloned(), None),
            Value::Person(person) => (None, None, Some(person.clone())),
            Value::Nothing => (None, None, None),
        };
    }
}

/// Whether a remembered value (`text` as shown, `data` as a value) is `value`: by value when it
/// was remembered as one, else by how `value` is shown (a write remembered by an older version).
fn same_as<T: PartialEq>(
    text: &Option<String>,
    data: Option<&T>,
    value: Option<&T>,
    show: impl Fn(&T) -> String,
) -> bool {
    match data {
        Some(data) => value == Some(data),
        None => text.as_deref() == value.map(show).as_deref(),
    }
}

/// One write a run plans: a field of an update, a create, an account change.
struct Attempt<'a> {
    key: Key,
    name: &'a str,
    value: Value<'a>,
}

/// What a write writes, borrowed from its operation.
#[derive(Clone, Copy)]
enum Value<'a> {
    /// A field's new value, and what the target held.
    Field { to: &'a FieldValue, from: Option<&'a FieldValue> },
    /// A new person.
    Person(&'a Person),
    /// An account change.
    Nothing,
}

impl Value<'_> {
    /// What it writes, as shown to people.
    fn text(self) -> Option<String> {
        match self {
            Value::Field { to, .. } => Some(to.to_string()),
            Value::Person(person) => Some(person_text(person)),
            Value::Nothing => None,
        }
    }

    /// What the target held, as shown to people.
    fn current_text(self) -> Option<String> {
        match self {
            Value::Field { from, .. } => from.map(FieldValue::to_string),
            Value::Person(_) | Value::Nothing => None,
        }
    }
}

type Key = (Side, RecordId, Write);

fn key_of(held: &HeldWrite) -> Key {
    (held.target, held.record.clone(), held.write)
}

/// The writes `op` makes, one per field for an update.
fn attempts(op: &Operation) -> Vec<Attempt<'_>> {
    match op {
        Operation::Update(update) => update
            .changes
            .iter()
            .map(|c| Attempt {
                key: (update.target, update.record().clone(), Write::Field(c.field)),
                name: &update.name,
                value: Value::Field { to: &c.to, from: c.from.as_ref() },
            })
            .collect(),
        Operation::Create(create) => vec![Attempt {
            key: (create.target, create.source.clone(), Write::Create),
            name: &create.name,
            value: Value::Person(&create.person),
        }],
        Operation::Account(account) => vec![Attempt {
            key: (Side::Idp, account.idp.clone(), Write::Account(account.action)),
            name: &account.name,
            value: Value::Nothing,
        }],
    }
}

/// A new person's values on one line: a change in any of them retries a refused creation.
fn person_text(person: &Person) -> String {
    let mut parts: Vec<String> = person.email().map(|e| format!("email {e}")).into_iter().collect();
    for field in Field::ALL {
        if let Some(value) = person.get(field) {
            parts.push(format!("{} {}", field.label(), value.to_owned()));
        }
    }
    parts.join("; ")
}

/// The writes of `plan` that applying it at `now` over `state` would hold back, because a
/// directory refused them for good before (none while decisions are pending, or with
/// `retry_held`): for a "what would a sync do" view without the lease, such as a preview.
pub fn held_back(
    plan: &crate::Plan,
    state: &crate::SyncState,
    now: DateTime<Utc>,
    retry_held: bool,
) -> Vec<HeldItem> {
    crate::apply::Writes::of(plan, &state.held, now, retry_held)
        .map(|writes| writes.held)
        .unwrap_or_default()
}

/// The operations of `ops` that are not held back (`None`: all of them), and the writes held
/// back, for the report.
///
/// A write is held back when `held` remembers it with the same values and its
/// [`HeldWrite::next_try`] is after `now`; with `retry_held`, nothing is.
pub(crate) fn hold_back(
    ops: &Operations,
    held: &[HeldWrite],
    now: DateTime<Utc>,
    retry_held: bool,
) -> (Option<Operations>, Vec<HeldItem>) {
    if retry_held {
        return (None, Vec::new());
    }
    let waiting: BTreeMap<Key, &HeldWrite> =
        held.iter().filter(|h| h.next_try() > now).map(|h| (key_of(h), h)).collect();
    // Most runs hold nothing back: then the operations are used as they are, not copied.
    if waiting.is_empty() {
        return (None, Vec::new());
    }
    let holds = |attempt: &Attempt<'_>| {
        waiting.get(&attempt.key).filter(|h| h.same(attempt.value)).copied()
    };
    let mut items = Vec::new();
    let mut kept = Vec::with_capacity(ops.operations.len());
    // Accounts whose disable is held back: revoking their sessions waits for it.
    let mut accounts_held: HashSet<RecordId> = HashSet::new();
    for op in &ops.operations {
        if let Operation::Account(account) = op
            && accounts_held.contains(&account.idp)
        {
            continue;
        }
        let found: Vec<Option<&HeldWrite>> = attempts(op).iter().map(holds).collect();
        if found.iter().all(Option::is_none) {
            kept.push(op.clone());
            continue;
        }
        items.extend(found.iter().flatten().map(|h| HeldItem::from_held(h, false)));
        if let Operation::Account(account) = op {
            accounts_held.insert(account.idp.clone());
        }
        // An update keeps the fields that are not held back; anything else is held whole.
        if let Operation::Update(update) = op {
            let mut found = found.iter();
            let mut update = update.clone();
            update.changes.retain(|_| found.next().is_some_and(Option::is_none));
            if !update.changes.is_empty() {
                kept.push(Operation::Update(update));
            }
        }
    }
    let kept = Operations { operations: kept, skipped: ops.skipped.clone() };
    (Some(kept), items)
}

/// The writes to hold back after a run, and which of the run's operations were refused again
/// after being held back before (they are reported as held back, not as new failures).
///
/// `planned` are all the writes the plan called for, held back or not; `ran` the operations that
/// ran, each with how it ended. A refusal remembered before with the same values counts one more
/// attempt; a new refusal starts a new entry; a write that succeeded, or that the plan no longer
/// calls for, is forgotten; a write that failed for a passing reason keeps what was remembered.
pub(crate) fn remember(
    before: &[HeldWrite],
    planned: &Operations,
    ran: &[(&Operation, &Outcome)],
    now: DateTime<Utc>,
) -> (Vec<HeldWrite>, Vec<bool>) {
    let mut held: BTreeMap<Key, HeldWrite> = BTreeMap::new();
    if !before.is_empty() {
        let still_planned: HashSet<Key> =
            planned.operations.iter().flat_map(attempts).map(|a| a.key).collect();
        held.extend(
            before
                .iter()
                .filter(|h| still_planned.contains(&key_of(h)))
                .map(|h| (key_of(h), h.clone())),
        );
    }
    let mut refused_again = Vec::with_capacity(ran.len());
    for (op, outcome) in ran {
        // Most writes succeed with nothing remembered, or fail for a passing reason: neither
        // changes what is held back, so their values need not be worked out.
        let nothing_to_do = match outcome {
            Outcome::Done | Outcome::Skipped { .. } => held.is_empty(),
            Outcome::Failed { kind, .. } => !is_held_back(*kind),
            Outcome::NotAttempted => true,
        };
        if nothing_to_do {
            refused_again.push(false);
            continue;
        }
        let mut again = true;
        let mut any = false;
        for attempt in attempts(op) {
            any = true;
            match outcome {
                Outcome::Done | Outcome::Skipped { .. } => {
                    held.remove(&attempt.key);
                    again = false;
                }
                Outcome::Failed { kind, message, .. } if is_held_back(*kind) => {
                    let entry = held.get_mut(&attempt.key).filter(|h| h.same(attempt.value));
                    match entry {
                        Some(entry) => {
                            entry.attempts = entry.attempts.saturating_add(1);
                            entry.last_seen = now;
                            entry.kind = *kind;
                            entry.error.clone_from(message);
                            // A write remembered as text alone is remembered as a value from now.
                            entry.set_value(attempt.value);
                        }
                        None => {
                            again = false;
                            let held_write = new_held(attempt, *kind, message, now);
                            held.insert(key_of(&held_write), held_write);
                        }
                    }
                }
                Outcome::Failed { .. } | Outcome::NotAttempted => again = false,
            }
        }
        refused_again.push(any && again);
    }
    (held.into_values().collect(), refused_again)
}

/// Puts held writes in the order a run leaves them: by side, record and what they write.
pub(crate) fn sort_held(held: &mut [HeldWrite]) {
    held.sort_by_key(key_of);
}

/// The held writes of `op`.
pub(crate) fn held_for<'h>(
    op: &Operation,
    held: &'h [HeldWrite],
) -> impl Iterator<Item = &'h HeldWrite> {
    let keys: HashSet<Key> = attempts(op).into_iter().map(|a| a.key).collect();
    held.iter().filter(move |h| keys.contains(&key_of(h)))
}

fn new_held(attempt: Attempt<'_>, kind: ErrorKind, error: &str, now: DateTime<Utc>) -> HeldWrite {
    let (target, record, write) = attempt.key;
    let side = format!("{target:?}");
    let what = format!("{write:?}");
    let mut held = HeldWrite {
        id: ItemId::derive("held", &[&side, record.as_str(), &what]),
        target,
        record,
        name: attempt.name.to_owned(),
        write,
        value: None,
        current: None,
        value_data: None,
        current_data: None,
        person_data: None,
        kind,
        error: error.to_owned(),
        first_seen: now,
        last_seen: now,
        attempts: 1,
    };
    held.set_value(attempt.value);
    held
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;
    use crate::plan::PlannedChange;

    fn held(attempts: u32, last_seen: DateTime<Utc>) -> HeldWrite {
        HeldWrite {
            id: ItemId::derive("held", &["x"]),
            target: Side::Idp,
            record: "a1".into(),
            name: "Ada".into(),
            write: Write::Field(Field::Phone),
            value: Some("+47 1".into()),
            current: None,
            value_data: Some(FieldValue::Text("+47 1".into())),
            current_data: None,
            person_data: None,
            kind: ErrorKind::PermissionDenied,
            error: "403".into(),
            first_seen: last_seen,
            last_seen,
            attempts,
        }
    }

    /// Ada's address in Azure AD is to become `to`, over `from`.
    fn address_update(to: &Address, from: &Address) -> Operations {
        let change = PlannedChange {
            item: ItemId::derive("chg", &["h1"]),
            field: Field::Address,
            from: Some(FieldValue::Address(from.clone())),
            to: FieldValue::Address(to.clone()),
        };
        let update = crate::Update {
            target: Side::Idp,
            hr: "h1".into(),
            idp: "a1".into(),
            name: "Ada".into(),
            changes: vec![change],
        };
        Operations { operations: vec![Operation::Update(update)], skipped: Vec::new() }
    }

    /// Whether `ops` are held back by `held` at `now`.
    fn held_back(ops: &Operations, held: &[HeldWrite], now: DateTime<Utc>) -> bool {
        let (kept, items) = hold_back(ops, held, now, false);
        let held_back = kept.is_some_and(|kept| kept.operations.is_empty());
        assert_eq!(held_back, !items.is_empty());
        held_back
    }

    fn time() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("a valid time")
    }

    fn refused() -> Outcome {
        Outcome::Failed { kind: ErrorKind::InvalidValue, message: "400".into() }
    }

    #[test]
    fn a_held_write_is_tried_when_either_value_changes_to_one_shown_alike() {
        let t = time();
        let flat = Address::new("1 High St, Flat 2", "", "Leeds", None);
        let flat_alike = Address::new("1 High St", "", "Flat 2, Leeds", None);
        let old = Address::new("9 Low St, Flat 1", "", "York", None);
        let old_alike = Address::new("9 Low St", "", "Flat 1, York", None);
        assert_eq!(flat.to_string(), flat_alike.to_string());
        assert_eq!(old.to_string(), old_alike.to_string());
        let ops = address_update(&flat, &old);
        let (held, _) = remember(&[], &ops, &[(&ops.operations[0], &refused())], t);
        assert_eq!(held.len(), 1);
        assert!(held_back(&ops, &held, t), "the same values are held back");
        assert!(!held_back(&address_update(&flat_alike, &old), &held, t), "a new value is tried");
        assert!(!held_back(&address_update(&flat, &old_alike), &held, t), "so is a new current");
    }

    #[test]
    fn a_held_write_remembered_as_text_alone_is_compared_as_text_until_refused_again() {
        let t = time();
        let flat = Address::new("1 High St, Flat 2", "", "Leeds", None);
        let old = Address::new("9 Low St", "", "York", None);
        let ops = address_update(&flat, &old);
        // As an earlier version remembered it: the values as shown, nothing else.
        let mut before = held(1, t - chrono::Duration::hours(2));
        before.write = Write::Field(Field::Address);
        (before.value, before.current) = (Some(flat.to_string()), Some(old.to_string()));
        before.value_data = None;
        let soon = t - chrono::Duration::minutes(90);
        assert!(held_back(&ops, std::slice::from_ref(&before), soon));
        let other = address_update(&Address::new("2 High St", "", "Leeds", None), &old);
        assert!(!held_back(&other, std::slice::from_ref(&before), soon));

        // Its hour is up: tried, and refused again, it is remembered with its values.
        let (held, again) = remember(&[before], &ops, &[(&ops.operations[0], &refused())], t);
        assert_eq!((held.len(), held[0].attempts, again), (1, 2, vec![true]));
        assert_eq!(held[0].value_data, Some(FieldValue::Address(flat)));
        assert_eq!(held[0].current_data, Some(FieldValue::Address(old)));
    }

    #[test]
    fn a_held_creation_is_tried_when_the_person_changes_to_one_shown_alike() {
        let t = time();
        let create = |person: Person| {
            let create = crate::Create {
                item: ItemId::derive("new", &["h1"]),
                target: Side::Idp,
                source: "h1".into(),
                name: "Ada".into(),
                person,
            };
            Operations { operations: vec![Operation::Create(create)], skipped: Vec::new() }
        };
        let ada = Person::new().with_email("ada@example.com").with_given_name("Ada");
        let alike = ada.clone().with_given_name("Ada; Family name Lovelace");
        let ada = ada.with_family_name("Lovelace");
        assert_eq!(person_text(&ada), person_text(&alike));
        let ops = create(ada);
        let (held, _) = remember(&[], &ops, &[(&ops.operations[0], &refused())], t);
        assert!(held_back(&ops, &held, t), "the same person is held back");
        assert!(!held_back(&create(alike), &held, t), "another is tried");
    }

    #[test]
    fn the_wait_grows_an_hour_six_hours_a_day_then_a_week_for_ever() {
        let t = time();
        let hours = |attempts| (held(attempts, t).next_try() - t).num_hours();
        assert_eq!([1, 2, 3, 4, 9].map(hours), [1, 6, 24, 168, 168]);
    }

    #[test]
    fn a_protocol_error_is_a_bug_to_report_never_a_write_held_back() {
        let kind = ErrorKind::Protocol;
        assert!(!is_held_back(kind) && !kind.is_transient() && !kind.is_fatal());
        assert!(is_held_back(ErrorKind::InvalidValue));
        let json = serde_json::to_string(&kind).expect("a kind is JSON");
        assert_eq!(
            (json.as_str(), kind.to_string()),
            ("\"protocol error\"", "protocol error".into())
        );
        assert_eq!(serde_json::from_str::<ErrorKind>(&json).ok(), Some(kind));
    }
}

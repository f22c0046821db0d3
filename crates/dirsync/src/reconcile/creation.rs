//! People found on one side only: whether and how they may be created on the other.

use super::findings::finding;
use super::{Input, name_of};
use crate::{
    BlockReason, Creation, CreationRule, DecidedBy, Decision, Field, Finding, FindingKind, ItemId,
    Person, Record, RecordRef, Settled, Side,
};

/// Adds a creation for the unpaired record `index` of `source`, or a finding saying why it cannot
/// be created; out-of-scope records are left alone.
pub(super) fn consider(
    input: &Input<'_>,
    source: Side,
    index: usize,
    creations: &mut Vec<Creation>,
    findings: &mut Vec<Finding>,
    twins: &Twins<'_>,
) {
    let record = input.record(source, index);
    if !input.in_scope(record) {
        return;
    }
    let target = source.other();
    let name = name_of(record);
    let here = || vec![RecordRef { side: source, id: record.id.clone() }];
    if let Some(twin) = twins.find(target, &record.person) {
        let mut records = here();
        records.push(RecordRef { side: target, id: twin.id.clone() });
        findings.push(finding(
            FindingKind::WouldDuplicate,
            records,
            "",
            format!(
                "{name} ({source} {}) is not paired, but the {target} already holds {} with the \
                 same employment id or email, paired with someone else or held back; creating \
                 {name} would make a duplicate, so it is not created: correct the employment id \
                 or email on one side",
                record.id, twin.id
            ),
        ));
        return;
    }

    let caps = &input.snapshot(target).capabilities;
    let (person, left_out) = writable_values(record, caps);
    let missing: Vec<&str> = caps
        .required_on_create
        .iter()
        .filter(|f| person.get(*f).is_none())
        .map(Field::label)
        .chain((caps.email_required && person.email().is_none()).then_some("Email"))
        .collect();
    if !caps.can_create || !missing.is_empty() {
        let why = if caps.can_create {
            format!(
                "the {target} requires {} and it is missing or cannot be written",
                missing.join(", ")
            )
        } else {
            format!("the {target} does not allow creating people")
        };
        findings.push(finding(
            FindingKind::CannotCreate,
            here(),
            "",
            format!("{name} exists only in the {source} and cannot be created: {why}"),
        ));
        return;
    }

    let settled = match input.policy.creation_rule(target) {
        CreationRule::None => Some(Decision::Skip),
        CreationRule::All => Some(Decision::Create),
        CreationRule::Ask => None,
        CreationRule::Selected(ids) if ids.contains(&record.id) => Some(Decision::Create),
        CreationRule::Selected(_) => Some(Decision::Skip),
    };
    let source_name = format!("{source:?}");
    creations.push(Creation {
        id: ItemId::derive("new", &[&source_name, record.id.as_str()]),
        source,
        record: record.id.clone(),
        name,
        person,
        left_out,
        settled: settled.map(|decision| Settled { decision, by: DecidedBy::Policy }),
    });
}

/// The person's values that the target can take, and those it cannot with why.
fn writable_values(
    record: &Record,
    caps: &crate::Capabilities,
) -> (Person, Vec<(Field, BlockReason)>) {
    let mut person = record.person.clone();
    let mut left_out = Vec::new();
    for field in Field::ALL {
        let Some(value) = record.person.get(field) else { continue };
        let reason = if !caps.writable.contains(field) {
            Some(BlockReason::NotWritable)
        } else if let Some(invalid) = record.invalid_value(field) {
            Some(BlockReason::InvalidSource(invalid.clone()))
        } else {
            caps.check(field, value).err().map(BlockReason::TooLong)
        };
        if let Some(reason) = reason {
            person.clear(field);
            left_out.push((field, reason));
        }
    }
    (person, left_out)
}

/// Every record of each side by employment id and by email, to tell whether creating someone would
/// duplicate a record that is already there.
pub(super) struct Twins<'a> {
    by_key: [std::collections::HashMap<String, &'a Record>; 2],
}

impl<'a> Twins<'a> {
    pub(super) fn new(hr: &'a [Record], idp: &'a [Record]) -> Self {
        let index = |records: &'a [Record]| {
            let mut map = std::collections::HashMap::with_capacity(records.len() * 2);
            for record in records {
                let keys = [
                    record.person.employment_id().map(|id| format!("i:{id}")),
                    record.person.email_key().map(|email| format!("e:{email}")),
                ];
                for key in keys.into_iter().flatten() {
                    // The lowest id names the twin, whatever order the records came in.
                    let twin = map.entry(key).or_insert(record);
                    if record.id < twin.id {
                        *twin = record;
                    }
                }
            }
            map
        };
        Twins { by_key: [index(hr), index(idp)] }
    }

    fn find(&self, side: Side, person: &Person) -> Option<&'a Record> {
        let map = &self.by_key[super::side_index(side)];
        let by_id = person.employment_id().and_then(|id| map.get(&format!("i:{id}")));
        let by_email = || person.email_key().and_then(|e| map.get(&format!("e:{e}")));
        by_id.or_else(by_email).copied()
    }
}

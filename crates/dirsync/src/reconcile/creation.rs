//! People found on one side only: whether and how they may be created on the other.

use super::findings::finding;
use super::keys;
use super::{Input, name_of, side_index};
use crate::{
    Creation, CreationRule, DecidedBy, Decision, Finding, FindingKind, ItemId, NewRecord, Person,
    Record, RecordRef, Settled, Side,
};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

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
    if let Some(why) = record.person.email().and_then(crate::email::creation_refusal) {
        findings.push(finding(
            FindingKind::CannotCreate,
            here(),
            "",
            format!(
                "{name} exists only in the {source} and cannot be created: {why}; correct it in \
                 the {source}"
            ),
        ));
        return;
    }

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
    let NewRecord { person, left_out, missing } = caps.new_record(&record.person, &record.invalid);
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

/// For the people who may be created, the records already on the other side that share their
/// employment id or email: creating them would make a duplicate.
pub(super) struct Twins<'a> {
    /// By side the twins are on: employment id and email key to the twin with the lowest id.
    by_key: [[FxHashMap<Cow<'a, str>, Option<&'a Record>>; 2]; 2],
}

impl<'a> Twins<'a> {
    /// Indexes the keys of the `unpaired` records of each side; the twins are found as every
    /// record of the other side is [seen](Twins::see), so there is no index of the (large) paired
    /// majority.
    pub(super) fn new(records: [&'a [Record]; 2], unpaired: &[Vec<usize>; 2]) -> Self {
        let mut by_key: [[FxHashMap<Cow<'a, str>, Option<&'a Record>>; 2]; 2] = Default::default();
        for source in Side::BOTH {
            let maps = &mut by_key[side_index(source.other())];
            for &index in &unpaired[side_index(source)] {
                for (map, key) in
                    maps.iter_mut().zip(keys::both(&records[side_index(source)][index].person))
                {
                    if let Some(key) = key {
                        map.insert(key, None);
                    }
                }
            }
        }
        Twins { by_key }
    }

    /// Notes `record` of `side` as the twin of the keys it carries, unless one with a lower id
    /// is noted already: the lowest id names the twin, whatever order the records come in.
    pub(super) fn see(&mut self, side: Side, record: &'a Record) {
        let maps = &mut self.by_key[side_index(side)];
        // Most records meet empty maps: their keys are not even worked out.
        for (map, key_of) in maps.iter_mut().zip([keys::employment, keys::email]) {
            if map.is_empty() {
                continue;
            }
            if let Some(twin) = key_of(&record.person).and_then(|key| map.get_mut(&key)) {
                if twin.is_none_or(|t| record.id < t.id) {
                    *twin = Some(record);
                }
            }
        }
    }

    fn find(&self, side: Side, person: &Person) -> Option<&'a Record> {
        let maps = &self.by_key[side_index(side)];
        maps.iter().zip(keys::both(person)).find_map(|(map, key)| map.get(&key?).copied().flatten())
    }
}

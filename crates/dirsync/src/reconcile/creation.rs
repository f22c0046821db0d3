//! People found on one side only: whether and how they may be created on the other.

use super::findings::finding;
use super::keys;
use super::{Input, name_of, side_index, threads};
use crate::{
    Creation, CreationRule, DecidedBy, Decision, Finding, FindingKind, ItemId, NewRecord, Person,
    Record, RecordRef, Settled, Side,
};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::borrow::Cow;
use std::hash::BuildHasher;

/// Adds a creation for the unpaired record `index` of `source`, or a finding saying why it cannot
/// be created; out-of-scope records are left alone. `was_deleted`: their record on the other
/// side was deleted since the last sync, so a rule creating everyone leaves them out.
pub(super) fn consider(
    input: &Input<'_>,
    source: Side,
    index: usize,
    was_deleted: bool,
    creations: &mut Vec<Creation>,
    findings: &mut Vec<Finding>,
    twins: &Twins<'_>,
) {
    let record = input.record(source, index);
    if !input.in_scope(record) {
        return;
    }
    let target = source.other();
    let (source_name, target_name) = (input.name(source), input.name(target));
    let name = name_of(record);
    let here = || vec![RecordRef { side: source, id: record.id.clone() }];
    let settled = by_policy(input, target, record, was_deleted);
    // Someone the policy would not create, and who could not be created anyway, is simply found
    // on one side only: a finding would stand (and be reported) on every run for nothing.
    let would_create = settled.is_none_or(|s| s.decision == Decision::Create);
    let mut cannot_create = None;
    if let Some(why) = record.person.email().and_then(crate::email::creation_refusal) {
        let why = format!("{why}; correct it in {source_name}");
        if would_create {
            findings.push(cannot_create_finding(&name, source_name, here(), &why));
            return;
        }
        cannot_create = Some(why);
    }

    if let Some(twin) = twins.twin_of(target, &record.person) {
        let mut records = here();
        records.push(RecordRef { side: target, id: twin.id.clone() });
        findings.push(twin_finding(input, record, twin, records));
        return;
    }

    let caps = &input.snapshot(target).capabilities;
    let NewRecord { person, left_out, missing } = caps.new_record(&record.person, &record.invalid);
    if !caps.can_create || !missing.is_empty() {
        let why = if caps.can_create {
            format!(
                "{target_name} requires {} and it is missing or cannot be written",
                missing.join(", ")
            )
        } else {
            format!("{target_name} does not allow creating people")
        };
        if would_create {
            findings.push(cannot_create_finding(&name, source_name, here(), &why));
            return;
        }
        cannot_create.get_or_insert(why);
    }

    let source_name = format!("{source:?}");
    creations.push(Creation {
        id: ItemId::derive("new", &[&source_name, record.id.as_str()]),
        source,
        record: record.id.clone(),
        name,
        person,
        left_out,
        settled,
        cannot_create,
    });
}

/// The finding for `record`, not created because `twin` on the other side shares its employment
/// id or email (`records`: the two of them): creating it would make a duplicate.
fn twin_finding(
    input: &Input<'_>,
    record: &Record,
    twin: &Record,
    records: Vec<RecordRef>,
) -> Finding {
    if !twin.scope.is_in() {
        return twin_out_of_scope(input, record, twin, records);
    }
    let (source, target) = (records[0].side, records[0].side.other());
    let (source_name, target_name) = (input.name(source), input.name(target));
    let name = name_of(record);
    let message = match &twin.unreadable {
        Some(why) => format!(
            "{name} ({source_name} {}) is not created in {target_name}: {target_name} \
             holds {} with the same employment id or email, which cannot be read \
             ({why}); correct that record in {target_name}, and the next sync pairs them",
            record.id, twin.id
        ),
        None => format!(
            "{name} ({source_name} {}) is not paired, but {target_name} already holds {} \
             with the same employment id or email, paired with someone else or held back; creating \
             {name} would make a duplicate, so it is not created: correct the employment id \
             or email on one side",
            record.id, twin.id
        ),
    };
    finding(FindingKind::WouldDuplicate, records, "", message)
}

/// The finding for `record`, not created because its twin on the other side (same employment id
/// or email) is excluded from the sync or outside its scope.
fn twin_out_of_scope(
    input: &Input<'_>,
    record: &Record,
    twin: &Record,
    records: Vec<RecordRef>,
) -> Finding {
    let (source, target) = (records[0].side, records[0].side.other());
    let (source_name, target_name) = (input.name(source), input.name(target));
    let name = name_of(record);
    let start = format!(
        "{name} ({source_name} {}) is not created in {target_name}: {target_name} holds {} with \
         the same employment id or email",
        record.id, twin.id
    );
    let (kind, message) = if twin.scope == crate::ScopeStatus::Excluded {
        let message = format!(
            "{start}, which is excluded from the sync (a member of an excluded group, such as \
             administrators); nothing is written to it, and nobody is created in its stead"
        );
        (FindingKind::Excluded, message)
    } else {
        let message = format!(
            "{start}, outside the scope of {target_name}; nobody is created in its stead: bring \
             it into the scope (e.g. add it to the group), and the next sync pairs them"
        );
        (FindingKind::OutsideScope, message)
    };
    finding(kind, records, "", message)
}

/// Says that `name`, found only in `source_name`, cannot be created, and `why`.
fn cannot_create_finding(
    name: &str,
    source_name: &str,
    records: Vec<RecordRef>,
    why: &str,
) -> Finding {
    let message = format!("{name} exists only in {source_name} and cannot be created: {why}");
    finding(FindingKind::CannotCreate, records, "", message)
}

/// How the policy settles creating `record` on `target`: `None` when it asks.
fn by_policy(
    input: &Input<'_>,
    target: Side,
    record: &Record,
    was_deleted: bool,
) -> Option<Settled> {
    let by_policy = |decision| Some(Settled { decision, by: DecidedBy::Policy });
    match input.policy.creation_rule(target) {
        CreationRule::None => by_policy(Decision::Skip),
        CreationRule::All if was_deleted => {
            Some(Settled { decision: Decision::Skip, by: DecidedBy::Deletion })
        }
        CreationRule::All => by_policy(Decision::Create),
        CreationRule::Ask => None,
        CreationRule::Selected(ids) if ids.contains(&record.id) => by_policy(Decision::Create),
        CreationRule::Selected(_) => by_policy(Decision::Skip),
    }
}

/// For the people who may be created, the records already on the other side that share their
/// employment id or email: creating them would make a duplicate.
pub(super) struct Twins<'a> {
    /// By side the twins are on: employment id and email key to the twin with the lowest id.
    by_key: [[Keys<'a>; 2]; 2],
}

/// The keys of one kind (employment id or email) that people who may be created carry, each
/// with the lowest-id record of the other side that carries it too.
#[derive(Default)]
struct Keys<'a> {
    twins: FxHashMap<Cow<'a, str>, Option<&'a Record>>,
    /// One bit per hash of a key in `twins`: every record of the other side is looked up, and
    /// almost none carries such a key. Testing a bit in a table that stays in the cache costs a
    /// tenth of a map lookup, which on large snapshots was a quarter of the engine's time.
    filter: Vec<u64>,
}

impl<'a> Keys<'a> {
    fn insert(&mut self, key: Cow<'a, str>) {
        self.twins.insert(key, None);
    }

    /// Sets the filter's bits once every key is in.
    fn seal(&mut self) {
        // 64 bits a key: about one record in 64 that carries none of the keys is looked up.
        let words = self.twins.len().next_power_of_two();
        self.filter = vec![0; words];
        for key in self.twins.keys() {
            let (word, bit) = self.bit(key);
            self.filter[word] |= bit;
        }
    }

    /// The filter's word and bit for `key`.
    fn bit(&self, key: &str) -> (usize, u64) {
        let hash = FxBuildHasher.hash_one(key);
        ((hash >> 6) as usize & (self.filter.len() - 1), 1 << (hash & 63))
    }

    fn may_hold(&self, key: &str) -> bool {
        if self.filter.is_empty() {
            return false;
        }
        let (word, bit) = self.bit(key);
        self.filter[word] & bit != 0
    }
}

impl<'a> Twins<'a> {
    /// The twins of the `unpaired` records of each side: their keys are indexed, then every
    /// record of the other side is seen (`see_all`), each side on a thread of its own when
    /// `threads` says it is worth one. There is no index of the (large) paired majority.
    pub(super) fn find(
        records: [&'a [Record]; 2],
        unpaired: &[Vec<usize>; 2],
        threads: fn(usize) -> usize,
    ) -> Self {
        let mut by_key: [[Keys<'a>; 2]; 2] = Default::default();
        for source in Side::BOTH {
            let maps = &mut by_key[side_index(source.other())];
            for &index in &unpaired[side_index(source)] {
                for (map, key) in
                    maps.iter_mut().zip(keys::both(&records[side_index(source)][index].person))
                {
                    if let Some(key) = key {
                        map.insert(key);
                    }
                }
            }
        }
        by_key.iter_mut().flatten().for_each(Keys::seal);
        let [hr, idp] = &mut by_key;
        let parallel = threads(records[0].len().min(records[1].len())) > 1;
        threads::both(parallel, || see_all(hr, records[0]), || see_all(idp, records[1]));
        Twins { by_key }
    }

    fn twin_of(&self, side: Side, person: &Person) -> Option<&'a Record> {
        let maps = &self.by_key[side_index(side)];
        maps.iter()
            .zip(keys::both(person))
            .find_map(|(map, key)| map.twins.get(&key?).copied().flatten())
    }
}

/// Notes each of `records` as the twin of the keys in `maps` (employment id, email) it carries,
/// unless one with a lower id is noted already: the lowest id names the twin, whatever order the
/// records come in.
fn see_all<'a>(maps: &mut [Keys<'a>; 2], records: &'a [Record]) {
    if maps.iter().all(|map| map.twins.is_empty()) {
        return; // Most often nobody may be created: the keys are not even worked out.
    }
    for record in records {
        for (map, key_of) in maps.iter_mut().zip([keys::employment, keys::email]) {
            if map.twins.is_empty() {
                continue;
            }
            let Some(key) = key_of(&record.person).filter(|key| map.may_hold(key)) else {
                continue;
            };
            if let Some(twin) = map.twins.get_mut(&key)
                && twin.is_none_or(|t| record.id < t.id)
            {
                *twin = Some(record);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Keys;
    use std::borrow::Cow;

    #[test]
    fn the_filter_holds_every_key_and_few_others() {
        let mut keys = Keys::default();
        assert!(!keys.may_hold("a@x.no"), "an empty filter holds nothing");
        for i in 0..1000 {
            keys.insert(Cow::Owned(format!("person{i}@example.com")));
        }
        keys.seal();
        assert!((0..1000).all(|i| keys.may_hold(&format!("person{i}@example.com"))));
        let others = (1000..101_000).filter(|i| keys.may_hold(&format!("person{i}@example.com")));
        // 64 to 128 bits a key: about one in 64 to 128 others gets through.
        assert!(others.count() < 2_500);
    }
}

//! Pairing: which HR record and which directory record hold the same person.
//!
//! First the links remembered from earlier syncs, then the employment id, then the email (ignoring
//! case). A key shared by several records pairs none of them: guessing is how duplicates are made.

use super::findings::finding;
use super::ids::{self, IdIndex};
use super::key_index::{KeyIndex, KeyParts, part_of};
use super::keys;
use super::side_index;
use super::threads;
use crate::{
    Finding, FindingKind, Link, Person, Record, RecordId, RecordRef, ScopeStatus, Side, Snapshot,
    SyncState,
};
use crate::{MatchedBy, Names};
use rustc_hash::{FxHashMap, FxHashSet};
use std::borrow::Cow;

/// Two paired records (indexes into the snapshots) and the baseline remembered for them.
#[derive(Clone, Copy)]
pub(super) struct PairedRecords<'a> {
    pub(super) hr: usize,
    pub(super) idp: usize,
    pub(super) matched_by: MatchedBy,
    pub(super) baseline: Option<&'a Person>,
    /// One of the two could not be read: the link is kept as it is, nothing compared or written.
    pub(super) unreadable: bool,
}

/// The outcome of pairing.
pub(super) struct Pairing<'a> {
    /// The pairs, in HR record-id order.
    pub(super) pairs: Vec<PairedRecords<'a>>,
    /// Records of each side (HR first) that are neither paired nor held back by a finding.
    pub(super) unpaired: [Vec<usize>; 2],
    pub(super) findings: Vec<Finding>,
    /// Links whose record on one side is gone while the other is still unpaired.
    pub(super) broken: Vec<Broken<'a>>,
    /// Links kept as they are, their records not paired: one is excluded, or not known.
    pub(super) kept: Vec<(&'a RecordId, &'a Link)>,
}

/// A link from the state whose record on one side is gone.
pub(super) struct Broken<'a> {
    /// The side of the record left.
    pub(super) left: Side,
    /// Where that record is in its snapshot.
    pub(super) index: usize,
    pub(super) hr: &'a RecordId,
    pub(super) link: &'a Link,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Free,
    Paired,
    /// Held back by a finding: neither paired by a key nor created on the other side.
    Held,
    /// Could not be read: held back like [`Slot::Held`], but its link is kept.
    Unreadable,
    /// Outside its directory's scope: paired by a link only (the person left the scope), never
    /// by a key, and never created on the other side.
    Outside,
    /// Excluded from the sync: never paired, by a link or a key.
    Excluded,
}

struct Sides<'s> {
    names: &'s Names,
    records: [&'s [Record]; 2],
    slots: [Vec<Slot>; 2],
    /// Per side, for a snapshot read in a scope: the linked records looked up and found gone
    /// (any other it lacks is not known); `None` for a snapshot of everyone.
    gone: [Option<FxHashSet<&'s str>>; 2],
}

impl Sides<'_> {
    fn free(&self, side: Side, index: usize) -> bool {
        self.slots[side_index(side)][index] == Slot::Free
    }

    fn slot(&self, side: Side, index: usize) -> Slot {
        self.slots[side_index(side)][index]
    }

    /// Whether a link may pair the record: it is free, unreadable or outside the scope (the link
    /// is then kept).
    fn linkable(&self, side: Side, index: usize) -> bool {
        matches!(self.slot(side, index), Slot::Free | Slot::Unreadable | Slot::Outside)
    }

    /// Whether the record `id` of `side`, missing from its snapshot, is known to be gone.
    fn known_gone(&self, side: Side, id: &RecordId) -> bool {
        self.gone[side_index(side)].as_ref().is_none_or(|gone| gone.contains(id.as_str()))
    }

    fn unreadable(&self, side: Side, index: usize) -> bool {
        self.slots[side_index(side)][index] == Slot::Unreadable
    }

    fn set(&mut self, side: Side, index: usize, slot: Slot) {
        self.slots[side_index(side)][index] = slot;
    }

    fn reference(&self, side: Side, index: usize) -> RecordRef {
        RecordRef { side, id: self.records[side_index(side)][index].id.clone() }
    }
}

pub(super) fn pair<'a, 's>(
    hr: &'s Snapshot,
    idp: &'s Snapshot,
    state: &'a SyncState,
    names: &'s Names,
    threads: fn(usize) -> usize,
) -> Pairing<'a> {
    let mut findings = Vec::new();
    let gone_of = |snapshot: &'s Snapshot| {
        snapshot.scope.as_ref().map(|_| snapshot.gone.iter().map(RecordId::as_str).collect())
    };
    let mut sides = Sides {
        names,
        records: [&hr.records, &idp.records],
        slots: [vec![Slot::Free; hr.records.len()], vec![Slot::Free; idp.records.len()]],
        gone: [gone_of(hr), gone_of(idp)],
    };
    // Both sides are indexed at once when each is worth a thread.
    let parallel = threads(hr.records.len().min(idp.records.len())) > 1;
    let ((hr_ids, hr_repeats), (idp_ids, idp_repeats)) =
        threads::both(parallel, || IdIndex::new(&hr.records), || IdIndex::new(&idp.records));
    hold_unreadable(&mut sides, &mut findings);
    hold_out_of_scope(&mut sides);
    hold_repeated_ids(&mut sides, Side::Hr, hr_repeats, &mut findings);
    hold_repeated_ids(&mut sides, Side::Idp, idp_repeats, &mut findings);
    // Every pair holds one record of each side.
    let mut pairs = Vec::with_capacity(hr.records.len().min(idp.records.len()));

    // The links' records are found on the machine's threads; only the pairing that follows, in
    // link order, is one step after the other.
    let links: Vec<(&RecordId, &Link)> = state.links.iter().collect();
    let ids = [&hr_ids, &idp_ids];
    let found =
        threads::map_chunks(&links, threads(links.len()), |_, chunk| find_linked(chunk, ids));
    let (mut broken, mut kept) = (Vec::new(), Vec::new());
    for (&link, [h, i]) in links.iter().zip(found.into_iter().flatten()) {
        let records = [h.map(|h| h as usize), i.map(|i| i as usize)];
        if keep_link(&mut sides, records, link, &mut findings) {
            kept.push(link);
            continue;
        }
        link_records(&mut sides, records, link, &mut pairs, &mut findings, &mut broken);
    }

    let linked = pairs.len();
    pair_by_key(
        &mut sides,
        MatchedBy::EmploymentId,
        "employment id",
        keys::employment,
        threads,
        &mut pairs,
        &mut findings,
    );
    let email = keys::email;
    pair_by_key(&mut sides, MatchedBy::Email, "email", email, threads, &mut pairs, &mut findings);

    let by_keys = pairs.split_off(linked);
    let pairs = merge_by_hr_id(pairs, by_keys, &hr.records);
    let unpaired = sides.slots.each_ref().map(|slots| positions(slots, Slot::Free));
    let broken = report_broken(&sides, broken, &mut findings);
    Pairing { pairs, unpaired, findings, broken, kept }
}

/// A finding for each broken link, saying what became of the record left; the links whose
/// record is still unpaired, to keep.
fn report_broken<'a>(
    sides: &Sides<'_>,
    broken: Vec<Broken<'a>>,
    findings: &mut Vec<Finding>,
) -> Vec<Broken<'a>> {
    let mut kept = Vec::new();
    for b in broken {
        let hr = format!("{} record {}", sides.names.hr, b.hr);
        let idp = format!("{} record {}", sides.names.idp, b.link.idp);
        let (left, gone) = match b.left {
            Side::Hr => (hr, idp),
            Side::Idp => (idp, hr),
        };
        let slot = sides.slots[side_index(b.left)][b.index];
        let now = match slot {
            Slot::Outside => format!(
                "{left} is outside the scope of {}, so it is left as it is; the link is kept",
                sides.names.of(b.left)
            ),
            Slot::Free => format!(
                "the person is treated as found in {} only, and is not created in {} again \
                 unless you decide \"create\" for them; the link is kept until then",
                sides.names.of(b.left),
                sides.names.of(b.left.other())
            ),
            Slot::Paired => format!("{left} is now paired by a link, employment id or email"),
            Slot::Held | Slot::Unreadable | Slot::Excluded => {
                format!("{left} is held back by another finding")
            }
        };
        findings.push(finding(
            FindingKind::LinkBroken,
            vec![sides.reference(b.left, b.index)],
            if b.left == Side::Hr { b.link.idp.as_str() } else { b.hr.as_str() },
            format!("{left} was linked to {gone}, which no longer exists; {now}"),
        ));
        if matches!(slot, Slot::Free | Slot::Outside) {
            kept.push(b);
        }
    }
    kept
}

/// Where the records each of `links` names are, HR first, looked up a batch at a time (see
/// [`IdIndex::get_batch`]).
fn find_linked(
    links: &[(&RecordId, &Link)],
    [hr, idp]: [&IdIndex<'_>; 2],
) -> Vec<[Option<u32>; 2]> {
    let mut found = Vec::with_capacity(links.len());
    let (mut hr_ids, mut idp_ids) = ([""; ids::BATCH], [""; ids::BATCH]);
    for batch in links.chunks(ids::BATCH) {
        for (k, (hr_id, link)) in batch.iter().enumerate() {
            (hr_ids[k], idp_ids[k]) = (hr_id.as_str(), link.idp.as_str());
        }
        let n = batch.len();
        let [h, i] = [hr.get_batch(&hr_ids[..n]), idp.get_batch(&idp_ids[..n])];
        found.extend((0..n).map(|k| [h[k], i[k]]));
    }
    found
}

/// Pairs the `records` (HR first) that the state links, where both are still there and free;
/// else the finding that says why not, or the link noted as broken when one record is gone.
fn link_records<'a>(
    sides: &mut Sides<'_>,
    [found_hr, i]: [Option<usize>; 2],
    (hr_id, link): (&'a RecordId, &'a Link),
    pairs: &mut Vec<PairedRecords<'a>>,
    findings: &mut Vec<Finding>,
    broken: &mut Vec<Broken<'a>>,
) {
    let h = found_hr.filter(|&h| sides.linkable(Side::Hr, h));
    match (h, i) {
        (Some(h), Some(i)) if sides.linkable(Side::Idp, i) => {
            let unreadable = sides.unreadable(Side::Hr, h) || sides.unreadable(Side::Idp, i);
            sides.set(Side::Hr, h, Slot::Paired);
            sides.set(Side::Idp, i, Slot::Paired);
            pairs.push(PairedRecords {
                hr: h,
                idp: i,
                matched_by: MatchedBy::Link,
                baseline: Some(&link.baseline),
                unreadable,
            });
        }
        (Some(h), Some(i)) => findings.push(finding(
            FindingKind::Ambiguous,
            vec![sides.reference(Side::Hr, h), sides.reference(Side::Idp, i)],
            "link",
            format!(
                "the state links HR record {hr_id} to directory record {}, which is already \
                 linked to another HR record; fix or remove one of the links in the state",
                link.idp
            ),
        )),
        (Some(h), None) => broken.push(Broken { left: Side::Hr, index: h, hr: hr_id, link }),
        (None, Some(i)) if found_hr.is_none() => {
            broken.push(Broken { left: Side::Idp, index: i, hr: hr_id, link });
        }
        _ => {}
    }
}

/// Whether the link of `records` (HR first, where found) is kept as it is, pairing neither: one
/// of them is excluded from the sync, or missing from a scoped read without a look-up, so not
/// known. The other is held back, and a finding says why.
fn keep_link(
    sides: &mut Sides<'_>,
    records: [Option<usize>; 2],
    (hr_id, link): (&RecordId, &Link),
    findings: &mut Vec<Finding>,
) -> bool {
    let ids = [hr_id, &link.idp];
    let excluded = Side::BOTH.into_iter().find(|&side| {
        records[side_index(side)].is_some_and(|i| sides.slot(side, i) == Slot::Excluded)
    });
    let unknown = Side::BOTH.into_iter().find(|&side| {
        records[side_index(side)].is_none() && !sides.known_gone(side, ids[side_index(side)])
    });
    let (kind, side) = match (excluded, unknown) {
        (Some(side), _) => (FindingKind::Excluded, side),
        (None, Some(side)) => (FindingKind::NotLookedUp, side),
        (None, None) => return false,
    };
    let other = side.other();
    if let Some(i) = records[side_index(other)].filter(|&i| sides.free(other, i)) {
        sides.set(other, i, Slot::Held);
    }
    let (system, id) = (sides.names.of(side), ids[side_index(side)]);
    let why = match kind {
        FindingKind::Excluded => format!(
            "{system} record {id} is excluded from the sync (a member of an excluded group, \
             such as administrators)"
        ),
        _ => format!(
            "{system} record {id} was left out of the scoped read and not looked up, so whether \
             it still exists is not known; read it with its links looked up"
        ),
    };
    let refs = Side::BOTH.map(|s| RecordRef { side: s, id: ids[side_index(s)].clone() });
    findings.push(finding(
        kind,
        refs.to_vec(),
        "link",
        format!(
            "{} record {hr_id} is linked to {} record {}, but {why}: the link is kept and \
             nothing is written to either",
            sides.names.hr, sides.names.idp, link.idp
        ),
    ));
    true
}

/// Marks the records outside their directory's scope, and those excluded from the sync: the
/// first are paired by a link only, the second never.
fn hold_out_of_scope(sides: &mut Sides<'_>) {
    for side in Side::BOTH {
        let records = sides.records[side_index(side)];
        for (index, record) in records.iter().enumerate() {
            match (record.scope, sides.slot(side, index)) {
                (ScopeStatus::Excluded, _) => sides.set(side, index, Slot::Excluded),
                (ScopeStatus::Out, Slot::Free) => sides.set(side, index, Slot::Outside),
                _ => {}
            }
        }
    }
}

/// The pairs `linked` and `by_keys` in one list, in HR record-id order.
///
/// The linked pairs are in that order already: the state keeps its links by HR id. Only the
/// pairs found by keys (few, once the people are linked) are sorted, and each is put in its place
/// by a binary search. Checking the order of a million linked pairs instead read two records at
/// random for each, a tenth of the engine's time.
fn merge_by_hr_id<'a>(
    linked: Vec<PairedRecords<'a>>,
    by_keys: Vec<PairedRecords<'a>>,
    hr: &[Record],
) -> Vec<PairedRecords<'a>> {
    if by_keys.is_empty() {
        return linked;
    }
    let id = |pair: &PairedRecords<'_>| &hr[pair.hr].id;
    // Sorted as numbers: each id's first 12 bytes, then the pair's place in `by_keys`. Comparing
    // those needs no trip to the records, and moves 16 bytes instead of a pair; on a first sync
    // of a million pairs, sorting the pairs themselves by id was a sixth of the engine's time.
    let mut keys: Vec<u128> = (by_keys.iter().enumerate())
        .map(|(place, pair)| id_prefix(id(pair).as_str()) | place as u128)
        .collect();
    keys.sort_unstable();
    let place = |key: &u128| *key as u32 as usize;
    // Ids that share their first 12 bytes are in `by_keys` order so far: put them in id order.
    // Record ids are unique per side, so an unstable sort gives one order.
    for run in keys.chunk_by_mut(|a, b| a >> 32 == b >> 32).filter(|run| run.len() > 1) {
        run.sort_unstable_by(|a, b| id(&by_keys[place(a)]).cmp(id(&by_keys[place(b)])));
    }
    let by_keys = keys.iter().map(|key| by_keys[place(key)]);
    if linked.is_empty() {
        return by_keys.collect();
    }
    let mut merged = Vec::with_capacity(linked.len() + by_keys.len());
    let mut rest = linked.as_slice();
    for pair in by_keys {
        let before = rest.partition_point(|l| id(l) < id(&pair));
        merged.extend_from_slice(&rest[..before]);
        merged.push(pair);
        rest = &rest[before..];
    }
    merged.extend_from_slice(rest);
    merged
}

/// The first 12 bytes of `id` as a number that orders as the text does, in the high 96 bits: a
/// shorter id is padded with zeros, so when two prefixes are equal only the whole ids can tell
/// them apart.
fn id_prefix(id: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let head = &id.as_bytes()[..id.len().min(12)];
    bytes[..head.len()].copy_from_slice(head);
    u128::from_be_bytes(bytes)
}

/// The positions in `slots` that hold `slot`.
fn positions(slots: &[Slot], slot: Slot) -> Vec<usize> {
    (0..slots.len()).filter(|&i| slots[i] == slot).collect()
}

/// Holds back the records that could not be read, with a finding for each: they take no
/// writes, are paired by no key, and nobody with their keys is created on the other side.
fn hold_unreadable(sides: &mut Sides<'_>, findings: &mut Vec<Finding>) {
    for side in Side::BOTH {
        let records = sides.records[side_index(side)];
        for (index, record) in records.iter().enumerate() {
            let Some(reason) = &record.unreadable else { continue };
            sides.set(side, index, Slot::Unreadable);
            let system = sides.names.of(side);
            findings.push(finding(
                FindingKind::Unreadable,
                vec![sides.reference(side, index)],
                "",
                format!(
                    "{system} returned record {} in a form that cannot be understood ({reason}): \
                     it is left as it is, takes no writes and is paired by no key, and nobody \
                     with its employment id or email is created in {}; correct the record in \
                     {system}",
                    record.id,
                    sides.names.of(side.other())
                ),
            ));
        }
    }
}

/// Holds back the records of `side` at `repeats`, whose ids earlier records hold, with a finding
/// for each.
fn hold_repeated_ids(
    sides: &mut Sides<'_>,
    side: Side,
    repeats: Vec<usize>,
    findings: &mut Vec<Finding>,
) {
    for index in repeats {
        sides.set(side, index, Slot::Held);
        findings.push(finding(
            FindingKind::DuplicateRecordId,
            vec![sides.reference(side, index)],
            "",
            format!(
                "{} returned record {} more than once; only the first is used",
                sides.names.of(side),
                sides.records[side_index(side)][index].id
            ),
        ));
    }
}

/// The finding for two records that would be paired by an email that is not an email address:
/// a placeholder such as "n/a" or "-" says nothing about who the person is.
fn malformed_email(sides: &Sides<'_>, key: &str, [h, i]: [usize; 2]) -> Option<Finding> {
    let error = crate::check_email(key).err()?;
    let records = vec![sides.reference(Side::Hr, h), sides.reference(Side::Idp, i)];
    let message = format!(
        "{} {} and {} {} share the email {key:?}, which is not an email address ({error}): they \
         are not paired by it, and neither is created on the other side; correct the email, or \
         give both the same employment id",
        sides.names.of(records[0].side),
        records[0].id,
        sides.names.of(records[1].side),
        records[1].id
    );
    Some(finding(FindingKind::MalformedEmail, records, key, message))
}

/// Pairs free records that share a key one to one; a key shared by more than one record on a
/// side holds every record with it back, with a finding that names them all.
fn pair_by_key<'s>(
    sides: &mut Sides<'s>,
    matched_by: MatchedBy,
    key_name: &str,
    key_of: fn(&'s Person) -> Option<Cow<'s, str>>,
    threads: fn(usize) -> usize,
    pairs: &mut Vec<PairedRecords<'_>>,
    findings: &mut Vec<Finding>,
) {
    let (index, shared) = index_keys(sides, key_of, threads);
    pair_one_to_one(sides, &index, matched_by, pairs, findings);
    if shared {
        hold_shared(sides, &index, key_name, key_of, findings);
    }
}

/// Who carries each key among the free records; true when several records of a side carry one.
///
/// On a first sync nearly every record is free: the keys are then split in parts by hash, each
/// indexed on a thread of its own (every thread reads every key, and adds those of its part).
fn index_keys<'s>(
    sides: &Sides<'s>,
    key_of: fn(&'s Person) -> Option<Cow<'s, str>>,
    threads: fn(usize) -> usize,
) -> (KeyParts<'s>, bool) {
    let free =
        sides.slots.each_ref().map(|slots| slots.iter().filter(|s| **s == Slot::Free).count());
    let parts = threads(free[0].min(free[1]));
    // Most keys are carried on both sides: the larger side's share is room enough to start with.
    let room = free[0].max(free[1]) / parts;
    let numbers: Vec<usize> = (0..parts).collect();
    let indexes: Vec<(KeyIndex<'s>, bool)> = threads::map_chunks(&numbers, parts, |_, chunk| {
        let index_part = |&part| index_part(sides, key_of, [part, parts], room);
        chunk.iter().map(index_part).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    let shared = indexes.iter().any(|(_, shared)| *shared);
    (KeyParts(indexes.into_iter().map(|(index, _)| index).collect()), shared)
}

/// The carriers of the keys of part `part` of `parts` among the free records; true when several
/// records of a side carry one.
fn index_part<'s>(
    sides: &Sides<'s>,
    key_of: fn(&'s Person) -> Option<Cow<'s, str>>,
    [part, parts]: [usize; 2],
    room: usize,
) -> (KeyIndex<'s>, bool) {
    let mut index = KeyIndex::new(sides.records, key_of, room);
    let mut shared = false;
    for side in Side::BOTH {
        let records = sides.records[side_index(side)];
        for (position, record) in records.iter().enumerate() {
            if !sides.free(side, position) {
                continue;
            }
            match key_of(&record.person) {
                Some(key) if part_of(&key, parts) == part => {
                    shared |= index.add(side, position, &key);
                }
                _ => {}
            }
        }
    }
    (index, shared)
}

/// Pairs the two records of each key that one record of each side carries, unless the key is an
/// email that is not an email address.
fn pair_one_to_one(
    sides: &mut Sides<'_>,
    index: &KeyParts<'_>,
    matched_by: MatchedBy,
    pairs: &mut Vec<PairedRecords<'_>>,
    findings: &mut Vec<Finding>,
) {
    // Each HR record's partner, so that the pairs come out in HR record order rather than in the
    // index's: sorting them by HR id then reads the records in order, not at random. Four bytes
    // each (carriers are under 2^31), as the table is made afresh for every key and every run.
    const NONE: u32 = u32::MAX;
    let mut partners: Vec<u32> = vec![NONE; sides.records[0].len()];
    for carriers @ [h, i] in index.all() {
        let (Some(h), Some(i)) = (h.one(), i.one()) else { continue };
        if matched_by == MatchedBy::Email {
            let key = index.key(carriers).unwrap_or_default();
            if let Some(malformed) = malformed_email(sides, &key, [h, i]) {
                findings.push(malformed);
                continue;
            }
        }
        partners[h] = i as u32;
    }
    for (h, i) in partners.into_iter().enumerate() {
        if i != NONE {
            let i = i as usize;
            sides.set(Side::Hr, h, Slot::Paired);
            sides.set(Side::Idp, i, Slot::Paired);
            pairs.push(PairedRecords {
                hr: h,
                idp: i,
                matched_by,
                baseline: None,
                unreadable: false,
            });
        }
    }
}

/// Holds back every free record with a key that several records of a side carry, with a finding
/// for each such key that names them all.
fn hold_shared<'s>(
    sides: &mut Sides<'s>,
    index: &KeyParts<'s>,
    key_name: &str,
    key_of: fn(&'s Person) -> Option<Cow<'s, str>>,
    findings: &mut Vec<Finding>,
) {
    let mut shared: FxHashMap<Cow<'s, str>, [Vec<usize>; 2]> = FxHashMap::default();
    for side in Side::BOTH {
        let records = sides.records[side_index(side)];
        for (position, record) in records.iter().enumerate() {
            if !sides.free(side, position) {
                continue;
            }
            let Some(key) = key_of(&record.person) else { continue };
            if index.carriers(&key).iter().any(|carriers| carriers.several()) {
                shared.entry(key).or_default()[side_index(side)].push(position);
            }
        }
    }
    for (key, [hs, is]) in shared {
        let mut records = Vec::with_capacity(hs.len() + is.len());
        for (side, indexes) in [(Side::Hr, &hs), (Side::Idp, &is)] {
            for &index in indexes {
                sides.set(side, index, Slot::Held);
                records.push(sides.reference(side, index));
            }
        }
        records.sort();
        let names: Vec<String> =
            records.iter().map(|r| format!("{} {}", sides.names.of(r.side), r.id)).collect();
        findings.push(finding(
            FindingKind::Ambiguous,
            records,
            &key,
            format!(
                "{} records share the {key_name} {key:?} ({}): none of them is paired or \
                 created by it; make it unique, or link the right records in the state",
                names.len(),
                names.join(", ")
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::{PairedRecords, id_prefix, merge_by_hr_id};
    use crate::{MatchedBy, Person, Record};
    use proptest::prelude::*;

    fn by_prefix_then_text(a: &str, b: &str) -> std::cmp::Ordering {
        id_prefix(a).cmp(&id_prefix(b)).then_with(|| a.cmp(b))
    }

    #[test]
    fn prefixes_order_ids_as_their_text_does_at_the_edges() {
        let ids = [
            "",
            "\0",
            "a",
            "a\0",
            "a\0b",
            "ab",
            "h9",
            "h10",
            "h1000000",
            "0123456789abcdef",
            "0123456789abcdef0",
            "0123456789abcdeg",
            "ÿ",
            "é",
            "a\u{10FFFF}",
        ];
        for a in ids {
            for b in ids {
                assert_eq!(by_prefix_then_text(a, b), a.cmp(b), "{a:?} vs {b:?}");
            }
        }
    }

    proptest! {
        #[test]
        fn prefixes_order_any_ids_as_their_text_does(a in "\\PC{0,20}", b in "\\PC{0,20}") {
            prop_assert_eq!(by_prefix_then_text(&a, &b), a.cmp(&b));
        }

        #[test]
        fn merged_pairs_are_in_hr_id_order(
            ids in prop::collection::btree_set("(abcdefghijkl|x)?[a-c\\x00é]{0,4}", 0..60),
            linked_share in 0.0..1.0f64,
            seed in any::<u64>(),
        ) {
            // Ids sharing long prefixes, shorter than 12 bytes, with NULs, in random order.
            let ids: Vec<String> = ids.into_iter().collect();
            let mut order: Vec<usize> = (0..ids.len()).collect();
            order.sort_by_key(|&n| (n as u64).wrapping_mul(seed | 1).rotate_left(17));
            let records: Vec<Record> =
                order.iter().map(|&n| Record::new(ids[n].as_str(), Person::new())).collect();
            let pair = |hr| PairedRecords {
                hr,
                idp: hr,
                matched_by: MatchedBy::Email,
                baseline: None,
                unreadable: false,
            };
            let linked_count = (ids.len() as f64 * linked_share) as usize;
            let (mut linked, mut by_keys): (Vec<_>, Vec<_>) =
                (0..records.len()).map(pair).partition(|p| order[p.hr] < linked_count);
            linked.sort_by(|a, b| records[a.hr].id.cmp(&records[b.hr].id));
            by_keys.reverse();
            let merged = merge_by_hr_id(linked, by_keys, &records);
            let merged: Vec<&str> = merged.iter().map(|p| records[p.hr].id.as_str()).collect();
            let expected: Vec<&str> = ids.iter().map(String::as_str).collect();
            prop_assert_eq!(merged, expected);
        }
    }
}

//! Pairing: which HR record and which directory record hold the same person.
//!
//! First the links remembered from earlier syncs, then the employment id, then the email (ignoring
//! case). A key shared by several records pairs none of them: guessing is how duplicates are made.

use super::findings::finding;
use super::side_index;
use crate::MatchedBy;
use crate::{Finding, FindingKind, Person, Record, RecordRef, Side, Snapshot, SyncState};
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::hash_map::Entry;

/// Two paired records (indexes into the snapshots) and the baseline remembered for them.
pub(super) struct PairedRecords<'a> {
    pub(super) hr: usize,
    pub(super) idp: usize,
    pub(super) matched_by: MatchedBy,
    pub(super) baseline: Option<&'a Person>,
}

/// The outcome of pairing.
pub(super) struct Pairing<'a> {
    /// The pairs, in HR record-id order.
    pub(super) pairs: Vec<PairedRecords<'a>>,
    /// Records of each side (HR first) that are neither paired nor held back by a finding.
    pub(super) unpaired: [Vec<usize>; 2],
    pub(super) findings: Vec<Finding>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Free,
    Paired,
    /// Held back by a finding: neither paired by a key nor created on the other side.
    Held,
}

struct Sides<'s> {
    records: [&'s [Record]; 2],
    slots: [Vec<Slot>; 2],
}

impl Sides<'_> {
    fn free(&self, side: Side, index: usize) -> bool {
        self.slots[side_index(side)][index] == Slot::Free
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
) -> Pairing<'a> {
    let mut findings = Vec::new();
    let mut sides = Sides {
        records: [&hr.records, &idp.records],
        slots: [vec![Slot::Free; hr.records.len()], vec![Slot::Free; idp.records.len()]],
    };
    let hr_ids = index_ids(&mut sides, Side::Hr, &mut findings);
    let idp_ids = index_ids(&mut sides, Side::Idp, &mut findings);
    let mut pairs = Vec::new();

    for (hr_id, link) in &state.links {
        let h = hr_ids.get(hr_id.as_str()).copied().filter(|&h| sides.free(Side::Hr, h));
        let i = idp_ids.get(link.idp.as_str()).copied();
        match (h, i) {
            (Some(h), Some(i)) if sides.free(Side::Idp, i) => {
                sides.set(Side::Hr, h, Slot::Paired);
                sides.set(Side::Idp, i, Slot::Paired);
                pairs.push(PairedRecords {
                    hr: h,
                    idp: i,
                    matched_by: MatchedBy::Link,
                    baseline: Some(&link.baseline),
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
            (Some(h), None) => findings.push(finding(
                FindingKind::LinkBroken,
                vec![sides.reference(Side::Hr, h)],
                link.idp.as_str(),
                format!(
                    "HR record {hr_id} was linked to directory record {}, which no longer exists; \
                     the person is treated as found in the HR system only",
                    link.idp
                ),
            )),
            (None, Some(i)) if !hr_ids.contains_key(hr_id.as_str()) => findings.push(finding(
                FindingKind::LinkBroken,
                vec![sides.reference(Side::Idp, i)],
                hr_id.as_str(),
                format!(
                    "directory record {} was linked to HR record {hr_id}, which no longer exists; \
                     the person is treated as found in the directory only",
                    link.idp
                ),
            )),
            _ => {}
        }
    }

    pair_by_key(
        &mut sides,
        MatchedBy::EmploymentId,
        "employment id",
        employment_key,
        &mut pairs,
        &mut findings,
    );
    pair_by_key(&mut sides, MatchedBy::Email, "email", email_key, &mut pairs, &mut findings);

    // Record ids are unique per side, so an unstable sort gives one order, and faster.
    pairs.sort_unstable_by(|a, b| hr.records[a.hr].id.cmp(&hr.records[b.hr].id));
    let unpaired = [Side::Hr, Side::Idp].map(|side| {
        let slots = &sides.slots[side_index(side)];
        (0..slots.len()).filter(|&i| slots[i] == Slot::Free).collect()
    });
    Pairing { pairs, unpaired, findings }
}

/// Indexes a side's records by id; a repeated id is a finding and the repeat is held back.
fn index_ids<'s>(
    sides: &mut Sides<'s>,
    side: Side,
    findings: &mut Vec<Finding>,
) -> FxHashMap<&'s str, usize> {
    let records = sides.records[side_index(side)];
    let mut ids = FxHashMap::with_capacity_and_hasher(records.len(), Default::default());
    for (index, record) in records.iter().enumerate() {
        match ids.entry(record.id.as_str()) {
            Entry::Vacant(vacant) => {
                vacant.insert(index);
            }
            Entry::Occupied(_) => {
                sides.set(side, index, Slot::Held);
                findings.push(finding(
                    FindingKind::DuplicateRecordId,
                    vec![sides.reference(side, index)],
                    "",
                    format!(
                        "the {side} returned record {} more than once; only the first is used",
                        record.id
                    ),
                ));
            }
        }
    }
    ids
}

fn employment_key(person: &Person) -> Option<Cow<'_, str>> {
    person.employment_id().map(Cow::Borrowed)
}

fn email_key(person: &Person) -> Option<Cow<'_, str>> {
    person.email_match_key()
}

/// The records of one side that carry a key: almost always one, so no allocation for that.
#[derive(Default)]
pub(super) enum Members {
    #[default]
    None,
    One(usize),
    Many(Vec<usize>),
}

impl Members {
    pub(super) fn push(&mut self, index: usize) {
        *self = match std::mem::take(self) {
            Members::None => Members::One(index),
            Members::One(first) => Members::Many(vec![first, index]),
            Members::Many(mut all) => {
                all.push(index);
                Members::Many(all)
            }
        };
    }

    pub(super) fn as_slice(&self) -> &[usize] {
        match self {
            Members::None => &[],
            Members::One(index) => std::slice::from_ref(index),
            Members::Many(all) => all,
        }
    }
}

/// Pairs free records that share a key one to one; a key shared by more than one record on a
/// side holds every record with it back, with a finding that names them all.
fn pair_by_key<'s>(
    sides: &mut Sides<'s>,
    matched_by: MatchedBy,
    key_name: &str,
    key_of: fn(&'s Person) -> Option<Cow<'s, str>>,
    pairs: &mut Vec<PairedRecords<'_>>,
    findings: &mut Vec<Finding>,
) {
    let free = sides.slots.iter().flatten().filter(|s| **s == Slot::Free).count();
    let mut groups: FxHashMap<Cow<'s, str>, [Members; 2]> =
        FxHashMap::with_capacity_and_hasher(free, Default::default());
    for side in Side::BOTH {
        let records = sides.records[side_index(side)];
        for (index, record) in records.iter().enumerate() {
            if !sides.free(side, index) {
                continue;
            }
            if let Some(key) = key_of(&record.person) {
                groups.entry(key).or_default()[side_index(side)].push(index);
            }
        }
    }
    for (key, [hs, is]) in groups {
        let (hs, is) = (hs.as_slice(), is.as_slice());
        match (hs, is) {
            ([h], [i]) => {
                sides.set(Side::Hr, *h, Slot::Paired);
                sides.set(Side::Idp, *i, Slot::Paired);
                pairs.push(PairedRecords { hr: *h, idp: *i, matched_by, baseline: None });
            }
            _ if hs.len() > 1 || is.len() > 1 => {
                let mut records = Vec::with_capacity(hs.len() + is.len());
                for (side, indexes) in [(Side::Hr, hs), (Side::Idp, is)] {
                    for &index in indexes {
                        sides.set(side, index, Slot::Held);
                        records.push(sides.reference(side, index));
                    }
                }
                records.sort();
                let names: Vec<String> =
                    records.iter().map(|r| format!("{} {}", r.side, r.id)).collect();
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
            _ => {}
        }
    }
}

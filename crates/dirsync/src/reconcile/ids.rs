//! Where each record of one side is, by id.

use crate::Record;
use std::hash::BuildHasher;

/// Record positions by id: open addressing in a table kept at most half full, each slot holding a
/// position and 32 bits of its id's hash.
///
/// A million ids take 16 MB, a third of a std map from `&str` to `usize`: on large snapshots,
/// faulting in and missing the cache on that map was most of pairing's time. A probe reads a
/// record only when the hash bits agree.
pub(super) struct IdIndex<'s> {
    records: &'s [Record],
    slots: Vec<Slot>,
}

/// A record's position plus one (zero: the slot is free) and the high half of its id's hash.
#[derive(Clone, Copy, Default)]
struct Slot {
    tag: u32,
    position: u32,
}

impl<'s> IdIndex<'s> {
    /// An empty index with room for every record of `records`.
    pub(super) fn new(records: &'s [Record]) -> Self {
        let slots = (2 * records.len()).next_power_of_two().max(8);
        IdIndex { records, slots: vec![Slot::default(); slots] }
    }

    /// Adds record `position`; false, leaving the index as it was, when its id is already there.
    pub(super) fn insert(&mut self, position: usize) -> bool {
        let id = self.records[position].id.as_str();
        let (mut slot, tag) = self.start(id);
        while self.slots[slot].position != 0 {
            if self.holds(slot, tag, id) {
                return false;
            }
            slot = self.next(slot);
        }
        // Snapshots of four billion records do not fit in memory.
        let position = u32::try_from(position + 1).expect("fewer than 2^32 - 1 records");
        self.slots[slot] = Slot { tag, position };
        true
    }

    /// The position of the record with `id`.
    pub(super) fn get(&self, id: &str) -> Option<usize> {
        let (mut slot, tag) = self.start(id);
        while self.slots[slot].position != 0 {
            if self.holds(slot, tag, id) {
                return Some(self.slots[slot].position as usize - 1);
            }
            slot = self.next(slot);
        }
        None
    }

    /// The first slot to look at for `id`, and its tag.
    fn start(&self, id: &str) -> (usize, u32) {
        let hash = rustc_hash::FxBuildHasher.hash_one(id);
        (hash as usize & self.mask(), (hash >> 32) as u32)
    }

    /// The slot after `slot`, wrapping around.
    fn next(&self, slot: usize) -> usize {
        (slot + 1) & self.mask()
    }

    /// The table's length is a power of two: masking is the remainder.
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    fn holds(&self, slot: usize, tag: u32, id: &str) -> bool {
        let Slot { tag: held, position } = self.slots[slot];
        held == tag && self.records[position as usize - 1].id.as_str() == id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Person;

    #[test]
    fn finds_every_id_once_and_refuses_a_repeat() {
        let records: Vec<Record> =
            ["a", "b", "a", "c"].iter().map(|id| Record::new(*id, Person::new())).collect();
        let mut index = IdIndex::new(&records);
        let inserted: Vec<bool> = (0..records.len()).map(|p| index.insert(p)).collect();
        assert_eq!(inserted, [true, true, false, true]);
        assert_eq!(["a", "b", "c", "d"].map(|id| index.get(id)), [Some(0), Some(1), Some(3), None]);
    }

    #[test]
    fn a_full_table_of_many_ids_finds_them_all() {
        let records: Vec<Record> =
            (0..5000).map(|i| Record::new(format!("u{i}"), Person::new())).collect();
        let mut index = IdIndex::new(&records);
        assert!((0..records.len()).all(|p| index.insert(p)));
        assert!((0..records.len()).all(|p| index.get(&format!("u{p}")) == Some(p)));
        assert_eq!(index.get("u5000"), None);
    }
}

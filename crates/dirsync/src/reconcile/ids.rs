//! Where each record of one side is, by id.

use crate::Record;
use std::hash::BuildHasher;

/// How many ids [`IdIndex::get_batch`] looks up at once.
pub(super) const BATCH: usize = 16;

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
    /// Indexes every record of `records`; a record whose id an earlier one holds is left out, and
    /// its position returned.
    pub(super) fn new(records: &'s [Record]) -> (Self, Vec<usize>) {
        let slots = (2 * records.len()).next_power_of_two().max(8);
        let mut index = IdIndex { records, slots: vec![Slot::default(); slots] };
        let repeats = (0..records.len()).filter(|&position| !index.insert(position)).collect();
        (index, repeats)
    }

    /// Adds record `position`; false, leaving the index as it was, when its id is already there.
    fn insert(&mut self, position: usize) -> bool {
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

    /// The positions of the records with `ids` (at most [`BATCH`]), looked up side by side. A
    /// position takes four bytes, as in the index.
    ///
    /// A lookup waits on memory three times: a random slot, the record it names, that record's
    /// id. One after the other, a million lookups spent most of their time waiting; taken in
    /// steps over a batch, the waits of a step overlap.
    pub(super) fn get_batch(&self, ids: &[&str]) -> [Option<u32>; BATCH] {
        let ids = &ids[..ids.len().min(BATCH)];
        let mut starts = [(0, 0); BATCH];
        let mut first = [Slot::default(); BATCH];
        for (k, id) in ids.iter().enumerate() {
            starts[k] = self.start(id);
            first[k] = self.slots[starts[k].0];
        }
        let mut held = [""; BATCH];
        for k in 0..ids.len() {
            if first[k].position != 0 && first[k].tag == starts[k].1 {
                held[k] = self.records[first[k].position as usize - 1].id.as_str();
            }
        }
        let mut found = [None; BATCH];
        for (k, id) in ids.iter().enumerate() {
            found[k] = match first[k].position {
                0 => None,
                position if held[k] == *id && first[k].tag == starts[k].1 => Some(position - 1),
                // Not in the first slot: the rest of the way as any lookup goes.
                _ => self.get_from((self.next(starts[k].0), starts[k].1), id),
            };
        }
        found
    }

    /// Looks for `id` from slot `slot` on.
    fn get_from(&self, (mut slot, tag): (usize, u32), id: &str) -> Option<u32> {
        while self.slots[slot].position != 0 {
            if self.holds(slot, tag, id) {
                return Some(self.slots[slot].position - 1);
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
        let (index, repeats) = IdIndex::new(&records);
        assert_eq!(repeats, [2]);
        let found = index.get_batch(&["a", "b", "c", "d"]);
        assert_eq!(found[..4], [Some(0), Some(1), Some(3), None]);
    }

    #[test]
    fn a_full_table_of_many_ids_finds_them_all() {
        let records: Vec<Record> =
            (0..5000).map(|i| Record::new(format!("u{i}"), Person::new())).collect();
        let (index, repeats) = IdIndex::new(&records);
        assert!(repeats.is_empty());
        // Batches of every length, over ids that are there and ids that are not.
        let ids: Vec<String> = (0..6000).map(|i| format!("u{i}")).collect();
        let mut start = 0;
        for length in (0..=BATCH).cycle() {
            let end = (start + length).min(ids.len());
            let batch: Vec<&str> = ids[start..end].iter().map(String::as_str).collect();
            let found = index.get_batch(&batch);
            let expected = (start..end).map(|i| (i < 5000).then_some(i as u32));
            assert!(found[..batch.len()].iter().copied().eq(expected), "ids {start}..{end}");
            start = end;
            if start == ids.len() {
                break;
            }
        }
    }
}

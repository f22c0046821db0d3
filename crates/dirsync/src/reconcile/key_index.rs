//! Who carries each pairing key, on both sides.

use super::side_index;
use crate::{Person, Record, Side};
use std::borrow::Cow;
use std::hash::BuildHasher;

/// Who of one side carries a key: nobody, one record, or several. The first carrier is kept
/// either way: the key is read from its record.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Carriers(u32);

impl Carriers {
    const SEVERAL: u32 = 1 << 31;

    /// Adds record `index`; true when the key now has several carriers.
    fn add(&mut self, index: usize) -> bool {
        self.0 = match self.0 {
            // Snapshots of two billion records do not fit in memory.
            0 => u32::try_from(index + 1)
                .ok()
                .filter(|&n| n < Self::SEVERAL)
                .expect("fewer than 2^31 - 1 records"),
            n => n | Self::SEVERAL,
        };
        self.several()
    }

    /// The carrier, when there is exactly one.
    pub(super) fn one(self) -> Option<usize> {
        (self.0 != 0 && !self.several()).then(|| self.0 as usize - 1)
    }

    pub(super) fn several(self) -> bool {
        self.0 & Self::SEVERAL != 0
    }

    fn first(self) -> Option<usize> {
        (self.0 != 0).then(|| (self.0 & !Self::SEVERAL) as usize - 1)
    }
}

/// The carriers of each key: open addressing in a table kept at most half full, each slot holding
/// 32 bits of the key's hash and the carriers of both sides (HR first).
///
/// Twelve bytes a key, against 33 in a `HashMap<Cow<str>, _>`: on a first sync of a million
/// people, faulting in and missing the cache on that map was a third of the engine's time. The
/// keys are not stored: a probe reads one from a carrier's record when the hash bits agree.
pub(super) struct KeyIndex<'s> {
    records: [&'s [Record]; 2],
    key_of: fn(&'s Person) -> Option<Cow<'s, str>>,
    slots: Vec<Slot>,
    keys: usize,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    tag: u32,
    carriers: [Carriers; 2],
}

impl Slot {
    fn is_free(&self) -> bool {
        self.carriers == [Carriers::default(); 2]
    }
}

impl<'s> KeyIndex<'s> {
    /// An empty index of the keys `key_of` gives, with room for `keys` of them before it grows.
    pub(super) fn new(
        records: [&'s [Record]; 2],
        key_of: fn(&'s Person) -> Option<Cow<'s, str>>,
        keys: usize,
    ) -> Self {
        let slots = vec![Slot::default(); (2 * keys).next_power_of_two().max(8)];
        KeyIndex { records, key_of, slots, keys: 0 }
    }

    /// Adds record `index` of `side` as a carrier of `key`; true when that side now has several.
    pub(super) fn add(&mut self, side: Side, index: usize, key: &str) -> bool {
        if 2 * (self.keys + 1) > self.slots.len() {
            self.grow();
        }
        let slot = match self.find(key) {
            Ok(slot) => slot,
            Err(free) => {
                self.keys += 1;
                self.slots[free].tag = tag(hash(key));
                free
            }
        };
        self.slots[slot].carriers[side_index(side)].add(index)
    }

    /// The carriers of `key` (HR first).
    pub(super) fn carriers(&self, key: &str) -> [Carriers; 2] {
        self.find(key).map_or_else(|_| Default::default(), |slot| self.slots[slot].carriers)
    }

    /// The carriers of every key, in no particular order.
    pub(super) fn all(&self) -> impl Iterator<Item = [Carriers; 2]> + '_ {
        self.slots.iter().filter(|slot| !slot.is_free()).map(|slot| slot.carriers)
    }

    /// The key the first carrier of `carriers` holds.
    pub(super) fn key(&self, carriers: [Carriers; 2]) -> Option<Cow<'s, str>> {
        Side::BOTH.into_iter().zip(carriers).find_map(|(side, carriers)| {
            let index = carriers.first()?;
            (self.key_of)(&self.records[side_index(side)][index].person)
        })
    }

    /// The slot holding `key`, else the free slot where it belongs.
    fn find(&self, key: &str) -> Result<usize, usize> {
        let hash = hash(key);
        let mut slot = hash as usize & self.mask();
        while !self.slots[slot].is_free() {
            let Slot { tag: held, carriers } = self.slots[slot];
            if held == tag(hash) && self.key(carriers).as_deref() == Some(key) {
                return Ok(slot);
            }
            slot = (slot + 1) & self.mask();
        }
        Err(slot)
    }

    /// Doubles the table, moving every key to its place in the new one.
    fn grow(&mut self) {
        let larger = vec![Slot::default(); 2 * self.slots.len()];
        let old = std::mem::replace(&mut self.slots, larger);
        for slot in old.into_iter().filter(|slot| !slot.is_free()) {
            let key = self.key(slot.carriers).expect("a carrier holds the key");
            let free = self.find(&key).expect_err("keys are unique");
            self.slots[free] = slot;
        }
    }

    /// The table's length is a power of two: masking is the remainder.
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }
}

/// The carriers of each key, in tables that each hold one part of the keys (see [`part_of`]), so
/// that the tables can be built at once on threads of their own.
pub(super) struct KeyParts<'s>(pub(super) Vec<KeyIndex<'s>>);

impl<'s> KeyParts<'s> {
    /// The carriers of `key` (HR first).
    pub(super) fn carriers(&self, key: &str) -> [Carriers; 2] {
        self.0.get(part_of(key, self.0.len())).map(|part| part.carriers(key)).unwrap_or_default()
    }

    /// The carriers of every key, in no particular order.
    pub(super) fn all(&self) -> impl Iterator<Item = [Carriers; 2]> + '_ {
        self.0.iter().flat_map(KeyIndex::all)
    }

    /// The key the first carrier of `carriers` holds.
    pub(super) fn key(&self, carriers: [Carriers; 2]) -> Option<Cow<'s, str>> {
        self.0.first()?.key(carriers)
    }
}

/// Which of `parts` parts of the keys `key` belongs to.
pub(super) fn part_of(key: &str, parts: usize) -> usize {
    tag(hash(key)) as usize % parts.max(1)
}

fn hash(key: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// The high half of a hash, which the slot number (from the low bits) does not show.
fn tag(hash: u64) -> u32 {
    (hash >> 32) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::keys;

    fn records(emails: &[&str]) -> Vec<Record> {
        let person = |email: &&str| Person::new().with_email(*email);
        emails.iter().enumerate().map(|(i, e)| Record::new(format!("r{i}"), person(e))).collect()
    }

    #[test]
    fn counts_the_carriers_of_each_key_on_each_side() {
        let hr = records(&["a@x.no", "B@x.no", "c@x.no", "c@x.no"]);
        let idp = records(&["b@x.no", "a@x.no", "d@x.no"]);
        let mut index = KeyIndex::new([&hr, &idp], keys::email, 1);
        let mut several = Vec::new();
        for (side, records) in [(Side::Hr, &hr), (Side::Idp, &idp)] {
            for (position, record) in records.iter().enumerate() {
                let key = keys::email(&record.person).expect("an email");
                several.push(index.add(side, position, &key));
            }
        }
        assert_eq!(several, [false, false, false, true, false, false, false]);
        let one = |[h, i]: [Carriers; 2]| [h.one(), i.one()];
        assert_eq!(one(index.carriers("a@x.no")), [Some(0), Some(1)]);
        assert_eq!(one(index.carriers("b@x.no")), [Some(1), Some(0)]);
        assert_eq!(one(index.carriers("d@x.no")), [None, Some(2)]);
        let [c, none] = index.carriers("c@x.no");
        assert!(c.several() && !none.several() && none.one().is_none());
        assert_eq!(index.key(index.carriers("c@x.no")).as_deref(), Some("c@x.no"));
        assert_eq!(index.carriers("e@x.no").map(Carriers::one), [None, None]);
        assert_eq!(index.all().count(), 4, "a, b, c and d, after growing past room for one");
    }
}

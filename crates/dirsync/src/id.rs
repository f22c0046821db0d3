//! Stable ids for plan items: the same situation gets the same id on every run and machine.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The stable id of a plan item (a change, a creation, a finding), for a UI or a decisions file.
///
/// It is derived from what the item is about (records, field and values), so it is the same on
/// every run while the situation is the same, and different once a value changed: a decision made
/// about old values never silently applies to new ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ItemId(String);

impl ItemId {
    /// The id as shown to people.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An id from a string a person typed or a decisions file held.
    pub fn new(id: impl Into<String>) -> Self {
        ItemId(id.into())
    }

    /// An id with `prefix` and a hash of `parts`.
    pub(crate) fn derive(prefix: &str, parts: &[&str]) -> Self {
        // FNV-1a: tiny, stable across Rust versions and platforms (unlike std's hasher).
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for part in parts {
            for byte in part.bytes().chain(std::iter::once(0xff)) {
                hash ^= u64::from(byte);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        ItemId(format!("{prefix}-{hash:016x}"))
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_tell_parts_apart() {
        let a = ItemId::derive("chg", &["u1", "given_name"]);
        assert_eq!(a, ItemId::derive("chg", &["u1", "given_name"]));
        assert_eq!(a.as_str(), "chg-5b9d171beaf8737a");
        assert_ne!(a, ItemId::derive("chg", &["u1g", "iven_name"]));
    }
}

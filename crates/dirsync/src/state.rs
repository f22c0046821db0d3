//! What the last sync agreed on: links between records and the values both sides held.

use crate::{Cursor, Person, RecordId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The memory between runs: which HR record is which directory record, the values both held after
/// the last successful sync (the baseline for a three-way merge), and cursors for incremental reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncState {
    /// Links keyed by the HR record's id.
    pub links: BTreeMap<RecordId, Link>,
    /// Opaque cursors for incremental reads, by name (e.g. "idp").
    pub cursors: BTreeMap<String, Cursor>,
}

/// One HR record's twin in the identity directory and the values both agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The identity directory's record.
    pub idp: RecordId,
    /// The field values both sides held after the last sync; absent fields had no agreed value.
    #[serde(default)]
    pub baseline: Person,
}

impl SyncState {
    /// An empty state: no links, no baseline.
    pub fn new() -> Self {
        Self::default()
    }

    /// Links `hr` to `idp` with the agreed values, replacing an earlier link of `hr`.
    ///
    /// Should two HR records ever be linked to one directory record, pairing uses the first link
    /// (by HR id) and reports the other as claiming a record that is taken.
    pub fn link(&mut self, hr: RecordId, idp: RecordId, baseline: Person) {
        self.links.insert(hr, Link { idp, baseline });
    }

    /// Forgets the link of HR record `hr`.
    pub fn unlink(&mut self, hr: &RecordId) -> Option<Link> {
        self.links.remove(hr)
    }

    /// The same state with the sides' roles swapped (links keyed by the directory's id).
    #[must_use]
    pub fn mirrored(&self) -> SyncState {
        SyncState {
            links: self
                .links
                .iter()
                .map(|(hr, link)| {
                    (link.idp.clone(), Link { idp: hr.clone(), baseline: link.baseline.clone() })
                })
                .collect(),
            cursors: self.cursors.clone(),
        }
    }
}

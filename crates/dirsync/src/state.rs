//! What the last sync agreed on: links between records and the values both sides held.

use crate::{
    BrokenLink, Cursor, DisabledAccount, HeldWrite, ItemId, KeptLink, Person, RecordId, Side,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The memory between runs: which HR record is which directory record, the values both held after
/// the last successful sync (the baseline for a three-way merge), and cursors for incremental reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SyncState {
    /// Links keyed by the HR record's id.
    pub links: BTreeMap<RecordId, Link>,
    /// Opaque cursors for incremental reads, by name (e.g. "idp").
    pub cursors: BTreeMap<String, Cursor>,
    /// The identity-directory accounts the sync disabled (leavers), by account id: only these
    /// are ever enabled again.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub disabled: BTreeMap<RecordId, DisabledAccount>,
    /// Writes a directory refused for good, held back until their value changes, their next try
    /// is due, or a person releases them ([`SyncState::release`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldWrite>,
    /// The findings and held-back writes the last run's report showed (and the writes it saw
    /// refused for good), by id: what the next report tells apart as new
    /// ([`crate::report::Report::news`]), so that "email on problems" does not repeat what stands.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub reported: BTreeMap<ItemId, Reported>,
}

/// A finding or held-back write a report showed, remembered in [`SyncState::reported`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reported {
    /// When a report first showed it.
    pub since: DateTime<Utc>,
    /// When a report that had problems ([`crate::report::Report::has_problems`], what "email on
    /// problems" sends) last showed it: a week after, the next report reminds of it.
    pub shown: DateTime<Utc>,
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

    /// Releases held writes, so the next sync tries them again: the one whose id is `id`, or
    /// every one of the record `id` on either side. Returns what was released.
    pub fn release(&mut self, id: &str) -> Vec<HeldWrite> {
        let (released, kept) = std::mem::take(&mut self.held)
            .into_iter()
            .partition(|h| h.id.as_str() == id || h.record.as_str() == id);
        self.held = kept;
        released
    }

    /// Puts the held-back writes in the order a run leaves them (by side, record and what they
    /// write): for a store that keeps them in no order of its own.
    pub fn sort_held(&mut self) {
        crate::quarantine::sort_held(&mut self.held);
    }

    /// Forgets the link of HR record `hr`.
    pub fn unlink(&mut self, hr: &RecordId) -> Option<Link> {
        self.links.remove(hr)
    }

    /// Adds each of the plan's `broken` links (see [`crate::plan::Plan::broken_links`]) whose remaining
    /// record no link of this state holds, so that the next run still knows this person's twin
    /// was deleted and a rule creating everyone does not create it again. A person created again
    /// or paired with someone new in this run is linked already, and their old link is left out.
    pub fn keep_broken_links(&mut self, broken: &[BrokenLink]) {
        if broken.is_empty() {
            return;
        }
        let linked_idp: HashSet<&RecordId> = self.links.values().map(|link| &link.idp).collect();
        let kept: Vec<(RecordId, Link)> = broken
            .iter()
            .filter(|b| match b.gone {
                Side::Idp => !self.links.contains_key(&b.hr),
                Side::Hr => !linked_idp.contains(&b.idp),
            })
            .map(|b| (b.hr.clone(), Link { idp: b.idp.clone(), baseline: b.baseline.clone() }))
            .collect();
        self.links.extend(kept);
    }

    /// Adds each of the plan's kept links (see [`crate::plan::Plan::kept_links`]) unless this state
    /// links either of its records already.
    pub fn keep_links(&mut self, kept: &[KeptLink]) {
        if kept.is_empty() {
            return;
        }
        let linked_idp: HashSet<&RecordId> = self.links.values().map(|link| &link.idp).collect();
        let kept: Vec<(RecordId, Link)> = kept
            .iter()
            .filter(|k| !self.links.contains_key(&k.hr) && !linked_idp.contains(&k.idp))
            .map(|k| (k.hr.clone(), Link { idp: k.idp.clone(), baseline: k.baseline.clone() }))
            .collect();
        self.links.extend(kept);
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
            disabled: self.disabled.clone(),
            held: self.held.clone(),
            reported: self.reported.clone(),
        }
    }
}

//! What the last sync agreed on: links between records and the values both sides held.

use crate::{BrokenLink, Cursor, DisabledAccount, HeldWrite, Person, RecordId, Side};
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

    /// Keeps the disabled accounts another writer (the real-time receiver) remembered while this
    /// sync was working from `start`, unless this sync enabled them again or remembered them
    /// itself.
    pub(crate) fn keep_disabled_meanwhile(&mut self, start: &SyncState, stored: &SyncState) {
        for (idp, account) in &stored.disabled {
            if !start.disabled.contains_key(idp) && !self.disabled.contains_key(idp) {
                self.disabled.insert(idp.clone(), account.clone());
            }
        }
    }

    /// Forgets the link of HR record `hr`.
    pub fn unlink(&mut self, hr: &RecordId) -> Option<Link> {
        self.links.remove(hr)
    }

    /// Adds each of the plan's `broken` links (see [`crate::Plan::broken_links`]) whose remaining
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

    /// Keeps the links another writer added to the stored state while this one was working from
    /// `start`: every link in `stored` (the state as it is stored now) whose HR record `start`
    /// did not link and this state does not link either, unless its directory record is linked
    /// here already. So a sync that saves what it worked out does not undo a link the real-time
    /// receiver saved in the meantime ([`crate::Synchronizer`] saves this way).
    pub(crate) fn keep_links_added_meanwhile(&mut self, start: &SyncState, stored: &SyncState) {
        let added: Vec<(&RecordId, &Link)> = stored
            .links
            .iter()
            .filter(|(hr, _)| !start.links.contains_key(*hr) && !self.links.contains_key(*hr))
            .collect();
        if added.is_empty() {
            return;
        }
        let taken: HashSet<&RecordId> = self.links.values().map(|link| &link.idp).collect();
        let kept: Vec<(RecordId, Link)> = added
            .into_iter()
            .filter(|(_, link)| !taken.contains(&link.idp))
            .map(|(hr, link)| (hr.clone(), link.clone()))
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(links: &[(&str, &str)]) -> SyncState {
        let mut state = SyncState::new();
        for (hr, idp) in links {
            state.link((*hr).into(), (*idp).into(), Person::new().with_given_name(*hr));
        }
        state
    }

    #[test]
    fn only_links_added_meanwhile_for_records_this_state_leaves_unlinked_are_kept() {
        let start = state(&[("h1", "a1"), ("h2", "a2")]);
        // This run relinked h1, dropped h2 (its twin was deleted) and linked h3.
        let mut after = state(&[("h1", "a9"), ("h3", "a3")]);
        // Meanwhile another writer saved: h2 still linked (as this run started), h4 → a4 (new),
        // h5 → a3 (new, but a3 is linked here already) and h3 → a7 (linked here too).
        let stored = state(&[("h2", "a2"), ("h3", "a7"), ("h4", "a4"), ("h5", "a3")]);

        after.keep_links_added_meanwhile(&start, &stored);

        let links: Vec<(&str, &str)> =
            after.links.iter().map(|(hr, link)| (hr.as_str(), link.idp.as_str())).collect();
        assert_eq!(links, [("h1", "a9"), ("h3", "a3"), ("h4", "a4")]);
        assert_eq!(after.links[&RecordId::new("h4")].baseline.given_name(), Some("h4"));
    }
}

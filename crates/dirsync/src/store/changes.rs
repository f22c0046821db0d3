//! What one writer changed in a state: the entries it set or removed, by key, so that a store
//! writes what changed rather than the whole state, and two writers never undo each other.

use crate::{Cursor, DisabledAccount, HeldWrite, ItemId, Link, RecordId, Reported, SyncState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// The changes one writer made to a [`SyncState`]: each link, cursor, disabled account,
/// held-back write and reported finding it set (`Some`) or removed (`None`), by its key.
///
/// A sync works out its changes once it has applied its plan ([`StateChanges::between`] the
/// state it started from and the state it ended with) and hands them to
/// [`crate::store::StateStore::commit`], so a store writes what the run changed (about a thousand rows
/// after 1 % of 100,000 people changed), never the whole state. Entries the run left alone stay
/// as they are stored, so a link the real-time receiver saved while the sync ran is kept.
///
/// One rule keeps the links one to one: a link set here takes its directory record from any
/// other link that holds it and is not itself changed here (the stored one is dropped), as
/// pairing would.
///
/// ```
/// use dirsync::{
///     model::Person,
///     store::{StateChanges, SyncState},
/// };
/// let mut before = SyncState::new();
/// before.link("h1".into(), "a1".into(), Person::new());
/// before.link("h2".into(), "a2".into(), Person::new());
/// let mut after = before.clone();
/// after.unlink(&"h2".into());
/// after.link("h3".into(), "a3".into(), Person::new());
///
/// let changes = StateChanges::between(&before, &after);
/// assert_eq!(changes.len(), 2); // h2 removed, h3 set; h1 untouched
///
/// // Meanwhile another writer linked h4; applying the changes keeps it.
/// let mut stored = before.clone();
/// stored.link("h4".into(), "a4".into(), Person::new());
/// changes.apply_to(&mut stored);
/// let linked: Vec<&str> = stored.links.keys().map(|hr| hr.as_str()).collect();
/// assert_eq!(linked, ["h1", "h3", "h4"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StateChanges {
    /// Links set or removed, by the HR record's id.
    pub links: BTreeMap<RecordId, Option<Link>>,
    /// Cursors set or removed, by name.
    pub cursors: BTreeMap<String, Option<Cursor>>,
    /// Disabled accounts remembered or forgotten, by the account's id.
    pub disabled: BTreeMap<RecordId, Option<DisabledAccount>>,
    /// Held-back writes remembered or forgotten, by their id.
    pub held: BTreeMap<ItemId, Option<HeldWrite>>,
    /// What a report showed, remembered or forgotten, by the finding's or held write's id
    /// ([`SyncState::reported`]).
    pub reported: BTreeMap<ItemId, Option<Reported>>,
}

impl StateChanges {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// What turned `before` into `after`: every entry that differs, set to its value in `after`
    /// or removed where `after` has none.
    pub fn between(before: &SyncState, after: &SyncState) -> StateChanges {
        let held_before: BTreeMap<&ItemId, &HeldWrite> =
            before.held.iter().map(|h| (&h.id, h)).collect();
        let held_after: BTreeMap<&ItemId, &HeldWrite> =
            after.held.iter().map(|h| (&h.id, h)).collect();
        StateChanges {
            links: diff(&before.links, &after.links),
            cursors: diff(&before.cursors, &after.cursors),
            disabled: diff(&before.disabled, &after.disabled),
            held: diff(&held_before, &held_after)
                .into_iter()
                .map(|(id, held)| (id.clone(), held.cloned()))
                .collect(),
            reported: diff(&before.reported, &after.reported),
        }
    }

    /// A change that links `hr` to `idp` with the agreed values (see [`SyncState::link`]).
    #[must_use]
    pub fn link(mut self, hr: RecordId, idp: RecordId, baseline: crate::Person) -> Self {
        self.links.insert(hr, Some(Link { idp, baseline }));
        self
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries are set or removed.
    pub fn len(&self) -> usize {
        self.links.len()
            + self.cursors.len()
            + self.disabled.len()
            + self.held.len()
            + self.reported.len()
    }

    /// The directory records that links set here point to.
    pub fn claimed_idp(&self) -> HashSet<&RecordId> {
        self.links.values().flatten().map(|link| &link.idp).collect()
    }

    /// Applies the changes to `state`: what is the store's `commit` for a store that holds the
    /// whole state (a file, memory).
    pub fn apply_to(&self, state: &mut SyncState) {
        let claimed = self.claimed_idp();
        if !claimed.is_empty() {
            state
                .links
                .retain(|hr, link| self.links.contains_key(hr) || !claimed.contains(&link.idp));
        }
        apply(&mut state.links, &self.links);
        apply(&mut state.cursors, &self.cursors);
        apply(&mut state.disabled, &self.disabled);
        apply(&mut state.reported, &self.reported);
        if !self.held.is_empty() {
            let mut held: BTreeMap<ItemId, HeldWrite> =
                std::mem::take(&mut state.held).into_iter().map(|h| (h.id.clone(), h)).collect();
            apply(&mut held, &self.held);
            state.held = held.into_values().collect();
            state.sort_held();
        }
    }
}

/// The entries of `after` that differ from `before`'s, and `None` for those `after` lacks.
fn diff<K: Ord + Clone, V: PartialEq + Clone>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
) -> BTreeMap<K, Option<V>> {
    let set = after
        .iter()
        .filter(|(key, value)| before.get(*key) != Some(*value))
        .map(|(key, value)| (key.clone(), Some(value.clone())));
    let removed =
        before.keys().filter(|key| !after.contains_key(*key)).map(|key| (key.clone(), None));
    set.chain(removed).collect()
}

fn apply<K: Ord + Clone, V: Clone>(map: &mut BTreeMap<K, V>, changes: &BTreeMap<K, Option<V>>) {
    for (key, change) in changes {
        match change {
            Some(value) => map.insert(key.clone(), value.clone()),
            None => map.remove(key),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Person;

    fn state(links: &[(&str, &str)]) -> SyncState {
        let mut state = SyncState::new();
        for (hr, idp) in links {
            state.link((*hr).into(), (*idp).into(), Person::new().with_given_name(*hr));
        }
        state
    }

    fn links(state: &SyncState) -> Vec<(&str, &str)> {
        state.links.iter().map(|(hr, link)| (hr.as_str(), link.idp.as_str())).collect()
    }

    #[test]
    fn a_run_keeps_the_links_added_meanwhile_unless_it_took_their_record() {
        let start = state(&[("h1", "a1"), ("h2", "a2")]);
        // This run relinked h1, dropped h2 (its twin was deleted) and linked h3.
        let after = state(&[("h1", "a9"), ("h3", "a3")]);
        // Meanwhile another writer saved: h4 → a4 (new), h5 → a3 (new, but this run links a3)
        // and h3 → a7 (this run links h3 itself).
        let mut stored = state(&[("h1", "a1"), ("h2", "a2"), ("h3", "a7"), ("h4", "a4")]);
        stored.link("h5".into(), "a3".into(), Person::new());

        StateChanges::between(&start, &after).apply_to(&mut stored);

        assert_eq!(links(&stored), [("h1", "a9"), ("h3", "a3"), ("h4", "a4")]);
        assert_eq!(stored.links[&RecordId::new("h4")].baseline.given_name(), Some("h4"));
    }

    #[test]
    fn applying_the_changes_to_the_start_gives_the_end() {
        let start = state(&[("h1", "a1"), ("h2", "a2"), ("h3", "a3")]);
        let mut end = state(&[("h1", "a1"), ("h3", "a3"), ("h4", "a4")]);
        end.links.get_mut(&RecordId::new("h3")).unwrap().baseline =
            Person::new().with_job_title("CTO");
        end.cursors.insert("idp".into(), Cursor::new("delta-2"));
        let changes = StateChanges::between(&start, &end);
        assert_eq!(changes.len(), 4, "h2 removed, h3 new baseline, h4 set, a cursor");
        let mut applied = start.clone();
        changes.apply_to(&mut applied);
        assert_eq!(applied, end);
        assert!(StateChanges::between(&end, &end).is_empty());
    }

    #[test]
    fn what_a_report_showed_is_committed_by_id_and_kept_where_the_run_left_it_alone() {
        let at = |day: u32| -> chrono::DateTime<chrono::Utc> {
            format!("2026-03-{day:02}T06:00:00Z").parse().expect("a time")
        };
        let seen = |since, shown| Reported { since: at(since), shown: at(shown) };
        let mut start = state(&[("h1", "a1")]);
        start.reported.insert(ItemId::new("fnd-1"), seen(1, 1));
        start.reported.insert(ItemId::new("fnd-2"), seen(1, 1));
        let mut end = start.clone();
        end.reported.insert(ItemId::new("fnd-1"), seen(1, 8)); // shown again in a reminder
        end.reported.remove(&ItemId::new("fnd-2")); // gone
        end.reported.insert(ItemId::new("held-3"), seen(8, 8)); // new
        let changes = StateChanges::between(&start, &end);
        assert_eq!(changes.reported.len(), 3);
        assert_eq!(changes.len(), 3, "the link is untouched");
        let mut applied = start.clone();
        changes.apply_to(&mut applied);
        assert_eq!(applied, end);

        // A file written before this field reads as nothing reported.
        let old: SyncState = serde_json::from_str(r#"{"links": {}, "cursors": {}}"#).expect("read");
        assert!(old.reported.is_empty());
        let json = serde_json::to_string(&end).expect("written");
        assert_eq!(serde_json::from_str::<SyncState>(&json).expect("read back"), end);
    }

    #[test]
    fn a_change_a_run_did_not_make_is_not_undone() {
        let start = state(&[("h1", "a1")]);
        let mut after = start.clone();
        after.cursors.insert("idp".into(), Cursor::new("c1"));
        // Another writer gave h1 a new baseline meanwhile; this run did not touch h1.
        let mut stored = start.clone();
        stored.links.get_mut(&RecordId::new("h1")).unwrap().baseline =
            Person::new().with_phone("+47 1");
        StateChanges::between(&start, &after).apply_to(&mut stored);
        assert_eq!(stored.links[&RecordId::new("h1")].baseline.phone(), Some("+47 1"));
        assert_eq!(stored.cursors["idp"], Cursor::new("c1"));
    }
}

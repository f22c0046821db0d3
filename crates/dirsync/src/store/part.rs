//! The part of a stored state that concerns a few people: what a real-time push reads instead of
//! the whole state ([`super::StateStore::load_part`]).

use crate::{RecordId, SyncState};

/// Which part of a stored state [`super::StateStore::load_part`] reads: what concerns the HR
/// records `hr` and the identity-directory accounts `idp`, and, when asked for, how many links
/// the whole state has.
///
/// The number of links is asked for apart because a database counts them, a cost that grows
/// with the organisation: a push asks for it once for an event (for the threshold on disabled
/// accounts, when leavers are disabled), not for each person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartRequest<'a> {
    /// The HR records whose links and held writes are asked for.
    pub hr: &'a [RecordId],
    /// The accounts whose links, disabled entries and held writes are asked for.
    pub idp: &'a [RecordId],
    /// Whether the number of all the state's links is asked for.
    pub links_total: bool,
}

impl<'a> PartRequest<'a> {
    /// What concerns the HR records `hr` and the accounts `idp`; no count of the links.
    pub fn new(hr: &'a [RecordId], idp: &'a [RecordId]) -> Self {
        PartRequest { hr, idp, links_total: false }
    }

    /// The same, and how many links the whole state has.
    #[must_use]
    pub fn with_links_total(self) -> Self {
        PartRequest { links_total: true, ..self }
    }
}

/// The part of a stored state that concerns some HR records and some identity-directory
/// accounts ([`PartRequest`]), and how many links the whole state has when that was asked for.
///
/// A push of one person needs their link, the link of the account it would write to (to refuse
/// an account linked to another person), that account's memory of being disabled and the
/// writes held back for either; the number of links sets the default threshold on disabled
/// accounts ([`crate::apply::default_max_disables`]). Reading only these keeps a push's cost
/// the same however many people the state links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatePart {
    /// The links whose HR record or account was asked for, the disabled entries of the accounts
    /// asked for, and the held writes whose record is one of either; no cursors and nothing
    /// reported.
    pub state: SyncState,
    /// How many links the whole state has, when [`PartRequest::links_total`] asked for it
    /// (`None` otherwise).
    pub links_total: Option<usize>,
}

impl StatePart {
    /// The part of `state` that `request` asks for: what [`super::StateStore::load_part`]
    /// returns.
    ///
    /// ```
    /// use dirsync::{model::Person, store::{PartRequest, StatePart, SyncState}};
    /// let mut state = SyncState::new();
    /// state.link("h1".into(), "a1".into(), Person::new());
    /// state.link("h2".into(), "a2".into(), Person::new());
    /// state.link("h3".into(), "a3".into(), Person::new());
    /// let (hr, idp) = (["h1".into()], ["a2".into()]);
    /// let part = StatePart::of(&state, &PartRequest::new(&hr, &idp).with_links_total());
    /// assert_eq!(part.state.links.len(), 2); // h1's link, and the one to a2
    /// assert_eq!(part.links_total, Some(3));
    /// ```
    pub fn of(state: &SyncState, request: &PartRequest<'_>) -> StatePart {
        let PartRequest { hr, idp, links_total } = *request;
        let mut part = SyncState::new();
        part.links = state
            .links
            .iter()
            .filter(|(id, link)| hr.contains(id) || idp.contains(&link.idp))
            .map(|(id, link)| (id.clone(), link.clone()))
            .collect();
        part.disabled = idp
            .iter()
            .filter_map(|id| state.disabled.get(id).map(|account| (id.clone(), account.clone())))
            .collect();
        let asked = |record: &RecordId| hr.contains(record) || idp.contains(record);
        part.held = state.held.iter().filter(|held| asked(&held.record)).cloned().collect();
        StatePart { state: part, links_total: links_total.then_some(state.links.len()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        AccountReason, Cursor, DisabledAccount, ErrorKind, Field, HeldWrite, ItemId, Person, Side,
        Write,
    };
    use chrono::Utc;

    fn held(record: &str) -> HeldWrite {
        HeldWrite {
            id: ItemId::new(format!("held-{record}")),
            target: Side::Idp,
            record: record.into(),
            name: "Ada Lund".to_owned(),
            write: Write::Field(Field::JobTitle),
            value: Some("CTO".to_owned()),
            current: None,
            value_data: None,
            current_data: None,
            person_data: None,
            kind: ErrorKind::PermissionDenied,
            error: "Insufficient privileges".to_owned(),
            first_seen: Utc::now(),
            last_seen: Utc::now(),
            attempts: 1,
        }
    }

    fn disabled(hr: &str) -> DisabledAccount {
        DisabledAccount {
            hr: hr.into(),
            at: Utc::now(),
            reason: AccountReason::InactiveInHr,
            sessions_revoked: false,
        }
    }

    /// Ten links h0 → a0 …, a disabled a1 and a2, and held writes of h3, a4 and a5.
    fn state() -> SyncState {
        let mut state = SyncState::new();
        for i in 0..10 {
            state.link(format!("h{i}").into(), format!("a{i}").into(), Person::new());
        }
        state.disabled.insert("a1".into(), disabled("h1"));
        state.disabled.insert("a2".into(), disabled("h2"));
        state.held = vec![held("h3"), held("a4"), held("a5")];
        state.sort_held();
        state
    }

    fn ids(part: &StatePart) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
        let links = part.state.links.keys().map(RecordId::as_str).collect();
        let disabled = part.state.disabled.keys().map(RecordId::as_str).collect();
        let held = part.state.held.iter().map(|h| h.record.as_str()).collect();
        (links, disabled, held)
    }

    #[test]
    fn a_link_is_found_by_its_hr_record_or_by_its_account() {
        let part = StatePart::of(&state(), &PartRequest::new(&["h1".into()], &["a6".into()]));
        assert_eq!(ids(&part).0, ["h1", "h6"]);
        assert_eq!(part.state.links[&RecordId::from("h6")].idp.as_str(), "a6");
        let by_hr_only =
            StatePart::of(&state(), &PartRequest::new(&["h6".into(), "h99".into()], &[]));
        assert_eq!(ids(&by_hr_only).0, ["h6"], "an id with no link adds none");
    }

    #[test]
    fn disabled_entries_are_those_of_the_accounts_asked_for() {
        // h1's account a1 is disabled, but only the accounts asked for bring theirs.
        let part =
            StatePart::of(&state(), &PartRequest::new(&["h1".into()], &["a2".into(), "a7".into()]));
        assert_eq!(ids(&part).1, ["a2"]);
    }

    #[test]
    fn held_writes_are_those_of_either_record() {
        let part = StatePart::of(&state(), &PartRequest::new(&["h3".into()], &["a4".into()]));
        assert_eq!(ids(&part).2, ["a4", "h3"]);
        let swapped = StatePart::of(&state(), &PartRequest::new(&["a5".into()], &[]));
        assert_eq!(ids(&swapped).2, ["a5"], "a record is a record, whichever list names it");
    }

    #[test]
    fn the_total_counts_every_link_and_nothing_else_is_taken() {
        let whole = state();
        let part = StatePart::of(&whole, &PartRequest::new(&[], &[]).with_links_total());
        assert_eq!(part.links_total, Some(10));
        assert_eq!(part.state, SyncState::new());
        let mut with_cursor = whole.clone();
        with_cursor.cursors.insert("idp".to_owned(), Cursor::new("delta"));
        let part = StatePart::of(&with_cursor, &PartRequest::new(&["h1".into()], &[]));
        assert!(part.state.cursors.is_empty(), "cursors are not a push's business");
        assert_eq!(part.links_total, None, "not asked for");
    }
}

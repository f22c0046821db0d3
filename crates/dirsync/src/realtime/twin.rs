//! Finding one HR person's twin in the identity directory without reading all of it: the record
//! the state links them to, else the one record with their employment id or email.

use crate::{Directory, ErrorChain, Names, Person, Record, RecordId, SyncState};

/// What the look-up found.
pub(super) enum Twin {
    /// This record (the linked one, or the one that matches).
    Found(Record),
    /// Nobody holds this person (the linked record, if any, was deleted).
    None,
    /// Several records match, or the one that matches is another HR person's: why, for a person.
    Ambiguous(String),
    /// A read failed: what, for a person.
    Failed(String),
}

/// What [`find`] found before the state's other links were looked at.
pub(super) enum Lookup {
    /// The record the state links the person to.
    Linked(Record),
    /// The one record with the person's employment id or email: theirs unless the state links
    /// it to another HR person ([`Lookup::settle`]).
    Matched(Record),
    /// Nothing, or something to report: no record's link needs reading.
    Settled(Twin),
}

impl Lookup {
    /// The record found, whose link and state entries are to be read before [`Lookup::settle`].
    pub(super) fn record(&self) -> Option<&Record> {
        match self {
            Lookup::Linked(record) | Lookup::Matched(record) => Some(record),
            Lookup::Settled(_) => None,
        }
    }

    /// The twin of the HR person `hr`, with `state` holding at least the link to the record
    /// found, if there is one (a push reads that part only, not every link).
    pub(super) fn settle(self, hr: &RecordId, state: &SyncState, names: &Names) -> Twin {
        match self {
            Lookup::Linked(record) => Twin::Found(record),
            Lookup::Matched(record) => {
                owned_by_another(&record, hr, state, names).unwrap_or(Twin::Found(record))
            }
            Lookup::Settled(twin) => twin,
        }
    }
}

/// The twin of the HR person `hr` (with `person`'s values) in `idp`, going by `state`'s link of
/// `hr`; one found by matching is to be checked against the link to it ([`Lookup::settle`]).
pub(super) async fn find(
    idp: &dyn Directory,
    hr: &RecordId,
    person: &Person,
    state: &SyncState,
    names: &Names,
) -> Lookup {
    if let Some(id) = state.links.get(hr).map(|link| &link.idp) {
        match idp.get(id).await {
            Ok(Some(found)) => return Lookup::Linked(found),
            Ok(None) => {}
            Err(e) => {
                return Lookup::Settled(Twin::Failed(format!(
                    "could not read the {} user {id}: {}",
                    names.idp,
                    ErrorChain(&e)
                )));
            }
        }
    }
    let found = match idp.find_matching(person).await {
        Ok(found) => found,
        Err(e) => {
            let what = format!("could not look the person up in {}", names.idp);
            return Lookup::Settled(Twin::Failed(format!("{what}: {}", ErrorChain(&e))));
        }
    };
    if found.len() > 1 {
        let ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
        return Lookup::Settled(Twin::Ambiguous(format!(
            "{} {} users have this person's employment id or email ({}); nothing was written: \
             remove the duplicates",
            found.len(),
            names.idp,
            ids.join(", ")
        )));
    }
    found.into_iter().next().map_or(Lookup::Settled(Twin::None), Lookup::Matched)
}

/// A record the state links to another HR person is theirs, as in a sync: writing this person's
/// values into it would reach the other one's HR record with the next sync.
fn owned_by_another(
    record: &Record,
    hr: &RecordId,
    state: &SyncState,
    names: &Names,
) -> Option<Twin> {
    let (other, _) =
        state.links.iter().find(|(other, link)| link.idp == record.id && *other != hr)?;
    Some(Twin::Ambiguous(format!(
        "the {} user {} has this person's employment id or email, but is linked to {} person \
         {other}; nothing was written: if they are one person, remove the duplicate in {}",
        names.idp, record.id, names.hr, names.hr
    )))
}

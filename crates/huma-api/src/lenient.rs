//! Reading users one by one: a user whose JSON holds a property of the wrong type becomes an
//! [unreadable](Record::unreadable) record with the keys that could be read, instead of failing
//! the read of everyone until someone corrects that person in Huma.
//!
//! An answer that is not JSON at all, a list page whose `items` is not an array, and HTTP
//! failures still fail the read: those say that Huma's format changed, or that something other
//! than Huma answered, and no record can be trusted.

use crate::client::HumaClient;
use crate::errors::{HumaError, kept};
use crate::ids::HumaUserId;
use crate::mapping::record_from_json;
use crate::model::UserSummary;
use crate::raw::{Problem, RawKeys, shortened};
use crate::scope::HumaScope;
use dirsync::{
    directory::{Record, RecordId},
    model::Person,
};
use dirsync_runtime::lenient::is_object;
use reqwest::Method;
use serde::Deserialize;
use serde::de::Error as _;
use serde_json::value::RawValue;

/// Where a user's JSON came from, for the reason.
const LIST_ENTRY: &str = "this user's entry in Huma's user list";

/// `person`, with each key it lacks taken from `other`.
fn with_missing_keys(mut person: Person, other: &Person) -> Person {
    if person.email().is_none()
        && let Some(email) = other.email()
    {
        person = person.with_email(email);
    }
    if person.employment_id().is_none()
        && let Some(id) = other.employment_id()
    {
        person = person.with_employment_id(id);
    }
    person
}

/// One entry of a user list page, read on its own.
#[derive(Debug)]
pub(crate) struct Listed {
    /// The entry's offset in the list.
    position: u64,
    /// The keys the entry holds (the list has only the email).
    keys: Person,
    entry: Entry,
}

#[derive(Debug)]
enum Entry {
    Read(UserSummary),
    Unreadable {
        /// The id, when the entry holds a non-blank string there.
        id: Option<HumaUserId>,
        problem: Problem,
        /// The entry's JSON, for an error.
        raw: String,
    },
}

impl Listed {
    fn read(raw: &RawValue, position: u64) -> Listed {
        let text = raw.get().as_bytes();
        let entry = if is_object(text) {
            Problem::read::<UserSummary>(text)
        } else {
            Err(Problem::not_an_object(text))
        };
        match entry {
            Ok(summary) => {
                let mut keys = Person::new();
                if let Some(email) = &summary.email {
                    keys = keys.with_email(email);
                }
                Listed { position, keys, entry: Entry::Read(summary) }
            }
            Err(problem) => {
                let raw_keys = RawKeys::read(text);
                let (id, keys) = (raw_keys.id(), raw_keys.person());
                let entry = Entry::Unreadable { id, problem, raw: raw.get().to_owned() };
                Listed { position, keys, entry }
            }
        }
    }

    /// The user's id, when the entry holds one (even when the rest of it cannot be read).
    pub(crate) fn id(&self) -> Option<&HumaUserId> {
        match &self.entry {
            Entry::Read(summary) => Some(&summary.id),
            Entry::Unreadable { id, .. } => id.as_ref(),
        }
    }

    /// What tells this entry apart when pages are checked for repeats: its id, else its JSON.
    pub(crate) fn repeat_key(&self) -> String {
        match &self.entry {
            Entry::Read(UserSummary { id, .. }) | Entry::Unreadable { id: Some(id), .. } => {
                id.as_str().to_owned()
            }
            Entry::Unreadable { id: None, raw, .. } => raw.clone(),
        }
    }

    /// The entry as a [`UserSummary`], for the calls that return the list as it is.
    ///
    /// # Errors
    /// [`HumaError::Decode`] naming the entry and the property, when it could not be read.
    pub(crate) fn into_summary(self, what: &str) -> Result<UserSummary, HumaError> {
        match self.entry {
            Entry::Read(summary) => Ok(summary),
            Entry::Unreadable { problem, raw, .. } => {
                let at = if problem.at.is_empty() {
                    String::new()
                } else {
                    format!(", at `{}`", problem.at)
                };
                Err(HumaError::Decode {
                    what: format!("{what} (the user at offset {}{at})", self.position),
                    source: problem.error,
                    body: kept(raw.as_bytes()),
                })
            }
        }
    }
}

/// The id of a list entry that has none. It cannot clash with a real one: Huma's user ids are
/// UUIDs, which hold neither spaces nor brackets.
fn stand_in_id(position: u64) -> RecordId {
    RecordId::new(format!("(user list entry at offset {position} without an id)"))
}

/// A list page, each entry read on its own.
///
/// # Errors
/// The page is not JSON, not an object, or its `items` is not an array: the list's format is
/// not what this crate knows, and no entry is returned.
pub(crate) fn read_page(
    body: &[u8],
    offset: u64,
) -> Result<(Vec<Listed>, Option<u64>), serde_json::Error> {
    #[derive(Deserialize)]
    struct RawPage<'a> {
        #[serde(default, deserialize_with = "dirsync_runtime::lenient::optional_u64")]
        total: Option<u64>,
        #[serde(default, borrow)]
        items: Vec<&'a RawValue>,
    }
    let page: RawPage<'_> = serde_json::from_slice(body)?;
    // Checked after the syntax, whose error says more; `[]` would otherwise read as an empty list.
    if !is_object(body) {
        return Err(serde_json::Error::custom("the page is not a JSON object"));
    }
    let listed = page
        .items
        .iter()
        .zip(offset..)
        .map(|(raw, position)| Listed::read(raw, position))
        .collect();
    Ok((listed, page.total))
}

/// Logs a record that could not be read, once, where it is handed out.
pub(crate) fn warn_if_unreadable(record: &Record) {
    if let Some(reason) = &record.unreadable {
        tracing::warn!(
            user = %record.id,
            reason = %reason,
            "a Huma user could not be read: nothing is written to them, and no one with their \
             email or employment id is created, until they are corrected in Huma"
        );
    }
}

impl HumaClient {
    /// One user's details as a record, read leniently ([`record_from_json`]), marked with where
    /// it stands toward `scope` by the groups of its details.
    ///
    /// # Errors
    /// [`HumaError::NotFound`] when there is no such user; an answer that is not JSON; other
    /// failures of the request.
    pub(crate) async fn user_record(
        &self,
        id: &HumaUserId,
        scope: &HumaScope,
    ) -> Result<Record, HumaError> {
        let body = self.call(self.request(Method::GET, &["users", id.as_str()], &[])).await?;
        Ok(scope.mark(record_from_json(id, &body)?, &body))
    }

    /// A list entry as a record: its details read leniently when it has an id, and unreadable
    /// when the entry itself could not be read (with the keys of its details where they could be
    /// read, else of the entry), marked toward `scope` as in [`HumaClient::user_record`]. Logs
    /// the record when it is unreadable.
    ///
    /// # Errors
    /// As [`HumaClient::user_record`].
    pub(crate) async fn listed_record(
        &self,
        listed: Listed,
        scope: &HumaScope,
    ) -> Result<Record, HumaError> {
        let record = match listed.entry {
            Entry::Read(summary) => {
                let record = self.user_record(&summary.id, scope).await?;
                if record.is_unreadable() {
                    let keys = with_missing_keys(record.person.clone(), &listed.keys);
                    Record { person: keys, ..record }
                } else {
                    record
                }
            }
            Entry::Unreadable { id: Some(id), problem, .. } => {
                let details = self.user_record(&id, scope).await?;
                // The details' keys come first: only they hold the employment id.
                let keys = with_missing_keys(details.person.keys_only(), &listed.keys);
                let reason = match &details.unreadable {
                    Some(also) => shortened(format!("{}; and {also}", problem.reason(LIST_ENTRY))),
                    None => problem.reason(LIST_ENTRY),
                };
                Record::unreadable(id, keys, reason).with_scope(details.scope)
            }
            Entry::Unreadable { id: None, problem, .. } => Record::unreadable(
                stand_in_id(listed.position),
                listed.keys,
                problem.reason(LIST_ENTRY),
            ),
        };
        warn_if_unreadable(&record);
        Ok(record)
    }
}

//! Reading users one by one: a user whose JSON holds a property of the wrong type becomes an
//! [unreadable](Record::unreadable) record with the keys that could be read, instead of failing
//! the read of everyone until someone corrects that person in Huma.
//!
//! An answer that is not JSON at all, a list page whose `items` is not an array, and HTTP
//! failures still fail the read: those say that Huma's format changed, or that something other
//! than Huma answered, and no record can be trusted.

use crate::client::Body;
use crate::errors::kept;
use crate::mapping::record_from_details;
use crate::model::{UserDetails, UserSummary};
use crate::{HumaClient, HumaError, HumaUserId};
use dirsync::{Person, Record, RecordId};
use reqwest::Method;
use serde::Deserialize;
use serde::de::{Error as _, IgnoredAny};
use serde_json::value::RawValue;
use std::fmt;

/// The longest reason a record keeps: serde quotes the value that did not fit, and a 100 kB
/// string has no place in a report.
const MAX_REASON: usize = 400;

/// Where a user's JSON came from, for the reason.
const DETAILS: &str = "Huma's details of this user";
const LIST_ENTRY: &str = "this user's entry in Huma's user list";

/// Why a user's JSON could not be read: the property (in Huma's names, e.g. `status.active`;
/// empty for the whole value) and what did not fit.
pub(crate) struct Problem {
    at: String,
    error: serde_json::Error,
}

impl Problem {
    fn from_path(error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = error.path().to_string();
        // serde_path_to_error writes the whole value as ".".
        let at = if path == "." { String::new() } else { path };
        Problem { at, error: error.into_inner() }
    }

    /// A value that is valid JSON but not an object.
    fn not_an_object(text: &[u8]) -> Self {
        let kind = match text.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => "an array",
            Some(b'"') => "a string",
            Some(b'n') => "null",
            Some(b't' | b'f') => "a boolean",
            _ => "a number",
        };
        let error = serde_json::Error::custom(format!("it is {kind}, not a JSON object"));
        Problem { at: String::new(), error }
    }

    /// What serde said, without the line and column (a user's JSON is one line of a page).
    fn message(&self) -> String {
        let text = self.error.to_string();
        let location = format!(" at line {} column {}", self.error.line(), self.error.column());
        text.strip_suffix(&location).map(str::to_owned).unwrap_or(text)
    }

    /// The reason, for a person to read: which value, which property, and what was wrong.
    fn reason(&self, source: &str) -> String {
        let reason = if self.at.is_empty() {
            format!("{source} could not be read: {}", self.message())
        } else {
            format!("{source} could not be read at `{}`: {}", self.at, self.message())
        };
        shortened(reason)
    }
}

impl fmt::Debug for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Problem").field("at", &self.at).field("message", &self.message()).finish()
    }
}

fn shortened(mut text: String) -> String {
    if text.len() > MAX_REASON {
        let mut end = MAX_REASON;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

/// The keys of a user whose JSON as a whole could not be read, each as its raw JSON: a raw value
/// is read without converting anything, so a key is kept even when another holds a number beyond
/// what serde_json reads.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKeys<'a> {
    #[serde(default, borrow)]
    id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    email: Option<&'a RawValue>,
    #[serde(default, borrow)]
    employment_id: Option<&'a RawValue>,
}

impl<'a> RawKeys<'a> {
    /// The keys in `text`; none when it is not an object (or the keys themselves do not parse).
    fn read(text: &'a [u8]) -> RawKeys<'a> {
        if !is_object(text) {
            return RawKeys::default();
        }
        serde_json::from_slice(text).unwrap_or_default()
    }

    /// The id, when it is a non-blank string (an id is never wrapped).
    fn id(&self) -> Option<HumaUserId> {
        let id = text(self.id?)?;
        (!id.trim().is_empty()).then(|| HumaUserId::new(id))
    }

    /// The email and employment id, each where it is text: as Huma puts it, `{"value": "x"}`, or
    /// the property itself (as in a list entry).
    fn person(&self) -> Person {
        let key = |raw: Option<&RawValue>| raw.and_then(|raw| text(raw).or_else(|| wrapped(raw)));
        let mut person = Person::new();
        if let Some(email) = key(self.email) {
            person = person.with_email(email);
        }
        if let Some(id) = key(self.employment_id) {
            person = person.with_employment_id(id);
        }
        person
    }
}

/// The string `raw` holds, if it is one.
fn text(raw: &RawValue) -> Option<String> {
    serde_json::from_str(raw.get()).ok()
}

/// The string `raw.value` holds, if `raw` is an object and its `value` a string.
fn wrapped(raw: &RawValue) -> Option<String> {
    #[derive(Deserialize)]
    struct Wrapped<'a> {
        #[serde(borrow)]
        value: Option<&'a RawValue>,
    }
    if !is_object(raw.get().as_bytes()) {
        return None;
    }
    let wrapped: Wrapped<'_> = serde_json::from_str(raw.get()).ok()?;
    text(wrapped.value?)
}

/// Whether valid JSON `text` is an object. Checked first, because serde also reads a struct from
/// an array of its fields in order, and a user that is an array is not a user.
fn is_object(text: &[u8]) -> bool {
    text.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

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

/// One user's details (`GET /users/{id}`'s answer) as a record, read leniently: details that are
/// JSON but of the wrong shape (a property of the wrong type, a missing `id`, the details of
/// another user) give an [unreadable](Record::unreadable) record for `id` that holds the email
/// and employment id when they are text (at `email.value` and `employmentId.value`, or the
/// property itself). Whatever `body` holds, a record is for `id` and no other.
///
/// ```
/// use huma_api::HumaUserId;
/// use huma_api::mapping::record_from_json;
/// let id = HumaUserId::new("0b6c8f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f");
/// let body = br#"{"id": "0b6c8f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f",
///                 "email": {"value": "ada@example.com"}, "status": {"active": "yes"}}"#;
/// let record = record_from_json(&id, body)?;
/// assert_eq!(record.id.as_str(), id.as_str());
/// assert_eq!(record.person.email(), Some("ada@example.com"));
/// assert!(record.unreadable.unwrap().contains("`status.active`"));
///
/// // Not JSON at all: the answer, not the user, is wrong.
/// assert!(record_from_json(&id, b"<html>502 Bad Gateway</html>").is_err());
/// # Ok::<(), huma_api::HumaError>(())
/// ```
///
/// # Errors
/// [`HumaError::Decode`] when `body` is not JSON (or not UTF-8, which JSON is).
pub fn record_from_json(id: &HumaUserId, body: &[u8]) -> Result<Record, HumaError> {
    // JSON is UTF-8, and `IgnoredAny` does not check the bytes inside strings.
    if let Err(e) = std::str::from_utf8(body) {
        let e = serde_json::Error::custom(format!("the answer is not UTF-8: {e}"));
        return Err(HumaError::decode(format!("GET /users/{id}"), e, body));
    }
    // `IgnoredAny` checks the syntax without building anything, and takes what serde_json's
    // typed reading refuses although it is JSON (a number beyond f64, nesting deeper than 128),
    // so such a user is unreadable rather than the answer.
    if let Err(e) = serde_json::from_slice::<IgnoredAny>(body) {
        return Err(HumaError::decode(format!("GET /users/{id}"), e, body));
    }
    let details = if is_object(body) {
        let mut json = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize::<_, UserDetails>(&mut json).map_err(Problem::from_path)
    } else {
        Err(Problem::not_an_object(body))
    };
    let unreadable = |reason| Record::unreadable(id.clone(), RawKeys::read(body).person(), reason);
    Ok(match details {
        Ok(details) if details.id == *id => record_from_details(&details),
        Ok(details) => unreadable(shortened(format!(
            "Huma answered with the details of user {} when asked for this user's",
            details.id
        ))),
        Err(problem) => unreadable(problem.reason(DETAILS)),
    })
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
            let mut json = serde_json::Deserializer::from_slice(text);
            serde_path_to_error::deserialize::<_, UserSummary>(&mut json)
                .map_err(Problem::from_path)
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
    /// One user's details as a record, read leniently ([`record_from_json`]).
    ///
    /// # Errors
    /// [`HumaError::NotFound`] when there is no such user; an answer that is not JSON; other
    /// failures of the request.
    pub(crate) async fn user_record(&self, id: &HumaUserId) -> Result<Record, HumaError> {
        let body = self.call(Method::GET, &["users", id.as_str()], &[], Body::None).await?;
        record_from_json(id, &body)
    }

    /// A list entry as a record: its details read leniently when it has an id, and unreadable
    /// when the entry itself could not be read (with the keys of its details where they could be
    /// read, else of the entry). Logs the record when it is unreadable.
    ///
    /// # Errors
    /// As [`HumaClient::user_record`].
    pub(crate) async fn listed_record(&self, listed: Listed) -> Result<Record, HumaError> {
        let record = match listed.entry {
            Entry::Read(summary) => {
                let record = self.user_record(&summary.id).await?;
                if record.is_unreadable() {
                    let keys = with_missing_keys(record.person.clone(), &listed.keys);
                    Record { person: keys, ..record }
                } else {
                    record
                }
            }
            Entry::Unreadable { id: Some(id), problem, .. } => {
                let details = self.user_record(&id).await?;
                // The details' keys come first: only they hold the employment id.
                let keys = with_missing_keys(details.person.keys_only(), &listed.keys);
                let reason = match &details.unreadable {
                    Some(also) => shortened(format!("{}; and {also}", problem.reason(LIST_ENTRY))),
                    None => problem.reason(LIST_ENTRY),
                };
                Record::unreadable(id, keys, reason)
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

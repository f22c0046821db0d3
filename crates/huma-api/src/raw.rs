//! A user's raw JSON, when it could not be read as a whole: why not, and the keys that could
//! be read (id, email, employment id), so that the user is kept as unreadable with them.

use crate::ids::HumaUserId;
use dirsync::model::Person;
use dirsync_runtime::lenient::is_object;
use dirsync_runtime::truncate;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde::de::Error as _;
use serde_json::value::RawValue;
use std::fmt;

/// The longest reason a record keeps: serde quotes the value that did not fit, and a 100 kB
/// string has no place in a report.
const MAX_REASON: usize = 400;

/// Why a user's JSON could not be read: the property (in Huma's names, e.g. `status.active`;
/// empty for the whole value) and what did not fit.
pub(crate) struct Problem {
    pub(crate) at: String,
    pub(crate) error: serde_json::Error,
}

impl Problem {
    /// `text` (a JSON object) read as a `T`, or where and why it could not be.
    ///
    /// Read once without tracking the path, which costs several times as much: only a value that
    /// fails is read again to name the property.
    pub(crate) fn read<T: DeserializeOwned>(text: &[u8]) -> Result<T, Problem> {
        serde_json::from_slice(text).or_else(|_| Problem::tracked(text))
    }

    /// `text` read as a `T`, noting the path: for a value already known not to read.
    pub(crate) fn tracked<T: DeserializeOwned>(text: &[u8]) -> Result<T, Problem> {
        let mut json = serde_json::Deserializer::from_slice(text);
        serde_path_to_error::deserialize(&mut json).map_err(Problem::from_path)
    }

    fn from_path(error: serde_path_to_error::Error<serde_json::Error>) -> Self {
        let path = error.path().to_string();
        // serde_path_to_error writes the whole value as ".".
        let at = if path == "." { String::new() } else { path };
        Problem { at, error: error.into_inner() }
    }

    /// A value that is valid JSON but not an object.
    pub(crate) fn not_an_object(text: &[u8]) -> Self {
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
    pub(crate) fn reason(&self, source: &str) -> String {
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

/// `text` cut to the longest reason a record keeps.
pub(crate) fn shortened(text: String) -> String {
    truncate(&text, MAX_REASON)
}

/// The keys of a user whose JSON as a whole could not be read, each as its raw JSON: a raw value
/// is read without converting anything, so a key is kept even when another holds a number beyond
/// what serde_json reads.
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawKeys<'a> {
    #[serde(default, borrow)]
    id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    email: Option<&'a RawValue>,
    #[serde(default, borrow)]
    employment_id: Option<&'a RawValue>,
}

impl<'a> RawKeys<'a> {
    /// The keys in `text`; none when it is not an object (or the keys themselves do not parse).
    pub(crate) fn read(text: &'a [u8]) -> RawKeys<'a> {
        if !is_object(text) {
            return RawKeys::default();
        }
        serde_json::from_slice(text).unwrap_or_default()
    }

    /// The id, when it is a non-blank string (an id is never wrapped).
    pub(crate) fn id(&self) -> Option<HumaUserId> {
        let id = text(self.id?)?;
        (!id.trim().is_empty()).then(|| HumaUserId::new(id))
    }

    /// The email and employment id, each where it is text: as Huma puts it, `{"value": "x"}`, or
    /// the property itself (as in a list entry).
    pub(crate) fn person(&self) -> Person {
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

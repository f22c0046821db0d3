//! One page of users as Graph answers it, read element by element: a user of the wrong shape
//! becomes an [`UnreadableUser`] instead of failing the page, and with it every sync.
//!
//! Only the page itself must have the expected shape (a JSON object whose `value` is an array);
//! a page that does not has a format this client does not know, and fails the read.

use crate::errors::GraphError;
use crate::ids::GraphUserId;
use crate::model::GraphUser;
use dirsync_runtime::lenient::is_object;
use dirsync_runtime::{KEPT_BODY, truncate};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// The most bytes of a reason kept: a value of the wrong type is quoted in it, and may be huge.
const MAX_REASON: usize = 300;

/// A user Graph returned that could not be read: a property of the wrong JSON type (`"jobTitle":
/// 42`), a number out of range, an element that is not an object, an id that is not text.
///
/// What could be read of its keys is kept, so that the user still blocks the creation of a
/// duplicate; see [`dirsync::directory::Record::unreadable`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnreadableUser {
    /// Its object id; for an element without a readable one, a made-up id
    /// ([`UnreadableUser::made_up_id`]).
    pub id: GraphUserId,
    /// Whether `id` was made up because the element had no readable id: it then starts with `#`,
    /// which Graph's object ids (GUIDs) never hold, so it never addresses a real user.
    pub made_up_id: bool,
    /// `employeeId`, when it is text (trimmed, not blank).
    pub employee_id: Option<String>,
    /// `mail`, else `userPrincipalName`, when text (trimmed, not blank): the email the mapping
    /// matches on.
    pub email: Option<String>,
    /// What was wrong, naming the property: `jobTitle: invalid type: integer `42`, expected a
    /// string`.
    pub reason: String,
}

/// One element of a page of users: a user, or one that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
// Nearly every entry is a user: boxing it would cost an allocation per user to save space on the
// rare unreadable one.
#[allow(clippy::large_enum_variant)]
pub enum UserEntry {
    /// A user of the expected shape.
    User(GraphUser),
    /// A user that could not be read.
    Unreadable(UnreadableUser),
}

impl UserEntry {
    /// The user's object id (made up for an unreadable element without one).
    pub fn id(&self) -> &GraphUserId {
        match self {
            UserEntry::User(user) => &user.id,
            UserEntry::Unreadable(user) => &user.id,
        }
    }

    /// The user, when it could be read.
    pub fn user(&self) -> Option<&GraphUser> {
        match self {
            UserEntry::User(user) => Some(user),
            UserEntry::Unreadable(_) => None,
        }
    }
}

/// One page of a user listing, read leniently by [`read_users_page`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UsersPage {
    /// One entry per element of the page's `value`, in order.
    pub entries: Vec<UserEntry>,
    /// `@odata.nextLink`: the next page, as given.
    pub next_link: Option<String>,
    /// `@odata.deltaLink`: where the next delta round starts (the last page of a round).
    pub delta_link: Option<String>,
}

/// Reads one page of `GET /users` leniently: every element of `value` becomes one entry, a user
/// or, when it cannot be read, an [`UnreadableUser`] (logged as a warning).
///
/// `page` is the page's number in its listing, from 1: the made-up ids of elements without a
/// readable id hold it, so that they are unique across the listing.
///
/// This is what [`crate::GraphClient::list_users`] does with each page it fetches; it is public
/// for tests and fuzzing.
///
/// ```
/// use azure_graph::{UserEntry, read_users_page};
/// let body = br#"{"value": [{"id": "u1", "jobTitle": "CTO"}, {"id": "u2", "jobTitle": 42}]}"#;
/// let page = read_users_page(body, 1)?;
/// assert!(matches!(&page.entries[0], UserEntry::User(u) if u.job_title.as_deref() == Some("CTO")));
/// let UserEntry::Unreadable(bad) = &page.entries[1] else { panic!() };
/// assert_eq!(bad.id.as_str(), "u2");
/// assert_eq!(bad.reason, "jobTitle: invalid type: integer `42`, expected a string");
/// # Ok::<(), azure_graph::GraphError>(())
/// ```
///
/// # Errors
/// [`GraphError::InvalidResponse`] when the body is not JSON, is not an object, or its `value`
/// is not an array: the format has changed, and a partial read must never pass for a whole one.
pub fn read_users_page(body: &[u8], page: usize) -> Result<UsersPage, GraphError> {
    let read = read_page(body, page, |text, position| read_listed(text, page, position))?;
    Ok(UsersPage { entries: read.elements, next_link: read.next_link, delta_link: read.delta_link })
}

/// One element of a delta page: an entry, or a removal.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // as for `UserEntry`: most elements are users
pub(crate) enum DeltaElement {
    Entry(UserEntry),
    Removed(GraphUserId),
}

/// A page as read, before the paging loop takes it apart.
#[derive(Debug)]
pub(crate) struct Page<T> {
    pub(crate) elements: Vec<T>,
    pub(crate) next_link: Option<String>,
    pub(crate) delta_link: Option<String>,
}

/// The page's own shape; each element is kept as its raw text, read on its own later (a raw
/// value is only checked to be JSON, so even a number out of range stays one element's problem).
#[derive(Deserialize)]
struct RawPage<'a> {
    #[serde(borrow, default)]
    value: Vec<&'a RawValue>,
    #[serde(rename = "@odata.nextLink")]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink")]
    delta_link: Option<String>,
}

/// Whether a delta element is a removal: it carries `@removed` (not `null`).
#[derive(Deserialize)]
struct RemovedProbe {
    #[serde(rename = "@removed")]
    removed: Option<IgnoredAny>,
}

/// Reads a page, each element with `read` (its raw text, its position from 1).
pub(crate) fn read_page<T>(
    body: &[u8],
    page: usize,
    read: impl Fn(&str, usize) -> T,
) -> Result<Page<T>, GraphError> {
    let refused = |why: String| GraphError::InvalidResponse {
        reason: format!("page {page} of the listing is not a user collection: {why}"),
        body: truncate(&String::from_utf8_lossy(body), KEPT_BODY),
    };
    // serde would also read a struct from an array, by position: a page is an object only.
    if !is_object(body) {
        return Err(refused(match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => format!("the page is not a JSON object but {}", kind_of(body)),
            Err(e) => e.to_string(),
        }));
    }
    let raw: RawPage<'_> = serde_json::from_slice(body).map_err(|e| refused(e.to_string()))?;
    let elements = raw
        .value
        .iter()
        .enumerate()
        .map(|(index, element)| read(element.get(), index + 1))
        .collect();
    Ok(Page { elements, next_link: raw.next_link, delta_link: raw.delta_link })
}

/// The id of an element at `position` of `page` that has no readable id of its own.
///
/// Graph's object ids are GUIDs and never hold `#`, so it cannot clash with a real one; the page
/// and the position make it unique within one read.
fn made_up_id(page: usize, position: usize) -> GraphUserId {
    GraphUserId::new(format!("#unreadable-{page}-{position}"))
}

/// Reads one element of a listing's page.
pub(crate) fn read_listed(text: &str, page: usize, position: usize) -> UserEntry {
    read_entry(text, || made_up_id(page, position))
}

/// Reads one element of a delta page: a removal (it carries `@removed`), else a user.
pub(crate) fn read_delta_element(text: &str, page: usize, position: usize) -> DeltaElement {
    if is_object(text.as_bytes())
        && serde_json::from_str::<RemovedProbe>(text).is_ok_and(|probe| probe.removed.is_some())
    {
        return match Keys::read(text).id {
            Some(id) => DeltaElement::Removed(id),
            None => DeltaElement::Entry(UserEntry::Unreadable(unreadable(
                text,
                || made_up_id(page, position),
                "a removal (@removed) without a readable id".to_owned(),
            ))),
        };
    }
    DeltaElement::Entry(read_entry(text, || made_up_id(page, position)))
}

/// Reads one user: `fallback` names an unreadable one that has no readable id of its own.
pub(crate) fn read_entry(text: &str, fallback: impl FnOnce() -> GraphUserId) -> UserEntry {
    // serde would also read a user from an array, by position: a user is an object only.
    if !is_object(text.as_bytes()) {
        let reason = format!("the user is not a JSON object but {}", kind_of(text.as_bytes()));
        return UserEntry::Unreadable(unreadable(text, fallback, reason));
    }
    if let Ok(user) = serde_json::from_str::<GraphUser>(text) {
        return UserEntry::User(user);
    }
    // Read again, this time noting where it failed (the common case above pays nothing for it).
    let reason = match serde_path_to_error::deserialize::<_, GraphUser>(
        &mut serde_json::Deserializer::from_str(text),
    ) {
        Ok(_) => "the user could not be read".to_owned(),
        Err(e) => reason(&e),
    };
    UserEntry::Unreadable(unreadable(text, fallback, reason))
}

/// The unreadable user of an element, with the keys that can be read; `fallback` is its id when
/// it has no readable one.
fn unreadable(
    text: &str,
    fallback: impl FnOnce() -> GraphUserId,
    reason: String,
) -> UnreadableUser {
    let keys = Keys::read(text);
    let (id, made_up_id) = match keys.id {
        Some(id) => (id, false),
        None => (fallback(), true),
    };
    let user = UnreadableUser {
        id,
        made_up_id,
        employee_id: keys.employee_id,
        email: keys.email,
        reason: truncate(&reason, MAX_REASON),
    };
    tracing::warn!(
        id = %user.id,
        reason = %user.reason,
        "Azure AD returned a user that could not be read; it is kept as unreadable and takes no writes"
    );
    user
}

/// "property.path: what was wrong", without serde_json's position in the element (which means
/// nothing to a person).
fn reason(e: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = e.inner();
    let mut message = inner.to_string();
    let position = format!(" at line {} column {}", inner.line(), inner.column());
    if let Some(cut) = message.strip_suffix(&position) {
        message = cut.to_owned();
    }
    match e.path().to_string().as_str() {
        "." => message,
        path => format!("{path}: {message}"),
    }
}

/// What a JSON text (not an object) is, by its first character, for a reason.
fn kind_of(json: &[u8]) -> &'static str {
    match json.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        Some(_) | None => "not JSON",
    }
}

/// The keys of an element that could not be read as a user, each only when it is text.
#[derive(Default)]
struct Keys {
    id: Option<GraphUserId>,
    employee_id: Option<String>,
    email: Option<String>,
}

impl Keys {
    fn read(text: &str) -> Keys {
        // Each property on its own, as raw text: one of the wrong type spoils no other.
        let Ok(object) = serde_json::from_str::<BTreeMap<String, &RawValue>>(text) else {
            return Keys::default();
        };
        let text_of = |name: &str| {
            let raw = object.get(name)?;
            let value = serde_json::from_str::<String>(raw.get()).ok()?;
            let trimmed = value.trim();
            (!trimmed.is_empty()).then(|| trimmed.to_owned())
        };
        Keys {
            // An id is kept as Graph spells it, not trimmed: it must address the same user.
            id: object
                .get("id")
                .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
                .filter(|id| !id.trim().is_empty())
                .map(GraphUserId::new),
            employee_id: text_of("employeeId"),
            email: text_of("mail").or_else(|| text_of("userPrincipalName")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(body: &str) -> Vec<UserEntry> {
        read_users_page(body.as_bytes(), 2).unwrap().entries
    }

    fn unreadable_of(entry: &UserEntry) -> &UnreadableUser {
        match entry {
            UserEntry::Unreadable(u) => u,
            UserEntry::User(u) => panic!("{u:?} was read"),
        }
    }

    #[test]
    fn the_reason_names_the_property_and_what_was_wrong() {
        let found = entries(
            r#"{"value": [
                {"id": "a", "businessPhones": "x"},
                {"id": "b", "businessPhones": ["+1", 7]},
                {"id": "c", "accountEnabled": "false"},
                {"id": "d", "givenName": 1e400},
                {"id": ""},
                {"mail": "x@y.z"}
            ]}"#,
        );
        let reasons: Vec<&str> = found.iter().map(|e| unreadable_of(e).reason.as_str()).collect();
        assert_eq!(
            reasons,
            [
                "businessPhones: invalid type: string \"x\", expected a sequence",
                "businessPhones[1]: invalid type: integer `7`, expected a string",
                "accountEnabled: invalid type: string \"false\", expected a boolean",
                "givenName: number out of range",
                "id: invalid value: string \"\", expected a non-blank object id",
                "missing field `id`",
            ]
        );
    }

    #[test]
    fn keys_are_kept_when_they_are_text_and_ids_are_made_up_when_not() {
        let found = entries(
            r#"{"value": [
                {"id": "a", "employeeId": " E1 ", "mail": null, "userPrincipalName": "a@x.no", "city": 1},
                {"id": 5, "employeeId": 7, "mail": "b@x.no", "userPrincipalName": "other@x.no"},
                "not an object",
                {"id": "  ", "mail": ["c@x.no"]}
            ]}"#,
        );
        let a = unreadable_of(&found[0]);
        assert_eq!((a.id.as_str(), a.made_up_id), ("a", false));
        assert_eq!((a.employee_id.as_deref(), a.email.as_deref()), (Some("E1"), Some("a@x.no")));
        let b = unreadable_of(&found[1]);
        assert_eq!((b.id.as_str(), b.made_up_id), ("#unreadable-2-2", true));
        assert_eq!((b.employee_id.as_deref(), b.email.as_deref()), (None, Some("b@x.no")));
        let c = unreadable_of(&found[2]);
        assert_eq!(c.id.as_str(), "#unreadable-2-3");
        assert_eq!(c.reason, "the user is not a JSON object but a string");
        let d = unreadable_of(&found[3]);
        assert_eq!((d.id.as_str(), d.email.as_deref()), ("#unreadable-2-4", None));
    }

    #[test]
    fn a_huge_value_is_cut_in_the_reason() {
        let body =
            format!(r#"{{"value": [{{"id": "a", "accountEnabled": "{}"}}]}}"#, "å".repeat(5000));
        let found = entries(&body);
        let reason = &unreadable_of(&found[0]).reason;
        let kept = reason.strip_suffix('…').expect("marked as cut");
        // Cut at the limit, or one byte before it where a two-byte `å` straddles it.
        assert!((MAX_REASON - 1..=MAX_REASON).contains(&kept.len()), "{} bytes", kept.len());
    }

    #[test]
    fn a_page_that_is_not_a_collection_fails() {
        for body in [
            &b"[]"[..],
            b"{\"value\": {}}",
            b"{\"value\": null}",
            b"nope",
            b"{\"value\": [1,",
            b"",
            // An array that would fill the page's fields by position.
            b"[[{\"id\": \"u1\"}], \"\", \"\"]",
        ] {
            let err = read_users_page(body, 3).unwrap_err();
            assert!(err.to_string().contains("page 3 of the listing is not a user collection"));
        }
        assert!(read_users_page(b"{}", 1).unwrap().entries.is_empty());
    }

    #[test]
    fn removals_are_read_in_delta_pages_only() {
        let body = br#"{"value": [{"id": "a", "@removed": {"reason": "deleted"}},
                                  {"id": "b", "@removed": null},
                                  {"id": 3, "@removed": {}}]}"#;
        let page = read_page(body, 1, |text, at| read_delta_element(text, 1, at)).unwrap();
        assert!(matches!(&page.elements[0], DeltaElement::Removed(id) if id.as_str() == "a"));
        assert!(matches!(
            &page.elements[1],
            DeltaElement::Entry(UserEntry::User(u)) if u.id.as_str() == "b"
        ));
        let DeltaElement::Entry(third) = &page.elements[2] else { panic!() };
        assert_eq!(unreadable_of(third).id.as_str(), "#unreadable-1-3");
        assert!(unreadable_of(third).reason.contains("@removed"));
        // A listing has no removals: the annotation is one more property it does not read.
        let listed = read_users_page(body, 1).unwrap().entries;
        assert!(matches!(&listed[0], UserEntry::User(u) if u.id.as_str() == "a"));
    }
}

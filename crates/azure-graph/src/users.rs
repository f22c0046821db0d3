//! The user resource and the calls on it: list, get, find, create, update.

use crate::client::{Call, GraphClient};
use crate::errors::GraphError;
use crate::page::{UserEntry, read_entry, read_listed};
use crate::paging;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use std::fmt;

/// A Graph user's object id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct GraphUserId(String);

/// An object id read from Graph must address someone: a blank one would make a record no link
/// could find again and writes to `/users/`, so the answer holding it is refused.
impl<'de> Deserialize<'de> for GraphUserId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error as _, Unexpected};
        let id = String::deserialize(deserializer)?;
        if id.trim().is_empty() {
            return Err(D::Error::invalid_value(Unexpected::Str(&id), &"a non-blank object id"));
        }
        Ok(GraphUserId(id))
    }
}

impl GraphUserId {
    /// Wraps an object id.
    pub fn new(id: impl Into<String>) -> GraphUserId {
        GraphUserId(id.into())
    }

    /// The id as Graph spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as it goes into a URL path (percent-encoded, though object ids need none).
    pub(crate) fn path_segment(&self) -> String {
        url::form_urlencoded::byte_serialize(self.0.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    }
}

impl fmt::Display for GraphUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user as Graph returns it: the properties people sync reads, each optional.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GraphUser {
    /// Object id.
    pub id: GraphUserId,
    /// Whether the account can sign in (`false`: a disabled account).
    pub account_enabled: Option<bool>,
    /// Display name.
    pub display_name: Option<String>,
    /// Given name.
    pub given_name: Option<String>,
    /// Surname.
    pub surname: Option<String>,
    /// Primary email.
    pub mail: Option<String>,
    /// User principal name (`alias@domain`).
    pub user_principal_name: Option<String>,
    /// Employee id (max 16).
    pub employee_id: Option<String>,
    /// Mobile phone.
    pub mobile_phone: Option<String>,
    /// Business phones (only one can be set).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub business_phones: Vec<String>,
    /// Street address (one string; lines separated by `\n`).
    pub street_address: Option<String>,
    /// Postal code.
    pub postal_code: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Country: free text in Graph.
    pub country: Option<String>,
    /// Job title.
    pub job_title: Option<String>,
    /// Hire date, e.g. `2024-03-01T00:00:00Z`.
    pub employee_hire_date: Option<String>,
    /// Whether the user is synced from on-premises AD (then Graph cannot write its phone).
    pub on_premises_sync_enabled: Option<bool>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(Option::<Vec<Option<String>>>::deserialize(d)?
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect())
}

/// The properties to change on one user: only those, never the whole user.
///
/// A property set to JSON `null` is cleared by Graph; the mapping never does that.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch(Map<String, Value>);

impl UserPatch {
    /// An empty patch.
    pub fn new() -> UserPatch {
        UserPatch::default()
    }

    /// Sets a property.
    pub fn set(&mut self, property: &str, value: impl Into<Value>) {
        self.0.insert(property.to_owned(), value.into());
    }

    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The properties, as they are sent.
    pub fn properties(&self) -> &Map<String, Value> {
        &self.0
    }

    pub(crate) fn to_json(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

/// A user to create. The password is sent once and never shown again.
#[derive(Clone)]
pub struct NewUser {
    /// The sign-in name, `alias@verified-domain`.
    pub user_principal_name: String,
    /// The mail alias (max 64).
    pub mail_nickname: String,
    /// The display name (max 256).
    pub display_name: String,
    /// Whether the account can sign in.
    pub account_enabled: bool,
    /// The first password; the user must change it at first sign-in.
    pub password: SecretString,
    /// Every other property to set (given name, employee id, usage location, ...).
    pub properties: UserPatch,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("user_principal_name", &self.user_principal_name)
            .field("mail_nickname", &self.mail_nickname)
            .field("display_name", &self.display_name)
            .field("account_enabled", &self.account_enabled)
            .field("password", &"***")
            .field("properties", &self.properties)
            .finish()
    }
}

impl NewUser {
    fn to_json(&self) -> Value {
        let mut body = self.properties.0.clone();
        body.insert("accountEnabled".into(), json!(self.account_enabled));
        body.insert("displayName".into(), json!(self.display_name));
        body.insert("mailNickname".into(), json!(self.mail_nickname));
        body.insert("userPrincipalName".into(), json!(self.user_principal_name));
        body.insert(
            "passwordProfile".into(),
            json!({
                "password": self.password.expose_secret(),
                "forceChangePasswordNextSignIn": true,
            }),
        );
        Value::Object(body)
    }
}

fn select_query(url: &mut url::Url, select: &[&str]) {
    if !select.is_empty() {
        url.query_pairs_mut().append_pair("$select", &select.join(","));
    }
}

fn parse_url(s: &str) -> Result<url::Url, GraphError> {
    url::Url::parse(s).map_err(|e| GraphError::Config(format!("bad Graph URL {s:?}: {e}")))
}

fn parse_user(answer: &crate::transport::Answer) -> Result<GraphUser, GraphError> {
    serde_json::from_slice(&answer.body).map_err(|e| GraphError::InvalidResponse {
        reason: format!("the answer is not a user: {e}"),
        body: answer.text().chars().take(4096).collect(),
    })
}

/// Quotes a string for an OData `$filter`.
pub(crate) fn odata_string(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

impl GraphClient {
    /// Every user, with the properties in `select`, in pages of 999 (the most Graph allows),
    /// following `@odata.nextLink` to the end.
    ///
    /// Each user is read on its own: one of the wrong shape (`"jobTitle": 42`) is a
    /// [`UserEntry::Unreadable`] with the keys that could be read, not a failed listing.
    ///
    /// # Errors
    /// Any page failing fails the listing; a repeated next link is
    /// [`GraphError::RepeatedNextLink`].
    pub async fn list_users(&self, select: &[&str]) -> Result<Vec<UserEntry>, GraphError> {
        let mut url = parse_url(&self.api("/users"))?;
        select_query(&mut url, select);
        url.query_pairs_mut().append_pair("$top", "999");
        let collected = paging::collect(self, url.as_str(), false, read_listed).await?;
        tracing::debug!(users = collected.items.len(), pages = collected.pages, "listed users");
        Ok(collected.items)
    }

    /// The users matching an OData `filter` (an advanced query: `ConsistencyLevel: eventual`),
    /// each read on its own as in [`GraphClient::list_users`].
    ///
    /// # Errors
    /// A failed read.
    pub async fn find_users(
        &self,
        filter: &str,
        select: &[&str],
    ) -> Result<Vec<UserEntry>, GraphError> {
        let mut url = parse_url(&self.api("/users"))?;
        url.query_pairs_mut().append_pair("$filter", filter).append_pair("$count", "true");
        select_query(&mut url, select);
        url.query_pairs_mut().append_pair("$top", "999");
        Ok(paging::collect(self, url.as_str(), true, read_listed).await?.items)
    }

    /// One user, or `None` if there is no such user. A user of the wrong shape is a
    /// [`UserEntry::Unreadable`] (under `id` when its own id cannot be read).
    ///
    /// # Errors
    /// A failed read other than 404, or an answer that is not JSON.
    pub async fn get_user(
        &self,
        id: &GraphUserId,
        select: &[&str],
    ) -> Result<Option<UserEntry>, GraphError> {
        let mut url = parse_url(&self.api(&format!("/users/{}", id.path_segment())))?;
        select_query(&mut url, select);
        let call = Call { idempotent: true, ..Call::default() };
        match self.call(Method::GET, url.as_str(), call).await {
            Ok(answer) => {
                let raw: &RawValue = serde_json::from_slice(&answer.body).map_err(|e| {
                    GraphError::InvalidResponse {
                        reason: format!("the answer is not a user: {e}"),
                        body: answer.text().chars().take(4096).collect(),
                    }
                })?;
                Ok(Some(read_entry(raw.get(), || id.clone())))
            }
            Err(GraphError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// PATCHes only the properties in `patch`; an empty patch sends nothing.
    ///
    /// # Errors
    /// Graph refused (a 403 on a user who holds an admin role, a 404, a bad value) or could not
    /// be reached.
    pub async fn update_user(&self, id: &GraphUserId, patch: &UserPatch) -> Result<(), GraphError> {
        if patch.is_empty() {
            return Ok(());
        }
        let url = self.api(&format!("/users/{}", id.path_segment()));
        let body = patch.to_json();
        let call = Call { writes: 1, idempotent: true, body: Some(&body), ..Call::default() };
        self.call(Method::PATCH, &url, call).await.map(|_| ())
    }

    /// Creates a user and returns it as Graph answered.
    ///
    /// Not retried after a network fault (the user may have been created); a retry after a 429 or
    /// 503 is safe because Graph did not act on it.
    ///
    /// # Errors
    /// Graph refused (a user principal name already taken, a domain that is not verified, ...).
    pub async fn create_user(&self, user: &NewUser) -> Result<GraphUser, GraphError> {
        let url = self.api("/users");
        let body = user.to_json();
        let call = Call { writes: 1, idempotent: false, body: Some(&body), ..Call::default() };
        let answer = self.call(Method::POST, &url, call).await?;
        parse_user(&answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_with_null_collections_and_unknown_properties_parses() {
        let u: GraphUser = serde_json::from_str(
            r#"{"id":"u1","businessPhones":null,"mobilePhone":null,"newThing":{"a":1}}"#,
        )
        .unwrap();
        assert_eq!(u.id.as_str(), "u1");
        assert!(u.business_phones.is_empty());
    }

    #[test]
    fn new_user_debug_hides_the_password() {
        let u = NewUser {
            user_principal_name: "a@b.c".into(),
            mail_nickname: "a".into(),
            display_name: "A".into(),
            account_enabled: true,
            password: SecretString::from("Pa55word!xyz"),
            properties: UserPatch::new(),
        };
        assert!(!format!("{u:?}").contains("Pa55word"));
        assert_eq!(u.to_json()["passwordProfile"]["forceChangePasswordNextSignIn"], json!(true));
    }

    #[test]
    fn odata_strings_double_their_quotes() {
        assert_eq!(odata_string("O'Brien"), "'O''Brien'");
    }
}

//! What Graph holds and what is written to it: users, the properties to change, a user to
//! create, and the actions on an account. Plain data, below the calls and the errors.

use crate::ids::GraphUserId;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::fmt;

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
    pub(crate) fn to_json(&self) -> Value {
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

/// What was asked of one account; [`GraphError::AccountRefused`](crate::GraphError::AccountRefused) names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AccountAction {
    /// `accountEnabled: true`.
    Enable,
    /// `accountEnabled: false`.
    Disable,
    /// `revokeSignInSessions`.
    RevokeSessions,
}

impl AccountAction {
    /// What to do when Azure AD refuses the action for one user, in an admin's words.
    ///
    /// The roles are those Microsoft lists under "Who can perform sensitive actions": only a
    /// Privileged Authentication Administrator (or a Global Administrator) may change the
    /// sensitive properties of users who hold admin roles; an app's Graph permissions alone
    /// (`User.ReadWrite.All`, `User.EnableDisableAccount.All`) are not enough for them.
    pub fn remedy(self) -> String {
        let (by_hand, permission) = match self {
            AccountAction::Enable => ("enable it by hand", "User.EnableDisableAccount.All"),
            AccountAction::Disable => ("disable it by hand", "User.EnableDisableAccount.All"),
            AccountAction::RevokeSessions => (
                "revoke them by hand (the user's page → Revoke sessions)",
                "User.RevokeSessions.All",
            ),
        };
        format!(
            "{by_hand} in the Microsoft Entra admin center as a Privileged Authentication \
             Administrator or Global Administrator, or give the app a role that may change \
             administrators' accounts (Privileged Authentication Administrator); if the user \
             holds no admin role, grant the app {permission} or User.ReadWrite.All with admin \
             consent"
        )
    }
}

impl fmt::Display for AccountAction {
    /// The action as it reads before a user: "disable the account of".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AccountAction::Enable => "enable the account of",
            AccountAction::Disable => "disable the account of",
            AccountAction::RevokeSessions => "revoke the sign-in sessions of",
        })
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
}

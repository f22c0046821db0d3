//! Wire types: the parts of Huma's Open API schemas (version 1.53.2) that people sync uses.
//!
//! Reading is lenient where it can be: every field is optional and unknown fields are ignored,
//! because Huma adds fields over time; dates and countries are kept as text so that a bad one is
//! reported on the record rather than failing the read. A value of the wrong JSON type fails
//! reading these types; a [`HumaDirectory`](crate::HumaDirectory) then keeps that one user as an
//! unreadable record (see [`record_from_json`](crate::mapping::record_from_json)). Writing sends
//! exactly the keys the spec asks for.

use crate::{HumaUserId, JobTitleId, PositionId};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One page of `GET /users` (`PageUser`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct UserPage {
    /// How many users there are in all, when Huma says (a negative or unreadable number is read
    /// as not said). Only a hint: pages are read until a short one.
    #[serde(default, deserialize_with = "dirsync_runtime::lenient::optional_u64")]
    pub total: Option<u64>,
    /// This page's users.
    #[serde(default)]
    pub items: Vec<UserSummary>,
}

/// A user as the list shows them (`User`): enough to find their details.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserSummary {
    /// The user's id.
    pub id: HumaUserId,
    /// The email.
    #[serde(default)]
    pub email: Option<String>,
    /// The given name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// The family name.
    #[serde(default)]
    pub family_name: Option<String>,
    /// Whether the account is active.
    #[serde(default)]
    pub status: Option<AccountStatus>,
}

/// `AccountStatus`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AccountStatus {
    /// Whether the account is active.
    #[serde(default)]
    pub active: Option<bool>,
}

/// A field of `UserDetails`: its value, whether it may be written, and integration notes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
#[non_exhaustive]
pub struct Wrapped<T> {
    /// The value, if set.
    #[serde(default)]
    pub value: Option<T>,
    /// Whether the API key may write it; `None` when Huma did not say.
    #[serde(default)]
    pub editable: Option<bool>,
    /// Notes from integrations, by integration name (e.g. a `locked_disconnect` warning).
    #[serde(default)]
    pub integrations: Option<BTreeMap<String, IntegrationMeta>>,
}

impl<T> Wrapped<T> {
    /// Whether Huma said the field may not be written.
    pub fn is_read_only(&self) -> bool {
        self.editable == Some(false)
    }
}

/// `IntegrationMeta`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct IntegrationMeta {
    /// The warning, e.g. `locked_disconnect`.
    #[serde(default)]
    pub warning: Option<String>,
}

/// One user in full (`UserDetails`): the supported fields and where job title and dates live.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserDetails {
    /// The user's id.
    pub id: HumaUserId,
    /// The email (used for matching).
    #[serde(default)]
    pub email: Option<Wrapped<String>>,
    /// The given name.
    #[serde(default)]
    pub given_name: Option<Wrapped<String>>,
    /// The family name.
    #[serde(default)]
    pub family_name: Option<Wrapped<String>>,
    /// The phone number.
    #[serde(default)]
    pub phone: Option<Wrapped<String>>,
    /// The home address.
    #[serde(default)]
    pub home_address: Option<Wrapped<WireAddress>>,
    /// The employment id.
    #[serde(default)]
    pub employment_id: Option<Wrapped<String>>,
    /// The job title (deprecated by Huma in favour of the current position's title).
    #[serde(default)]
    pub job_title: Option<Wrapped<JobTitleSummary>>,
    /// The employment start date (deprecated by Huma in favour of the current position's
    /// `contractStartDate`), as Huma wrote it.
    #[serde(default)]
    pub employment_start_date: Option<Wrapped<String>>,
    /// The account's status.
    #[serde(default)]
    pub status: Option<AccountStatus>,
    /// The positions held now and soon.
    #[serde(default)]
    pub current_positions: Option<Vec<PositionSummary>>,
}

/// `Address` as Huma returns it: three street lines, postal code, city, alpha-2 country.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct WireAddress {
    /// Street line 1.
    #[serde(default)]
    pub line1: Option<String>,
    /// Street line 2.
    #[serde(default)]
    pub line2: Option<String>,
    /// Street line 3.
    #[serde(default)]
    pub line3: Option<String>,
    /// Postal code.
    #[serde(default)]
    pub postal_code: Option<String>,
    /// City.
    #[serde(default)]
    pub city: Option<String>,
    /// Country, ISO 3166-1 alpha-2.
    #[serde(default)]
    pub country: Option<String>,
}

/// `JobTitleSummary` / `JobTitle`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct JobTitleSummary {
    /// The title's id.
    #[serde(default)]
    pub id: Option<JobTitleId>,
    /// The title's name.
    #[serde(default)]
    pub name: Option<String>,
}

/// `PositionSummary`: a position's title, dates and status.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PositionSummary {
    /// The position's id.
    pub id: PositionId,
    /// Its job title.
    #[serde(default)]
    pub title: Option<JobTitleSummary>,
    /// The contract's start date, as Huma wrote it.
    #[serde(default)]
    pub contract_start_date: Option<String>,
    /// `CURRENT`, `ENDED` or `UPCOMING`.
    #[serde(default)]
    pub status: Option<String>,
}

impl PositionSummary {
    /// Whether this is a current position.
    pub fn is_current(&self) -> bool {
        self.status.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("CURRENT"))
    }
}

/// One page of `GET /users/{userId}/positions` (`PagePositionSummary`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PositionPage {
    /// How many positions there are in all, when Huma says (a negative or unreadable number is
    /// read as not said). Only a hint: pages are read until a short one.
    #[serde(default, deserialize_with = "dirsync_runtime::lenient::optional_u64")]
    pub total: Option<u64>,
    /// This page's positions.
    #[serde(default)]
    pub items: Vec<PositionSummary>,
}

/// The body of `PATCH /users/{id}` (`UserDetailsInput`): only the keys that are set are sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDetailsInput {
    /// The given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The employment id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employment_id: Option<String>,
    /// The home address, as a whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_address: Option<AddressUpdateInput>,
}

impl UserDetailsInput {
    /// Whether nothing is set.
    pub fn is_empty(&self) -> bool {
        self == &UserDetailsInput::default()
    }
}

/// `AddressUpdateInput`: all six keys are required; absent parts are empty strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressUpdateInput {
    /// Street line 1.
    pub line1: String,
    /// Street line 2.
    pub line2: String,
    /// Street line 3.
    pub line3: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Country, ISO 3166-1 alpha-2, or empty.
    pub country: String,
}

/// The body of `POST /users` (`UserInput`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInput {
    /// The email (required).
    pub email: String,
    /// The given name (required).
    pub given_name: String,
    /// The family name (required).
    pub family_name: String,
    /// The phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Group UUIDs to add the user to (required, may be empty).
    pub groups: Vec<String>,
    /// Whether Huma sends the user an invitation.
    pub invite: bool,
}

/// The body of `PATCH /users/{userId}/positions/{id}` (`PositionUpdateInput`), for what sync writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionUpdateInput {
    /// The job title's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title_id: Option<JobTitleId>,
    /// The contract's start date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contract_start_date: Option<NaiveDate>,
}

/// The body of `POST /job-titles` (`JobTitleCreateInput`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobTitleCreateInput {
    /// The title's name.
    pub name: String,
}

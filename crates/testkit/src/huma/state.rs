//! Huma's users, positions and job titles as the fake stores them.

use chrono::NaiveDate;
use dirsync::model::Person;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A home address as Huma stores it (`Address`: three street lines, postal code, city and an
/// ISO 3166-1 alpha-2 country); empty strings are absent parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HumaAddress {
    /// `line1`.
    pub line1: String,
    /// `line2`.
    pub line2: String,
    /// `line3`.
    pub line3: String,
    /// `postalCode`.
    pub postal_code: String,
    /// `city`.
    pub city: String,
    /// `country` (alpha-2).
    pub country: String,
}

impl HumaAddress {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "line1": self.line1, "line2": self.line2, "line3": self.line3,
            "postalCode": self.postal_code, "city": self.city, "country": self.country,
        })
    }
}

/// A job title (`JobTitle`/`JobTitleSummary`). An empty `id` when seeding means "the title with this
/// name, created if missing".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobTitle {
    /// `id` (a UUID).
    pub id: String,
    /// `name`.
    pub name: String,
}

impl JobTitle {
    /// A title by name, resolved (or created) when the user holding it is seeded.
    pub fn named(name: impl Into<String>) -> Self {
        JobTitle { id: String::new(), name: name.into() }
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({"id": self.id, "name": self.name})
    }
}

/// A position: where the job title and start date live in Huma now. Its status (CURRENT, ENDED or
/// UPCOMING) follows from its dates and today's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumaPosition {
    /// `id` (a UUID); empty when seeding means "assign one".
    pub id: String,
    /// The title.
    pub title: Option<JobTitle>,
    /// `contractStartDate`.
    pub contract_start_date: Option<NaiveDate>,
    /// `contractEndDate`.
    pub contract_end_date: Option<NaiveDate>,
    /// `contractType` (`Permanent`, `Temporary`, ...).
    pub contract_type: String,
    /// `percentage` (0 to 100).
    pub percentage: i64,
}

impl HumaPosition {
    /// A permanent, full-time position with this title, started on this date.
    pub fn new(title: JobTitle, contract_start_date: NaiveDate) -> Self {
        HumaPosition {
            id: String::new(),
            title: Some(title),
            contract_start_date: Some(contract_start_date),
            contract_end_date: None,
            contract_type: "Permanent".to_owned(),
            percentage: 100,
        }
    }

    /// `CURRENT`, `ENDED` or `UPCOMING`, by the dates and today.
    pub fn status(&self) -> &'static str {
        let today = chrono::Utc::now().date_naive();
        if self.contract_start_date.is_some_and(|d| d > today) {
            "UPCOMING"
        } else if self.contract_end_date.is_some_and(|d| d < today) {
            "ENDED"
        } else {
            "CURRENT"
        }
    }

    fn date(date: Option<NaiveDate>) -> Value {
        date.map_or(Value::Null, |d| json!(d.format("%Y-%m-%d").to_string()))
    }

    /// `PositionSummary`.
    pub(crate) fn summary(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        if let Some(title) = &self.title {
            out.insert("title".into(), title.to_json());
        }
        if self.contract_start_date.is_some() {
            out.insert("contractStartDate".into(), Self::date(self.contract_start_date));
        }
        if self.contract_end_date.is_some() {
            out.insert("contractEndDate".into(), Self::date(self.contract_end_date));
        }
        out.insert("percentage".into(), json!(self.percentage));
        out.insert("contractType".into(), json!(self.contract_type));
        out.insert("status".into(), json!(self.status()));
        Value::Object(out)
    }

    /// `Position`: every field wrapped.
    pub(crate) fn details(&self) -> Value {
        let wrap = |value: Value| {
            if value.is_null() {
                json!({"editable": true})
            } else {
                json!({"value": value, "editable": true})
            }
        };
        json!({
            "id": self.id,
            "contractStartDate": wrap(Self::date(self.contract_start_date)),
            "contractEndDate": wrap(Self::date(self.contract_end_date)),
            "contractType": wrap(json!(self.contract_type)),
            "percentage": wrap(json!(self.percentage)),
            "title": wrap(self.title.as_ref().map_or(Value::Null, JobTitle::to_json)),
            "status": self.status(),
        })
    }
}

/// A Huma user, as seeded into and read back from [`FakeHuma`](crate::FakeHuma). Build one with
/// [`HumaUser::new`], [`HumaUser::from_person`] or a struct literal ending in
/// `..HumaUser::default()` (an active user with empty names and email).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumaUser {
    /// `id` (a UUID that never changes); empty when seeding means "assign one".
    pub id: String,
    /// `email` (unique, compared without case).
    pub email: String,
    /// `givenName`.
    pub given_name: String,
    /// `familyName`.
    pub family_name: String,
    /// `preferredName`.
    pub preferred_name: Option<String>,
    /// `phone`.
    pub phone: Option<String>,
    /// `employmentId`.
    pub employment_id: Option<String>,
    /// `homeAddress`.
    pub home_address: Option<HumaAddress>,
    /// `status.active`.
    pub active: bool,
    /// Positions, in creation order.
    pub positions: Vec<HumaPosition>,
    /// The deprecated `jobTitle` shown when no position is current.
    pub legacy_job_title: Option<JobTitle>,
    /// The deprecated `employmentStartDate` shown when no position is current.
    pub legacy_employment_start_date: Option<NaiveDate>,
    /// Group ids (`groups` at creation).
    pub groups: Vec<String>,
    /// Fields answered with `editable: false`, by their `UserDetails` name (`employmentId`,
    /// `homeAddress`, ...), each with the integration that locks it.
    pub locked: BTreeMap<String, String>,
}

impl Default for HumaUser {
    fn default() -> Self {
        HumaUser {
            id: String::new(),
            email: String::new(),
            given_name: String::new(),
            family_name: String::new(),
            preferred_name: None,
            phone: None,
            employment_id: None,
            home_address: None,
            active: true,
            positions: Vec::new(),
            legacy_job_title: None,
            legacy_employment_start_date: None,
            groups: Vec::new(),
            locked: BTreeMap::new(),
        }
    }
}

impl HumaUser {
    /// An active user with these names and email.
    pub fn new(
        email: impl Into<String>,
        given_name: impl Into<String>,
        family_name: impl Into<String>,
    ) -> Self {
        HumaUser {
            email: email.into(),
            given_name: given_name.into(),
            family_name: family_name.into(),
            ..HumaUser::default()
        }
    }

    /// The user Huma would hold for this person: email, names, phone, employment id, home address
    /// (street lines into `line1`..`line3`), and a current position with the job title and start
    /// date (today when the person has a title but no date).
    pub fn from_person(person: &Person) -> Self {
        let mut user = HumaUser::new(
            person.email().unwrap_or("unknown@example.com"),
            person.given_name().unwrap_or_default(),
            person.family_name().unwrap_or_default(),
        );
        user.phone = person.phone().map(str::to_owned);
        user.employment_id = person.employment_id().map(str::to_owned);
        if let Some(address) = person.address() {
            let lines: Vec<&str> = address.street_lines().collect();
            user.home_address = Some(HumaAddress {
                line1: lines.first().copied().unwrap_or_default().to_owned(),
                line2: lines.get(1).copied().unwrap_or_default().to_owned(),
                line3: lines.get(2..).map(|rest| rest.join(" ")).unwrap_or_default(),
                postal_code: address.postal_code().unwrap_or_default().to_owned(),
                city: address.city().unwrap_or_default().to_owned(),
                country: address.country().map(|c| c.as_str().to_owned()).unwrap_or_default(),
            });
        }
        match (person.job_title(), person.employment_start_date()) {
            (Some(title), start) => {
                let start = start.unwrap_or_else(|| chrono::Utc::now().date_naive());
                user.positions.push(HumaPosition::new(JobTitle::named(title), start));
            }
            (None, Some(start)) => user.legacy_employment_start_date = Some(start),
            (None, None) => {}
        }
        user
    }

    /// This user with a field locked (`editable: false`) by an integration called `payroll`.
    #[must_use]
    pub fn with_locked(mut self, field: &str) -> Self {
        self.locked.insert(field.to_owned(), "payroll".to_owned());
        self
    }

    /// The first position whose status is CURRENT.
    pub fn current_position(&self) -> Option<&HumaPosition> {
        self.positions.iter().find(|p| p.status() == "CURRENT")
    }

    fn current_titles(&self) -> Vec<Value> {
        let titles: Vec<Value> = self
            .positions
            .iter()
            .filter(|p| p.status() == "CURRENT")
            .filter_map(|p| p.title.as_ref().map(JobTitle::to_json))
            .collect();
        if titles.is_empty() {
            self.legacy_job_title.iter().map(JobTitle::to_json).collect()
        } else {
            titles
        }
    }

    fn title(&self) -> Option<Value> {
        self.current_position()
            .and_then(|p| p.title.as_ref())
            .or(self.legacy_job_title.as_ref())
            .map(JobTitle::to_json)
    }

    /// `User`, as in list pages and the answer to a creation.
    pub(crate) fn summary(&self) -> Value {
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("givenName".into(), json!(self.given_name));
        out.insert("familyName".into(), json!(self.family_name));
        if let Some(name) = &self.preferred_name {
            out.insert("preferredName".into(), json!(name));
        }
        out.insert("email".into(), json!(self.email));
        if let Some(phone) = &self.phone {
            out.insert("phone".into(), json!(phone));
        }
        if let Some(title) = self.title() {
            out.insert("jobTitle".into(), title);
        }
        out.insert("jobTitles".into(), Value::Array(self.current_titles()));
        for list in ["teams", "locations", "companies", "groups"] {
            out.insert(list.into(), json!([]));
        }
        out.insert("type".into(), json!("user"));
        out.insert("status".into(), json!({"active": self.active}));
        Value::Object(out)
    }

    fn field(&self, name: &str, value: Option<Value>) -> Value {
        let mut out = Map::new();
        if let Some(value) = value {
            out.insert("value".into(), value);
        }
        match self.locked.get(name) {
            Some(integration) => {
                out.insert("editable".into(), json!(false));
                out.insert(
                    "integrations".into(),
                    json!({ integration: {"warning": "locked_disconnect"} }),
                );
            }
            None => {
                out.insert("editable".into(), json!(true));
                out.insert("integrations".into(), json!({}));
            }
        }
        Value::Object(out)
    }

    /// `UserDetails`: every field wrapped in `{value, editable, integrations}`.
    pub(crate) fn details(&self) -> Value {
        let text = |v: &Option<String>| v.as_ref().map(|s| json!(s));
        let start = self
            .current_position()
            .and_then(|p| p.contract_start_date)
            .or(self.legacy_employment_start_date)
            .map(|d| json!(d.format("%Y-%m-%d").to_string()));
        let mut out = Map::new();
        out.insert("id".into(), json!(self.id));
        out.insert("givenName".into(), self.field("givenName", Some(json!(self.given_name))));
        out.insert("familyName".into(), self.field("familyName", Some(json!(self.family_name))));
        out.insert("preferredName".into(), self.field("preferredName", text(&self.preferred_name)));
        out.insert("email".into(), self.field("email", Some(json!(self.email))));
        out.insert("phone".into(), self.field("phone", text(&self.phone)));
        out.insert(
            "homeAddress".into(),
            self.field("homeAddress", self.home_address.as_ref().map(HumaAddress::to_json)),
        );
        out.insert("employmentId".into(), self.field("employmentId", text(&self.employment_id)));
        out.insert("jobTitle".into(), self.field("jobTitle", self.title()));
        out.insert("jobTitles".into(), Value::Array(self.current_titles()));
        out.insert("employmentStartDate".into(), self.field("employmentStartDate", start));
        out.insert(
            "currentPositions".into(),
            Value::Array(
                self.positions
                    .iter()
                    .filter(|p| p.status() == "CURRENT")
                    .map(HumaPosition::summary)
                    .collect(),
            ),
        );
        for list in ["teams", "locations", "companies", "groups"] {
            out.insert(list.into(), self.field(list, Some(json!([]))));
        }
        out.insert("subordinatesCount".into(), json!(0));
        out.insert("type".into(), json!("user"));
        out.insert("status".into(), json!({"active": self.active}));
        Value::Object(out)
    }
}

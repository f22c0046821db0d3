//! The supported fields ↔ SCIM User attributes (RFC 7643 §4.1 and the enterprise extension §4.3).
//!
//! | field | SCIM attribute |
//! |---|---|
//! | employment id | `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber` |
//! | given name | `name.givenName` |
//! | family name | `name.familyName` |
//! | phone | `phoneNumbers` of type `mobile`, else of type `work` |
//! | address | `addresses` of type `work`: `streetAddress`, `postalCode`, `locality`, `country` (alpha-2) |
//! | job title | `title` |
//! | employment start date | a configured attribute ([`StartDateAttribute`]), else not supported |
//! | (matching) email | the primary of `emails`, else the first, else `userName` |
//! | (active) | `active` (absent means active) |

use crate::client::{PatchOperation, ScimUser};
use crate::errors::ScimError;
use chrono::NaiveDate;
use dirsync::{
    directory::{FieldChange, InvalidValue, Record, RecordId},
    model::{Address, CountryCode, Field, FieldValue, Person},
};
use serde_json::{Map, Value, json};

/// The schema of the core User resource.
pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The schema of the enterprise User extension, which holds `employeeNumber`.
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A SCIM attribute named by its path: `title`, `name.givenName`, or an extension's attribute
/// with its schema URN in front (`urn:…:User:startDate`, RFC 7644 §3.10).
///
/// ```
/// use dirsync_scim::AttributePath;
/// let path = AttributePath::parse("urn:example:params:scim:schemas:extension:hr:2.0:User:startDate")?;
/// assert_eq!(path.schema(), Some("urn:example:params:scim:schemas:extension:hr:2.0:User"));
/// assert_eq!(path.attribute(), "startDate");
/// assert!(AttributePath::parse("start date").is_err());
/// # Ok::<(), dirsync_scim::ScimError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributePath {
    path: String,
    schema: Option<String>,
    attribute: String,
    sub_attribute: Option<String>,
}

impl AttributePath {
    /// The path as written in a SCIM filter or `PATCH`.
    ///
    /// # Errors
    /// [`ScimError::Config`] for a path that is not `[urn:…:]attribute[.subAttribute]`.
    pub fn parse(path: &str) -> Result<AttributePath, ScimError> {
        let path = path.trim();
        let bad = || {
            ScimError::Config(format!(
                "{path:?} is not a SCIM attribute path such as \"title\" or \
                 \"urn:example:params:scim:schemas:extension:hr:2.0:User:startDate\""
            ))
        };
        let (schema, rest) = match path.rsplit_once(':') {
            Some((schema, rest)) if schema.to_ascii_lowercase().starts_with("urn:") => {
                (Some(schema.to_owned()), rest)
            }
            Some(_) => return Err(bad()),
            None => (None, path),
        };
        let (attribute, sub_attribute) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        let name_ok = |n: &str| {
            n.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
        };
        if !name_ok(attribute) || !sub_attribute.is_none_or(name_ok) {
            return Err(bad());
        }
        Ok(AttributePath {
            path: path.to_owned(),
            schema,
            attribute: attribute.to_owned(),
            sub_attribute: sub_attribute.map(str::to_owned),
        })
    }

    /// The extension schema the attribute belongs to, `None` for a core attribute.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The attribute's name.
    pub fn attribute(&self) -> &str {
        &self.attribute
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.path
    }

    fn get<'a>(&self, resource: &'a Value) -> Option<&'a Value> {
        let container = match &self.schema {
            Some(schema) => resource.get(schema)?,
            None => resource,
        };
        let value = container.get(&self.attribute)?;
        match &self.sub_attribute {
            Some(sub) => value.get(sub),
            None => Some(value),
        }
    }

    fn set(&self, resource: &mut Value, value: Value) {
        let mut container = resource;
        if let Some(schema) = &self.schema {
            add_schema(container, schema);
            container = object_entry(container, schema);
        }
        match &self.sub_attribute {
            Some(sub) => {
                let parent = object_entry(container, &self.attribute);
                if let Value::Object(map) = parent {
                    map.insert(sub.clone(), value);
                }
            }
            None => {
                if let Value::Object(map) = container {
                    map.insert(self.attribute.clone(), value);
                }
            }
        }
    }
}

/// How a date is written to the start-date attribute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DateFormat {
    /// `2024-03-01` (a `string` attribute).
    #[default]
    Date,
    /// `2024-03-01T00:00:00Z` (a `dateTime` attribute).
    DateTime,
}

/// Where the employment start date lives: SCIM has no standard attribute for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartDateAttribute {
    /// The attribute.
    pub path: AttributePath,
    /// How dates are written to it (any of both is read).
    pub format: DateFormat,
}

/// The user's attribute `name`, or `None` when absent, as text; `Err(raw)` when it holds
/// something that is not text.
fn text(value: Option<&Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.trim().is_empty())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(other.to_string()),
    }
}

/// The entries of a multi-valued attribute (objects only).
fn entries<'a>(resource: &'a Value, attribute: &str) -> impl Iterator<Item = &'a Value> {
    resource
        .get(attribute)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|e| e.is_object())
}

fn of_type(entry: &Value, kind: &str) -> bool {
    entry.get("type").and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case(kind))
}

fn has_value(entry: &Value) -> bool {
    matches!(text(entry.get("value")), Ok(Some(_)))
}

/// The email used for matching: the primary email, else the first, else `userName`.
fn email(resource: &Value) -> Option<String> {
    let primary = entries(resource, "emails")
        .find(|e| e.get("primary") == Some(&Value::Bool(true)) && has_value(e))
        .or_else(|| entries(resource, "emails").find(|e| has_value(e)));
    primary
        .and_then(|e| text(e.get("value")).ok().flatten())
        .or_else(|| text(resource.get("userName")).ok().flatten())
}

fn phone_entry(resource: &Value) -> Option<&Value> {
    entries(resource, "phoneNumbers")
        .find(|e| of_type(e, "mobile") && has_value(e))
        .or_else(|| entries(resource, "phoneNumbers").find(|e| of_type(e, "work") && has_value(e)))
}

fn parse_date(raw: &str) -> Option<NaiveDate> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&chrono::Utc).date_naive());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

fn format_date(date: NaiveDate, format: DateFormat) -> String {
    match format {
        DateFormat::Date => date.format("%Y-%m-%d").to_string(),
        DateFormat::DateTime => format!("{}T00:00:00Z", date.format("%Y-%m-%d")),
    }
}

/// A SCIM user as the core's record. A value that does not fit its field (a country that is not
/// ISO 3166-1 alpha-2, a start date that is not a date, a name that is not text) is left out and
/// noted as an invalid value; an inactive user (`active: false`) is marked so.
pub fn to_record(user: &ScimUser, start_date: Option<&StartDateAttribute>) -> Record {
    let resource = &user.resource;
    let mut invalid = Vec::new();
    let mut read = |field: Field, value: Option<&Value>| match text(value) {
        Ok(v) => v,
        Err(raw) => {
            invalid.push(InvalidValue::new(field, raw, format!("{field} is not text")));
            None
        }
    };
    let mut person = Person::new();
    let enterprise = resource.get(ENTERPRISE_USER);
    if let Some(v) = read(Field::EmploymentId, enterprise.and_then(|e| e.get("employeeNumber"))) {
        person = person.with_employment_id(v);
    }
    let name = resource.get("name");
    if let Some(v) = read(Field::GivenName, name.and_then(|n| n.get("givenName"))) {
        person = person.with_given_name(v);
    }
    if let Some(v) = read(Field::FamilyName, name.and_then(|n| n.get("familyName"))) {
        person = person.with_family_name(v);
    }
    if let Some(v) = read(Field::JobTitle, resource.get("title")) {
        person = person.with_job_title(v);
    }
    if let Some(v) = phone_entry(resource).and_then(|e| text(e.get("value")).ok().flatten()) {
        person = person.with_phone(v);
    }
    if let Some(work) = entries(resource, "addresses").find(|e| of_type(e, "work")) {
        let part = |name: &str| text(work.get(name)).ok().flatten().unwrap_or_default();
        let country = match text(work.get("country")) {
            Ok(None) => None,
            Ok(Some(raw)) => match CountryCode::parse(&raw) {
                Ok(code) => Some(code),
                Err(err) => {
                    invalid.push(InvalidValue::new(Field::Address, raw, &err));
                    None
                }
            },
            Err(raw) => {
                invalid.push(InvalidValue::new(Field::Address, raw, "the country is not text"));
                None
            }
        };
        let address =
            Address::new(part("streetAddress"), part("postalCode"), part("locality"), country);
        person = person.with_address(address);
    }
    if let Some(attribute) = start_date {
        match text(attribute.path.get(resource)) {
            Ok(None) => {}
            Ok(Some(raw)) => match parse_date(raw.trim()) {
                Some(date) => person = person.with_employment_start_date(date),
                None => invalid.push(InvalidValue::new(
                    Field::EmploymentStartDate,
                    raw.clone(),
                    format!("{} {raw:?} is not a date such as 2024-03-01", attribute.path.as_str()),
                )),
            },
            Err(raw) => invalid.push(InvalidValue::new(
                Field::EmploymentStartDate,
                raw,
                format!("{} is not a date", attribute.path.as_str()),
            )),
        }
    }
    if let Some(email) = email(resource) {
        person = person.with_email(email);
    }
    let mut record = Record::new(RecordId::new(user.id.as_str()), person);
    record.invalid = invalid;
    record.active = match resource.get("active") {
        Some(Value::Bool(active)) => *active,
        Some(Value::String(s)) => !s.trim().eq_ignore_ascii_case("false"),
        _ => true,
    };
    record
}

/// The body of `POST /Users` for a new user: `userName` and the primary work email are the
/// person's email, which a SCIM user must have.
///
/// # Errors
/// [`ScimError::InvalidChange`] when the person has no email.
pub fn new_user(
    person: &Person,
    start_date: Option<&StartDateAttribute>,
) -> Result<Value, ScimError> {
    let Some(email) = person.email() else {
        return Err(ScimError::InvalidChange(
            "a SCIM user needs a userName, and the person has no email to take it from: add the \
             email in the HR system"
                .to_owned(),
        ));
    };
    let mut user = json!({
        "schemas": [CORE_USER],
        "userName": email,
        "emails": [{ "value": email, "type": "work", "primary": true }],
        "active": true,
    });
    if let Some(display) = person.display_name() {
        user["displayName"] = json!(display);
    }
    let mut changes = Vec::new();
    for field in Field::ALL {
        if let Some(value) = person.get(field) {
            if field == Field::EmploymentStartDate && start_date.is_none() {
                continue;
            }
            changes.push(FieldChange { field, value: value.to_owned() });
        }
    }
    apply_changes(&mut user, &changes, start_date)?;
    Ok(user)
}

/// Applies `changes` to `resource` (for a `PUT`) and returns the same changes as `PATCH`
/// operations. A multi-valued attribute (phone numbers, addresses) is replaced whole, with its
/// other entries as they were, so no server has to understand value filters.
///
/// # Errors
/// [`ScimError::InvalidChange`] for a value of the wrong kind for its field, or a start date
/// when no attribute for it is configured.
pub fn apply_changes(
    resource: &mut Value,
    changes: &[FieldChange],
    start_date: Option<&StartDateAttribute>,
) -> Result<Vec<PatchOperation>, ScimError> {
    let mut operations = Vec::new();
    for change in changes {
        let wrong = || {
            ScimError::InvalidChange(format!(
                "{} cannot take the value {}",
                change.field, change.value
            ))
        };
        let (path, value) = match (change.field, &change.value) {
            (Field::GivenName, FieldValue::Text(v)) => ("name.givenName".to_owned(), json!(v)),
            (Field::FamilyName, FieldValue::Text(v)) => ("name.familyName".to_owned(), json!(v)),
            (Field::JobTitle, FieldValue::Text(v)) => ("title".to_owned(), json!(v)),
            (Field::EmploymentId, FieldValue::Text(v)) => {
                (format!("{ENTERPRISE_USER}:employeeNumber"), json!(v))
            }
            (Field::Phone, FieldValue::Text(v)) => ("phoneNumbers".to_owned(), phones(resource, v)),
            (Field::Address, FieldValue::Address(a)) => {
                ("addresses".to_owned(), addresses(resource, a))
            }
            (Field::EmploymentStartDate, FieldValue::Date(d)) => {
                let Some(attribute) = start_date else {
                    return Err(ScimError::InvalidChange(
                        "no SCIM attribute is configured for the employment start date".to_owned(),
                    ));
                };
                (attribute.path.as_str().to_owned(), json!(format_date(*d, attribute.format)))
            }
            _ => return Err(wrong()),
        };
        AttributePath::parse(&path)?.set(resource, value.clone());
        operations.push(PatchOperation::replace(path, value));
    }
    Ok(operations)
}

/// `phoneNumbers` with the phone set: in the `mobile` entry, else the `work` one, else a new
/// `mobile` entry.
fn phones(resource: &Value, phone: &str) -> Value {
    let mut list: Vec<Value> =
        resource.get("phoneNumbers").and_then(Value::as_array).cloned().unwrap_or_default();
    let at = list
        .iter()
        .position(|e| of_type(e, "mobile"))
        .or_else(|| list.iter().position(|e| of_type(e, "work")));
    match at.and_then(|i| list.get_mut(i)).and_then(Value::as_object_mut) {
        Some(entry) => {
            entry.insert("value".to_owned(), json!(phone));
        }
        None => list.push(json!({ "value": phone, "type": "mobile" })),
    }
    Value::Array(list)
}

/// `addresses` with the `work` entry's known parts set (a part not known is left as it was: a
/// sync never clears a value), or a new `work` entry.
fn addresses(resource: &Value, address: &Address) -> Value {
    let mut list: Vec<Value> =
        resource.get("addresses").and_then(Value::as_array).cloned().unwrap_or_default();
    let parts = [
        ("streetAddress", address.street()),
        ("postalCode", address.postal_code()),
        ("locality", address.city()),
        ("country", address.country().map(|c| c.as_str())),
    ];
    let at = list.iter().position(|e| of_type(e, "work") && e.is_object());
    let entry = match at.and_then(|i| list.get_mut(i)).and_then(Value::as_object_mut) {
        Some(entry) => entry,
        None => {
            list.push(json!({ "type": "work" }));
            match list.last_mut().and_then(Value::as_object_mut) {
                Some(entry) => entry,
                None => return Value::Array(list),
            }
        }
    };
    for (name, value) in parts {
        if let Some(value) = value {
            entry.insert(name.to_owned(), json!(value));
        }
    }
    Value::Array(list)
}

/// Adds `schema` to the resource's `schemas` if it is not there.
fn add_schema(resource: &mut Value, schema: &str) {
    let Value::Object(map) = resource else { return };
    let schemas = map.entry("schemas").or_insert_with(|| json!([CORE_USER]));
    if let Value::Array(list) = schemas
        && !list.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema)))
    {
        list.push(json!(schema));
    }
}

/// The object at `key` of `value`, made an object if it was not one.
fn object_entry<'a>(value: &'a mut Value, key: &str) -> &'a mut Value {
    if !value.is_object() {
        *value = Value::Object(Map::new());
    }
    match value {
        Value::Object(map) => {
            let entry = map.entry(key.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            entry
        }
        // Made an object above; anything else is left as it is.
        other => other,
    }
}

/// A string as a SCIM filter's comparison value: a JSON string, so quotes and backslashes in it
/// are escaped (RFC 7644 §3.4.2.2).
///
/// ```
/// assert_eq!(dirsync_scim::filter_value(r#"a"b\c"#), r#""a\"b\\c""#);
/// ```
pub fn filter_value(value: &str) -> String {
    Value::String(value.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(resource: Value) -> ScimUser {
        let Ok(user) = ScimUser::from_resource(resource, None) else { panic!("a user with an id") };
        user
    }

    fn start() -> StartDateAttribute {
        let Ok(path) = AttributePath::parse("urn:example:hr:2.0:User:startDate") else {
            panic!("a valid path")
        };
        StartDateAttribute { path, format: DateFormat::Date }
    }

    #[test]
    fn a_full_user_maps_to_every_field() {
        let record = to_record(
            &user(json!({
                "id": "u1",
                "userName": "ada.login",
                "name": { "givenName": "Ada", "familyName": "Lovelace" },
                "emails": [
                    { "value": "old@example.com" },
                    { "value": "Ada@Example.com", "primary": true }
                ],
                "phoneNumbers": [
                    { "value": "+47 1", "type": "work" },
                    { "value": "+47 2", "type": "mobile" }
                ],
                "addresses": [
                    { "type": "home", "locality": "Bergen" },
                    { "type": "work", "streetAddress": "Main 1\nFlat 2", "postalCode": "0150",
                      "locality": "Oslo", "country": "no" }
                ],
                "title": "CTO",
                "active": false,
                ENTERPRISE_USER: { "employeeNumber": "E-1" },
                "urn:example:hr:2.0:User": { "startDate": "2021-03-01" }
            })),
            Some(&start()),
        );
        let p = &record.person;
        assert_eq!(p.email(), Some("Ada@Example.com"));
        assert_eq!((p.given_name(), p.family_name()), (Some("Ada"), Some("Lovelace")));
        assert_eq!(p.phone(), Some("+47 2"));
        assert_eq!(p.job_title(), Some("CTO"));
        assert_eq!(p.employment_id(), Some("E-1"));
        assert_eq!(p.employment_start_date(), NaiveDate::from_ymd_opt(2021, 3, 1));
        let address = p.address().cloned().unwrap_or_default();
        assert_eq!(address.street(), Some("Main 1\nFlat 2"));
        assert_eq!(address.city(), Some("Oslo"));
        assert_eq!(address.country().map(|c| c.as_str().to_owned()).as_deref(), Some("NO"));
        assert!(!record.active);
        assert!(record.invalid.is_empty(), "{:?}", record.invalid);
    }

    #[test]
    fn user_name_is_the_email_when_there_are_no_emails_and_work_phone_is_the_fallback() {
        let record = to_record(
            &user(json!({
                "id": "u1", "userName": "bo@example.com",
                "phoneNumbers": [{ "value": "+1", "type": "home" }, { "value": "+2", "type": "work" }]
            })),
            None,
        );
        assert_eq!(record.person.email(), Some("bo@example.com"));
        assert_eq!(record.person.phone(), Some("+2"));
        assert!(record.active, "a user without `active` is active");
    }

    #[test]
    fn a_country_that_is_not_alpha_2_is_an_invalid_value_and_the_rest_of_the_address_stays() {
        let record = to_record(
            &user(json!({
                "id": "u1", "userName": "a@example.com",
                "addresses": [{ "type": "work", "locality": "Oslo", "country": "Norway" }],
                "title": { "not": "text" }
            })),
            None,
        );
        assert_eq!(record.person.address().and_then(Address::city), Some("Oslo"));
        assert_eq!(record.person.address().and_then(Address::country), None);
        let country = record.invalid_value(Field::Address).map(|v| v.value.as_str());
        assert_eq!(country, Some("Norway"));
        assert!(record.invalid_value(Field::JobTitle).is_some());
    }

    #[test]
    fn changes_keep_the_other_entries_and_become_patch_operations() -> Result<(), ScimError> {
        let mut resource = json!({
            "id": "u1", "schemas": [CORE_USER],
            "phoneNumbers": [{ "value": "+1", "type": "home" }, { "value": "+2", "type": "work" }],
            "addresses": [{ "type": "work", "locality": "Oslo", "formatted": "x" }]
        });
        let address = Address::new("Main 1", "", "", CountryCode::parse("SE").ok());
        let changes = [
            FieldChange { field: Field::Phone, value: FieldValue::Text("+3".into()) },
            FieldChange { field: Field::Address, value: FieldValue::Address(address) },
            FieldChange { field: Field::EmploymentId, value: FieldValue::Text("E\"1".into()) },
            FieldChange { field: Field::GivenName, value: FieldValue::Text("Ada".into()) },
        ];
        let ops = apply_changes(&mut resource, &changes, None)?;
        let paths: Vec<&str> = ops.iter().map(|o| o.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "phoneNumbers",
                "addresses",
                &format!("{ENTERPRISE_USER}:employeeNumber"),
                "name.givenName"
            ]
        );
        assert_eq!(resource["phoneNumbers"][0]["value"], "+1");
        assert_eq!(resource["phoneNumbers"][1]["value"], "+3");
        assert_eq!(resource["addresses"][0]["locality"], "Oslo", "an unknown part is kept");
        assert_eq!(resource["addresses"][0]["streetAddress"], "Main 1");
        assert_eq!(resource["addresses"][0]["country"], "SE");
        assert_eq!(resource[ENTERPRISE_USER]["employeeNumber"], "E\"1");
        assert_eq!(resource["name"]["givenName"], "Ada");
        assert!(
            resource["schemas"].as_array().is_some_and(|s| s.contains(&json!(ENTERPRISE_USER)))
        );
        Ok(())
    }

    #[test]
    fn a_start_date_needs_a_configured_attribute() {
        let date = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default();
        let change =
            [FieldChange { field: Field::EmploymentStartDate, value: FieldValue::Date(date) }];
        let mut resource = json!({ "id": "u1" });
        assert!(apply_changes(&mut resource, &change, None).is_err());
        let attr = StartDateAttribute { format: DateFormat::DateTime, ..start() };
        assert!(apply_changes(&mut resource, &change, Some(&attr)).is_ok());
        assert_eq!(resource["urn:example:hr:2.0:User"]["startDate"], "2024-03-01T00:00:00Z");
    }

    #[test]
    fn a_new_user_needs_an_email_and_takes_it_as_user_name() -> Result<(), ScimError> {
        assert!(new_user(&Person::new().with_given_name("Ada"), None).is_err());
        let person = Person::new().with_email("ada@example.com").with_job_title("CTO");
        let body = new_user(&person, None)?;
        assert_eq!(body["userName"], "ada@example.com");
        assert_eq!(body["emails"][0]["primary"], true);
        assert_eq!(body["title"], "CTO");
        Ok(())
    }
}

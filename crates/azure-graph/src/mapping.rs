//! The supported fields ↔ Graph user properties.
//!
//! | field | Graph property | limit |
//! |---|---|---|
//! | employment id | `employeeId` | 16 |
//! | given name | `givenName` | 64 |
//! | family name | `surname` | 64 |
//! | phone | `mobilePhone` (or `businessPhones[0]`) | 64 |
//! | address | `streetAddress` / `postalCode` / `city` / `country` | 1024 / 40 / 128 / alpha-2 |
//! | job title | `jobTitle` | 128 |
//! | employment start date | `employeeHireDate` (midnight UTC) | |
//! | (matching) email | `mail`, else `userPrincipalName` | |

use crate::errors::GraphError;
use crate::model::{GraphUser, NewUser, UserPatch};
use crate::page::{UnreadableUser, UserEntry};
use chrono::NaiveDate;
use dirsync::{
    directory::{FieldChange, InvalidValue, Limits, Record, RecordId},
    model::{Address, CountryCode, Field, FieldSet, FieldValue, Person},
};
use secrecy::SecretString;
use serde_json::json;

/// Where the phone number lives in Graph.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PhoneProperty {
    /// `mobilePhone` (the default).
    #[default]
    MobilePhone,
    /// The first (and only settable) entry of `businessPhones`.
    BusinessPhones,
}

impl PhoneProperty {
    /// The Graph property's name.
    pub fn property(self) -> &'static str {
        match self {
            PhoneProperty::MobilePhone => "mobilePhone",
            PhoneProperty::BusinessPhones => "businessPhones",
        }
    }
}

/// The maximum lengths Graph allows for the mapped properties, in characters.
pub const GRAPH_LIMITS: Limits = Limits {
    employment_id: Some(16),
    given_name: Some(64),
    family_name: Some(64),
    phone: Some(64),
    job_title: Some(128),
    street: Some(1024),
    street_line: None,
    street_lines: None,
    postal_code: Some(40),
    city: Some(128),
};

/// The properties read for every user: exactly those the mapping uses (the id, whether the account
/// is enabled, the two matching emails, the mapped fields, and `onPremisesSyncEnabled`, which
/// makes the phone read-only).
pub fn select(phone: PhoneProperty) -> Vec<&'static str> {
    vec![
        "id",
        "accountEnabled",
        "mail",
        "userPrincipalName",
        "employeeId",
        "givenName",
        "surname",
        phone.property(),
        "streetAddress",
        "postalCode",
        "city",
        "country",
        "jobTitle",
        "employeeHireDate",
        "onPremisesSyncEnabled",
    ]
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A Graph user as the core's record: a disabled account is inactive, a country that is not
/// ISO 3166-1 alpha-2 is left out of the address and noted as an invalid value (so is a hire date
/// that cannot be read).
pub fn to_record(user: &GraphUser, phone: PhoneProperty) -> Record {
    let mut person = Person::new();
    let mut invalid = Vec::new();
    if let Some(email) = present(&user.mail).or(present(&user.user_principal_name)) {
        person = person.with_email(email);
    }
    if let Some(v) = present(&user.employee_id) {
        person = person.with_employment_id(v);
    }
    if let Some(v) = present(&user.given_name) {
        person = person.with_given_name(v);
    }
    if let Some(v) = present(&user.surname) {
        person = person.with_family_name(v);
    }
    let phone_value = match phone {
        PhoneProperty::MobilePhone => present(&user.mobile_phone),
        PhoneProperty::BusinessPhones => {
            user.business_phones.iter().map(|p| p.trim()).find(|p| !p.is_empty())
        }
    };
    if let Some(v) = phone_value {
        person = person.with_phone(v);
    }
    if let Some(v) = present(&user.job_title) {
        person = person.with_job_title(v);
    }
    let country = match present(&user.country) {
        None => None,
        Some(raw) => match CountryCode::parse(raw) {
            Ok(code) => Some(code),
            Err(err) => {
                invalid.push(InvalidValue::new(Field::Address, raw, &err));
                None
            }
        },
    };
    let address = Address::new(
        present(&user.street_address).unwrap_or_default(),
        present(&user.postal_code).unwrap_or_default(),
        present(&user.city).unwrap_or_default(),
        country,
    );
    person = person.with_address(address);
    if let Some(raw) = present(&user.employee_hire_date) {
        match parse_hire_date(raw) {
            Some(date) => person = person.with_employment_start_date(date),
            None => invalid.push(InvalidValue::new(
                Field::EmploymentStartDate,
                raw,
                format!("employeeHireDate {raw:?} is not a date such as 2024-03-01T00:00:00Z"),
            )),
        }
    }
    let mut record = Record::new(RecordId::new(user.id.as_str()), person);
    record.invalid = invalid;
    record.active = user.account_enabled != Some(false);
    if user.on_premises_sync_enabled == Some(true) {
        // Synced from on-premises AD: Graph refuses writes to the properties AD masters, so every
        // run would fail them again. Their values still flow to Huma; changes are made in AD.
        record.read_only = FieldSet::all();
    }
    record
}

impl UserEntry {
    /// The entry as the core's record: [`to_record`] for a user, and for one that could not be
    /// read, [`Record::unreadable`] with the keys that could be read (employment id, email).
    pub fn to_record(&self, phone: PhoneProperty) -> Record {
        match self {
            UserEntry::User(user) => to_record(user, phone),
            UserEntry::Unreadable(user) => user.to_record(),
        }
    }
}

impl UnreadableUser {
    /// The core's [unreadable](Record::unreadable) record of this user.
    pub fn to_record(&self) -> Record {
        let mut keys = Person::new();
        if let Some(id) = &self.employee_id {
            keys = keys.with_employment_id(id.as_str());
        }
        if let Some(email) = &self.email {
            keys = keys.with_email(email.as_str());
        }
        Record::unreadable(RecordId::new(self.id.as_str()), keys, self.reason.as_str())
    }
}

/// `employeeHireDate` as a date: its day in UTC.
fn parse_hire_date(raw: &str) -> Option<NaiveDate> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&chrono::Utc).date_naive());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

/// A date as Graph's `employeeHireDate`: midnight UTC.
fn hire_date(date: NaiveDate) -> String {
    format!("{}T00:00:00Z", date.format("%Y-%m-%d"))
}

fn set_field(
    patch: &mut UserPatch,
    field: Field,
    value: &FieldValue,
    phone: PhoneProperty,
) -> Result<(), GraphError> {
    let wrong = || GraphError::InvalidChange(format!("{field} cannot take the value {value}"));
    match (field, value) {
        (Field::EmploymentId, FieldValue::Text(v)) => patch.set("employeeId", v.as_str()),
        (Field::GivenName, FieldValue::Text(v)) => patch.set("givenName", v.as_str()),
        (Field::FamilyName, FieldValue::Text(v)) => patch.set("surname", v.as_str()),
        (Field::JobTitle, FieldValue::Text(v)) => patch.set("jobTitle", v.as_str()),
        (Field::Phone, FieldValue::Text(v)) => match phone {
            PhoneProperty::MobilePhone => patch.set("mobilePhone", v.as_str()),
            PhoneProperty::BusinessPhones => patch.set("businessPhones", json!([v])),
        },
        (Field::Address, FieldValue::Address(a)) => {
            // The address syncs as a whole, but a part that is not known is left as Azure has it:
            // a sync never clears a value.
            if let Some(street) = a.street() {
                patch.set("streetAddress", street);
            }
            if let Some(postal) = a.postal_code() {
                patch.set("postalCode", postal);
            }
            if let Some(city) = a.city() {
                patch.set("city", city);
            }
            if let Some(country) = a.country() {
                patch.set("country", country.as_str());
            }
        }
        (Field::EmploymentStartDate, FieldValue::Date(d)) => {
            patch.set("employeeHireDate", hire_date(*d))
        }
        _ => return Err(wrong()),
    }
    Ok(())
}

/// The PATCH for a set of changes: only the changed properties.
///
/// # Errors
/// [`GraphError::InvalidChange`] for a value of the wrong kind for its field.
pub fn patch_for(changes: &[FieldChange], phone: PhoneProperty) -> Result<UserPatch, GraphError> {
    let mut patch = UserPatch::new();
    for change in changes {
        set_field(&mut patch, change.field, &change.value, phone)?;
    }
    Ok(patch)
}

/// A mail alias from free text: ASCII letters, digits, `.`, `-` and `_`, common accented letters
/// folded, at most 64 characters.
pub fn mail_nickname(source: &str) -> Option<String> {
    let mut out = String::new();
    for c in source.trim().to_lowercase().chars() {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' | '-' | '_' => {
                out.push(c);
                continue;
            }
            '.' | ' ' | '\t' => ".",
            'æ' | 'ä' => "ae",
            'ø' | 'ö' | 'œ' => "oe",
            'å' => "aa",
            'á' | 'à' | 'â' | 'ã' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ó' | 'ò' | 'ô' | 'õ' => "o",
            'ú' | 'ù' | 'û' => "u",
            'ü' => "ue",
            'ß' => "ss",
            'ñ' => "n",
            'ç' => "c",
            'ð' => "d",
            'þ' => "th",
            _ => "",
        };
        out.push_str(folded);
    }
    let mut collapsed = String::new();
    for part in out.split('.').filter(|p| !p.is_empty()) {
        if !collapsed.is_empty() {
            collapsed.push('.');
        }
        collapsed.push_str(part);
    }
    let cut: String = collapsed.chars().take(64).collect();
    let cut = cut.trim_end_matches('.').to_owned();
    (!cut.is_empty()).then_some(cut)
}

/// The user to create for `person`: the alias from the email's local part, else from the names;
/// the user principal name `alias@upn_domain`; the usage location from an alpha-2 country; a
/// strong random password to be changed at first sign-in.
///
/// # Errors
/// [`GraphError::CannotCreate`] when the person has no email and no name to make the alias from.
pub fn new_user(
    person: &Person,
    upn_domain: &str,
    phone: PhoneProperty,
    password: SecretString,
) -> Result<NewUser, GraphError> {
    let from_email = person.email().and_then(|e| e.split('@').next()).and_then(mail_nickname);
    let from_names = || {
        let names: Vec<&str> =
            [person.given_name(), person.family_name()].into_iter().flatten().collect();
        mail_nickname(&names.join("."))
    };
    let nickname = from_email.or_else(from_names).ok_or_else(|| {
        GraphError::CannotCreate(
            "the person has no email and no given or family name usable for an Azure AD \
             sign-in name: add an email or a name in the HR system"
                .to_owned(),
        )
    })?;
    let domain = upn_domain.trim().trim_start_matches('@');
    if domain.is_empty() {
        return Err(GraphError::CannotCreate(
            "no user principal name domain is configured: set upn_domain to a verified domain of \
             the tenant"
                .to_owned(),
        ));
    }
    let display_name: String =
        person.display_name().unwrap_or_else(|| nickname.clone()).chars().take(256).collect();
    let mut properties = UserPatch::new();
    for field in Field::ALL {
        if let Some(value) = person.get(field) {
            set_field(&mut properties, field, &value.to_owned(), phone)?;
        }
    }
    if let Some(country) = person.address().and_then(Address::country) {
        properties.set("usageLocation", country.as_str());
    }
    if let Some(email) = person.email().filter(|e| e.is_ascii() && e.contains('@')) {
        properties.set("mail", email);
    }
    Ok(NewUser {
        user_principal_name: format!("{nickname}@{domain}"),
        mail_nickname: nickname,
        display_name,
        account_enabled: true,
        password,
        properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(json: serde_json::Value) -> GraphUser {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_full_user_maps_to_every_field() {
        let u = user(json!({
            "id": "u1", "accountEnabled": true, "mail": "Ada@Contoso.com",
            "userPrincipalName": "ada@contoso.onmicrosoft.com", "employeeId": "E1",
            "givenName": "Ada", "surname": "Lovelace", "mobilePhone": "+47 1",
            "streetAddress": "Main 1\nFlat 2", "postalCode": "0150", "city": "Oslo",
            "country": "no", "jobTitle": "CTO", "employeeHireDate": "2024-03-01T00:00:00Z"
        }));
        let r = to_record(&u, PhoneProperty::MobilePhone);
        assert!(r.active && r.invalid.is_empty());
        let p = &r.person;
        assert_eq!(p.email(), Some("Ada@Contoso.com"));
        assert_eq!(p.employment_id(), Some("E1"));
        assert_eq!(p.phone(), Some("+47 1"));
        assert_eq!(
            p.address(),
            Some(&Address::new("Main 1\nFlat 2", "0150", "Oslo", CountryCode::parse("NO").ok()))
        );
        assert_eq!(p.employment_start_date(), NaiveDate::from_ymd_opt(2024, 3, 1));
    }

    #[test]
    fn a_country_name_is_left_out_and_noted() {
        let u = user(json!({"id": "u1", "city": "Oslo", "country": "Norway"}));
        let r = to_record(&u, PhoneProperty::MobilePhone);
        assert_eq!(r.person.address(), Some(&Address::new("", "", "Oslo", None)));
        let bad = r.invalid_value(Field::Address).unwrap();
        assert_eq!(bad.value, "Norway");
        assert!(bad.reason.contains("did you mean NO?"), "{}", bad.reason);
    }

    #[test]
    fn disabled_accounts_are_inactive_and_upn_is_the_fallback_email() {
        let u = user(
            json!({"id": "u1", "accountEnabled": false, "mail": null, "userPrincipalName": "x@y.z"}),
        );
        let r = to_record(&u, PhoneProperty::MobilePhone);
        assert!(!r.active);
        assert_eq!(r.person.email(), Some("x@y.z"));
    }

    #[test]
    fn business_phones_and_bad_dates() {
        let u =
            user(json!({"id": "u1", "businessPhones": ["", "+1 2"], "employeeHireDate": "soon"}));
        let r = to_record(&u, PhoneProperty::BusinessPhones);
        assert_eq!(r.person.phone(), Some("+1 2"));
        assert!(r.invalid_value(Field::EmploymentStartDate).is_some());
    }

    #[test]
    fn a_hire_date_is_its_day_in_utc_whatever_offset_it_was_written_with() {
        let day = |raw: &str| parse_hire_date(raw).map(|d| d.to_string());
        assert_eq!(day("2024-03-01T00:00:00Z").as_deref(), Some("2024-03-01"));
        // Local midnight in Oslo is the evening before in UTC; the docs say the UTC day is taken.
        assert_eq!(day("2024-03-01T00:00:00+01:00").as_deref(), Some("2024-02-29"));
        assert_eq!(day("2024-02-29T23:00:00Z").as_deref(), Some("2024-02-29"));
        assert_eq!(day("2024-03-01").as_deref(), Some("2024-03-01"));
        assert_eq!(day("2024-02-30T00:00:00Z"), None);
        assert_eq!(hire_date(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()), "2024-03-01T00:00:00Z");
    }

    #[test]
    fn patch_holds_only_the_changed_properties() {
        let changes = [
            FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) },
            FieldChange {
                field: Field::Address,
                value: FieldValue::Address(Address::new(
                    "a\nb",
                    "",
                    "Oslo",
                    CountryCode::parse("NO").ok(),
                )),
            },
            FieldChange {
                field: Field::EmploymentStartDate,
                value: FieldValue::Date(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()),
            },
        ];
        let patch = patch_for(&changes, PhoneProperty::MobilePhone).unwrap();
        assert_eq!(
            patch.to_json(),
            json!({"jobTitle": "CTO", "streetAddress": "a\nb", "city": "Oslo", "country": "NO",
                   "employeeHireDate": "2024-03-01T00:00:00Z"})
        );
        let phone = [FieldChange { field: Field::Phone, value: FieldValue::Text("+1".into()) }];
        assert_eq!(
            patch_for(&phone, PhoneProperty::BusinessPhones).unwrap().to_json(),
            json!({"businessPhones": ["+1"]})
        );
        let wrong = [FieldChange { field: Field::Phone, value: FieldValue::Date(NaiveDate::MIN) }];
        assert!(patch_for(&wrong, PhoneProperty::MobilePhone).is_err());
    }

    #[test]
    fn nicknames_are_folded_to_ascii() {
        assert_eq!(mail_nickname("Bjørn Ærø").as_deref(), Some("bjoern.aeroe"));
        assert_eq!(mail_nickname(" ..a..b.. ").as_deref(), Some("a.b"));
        assert_eq!(mail_nickname("中文"), None);
        assert_eq!(mail_nickname(&"x".repeat(100)).map(|n| n.len()), Some(64));
    }

    #[test]
    fn new_user_needs_an_email_or_a_name() {
        let err = new_user(
            &Person::new().with_phone("1"),
            "contoso.com",
            PhoneProperty::MobilePhone,
            "p".into(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("no email and no given or family name"));
        let u = new_user(
            &Person::new()
                .with_given_name("Åsa")
                .with_family_name("Berg")
                .with_address(Address::new("", "", "", CountryCode::parse("SE").ok())),
            "contoso.com",
            PhoneProperty::MobilePhone,
            "p".into(),
        )
        .unwrap();
        assert_eq!(u.user_principal_name, "aasa.berg@contoso.com");
        assert_eq!(u.display_name, "Åsa Berg");
        assert_eq!(u.properties.properties()["usageLocation"], json!("SE"));
    }
}

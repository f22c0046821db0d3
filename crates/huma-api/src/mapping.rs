//! Between Huma's wire types and the core's `Person` and `Record`.

use crate::errors::HumaError;
use crate::ids::HumaUserId;
use crate::model::{
    AddressUpdateInput, PositionSummary, UserDetails, UserDetailsInput, WireAddress, Wrapped,
};
use crate::raw::{Problem, RawKeys, shortened};
use chrono::NaiveDate;
use dirsync::{
    directory::{FieldChange, InvalidValue, Record},
    model::{Address, CountryCode, Field, FieldValue, Person},
};
use dirsync_runtime::lenient::is_object;
use serde::de::{Error as _, IgnoredAny};

/// The user's current position: the first one whose status is `CURRENT`.
pub fn current_position(positions: &[PositionSummary]) -> Option<&PositionSummary> {
    positions.iter().find(|p| p.is_current())
}

/// One user's details as a [`Record`].
///
/// - A field Huma marks `editable: false` is read-only in the record.
/// - Job title and employment start date come from the current position, else from the
///   deprecated `jobTitle` / `employmentStartDate`. Without a current position they are
///   read-only, because Huma keeps them on the position and there is none to write to.
/// - A country that is not ISO 3166-1 alpha-2, or a date that is not a date, is noted as an
///   [`InvalidValue`]; the address is kept without its country.
/// - The record is inactive when Huma says the account is not active.
pub fn record_from_details(details: &UserDetails) -> Record {
    let mut person = Person::new();
    let mut read_only = Vec::new();
    let mut invalid = Vec::new();

    if let Some(email) = details.email.as_ref().and_then(|w| w.value.as_deref()) {
        person = person.with_email(email);
    }
    let texts: [(Field, &Option<Wrapped<String>>); 4] = [
        (Field::EmploymentId, &details.employment_id),
        (Field::GivenName, &details.given_name),
        (Field::FamilyName, &details.family_name),
        (Field::Phone, &details.phone),
    ];
    for (field, wrapped) in texts {
        let Some(wrapped) = wrapped else { continue };
        if wrapped.is_read_only() {
            read_only.push(field);
        }
        if let Some(text) = &wrapped.value {
            // Text fields cannot have the wrong kind, so `set` cannot fail here.
            let _ = person.set(field, FieldValue::Text(text.clone()));
        }
    }

    if let Some(wrapped) = &details.home_address {
        if wrapped.is_read_only() {
            read_only.push(Field::Address);
        }
        if let Some(wire) = &wrapped.value {
            let (address, bad_country) = address_from_wire(wire);
            person = person.with_address(address);
            invalid.extend(bad_country);
        }
    }

    let positions = details.current_positions.as_deref().unwrap_or_default();
    match current_position(positions) {
        Some(position) => {
            if let Some(name) = position.title.as_ref().and_then(|t| t.name.as_deref()) {
                person = person.with_job_title(name);
            }
            if let Some(text) = &position.contract_start_date {
                match parse_date(text) {
                    Ok(date) => person = person.with_employment_start_date(date),
                    Err(bad) => invalid.push(bad),
                }
            }
        }
        None => {
            if let Some(name) = details
                .job_title
                .as_ref()
                .and_then(|w| w.value.as_ref())
                .and_then(|t| t.name.as_deref())
            {
                person = person.with_job_title(name);
            }
            if let Some(text) =
                details.employment_start_date.as_ref().and_then(|w| w.value.as_deref())
            {
                match parse_date(text) {
                    Ok(date) => person = person.with_employment_start_date(date),
                    Err(bad) => invalid.push(bad),
                }
            }
            read_only.extend([Field::JobTitle, Field::EmploymentStartDate]);
        }
    }

    let mut record = Record::new(details.id.clone(), person);
    for field in read_only {
        record = record.read_only(field);
    }
    for bad in invalid {
        record = record.with_invalid(bad);
    }
    let active = details.status.as_ref().and_then(|s| s.active).unwrap_or(true);
    if !active {
        record = record.inactive();
    }
    record
}

fn parse_date(text: &str) -> Result<NaiveDate, InvalidValue> {
    let trimmed = text.trim();
    // Huma writes `YYYY-MM-DD`; a whole date-time is accepted by its date as written (in its own
    // offset, which is the day Huma shows), but not a date followed by anything else.
    let date = NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").or_else(|e| {
        chrono::DateTime::parse_from_rfc3339(trimmed)
            .map(|t| t.date_naive())
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(trimmed, "%Y-%m-%dT%H:%M:%S%.f")
                    .map(|t| t.date())
            })
            .map_err(|_| e)
    });
    date.map_err(|e| {
        InvalidValue::new(
            Field::EmploymentStartDate,
            text,
            format!("{text:?} is not a date in the form YYYY-MM-DD: {e}"),
        )
    })
}

/// A Huma address as the core's: non-empty lines joined by `\n`; a country that is not
/// alpha-2 is left out and returned as an [`InvalidValue`].
pub fn address_from_wire(wire: &WireAddress) -> (Address, Option<InvalidValue>) {
    let street = [&wire.line1, &wire.line2, &wire.line3]
        .into_iter()
        .filter_map(|line| line.as_deref())
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let (country, bad) = match wire.country.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => (None, None),
        Some(text) => match CountryCode::parse(text) {
            Ok(code) => (Some(code), None),
            Err(e) => (None, Some(InvalidValue::new(Field::Address, text, e))),
        },
    };
    let address = Address::new(
        street,
        wire.postal_code.as_deref().unwrap_or_default(),
        wire.city.as_deref().unwrap_or_default(),
        country,
    );
    (address, bad)
}

/// The core's address as Huma's `AddressUpdateInput`: the first two street lines as `line1` and
/// `line2`, any further lines joined by ", " as `line3`, absent parts as empty strings.
pub fn address_to_wire(address: &Address) -> AddressUpdateInput {
    let mut lines = address.street_lines();
    let line1 = lines.next().unwrap_or_default().to_owned();
    let line2 = lines.next().unwrap_or_default().to_owned();
    let line3 = lines.collect::<Vec<_>>().join(", ");
    AddressUpdateInput {
        line1,
        line2,
        line3,
        postal_code: address.postal_code().unwrap_or_default().to_owned(),
        city: address.city().unwrap_or_default().to_owned(),
        country: address.country().map(|c| c.as_str().to_owned()).unwrap_or_default(),
    }
}

/// What an update writes: the user's own fields, and what lives on the current position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitChanges {
    /// The body of `PATCH /users/{id}`.
    pub user: UserDetailsInput,
    /// A new job title, by name.
    pub job_title: Option<String>,
    /// A new employment start date.
    pub start_date: Option<NaiveDate>,
}

impl SplitChanges {
    /// Whether the current position needs writing.
    pub fn touches_position(&self) -> bool {
        self.job_title.is_some() || self.start_date.is_some()
    }
}

/// Splits the core's changes into what `PATCH /users/{id}` and the position take.
///
/// # Errors
/// [`HumaError::WrongKind`] when a value does not fit its field.
pub fn split_changes(changes: &[FieldChange]) -> Result<SplitChanges, HumaError> {
    let mut split = SplitChanges::default();
    for change in changes {
        let field = change.field;
        match (field, &change.value) {
            (Field::EmploymentId, FieldValue::Text(t)) => split.user.employment_id = Some(trim(t)),
            (Field::GivenName, FieldValue::Text(t)) => split.user.given_name = Some(trim(t)),
            (Field::FamilyName, FieldValue::Text(t)) => split.user.family_name = Some(trim(t)),
            (Field::Phone, FieldValue::Text(t)) => split.user.phone = Some(trim(t)),
            (Field::Address, FieldValue::Address(a)) => {
                split.user.home_address = Some(address_to_wire(a));
            }
            (Field::JobTitle, FieldValue::Text(t)) => split.job_title = Some(trim(t)),
            (Field::EmploymentStartDate, FieldValue::Date(d)) => split.start_date = Some(*d),
            _ => return Err(HumaError::WrongKind { field }),
        }
    }
    Ok(split)
}

fn trim(text: &str) -> String {
    text.trim().to_owned()
}

/// Where a user's JSON came from, for the reason.
const DETAILS: &str = "Huma's details of this user";

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
    // Nearly every user reads as a whole at once, which also proves the answer is JSON; only
    // one that does not is checked and read again to say why.
    let details = match is_object(body).then(|| serde_json::from_slice::<UserDetails>(body)) {
        Some(Ok(details)) => Ok(details),
        _ => {
            // `IgnoredAny` checks the syntax without building anything, and takes what
            // serde_json's typed reading refuses although it is JSON (a number beyond f64,
            // nesting deeper than 128), so such a user is unreadable rather than the answer.
            if let Err(e) = serde_json::from_slice::<IgnoredAny>(body) {
                return Err(HumaError::decode(format!("GET /users/{id}"), e, body));
            }
            if is_object(body) {
                Problem::tracked::<UserDetails>(body)
            } else {
                Err(Problem::not_an_object(body))
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(lines: [&str; 3], country: &str) -> WireAddress {
        WireAddress {
            line1: Some(lines[0].into()),
            line2: Some(lines[1].into()),
            line3: Some(lines[2].into()),
            postal_code: Some("0150".into()),
            city: Some("Oslo".into()),
            country: Some(country.into()),
        }
    }

    #[test]
    fn non_empty_lines_are_joined() {
        let (a, bad) = address_from_wire(&wire(["Main St 1", "", " Flat 2 "], "no"));
        assert_eq!(a.street(), Some("Main St 1\nFlat 2"));
        assert_eq!(a.country().map(|c| c.as_str()), Some("NO"));
        assert!(bad.is_none());
    }

    #[test]
    fn a_country_that_is_not_alpha2_is_noted_and_left_out() {
        let (a, bad) = address_from_wire(&wire(["Main St 1", "", ""], "Norway"));
        assert_eq!(a.country(), None);
        assert_eq!(a.city(), Some("Oslo"));
        let bad = bad.unwrap();
        assert_eq!((bad.field, bad.value.as_str()), (Field::Address, "Norway"));
        assert!(bad.reason.contains("did you mean NO?"), "{}", bad.reason);
    }

    #[test]
    fn extra_street_lines_go_into_line3() {
        let a = Address::new("a\nb\nc\nd", "", "", None);
        let w = address_to_wire(&a);
        assert_eq!((w.line1.as_str(), w.line2.as_str(), w.line3.as_str()), ("a", "b", "c, d"));
        assert_eq!((w.postal_code.as_str(), w.country.as_str()), ("", ""));
    }

    #[test]
    fn dates_are_read_and_bad_ones_noted() {
        assert_eq!(parse_date("2021-03-01"), Ok(NaiveDate::from_ymd_opt(2021, 3, 1).unwrap()));
        assert_eq!(
            parse_date("2021-03-01T00:00:00Z"),
            Ok(NaiveDate::from_ymd_opt(2021, 3, 1).unwrap())
        );
        assert_eq!(
            parse_date("2021-03-01T23:30:00-05:00"),
            Ok(NaiveDate::from_ymd_opt(2021, 3, 1).unwrap()),
            "the day as written, not the UTC day"
        );
        assert_eq!(
            parse_date("2021-03-01T08:00:00.000"),
            Ok(NaiveDate::from_ymd_opt(2021, 3, 1).unwrap())
        );
        assert!(parse_date("2021-03-01garbage").is_err());
        assert!(parse_date("2021-03-01T99:00:00Z").is_err());
        assert!(parse_date("01.03.2021").is_err());
        assert!(parse_date("2021-02-30").is_err());
        assert!(parse_date("ééééééééééé").is_err());
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_refused() {
        let change = FieldChange { field: Field::Phone, value: FieldValue::Date(NaiveDate::MIN) };
        assert!(matches!(
            split_changes(&[change]),
            Err(HumaError::WrongKind { field: Field::Phone })
        ));
    }
}

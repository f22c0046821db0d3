//! A person as both systems know them: the supported fields plus the email used for matching.

use crate::text::{clean, clean_street};
use crate::{CountryCode, Field};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

/// A value's text: shared, so that copying a person (into a plan, a baseline) costs no allocation.
type Text = Arc<str>;

/// The supported fields of one person, normalised on the way in.
///
/// Every setter trims its value and treats an empty one as absent, so two records that hold the same
/// person compare equal however the two systems pad their values.
///
/// ```
/// use dirsync::model::{Address, CountryCode, Person};
/// let ada = Person::new()
///     .with_email(" Ada@Example.com ")
///     .with_given_name("Ada ")
///     .with_family_name("Lovelace")
///     .with_address(Address::new("1 Main St\r\nFlat 2 ", "0150", "Oslo", Some(CountryCode::parse("no")?)));
/// assert_eq!(ada.given_name(), Some("Ada"));
/// assert_eq!(ada.email_key().as_deref(), Some("ada@example.com"));
/// assert_eq!(ada.address().unwrap().street(), Some("1 Main St\nFlat 2"));
/// assert_eq!(Person::new().with_phone("  "), Person::new());
/// # Ok::<(), dirsync::model::CountryError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawPerson")]
pub struct Person {
    // The two keys records are paired by are read for every record, so they sit in the person;
    // the other values are shared, so that a copy of an unchanged person (into a plan, a
    // baseline) costs one reference count instead of one for each value.
    email: Option<Text>,
    employment_id: Option<Text>,
    values: Arc<Values>,
}

/// The values of a person other than the keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Values {
    given_name: Option<Text>,
    family_name: Option<Text>,
    phone: Option<Text>,
    address: Option<Address>,
    job_title: Option<Text>,
    employment_start_date: Option<NaiveDate>,
}

/// A person as written to JSON (a state file, a plan): every known value, keys first.
#[derive(Serialize)]
struct PersonJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    employment_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    given_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    family_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<&'a Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    job_title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    employment_start_date: Option<NaiveDate>,
}

impl Serialize for Person {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        PersonJson {
            email: self.email(),
            employment_id: self.employment_id(),
            given_name: self.given_name(),
            family_name: self.family_name(),
            phone: self.phone(),
            address: self.address(),
            job_title: self.job_title(),
            employment_start_date: self.employment_start_date(),
        }
        .serialize(serializer)
    }
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Values { given_name, family_name, phone, address, job_title, employment_start_date } =
            &*self.values;
        f.debug_struct("Person")
            .field("email", &self.email)
            .field("employment_id", &self.employment_id)
            .field("given_name", given_name)
            .field("family_name", family_name)
            .field("phone", phone)
            .field("address", address)
            .field("job_title", job_title)
            .field("employment_start_date", employment_start_date)
            .finish()
    }
}

macro_rules! key_field {
    ($get:ident, $with:ident, $doc:literal) => {
        #[doc = concat!("The ", $doc, ", if known.")]
        pub fn $get(&self) -> Option<&str> {
            self.$get.as_deref()
        }

        #[doc = concat!("Sets the ", $doc, " (trimmed; blank means absent).")]
        #[must_use]
        pub fn $with(mut self, value: impl AsRef<str>) -> Self {
            self.$get = clean(value.as_ref()).map(Text::from);
            self
        }
    };
}

macro_rules! text_field {
    ($get:ident, $with:ident, $doc:literal) => {
        #[doc = concat!("The ", $doc, ", if known.")]
        pub fn $get(&self) -> Option<&str> {
            self.values.$get.as_deref()
        }

        #[doc = concat!("Sets the ", $doc, " (trimmed; blank means absent).")]
        #[must_use]
        pub fn $with(mut self, value: impl AsRef<str>) -> Self {
            self.values_mut().$get = clean(value.as_ref()).map(Text::from);
            self
        }
    };
}

impl Person {
    /// A person with no values.
    pub fn new() -> Self {
        Self::default()
    }

    key_field!(email, with_email, "email address used for matching");
    key_field!(employment_id, with_employment_id, "employment id");
    text_field!(given_name, with_given_name, "given name");
    text_field!(family_name, with_family_name, "family name");
    text_field!(phone, with_phone, "phone number");
    text_field!(job_title, with_job_title, "job title");

    /// The address, if any part of it is known.
    pub fn address(&self) -> Option<&Address> {
        self.values.address.as_ref()
    }

    /// Sets the address; an address with no parts is absent.
    #[must_use]
    pub fn with_address(mut self, address: Address) -> Self {
        self.values_mut().address = (!address.is_empty()).then_some(address);
        self
    }

    /// The employment start date, if known.
    pub fn employment_start_date(&self) -> Option<NaiveDate> {
        self.values.employment_start_date
    }

    /// Sets the employment start date.
    #[must_use]
    pub fn with_employment_start_date(mut self, date: NaiveDate) -> Self {
        self.values_mut().employment_start_date = Some(date);
        self
    }

    /// The values other than the keys, to change: copied first if another person shares them.
    fn values_mut(&mut self) -> &mut Values {
        Arc::make_mut(&mut self.values)
    }

    /// The email in the form used for matching: lower case.
    pub fn email_key(&self) -> Option<String> {
        self.email.as_deref().map(str::to_lowercase)
    }

    /// As [`Person::email_key`], borrowing when the email is lower case already (most are).
    pub(crate) fn email_match_key(&self) -> Option<Cow<'_, str>> {
        let email = self.email.as_deref()?;
        let lower = if email.is_ascii() {
            !email.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            !email.chars().any(char::is_uppercase)
        };
        Some(if !lower { Cow::Owned(email.to_lowercase()) } else { Cow::Borrowed(email) })
    }

    /// A readable name: given and family name, else the email, else the employment id.
    pub fn display_name(&self) -> Option<String> {
        let name = [self.given_name(), self.family_name()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        if !name.is_empty() {
            return Some(name);
        }
        self.email.as_deref().or(self.employment_id.as_deref()).map(str::to_owned)
    }

    /// The value of one field, borrowed.
    pub fn get(&self, field: Field) -> Option<FieldRef<'_>> {
        match field {
            Field::EmploymentId => self.employment_id.as_deref().map(FieldRef::Text),
            Field::GivenName => self.given_name().map(FieldRef::Text),
            Field::FamilyName => self.family_name().map(FieldRef::Text),
            Field::Phone => self.phone().map(FieldRef::Text),
            Field::Address => self.address().map(FieldRef::Address),
            Field::JobTitle => self.job_title().map(FieldRef::Text),
            Field::EmploymentStartDate => self.employment_start_date().map(FieldRef::Date),
        }
    }

    /// Sets one field from a value of the right kind.
    ///
    /// # Errors
    /// [`WrongKind`] when the value's kind does not fit the field (a date for a name, say).
    pub fn set(&mut self, field: Field, value: FieldValue) -> Result<(), WrongKind> {
        let slot = match (field, value) {
            (Field::Address, FieldValue::Address(address)) => {
                self.values_mut().address = (!address.is_empty()).then_some(address);
                return Ok(());
            }
            (Field::EmploymentStartDate, FieldValue::Date(date)) => {
                self.values_mut().employment_start_date = Some(date);
                return Ok(());
            }
            (Field::EmploymentId, FieldValue::Text(text)) => (&mut self.employment_id, text),
            (Field::GivenName, FieldValue::Text(text)) => (&mut self.values_mut().given_name, text),
            (Field::FamilyName, FieldValue::Text(text)) => {
                (&mut self.values_mut().family_name, text)
            }
            (Field::Phone, FieldValue::Text(text)) => (&mut self.values_mut().phone, text),
            (Field::JobTitle, FieldValue::Text(text)) => (&mut self.values_mut().job_title, text),
            (field, _) => return Err(WrongKind { field }),
        };
        *slot.0 = clean(&slot.1).map(Text::from);
        Ok(())
    }

    /// The values this person and `other` share, field by field: what both sides agree on, the
    /// baseline to remember after a create (or any write) succeeded.
    ///
    /// ```
    /// use dirsync::model::Person;
    /// let sent = Person::new().with_given_name("Ada").with_job_title("CTO");
    /// let got = Person::new().with_given_name("Ada").with_job_title("Chief Technology Officer");
    /// assert_eq!(sent.shared_with(&got), Person::new().with_given_name("Ada"));
    /// ```
    #[must_use]
    pub fn shared_with(&self, other: &Person) -> Person {
        let mut shared = self.fields_only();
        for field in Field::ALL {
            if self.get(field) != other.get(field) {
                shared.clear(field);
            }
        }
        shared
    }

    /// Only the keys a person is matched by: employment id and email.
    #[must_use]
    pub fn keys_only(&self) -> Person {
        Person {
            email: self.email.clone(),
            employment_id: self.employment_id.clone(),
            ..Person::default()
        }
    }

    /// This person's supported fields without the email, sharing their values: as cheap as a
    /// copy of two texts.
    pub(crate) fn fields_only(&self) -> Person {
        Person { email: None, ..self.clone() }
    }

    /// Copies one field's value from `other`, sharing its text rather than copying it.
    pub(crate) fn copy_field(&mut self, other: &Person, field: Field) {
        if field == Field::EmploymentId {
            self.employment_id.clone_from(&other.employment_id);
            return;
        }
        let (mine, theirs) = (self.values_mut(), &other.values);
        match field {
            Field::EmploymentId => {}
            Field::GivenName => mine.given_name.clone_from(&theirs.given_name),
            Field::FamilyName => mine.family_name.clone_from(&theirs.family_name),
            Field::Phone => mine.phone.clone_from(&theirs.phone),
            Field::Address => mine.address.clone_from(&theirs.address),
            Field::JobTitle => mine.job_title.clone_from(&theirs.job_title),
            Field::EmploymentStartDate => mine.employment_start_date = theirs.employment_start_date,
        }
    }

    /// Removes one field's value (used for baselines and for leaving out values that cannot be
    /// written; a sync never clears a field on a directory).
    pub fn clear(&mut self, field: Field) {
        if self.get(field).is_none() {
            return; // Nothing to clear: the shared values need no copy.
        }
        if field == Field::EmploymentId {
            self.employment_id = None;
            return;
        }
        let values = self.values_mut();
        match field {
            Field::EmploymentId => {}
            Field::GivenName => values.given_name = None,
            Field::FamilyName => values.family_name = None,
            Field::Phone => values.phone = None,
            Field::Address => values.address = None,
            Field::JobTitle => values.job_title = None,
            Field::EmploymentStartDate => values.employment_start_date = None,
        }
    }
}

/// A person as read from JSON (a state file, a plan), normalised like every other way in.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawPerson {
    email: Option<String>,
    employment_id: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    phone: Option<String>,
    address: Option<Address>,
    job_title: Option<String>,
    employment_start_date: Option<NaiveDate>,
}

impl From<RawPerson> for Person {
    fn from(raw: RawPerson) -> Self {
        let text = |value: Option<String>| value.as_deref().and_then(clean).map(Text::from);
        Person {
            email: text(raw.email),
            employment_id: text(raw.employment_id),
            values: Arc::new(Values {
                given_name: text(raw.given_name),
                family_name: text(raw.family_name),
                phone: text(raw.phone),
                address: raw.address.filter(|a| !a.is_empty()),
                job_title: text(raw.job_title),
                employment_start_date: raw.employment_start_date,
            }),
        }
    }
}

/// An address as read from JSON, normalised like [`Address::new`].
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawAddress {
    street: Option<String>,
    postal_code: Option<String>,
    city: Option<String>,
    country: Option<CountryCode>,
}

impl From<RawAddress> for Address {
    fn from(raw: RawAddress) -> Self {
        let part = |value: Option<String>| value.unwrap_or_default();
        Address::new(part(raw.street), part(raw.postal_code), part(raw.city), raw.country)
    }
}

/// A value of the wrong kind was given for a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a value of the wrong kind was given for {field}")]
pub struct WrongKind {
    /// The field that was being set.
    pub field: Field,
}

/// A postal address: street (one or more lines), postal code, city and an alpha-2 country.
///
/// Parts are normalised like [`Person`]'s fields; the street's lines are trimmed and joined by `\n`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(default, from = "RawAddress")]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    street: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    postal_code: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    city: Option<Text>,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<CountryCode>,
}

impl Address {
    /// An address from its parts; blank parts are absent.
    pub fn new(
        street: impl AsRef<str>,
        postal_code: impl AsRef<str>,
        city: impl AsRef<str>,
        country: Option<CountryCode>,
    ) -> Self {
        Address {
            street: clean_street(street.as_ref()).map(Text::from),
            postal_code: clean(postal_code.as_ref()).map(Text::from),
            city: clean(city.as_ref()).map(Text::from),
            country,
        }
    }

    /// The street lines, joined by `\n`.
    pub fn street(&self) -> Option<&str> {
        self.street.as_deref()
    }

    /// The street's lines.
    pub fn street_lines(&self) -> impl Iterator<Item = &str> {
        self.street.as_deref().into_iter().flat_map(|s| s.split('\n'))
    }

    /// The postal code.
    pub fn postal_code(&self) -> Option<&str> {
        self.postal_code.as_deref()
    }

    /// The city.
    pub fn city(&self) -> Option<&str> {
        self.city.as_deref()
    }

    /// The country.
    pub fn country(&self) -> Option<CountryCode> {
        self.country
    }

    /// Whether no part is known.
    pub fn is_empty(&self) -> bool {
        self.street.is_none()
            && self.postal_code.is_none()
            && self.city.is_none()
            && self.country.is_none()
    }

    /// This address with its missing parts taken from `other`: what is known is never lost.
    #[must_use]
    pub fn filled_from(&self, other: &Address) -> Address {
        Address {
            street: self.street.clone().or_else(|| other.street.clone()),
            postal_code: self.postal_code.clone().or_else(|| other.postal_code.clone()),
            city: self.city.clone().or_else(|| other.city.clone()),
            country: self.country.or(other.country),
        }
    }

    /// Whether every known part of this address is known, and the same, in `other`.
    pub fn is_part_of(&self, other: &Address) -> bool {
        fn within<T: PartialEq>(mine: &Option<T>, theirs: &Option<T>) -> bool {
            mine.is_none() || mine == theirs
        }
        within(&self.street, &other.street)
            && within(&self.postal_code, &other.postal_code)
            && within(&self.city, &other.city)
            && within(&self.country, &other.country)
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let street = self.street_lines().collect::<Vec<_>>().join(", ");
        let place =
            [self.postal_code(), self.city()].into_iter().flatten().collect::<Vec<_>>().join(" ");
        let country = self.country.map(|c| c.as_str());
        let parts: Vec<&str> = [Some(street.as_str()), Some(place.as_str()), country]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        f.write_str(&parts.join(", "))
    }
}

/// One field's value, owned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    /// A text field: employment id, names, phone, job title.
    Text(String),
    /// The address.
    Address(Address),
    /// A date: the employment start date.
    Date(NaiveDate),
}

impl FieldValue {
    /// The value borrowed.
    pub fn as_ref(&self) -> FieldRef<'_> {
        match self {
            FieldValue::Text(text) => FieldRef::Text(text),
            FieldValue::Address(address) => FieldRef::Address(address),
            FieldValue::Date(date) => FieldRef::Date(*date),
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_ref().fmt(f)
    }
}

/// One field's value, borrowed from a [`Person`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRef<'a> {
    /// A text field.
    Text(&'a str),
    /// The address.
    Address(&'a Address),
    /// A date.
    Date(NaiveDate),
}

impl FieldRef<'_> {
    /// The value owned.
    pub fn to_owned(self) -> FieldValue {
        match self {
            FieldRef::Text(text) => FieldValue::Text(text.to_owned()),
            FieldRef::Address(address) => FieldValue::Address(address.clone()),
            FieldRef::Date(date) => FieldValue::Date(date),
        }
    }
}

impl fmt::Display for FieldRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldRef::Text(text) => f.write_str(text),
            FieldRef::Address(address) => address.fmt(f),
            FieldRef::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no() -> Option<CountryCode> {
        CountryCode::parse("NO").ok()
    }

    #[test]
    fn setters_trim_and_treat_blank_as_absent() {
        let p = Person::new().with_given_name("  Ada\t").with_phone("   ");
        assert_eq!(p.given_name(), Some("Ada"));
        assert_eq!(p.phone(), None);
    }

    #[test]
    fn email_matching_key_ignores_case_and_padding() {
        let a = Person::new().with_email(" Ada@Example.COM");
        let b = Person::new().with_email("ada@example.com ");
        assert_eq!(a.email_key(), b.email_key());
    }

    #[test]
    fn streets_with_different_line_breaks_are_equal() {
        let a = Address::new("a\nb", "", "", None);
        let b = Address::new("a\r\nb ", " ", "", None);
        assert_eq!(a, b);
        assert_eq!(a.street_lines().collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn an_empty_address_is_absent() {
        let p = Person::new().with_address(Address::new(" ", "", "\n", None));
        assert_eq!(p.address(), None);
    }

    #[test]
    fn set_rejects_a_value_of_the_wrong_kind() {
        let mut p = Person::new();
        let date = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
        assert_eq!(
            p.set(Field::GivenName, FieldValue::Date(date)),
            Err(WrongKind { field: Field::GivenName })
        );
        p.set(Field::EmploymentStartDate, FieldValue::Date(date)).unwrap();
        assert_eq!(p.employment_start_date(), Some(date));
        p.set(Field::JobTitle, FieldValue::Text(" CTO ".into())).unwrap();
        assert_eq!(p.get(Field::JobTitle), Some(FieldRef::Text("CTO")));
    }

    #[test]
    fn filling_an_address_keeps_every_known_part() {
        let a = Address::new("Main St 1", "", "Oslo", None);
        let b = Address::new("Other 2", "0150", "", no());
        let merged = a.filled_from(&b);
        assert_eq!(merged, Address::new("Main St 1", "0150", "Oslo", no()));
        assert!(a.is_part_of(&merged));
        assert!(!b.is_part_of(&merged));
    }

    #[test]
    fn address_displays_on_one_line() {
        let a = Address::new("Main St 1\nFlat 2", "0150", "Oslo", no());
        assert_eq!(a.to_string(), "Main St 1, Flat 2, 0150 Oslo, NO");
    }

    #[test]
    fn values_read_from_json_are_normalised_too() {
        let json =
            r#"{"given_name":"  Ada ","phone":"  ","address":{"street":"a\r\nb ","city":""}}"#;
        let p: Person = serde_json::from_str(json).unwrap();
        assert_eq!(
            p,
            Person::new().with_given_name("Ada").with_address(Address::new("a\nb", "", "", None))
        );
    }

    #[test]
    fn changing_a_copy_leaves_the_person_it_shares_values_with_as_it_was() {
        let ada = Person::new().with_email("a@b.c").with_employment_id("E1").with_phone("1");
        let mut copy = ada.fields_only();
        assert_eq!(copy, ada.clone().with_email(""), "everything but the email");
        copy.clear(Field::Phone);
        copy.copy_field(&Person::new().with_given_name("Ada"), Field::GivenName);
        let mut cleared = copy.clone();
        cleared.clear(Field::EmploymentId);
        assert_eq!((ada.phone(), ada.given_name()), (Some("1"), None));
        assert_eq!((copy.phone(), copy.given_name()), (None, Some("Ada")));
        assert_eq!((copy.employment_id(), cleared.employment_id()), (Some("E1"), None));
    }

    #[test]
    fn debug_names_every_value() {
        let shown = format!("{:?}", Person::new().with_email("a@b.c").with_job_title("CTO"));
        assert!(shown.starts_with("Person { email: Some(\"a@b.c\")"), "{shown}");
        assert!(shown.contains("job_title: Some(\"CTO\")"), "{shown}");
    }

    #[test]
    fn person_json_round_trips() {
        let p = Person::new()
            .with_email("a@b.c")
            .with_address(Address::new("x", "1", "y", no()))
            .with_employment_start_date(NaiveDate::from_ymd_opt(2020, 1, 2).unwrap());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Person>(&json).unwrap(), p);
    }
}

//! Bytes → a Graph user (JSON) → the core's `Record`, and back to a PATCH and a new user.
//!
//! Checks, beyond "no panic": text values come out trimmed and non-empty, an invalid country
//! leaves the address without a country, the person survives a JSON round trip, every value maps
//! back to a PATCH, and a new user's sign-in name keeps Graph's rules.
#![no_main]

use azure_graph::{GraphUser, PhoneProperty, mail_nickname, new_user, patch_for, to_record};
use dirsync::{
    directory::{FieldChange, Record},
    model::{Field, FieldRef, Person},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(user) = serde_json::from_slice::<GraphUser>(data) else { return };
    for phone in [PhoneProperty::MobilePhone, PhoneProperty::BusinessPhones] {
        let record = to_record(&user, phone);
        check_record(&user, &record);
        check_writes_back(&record.person, phone);
    }
});

fn check_record(user: &GraphUser, record: &Record) {
    assert_eq!(record.id.as_str(), user.id.as_str());
    let person = &record.person;
    for text in [person.email(), person.employment_id(), person.given_name()]
        .into_iter()
        .chain([person.family_name(), person.phone(), person.job_title()])
        .flatten()
    {
        assert!(!text.is_empty() && text.trim() == text, "{text:?} is not normalised");
    }
    if let Some(address) = person.address() {
        assert!(!address.is_empty());
        if record.invalid_value(Field::Address).is_some() {
            assert_eq!(address.country(), None, "an invalid country must not be kept");
        }
        for line in address.street_lines() {
            assert!(!line.is_empty() && line.trim() == line, "street line {line:?}");
        }
    }
    if record.invalid_value(Field::EmploymentStartDate).is_some() {
        assert_eq!(person.employment_start_date(), None);
    }
    let json = serde_json::to_string(person).expect("a person serialises");
    let back: Person = serde_json::from_str(&json).expect("a serialised person reads back");
    assert_eq!(&back, person, "the person does not survive a JSON round trip");
}

fn check_writes_back(person: &Person, phone: PhoneProperty) {
    let changes: Vec<FieldChange> = Field::ALL
        .into_iter()
        .filter_map(|field| {
            person.get(field).map(|value| FieldChange { field, value: FieldRef::to_owned(value) })
        })
        .collect();
    patch_for(&changes, phone).expect("values read from Graph map back to a PATCH");
    if let Some(email) = person.email() {
        if let Some(nickname) = mail_nickname(email) {
            check_nickname(&nickname);
        }
    }
    if let Ok(new) = new_user(person, "contoso.com", phone, "p".into()) {
        check_nickname(&new.mail_nickname);
        assert_eq!(new.user_principal_name, format!("{}@contoso.com", new.mail_nickname));
        assert!(new.display_name.chars().count() <= 256);
    }
}

fn check_nickname(nickname: &str) {
    assert!(!nickname.is_empty() && nickname.chars().count() <= 64, "{nickname:?}");
    assert!(
        nickname
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)),
        "{nickname:?}"
    );
    assert!(!nickname.starts_with('.') && !nickname.ends_with('.'), "{nickname:?}");
}

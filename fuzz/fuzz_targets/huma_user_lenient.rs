//! Bytes → the lenient reader of one user's details (`huma_api::mapping::record_from_json`), as
//! the answer to `GET /users/{id}` for a fixed id.
//!
//! Checks, beyond "no panic": an error exactly when the bytes are not JSON (not UTF-8, or not
//! JSON's syntax); otherwise exactly one record, for that id. An unreadable record has a reason
//! and holds at most the employment id and the email, normalised, and nothing else; a readable
//! one is what the typed reader makes of the same bytes, and passes the `huma_user_details`
//! checks.
#![no_main]

#[path = "huma_checks.rs"]
mod huma_checks;

use dirsync::model::Person;
use huma_api::mapping::{record_from_details, record_from_json};
use huma_api::model::UserDetails;
use huma_api::{HumaError, HumaUserId};
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;

/// The id the details were asked for.
const ID: &str = "0b6c8f5e-1d2a-4c3b-9e8f-7a6b5c4d3e2f";

fuzz_target!(|data: &[u8]| {
    let is_json =
        std::str::from_utf8(data).is_ok() && serde_json::from_slice::<IgnoredAny>(data).is_ok();
    let record = match record_from_json(&HumaUserId::new(ID), data) {
        Ok(record) => record,
        Err(error) => {
            assert!(!is_json, "JSON refused: {error:?}");
            assert!(matches!(error, HumaError::Decode { .. }), "{error:?}");
            return;
        }
    };
    assert!(is_json, "a record from bytes that are not JSON");
    assert_eq!(record.id.as_str(), ID);
    match &record.unreadable {
        Some(reason) => {
            assert!(!reason.trim().is_empty());
            let person = &record.person;
            assert_eq!(person, &person.keys_only(), "an unreadable record holds only keys");
            let mut keys = Person::new();
            if let Some(email) = person.email() {
                assert!(!email.is_empty() && email.trim() == email, "{email:?}");
                keys = keys.with_email(email);
            }
            if let Some(id) = person.employment_id() {
                assert!(!id.is_empty() && id.trim() == id, "{id:?}");
                keys = keys.with_employment_id(id);
            }
            assert_eq!(person, &keys);
            assert!(record.read_only.is_empty() && record.invalid.is_empty() && record.active);
        }
        None => {
            let details: UserDetails =
                serde_json::from_slice(data).expect("a readable user is UserDetails");
            assert_eq!(details.id.as_str(), ID);
            assert_eq!(record, record_from_details(&details));
            huma_checks::check_readable(&record);
        }
    }
});

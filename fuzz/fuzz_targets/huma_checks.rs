//! The checks a record read from Huma must pass, shared by the Huma targets: text values trimmed
//! and non-empty, an invalid date or country left out, an address of up to three street lines
//! surviving the trip to Huma's wire form and back, and every value mapping back to an update.

use dirsync::{
    directory::{FieldChange, Record},
    model::{Field, FieldRef},
};
use huma_api::mapping::{address_from_wire, address_to_wire, split_changes};

/// Panics when `record`, read from Huma, breaks one of the checks.
pub fn check_readable(record: &Record) {
    let person = &record.person;
    for text in [person.email(), person.employment_id(), person.given_name()]
        .into_iter()
        .chain([person.family_name(), person.phone(), person.job_title()])
        .flatten()
    {
        assert!(!text.is_empty() && text.trim() == text, "{text:?} is not normalised");
    }
    if record.invalid_value(Field::EmploymentStartDate).is_some() {
        assert_eq!(person.employment_start_date(), None);
    }
    if let Some(address) = person.address() {
        if record.invalid_value(Field::Address).is_some() {
            assert_eq!(address.country(), None, "an invalid country must not be kept");
        }
        if address.street_lines().count() <= 3 {
            let (back, bad) = address_from_wire(&wire_of(address));
            assert_eq!(bad, None);
            assert_eq!(&back, address, "the address does not survive the trip to Huma");
        }
    }
    let changes: Vec<FieldChange> = Field::ALL
        .into_iter()
        .filter_map(|field| {
            person.get(field).map(|value| FieldChange { field, value: FieldRef::to_owned(value) })
        })
        .collect();
    split_changes(&changes).expect("values read from Huma map back to an update");
}

/// The update input as Huma would return it on the next read.
fn wire_of(address: &dirsync::model::Address) -> huma_api::model::WireAddress {
    let input = address_to_wire(address);
    let json = serde_json::json!({
        "line1": input.line1, "line2": input.line2, "line3": input.line3,
        "postalCode": input.postal_code, "city": input.city, "country": input.country,
    });
    serde_json::from_value(json).expect("a wire address reads")
}

//! Bytes → Huma `UserDetails` (JSON) → the core's `Record`, and back to Huma's update input.
//!
//! Checks, beyond "no panic": text values come out trimmed and non-empty, an invalid country
//! leaves the address without a country, every value maps back to an update, and an address of
//! up to three street lines survives the trip to Huma's wire form and back.
#![no_main]

#[path = "huma_checks.rs"]
mod huma_checks;

use huma_api::mapping::record_from_details;
use huma_api::model::UserDetails;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(details) = serde_json::from_slice::<UserDetails>(data) else { return };
    let record = record_from_details(&details);
    assert_eq!(record.id.as_str(), details.id.as_str());
    huma_checks::check_readable(&record);
});

//! Bytes → one page of Graph users, read leniently (`azure_graph::read_users_page`) → the core's
//! records.
//!
//! Checks, beyond "no panic": when the page is read, there is exactly one entry, and so one
//! record, per element of its `value`, readable or not; every id is non-empty; an unreadable
//! record holds at most the employment id and the email, and says why; a readable one is what
//! the strict mapping makes of the user.
#![no_main]

use azure_graph::{PhoneProperty, UserEntry, read_users_page, to_record};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use serde::de::IgnoredAny;

fuzz_target!(|data: &[u8]| {
    let Ok(page) = read_users_page(data, 1) else { return };
    assert_eq!(page.entries.len(), elements(data), "one entry per element of value");
    for entry in &page.entries {
        assert!(!entry.id().as_str().is_empty(), "an empty id");
        for phone in [PhoneProperty::MobilePhone, PhoneProperty::BusinessPhones] {
            let record = entry.to_record(phone);
            assert_eq!(record.id.as_str(), entry.id().as_str());
            match entry {
                UserEntry::User(user) => {
                    assert!(!record.is_unreadable());
                    assert_eq!(record, to_record(user, phone));
                }
                UserEntry::Unreadable(user) => {
                    assert!(record.is_unreadable() && !user.reason.is_empty());
                    assert_eq!(record.person, record.person.keys_only(), "more than the keys");
                    assert_eq!(record.person.employment_id(), user.employee_id.as_deref());
                    assert_eq!(record.person.email(), user.email.as_deref());
                    if user.made_up_id {
                        assert!(user.id.as_str().starts_with('#'), "a made-up id without its #");
                    }
                }
            }
        }
    }
});

/// How many elements the page's `value` holds, counted without the reader under test.
fn elements(data: &[u8]) -> usize {
    #[derive(Deserialize)]
    struct Count {
        #[serde(default)]
        value: Vec<IgnoredAny>,
    }
    serde_json::from_slice::<Count>(data).expect("a page that was read counts").value.len()
}

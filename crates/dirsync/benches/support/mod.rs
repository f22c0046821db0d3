//! A synthetic organisation for the engine benchmarks: N people per side, about 5% differing.
#![allow(dead_code, unreachable_pub)]

use chrono::NaiveDate;
use dirsync::{
    directory::{Record, Snapshot},
    model::{Address, CountryCode, Person},
    store::SyncState,
};

fn person(i: usize) -> Person {
    let country = CountryCode::parse(["NO", "SE", "FI", "DK"][i % 4]).ok();
    Person::new()
        .with_email(format!("person{i}@example.com"))
        .with_employment_id(format!("E{i:07}"))
        .with_given_name(["Ada", "Bo", "Cato", "Dina"][i % 4])
        .with_family_name(format!("Family{}", i % 997))
        .with_phone(format!("+47 {:08}", i))
        .with_address(Address::new(format!("Street {}", i % 500), "0150", "Oslo", country))
        .with_job_title(["Engineer", "Designer", "Manager"][i % 3])
        .with_employment_start_date(
            NaiveDate::from_ymd_opt(2020, 1, 1 + (i % 28) as u32).expect("a valid day"),
        )
}

/// Two snapshots of `n` people each, about 5% differing: 2% a changed job title in HR, 1% a phone
/// missing in the directory, 1% only in HR, 1% only in the directory. With `linked`, the state
/// remembers every pair (a steady-state run); without, pairing goes by keys (a first run).
///
/// Each side and the state hold values of their own, as when they are read from two services and
/// a file: sharing them would let one cache line serve both sides of a comparison. The state's
/// values are made in HR-id order, the order a state file holds and is read in.
pub fn organisation(n: usize, linked: bool) -> (Snapshot, Snapshot, SyncState) {
    let mut hr = Vec::with_capacity(n);
    let mut idp = Vec::with_capacity(n);
    let mut links = Vec::new();
    for i in 0..n {
        let hr_id = format!("h{i}");
        let idp_id = format!("a{i}");
        match i % 100 {
            0 => {
                hr.push(Record::new(hr_id, person(i)));
                continue;
            }
            1 => {
                idp.push(Record::new(idp_id, person(i)));
                continue;
            }
            2 | 3 => {
                hr.push(Record::new(hr_id.clone(), person(i).with_job_title("Architect")));
                idp.push(Record::new(idp_id.clone(), person(i)));
            }
            4 => {
                hr.push(Record::new(hr_id.clone(), person(i)));
                let mut without_phone = person(i);
                without_phone.clear(dirsync::model::Field::Phone);
                idp.push(Record::new(idp_id.clone(), without_phone));
            }
            _ => {
                hr.push(Record::new(hr_id.clone(), person(i)));
                idp.push(Record::new(idp_id.clone(), person(i)));
            }
        }
        if linked {
            links.push((hr_id, idp_id, i));
        }
    }
    links.sort_unstable();
    let mut state = SyncState::new();
    for (hr_id, idp_id, i) in links {
        state.link(hr_id.into(), idp_id.into(), person(i));
    }
    (Snapshot::new(hr), Snapshot::new(idp), state)
}

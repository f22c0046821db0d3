//! Helpers shared by the engine's integration tests.
#![allow(dead_code, unreachable_pub)]

use dirsync::{
    directory::{Record, Snapshot},
    model::{Address, CountryCode, Person},
    plan::{Decision, ItemId, Plan, reconcile},
    policy::Policy,
    store::SyncState,
};

pub fn person(email: &str) -> Person {
    Person::new().with_email(email)
}

pub fn country(code: &str) -> Option<CountryCode> {
    Some(CountryCode::parse(code).expect("a valid code in the test"))
}

pub fn address(street: &str, postal: &str, city: &str, code: &str) -> Address {
    Address::new(street, postal, city, if code.is_empty() { None } else { country(code) })
}

pub fn snap(records: Vec<Record>) -> Snapshot {
    Snapshot::new(records)
}

pub fn plan(hr: Vec<Record>, idp: Vec<Record>, policy: &Policy) -> Plan {
    reconcile(&snap(hr), &snap(idp), &SyncState::new(), policy)
}

pub fn decide(plan: &mut Plan, id: &ItemId, decision: Decision) {
    plan.decide(id, decision).expect("the decision fits the item");
}

/// Waits for a future on the calling thread: for the state-store tests, which share a store
/// between plain threads and processes.
pub trait Wait: std::future::Future + Sized {
    fn wait(self) -> Self::Output {
        futures::executor::block_on(self)
    }
}

impl<F: std::future::Future> Wait for F {}

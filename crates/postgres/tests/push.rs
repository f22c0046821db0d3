//! A real-time push with the state in PostgreSQL: it reads the person's part of the state by
//! index, and pushes, refuses and remembers as with the whole state.

mod common;

use dirsync::{
    directory::{InMemoryDirectory, Record, RecordId},
    model::Person,
    policy::Leavers,
    realtime::{HrChange, HrEvent, PushAction, RealtimePush},
    store::StateStore,
};

fn person(i: usize) -> Person {
    Person::new()
        .with_email(format!("p{i}@example.com"))
        .with_given_name(format!("P{i}"))
        .with_job_title("Engineer")
}

fn updated(id: &str) -> HrEvent {
    HrEvent { change: HrChange::Updated, records: vec![RecordId::from(id)] }
}

fn account(idp: &InMemoryDirectory, id: &str) -> Record {
    idp.records().into_iter().find(|r| r.id.as_str() == id).expect("exists")
}

#[tokio::test]
async fn a_push_with_the_state_in_postgres_updates_refuses_and_remembers() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    // h0 → a0 … h4 → a4, with the baselines of `common::linked`.
    store.save(&common::linked(5)).await.unwrap();
    let hr = InMemoryDirectory::new((0..5).map(|i| Record::new(format!("h{i}"), person(i))))
        .with_name("Huma");
    let idp = InMemoryDirectory::new((0..5).map(|i| Record::new(format!("a{i}"), person(i))))
        .with_name("Azure AD");
    let leavers = Leavers { disable: true, revoke_sessions: false };
    let push = RealtimePush::new(&hr, &idp).with_store(&store).with_leavers(leavers);

    hr.put(Record::new("h2", person(2).with_job_title("CTO")));
    let summary = push.push_event(&updated("h2")).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Updated, "{summary:?}");
    assert_eq!(account(&idp, "a2").person.job_title(), Some("CTO"));
    let state = store.load().await.unwrap();
    assert_eq!(state.links[&RecordId::from("h2")].baseline.job_title(), Some("CTO"));

    // A new HR person with h1's email matches a1, which the state links to h1.
    hr.put(Record::new("h9", person(1).with_job_title("CFO")));
    let summary = push.push_event(&updated("h9")).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Ambiguous, "{summary:?}");
    assert_eq!(account(&idp, "a1").person.job_title(), Some("Engineer"), "nothing written");

    // Inactive: disabled and remembered; active again: enabled, and the new title pushed.
    hr.put(Record::new("h3", person(3)).inactive());
    let summary = push.push_event(&updated("h3")).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Disabled, "{summary:?}");
    assert!(store.load().await.unwrap().disabled.contains_key(&RecordId::from("a3")));
    hr.put(Record::new("h3", person(3).with_job_title("COO")));
    let summary = push.push_event(&updated("h3")).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Updated, "{summary:?}");
    let a3 = account(&idp, "a3");
    assert!(a3.active);
    assert_eq!(a3.person.job_title(), Some("COO"));
    assert!(store.load().await.unwrap().disabled.is_empty());
}

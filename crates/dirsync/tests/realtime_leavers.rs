//! Leavers in real time: a users-delete event, or an update that makes a person inactive,
//! disables their account at once, with the same memory as a sync.

use dirsync::{
    directory::{InMemoryDirectory, Record, RecordId},
    model::Person,
    policy::Leavers,
    realtime::{HrChange, HrEvent, PushAction, RealtimePush},
    store::{MemoryStore, StateStore},
    sync::Synchronizer,
};

fn person(i: usize) -> Person {
    Person::new().with_email(format!("p{i}@example.com")).with_given_name(format!("P{i}"))
}

async fn linked(n: usize) -> (InMemoryDirectory, InMemoryDirectory, MemoryStore) {
    let hr = InMemoryDirectory::new((0..n).map(|i| Record::new(format!("h{i}"), person(i))))
        .with_name("Huma");
    let idp = InMemoryDirectory::new((0..n).map(|i| Record::new(format!("a{i}"), person(i))))
        .with_name("Azure AD");
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store);
    sync.plan().await.expect("planned").apply().await.expect("linked");
    (hr, idp, store)
}

fn active(dir: &InMemoryDirectory, id: &str) -> bool {
    dir.records().iter().find(|r| r.id.as_str() == id).expect("exists").active
}

fn event(change: HrChange, ids: &[&str]) -> HrEvent {
    HrEvent { change, records: ids.iter().map(|id| RecordId::from(*id)).collect() }
}

const LEAVERS: Leavers = Leavers { disable: true, revoke_sessions: true };

#[tokio::test]
async fn a_deleted_person_is_disabled_and_remembered() {
    let (hr, idp, store) = linked(3).await;
    hr.remove(&"h1".into());
    let push = RealtimePush::new(&hr, &idp).with_store(&store).with_leavers(LEAVERS);

    let summary = push.push_event(&event(HrChange::Deleted, &["h1"])).await.expect("handled");
    let pushed = &summary.people[0];
    assert_eq!(pushed.action, PushAction::Disabled, "{pushed:?}");
    assert!(pushed.detail.as_deref().unwrap_or_default().contains("sign-in sessions revoked"));
    assert!(!active(&idp, "a1"));
    assert_eq!(idp.sessions_revoked(&"a1".into()), 1);
    assert!(store.load().await.expect("saved").disabled.contains_key(&RecordId::from("a1")));

    // Without leavers, a deletion changes nothing, as before.
    let off = RealtimePush::new(&hr, &idp).with_store(&store);
    assert!(off.push_event(&event(HrChange::Deleted, &["h2"])).await.is_none());
    assert!(active(&idp, "a2"));
}

#[tokio::test]
async fn a_deleted_person_still_active_in_hr_is_not_disabled() {
    let (hr, idp, store) = linked(2).await;
    let push = RealtimePush::new(&hr, &idp).with_store(&store).with_leavers(LEAVERS);
    let summary = push.push_event(&event(HrChange::Deleted, &["h0"])).await.expect("handled");
    assert_eq!(summary.people[0].action, PushAction::Unchanged);
    assert!(active(&idp, "a0"));
}

#[tokio::test]
async fn an_update_to_inactive_disables_and_one_back_to_active_enables_again() {
    let (hr, idp, store) = linked(2).await;
    let push = RealtimePush::new(&hr, &idp).with_store(&store).with_leavers(LEAVERS);
    hr.put(Record::new("h0", person(0)).inactive());
    let summary = push.push_event(&event(HrChange::Updated, &["h0"])).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Disabled);
    assert!(!active(&idp, "a0"));

    // Back, with a new title: enabled again (the sync's memory says it disabled it), then pushed.
    hr.put(Record::new("h0", person(0).with_job_title("CTO")));
    let summary = push.push_event(&event(HrChange::Updated, &["h0"])).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Updated, "{summary:?}");
    assert!(active(&idp, "a0"));
    assert!(store.load().await.expect("saved").disabled.is_empty());

    // An account an administrator disabled is left alone.
    let a1 = idp.records().into_iter().find(|r| r.id.as_str() == "a1").expect("exists");
    idp.put(a1.inactive());
    let summary = push.push_event(&event(HrChange::Updated, &["h1"])).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Inactive);
    assert!(!active(&idp, "a1"));
}

#[tokio::test]
async fn an_event_deleting_more_than_the_threshold_disables_nobody() {
    let (hr, idp, store) = linked(4).await;
    for i in 0..3 {
        hr.remove(&format!("h{i}").into());
    }
    let push = RealtimePush::new(&hr, &idp)
        .with_store(&store)
        .with_leavers(LEAVERS)
        .with_max_disables(Some(2));
    let summary =
        push.push_event(&event(HrChange::Deleted, &["h0", "h1", "h2"])).await.expect("handled");
    assert!(summary.people.iter().all(|p| p.action == PushAction::Failed));
    assert!(summary.people[0].detail.as_deref().unwrap_or_default().contains("more than the 2"));
    assert!((0..4).all(|i| active(&idp, &format!("a{i}"))));
}

#[tokio::test]
async fn an_unreadable_person_or_account_is_never_pushed_to_nor_disabled() {
    let (hr, idp, store) = linked(2).await;
    let push = RealtimePush::new(&hr, &idp)
        .with_store(&store)
        .with_leavers(LEAVERS)
        .with_provisioning(dirsync::realtime::AutoProvisioning::On);
    hr.put(Record::unreadable("h0", Person::new().with_email("p0@example.com"), "bad"));
    hr.put(Record::new("h9", person(9)));
    idp.put(Record::unreadable("a1", Person::new(), "bad"));
    hr.put(Record::new("h1", person(1).with_job_title("CTO")).inactive());
    let before = idp.records();

    let summary = push.push_event(&event(HrChange::Updated, &["h0", "h1"])).await.expect("pushed");
    let actions: Vec<PushAction> = summary.people.iter().map(|p| p.action).collect();
    assert_eq!(actions, [PushAction::Unreadable, PushAction::Unreadable], "{summary:?}");
    hr.remove(&"h1".into());
    let summary = push.push_event(&event(HrChange::Deleted, &["h1"])).await.expect("handled");
    assert_eq!(summary.people[0].action, PushAction::Unreadable, "{summary:?}");
    assert_eq!(idp.records(), before, "nothing written");
}

#[tokio::test]
async fn an_update_making_more_people_inactive_than_the_threshold_disables_nobody() {
    let (hr, idp, store) = linked(4).await;
    for i in 0..3 {
        hr.put(Record::new(format!("h{i}"), person(i)).inactive());
    }
    hr.put(Record::new("h3", person(3).with_job_title("CTO")));
    let push = RealtimePush::new(&hr, &idp)
        .with_store(&store)
        .with_leavers(LEAVERS)
        .with_max_disables(Some(2));
    let summary = push
        .push_event(&event(HrChange::Updated, &["h0", "h1", "h2", "h3"]))
        .await
        .expect("pushed");
    let actions: Vec<PushAction> = summary.people.iter().map(|p| p.action).collect();
    assert_eq!(actions[..3], [PushAction::Failed; 3], "{summary:?}");
    assert_eq!(actions[3], PushAction::Updated, "the others are still pushed");
    assert!((0..4).all(|i| active(&idp, &format!("a{i}"))));
}

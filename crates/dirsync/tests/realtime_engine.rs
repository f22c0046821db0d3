//! The real-time push runs the sync's own rules: writes a sync held back are held back by a
//! push too, and two copies of one webhook are pushed one after the other.

use async_trait::async_trait;
use dirsync::{
    directory::{DirectoryError, ErrorKind, InMemoryDirectory, Record, RecordId},
    model::{Address, FieldValue, Person},
    policy::{ConflictRule, Policy},
    realtime::{AutoProvisioning, PersonLocks, PushAction, RealtimePush},
    store::{MemoryStore, StateStore},
    sync::Synchronizer,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use testkit::{Intercept, Intercepted};

fn ada() -> Person {
    Person::new().with_email("ada@example.com").with_given_name("Ada").with_family_name("Lovelace")
}

#[tokio::test]
async fn a_write_a_sync_held_back_is_not_pushed_until_its_value_changes() {
    let huma =
        InMemoryDirectory::new([Record::new("h1", ada().with_phone("+47 1"))]).with_name("Huma");
    let azure = InMemoryDirectory::new([Record::new("a1", ada())]).with_name("Azure AD");
    azure.refuse(&"a1".into(), ErrorKind::PermissionDenied, "an administrator's phone");
    let store = MemoryStore::new();
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    let sync = Synchronizer::new(&huma, &azure, &store).with_policy(policy);
    sync.plan().await.unwrap().apply().await.unwrap();
    assert_eq!(store.state().held.len(), 1, "the sync held the phone back");

    let push = RealtimePush::new(&huma, &azure).with_store(&store);
    let summary = push.push(&["h1".into()]).await;
    let pushed = &summary.people[0];
    assert_eq!(pushed.action, PushAction::Unchanged, "{pushed:?}");
    assert!(pushed.detail.as_deref().unwrap_or_default().contains("held back since"), "{pushed:?}");
    assert!(!summary.failed(), "a held-back write is no failure of the event");
    assert_eq!(store.state().held[0].attempts, 1, "not tried again");

    // A new value in Huma is tried at once, and refused again: a failure, and held back anew.
    huma.put(Record::new("h1", ada().with_phone("+47 2")));
    let summary = push.push(&["h1".into()]).await;
    assert_eq!(summary.people[0].action, PushAction::Failed, "{summary:?}");
    let held = store.state().held;
    assert_eq!((held.len(), held[0].value.as_deref()), (1, Some("+47 2")));
}

#[tokio::test]
async fn a_push_tries_a_held_address_when_it_changes_to_one_shown_alike() {
    let flat = Address::new("1 High St, Flat 2", "", "Leeds", None);
    let alike = Address::new("1 High St", "", "Flat 2, Leeds", None);
    assert_eq!(flat.to_string(), alike.to_string());
    let huma = InMemoryDirectory::new([Record::new("h1", ada().with_address(flat))]);
    let azure = InMemoryDirectory::new([Record::new("a1", ada())]).with_name("Azure AD");
    azure.refuse(&"a1".into(), ErrorKind::InvalidValue, "an address it will not take");
    let store = MemoryStore::new();
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    Synchronizer::new(&huma, &azure, &store)
        .with_policy(policy)
        .plan()
        .await
        .unwrap()
        .apply()
        .await
        .unwrap();
    let push = RealtimePush::new(&huma, &azure).with_store(&store);
    let summary = push.push(&["h1".into()]).await;
    assert_eq!(summary.people[0].action, PushAction::Unchanged, "held back: {summary:?}");

    huma.put(Record::new("h1", ada().with_address(alike.clone())));
    let summary = push.push(&["h1".into()]).await;
    assert_eq!(summary.people[0].action, PushAction::Failed, "tried: {summary:?}");
    let held = store.state().held;
    assert_eq!(held[0].value_data, Some(FieldValue::Address(alike)));
}

/// Azure AD that takes a moment to create someone, as a real directory does; counts creations.
struct Slow(AtomicUsize);

#[async_trait]
impl Intercept for Slow {
    async fn before_create(&self, _: &Person) -> Result<(), DirectoryError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        futures_timer::Delay::new(Duration::from_millis(50)).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_webhook_delivered_twice_at_once_creates_the_person_once() {
    let huma = InMemoryDirectory::new([Record::new("h1", ada())]).with_name("Huma");
    let azure = Intercepted::new(
        InMemoryDirectory::new([]).with_name("Azure AD"),
        Slow(AtomicUsize::new(0)),
    );
    let store = MemoryStore::new();
    // A receiver builds a push per request, sharing the locks.
    let locks = PersonLocks::new();
    let push = || {
        RealtimePush::new(&huma, &azure)
            .with_store(&store)
            .with_provisioning(AutoProvisioning::On)
            .with_person_locks(&locks)
    };
    let (first, second) = (push(), push());
    let ids = [RecordId::from("h1")];
    let (a, b) = futures::join!(first.push(&ids), second.push(&ids));

    let mut actions = [a.people[0].action, b.people[0].action];
    actions.sort_by_key(|action| format!("{action:?}"));
    assert_eq!(actions, [PushAction::Created, PushAction::Unchanged], "{a:?} {b:?}");
    assert!(!a.failed() && !b.failed());
    assert_eq!(azure.hooks.0.load(Ordering::SeqCst), 1, "one creation asked for");
    assert_eq!(azure.inner.records().len(), 1);
    assert_eq!(store.load().await.unwrap().links.len(), 1);
}

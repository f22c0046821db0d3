//! What a real-time push reads of the state: the part that concerns the person and their
//! account ([`StateStore::load_part`]), never the whole state, with the same outcome.

use async_trait::async_trait;
use dirsync::{
    directory::{InMemoryDirectory, Record, RecordId},
    model::Person,
    policy::Leavers,
    realtime::{HrChange, HrEvent, PushAction, RealtimePush},
    store::{
        Lease, MemoryStore, PartRequest, StateChanges, StateError, StatePart, StateStore, SyncState,
    },
    sync::Synchronizer,
};
use std::sync::Mutex;

/// A part asked for: its HR records, its accounts, and whether the links were counted.
type Asked = (Vec<RecordId>, Vec<RecordId>, bool);

/// A memory store that counts whole loads and remembers which parts were asked for.
#[derive(Default)]
struct Counting {
    inner: MemoryStore,
    /// Whether it says it reads parts alone (as PostgreSQL does), or keeps the default.
    reads_parts: bool,
    loads: Mutex<usize>,
    parts: Mutex<Vec<Asked>>,
}

impl Counting {
    fn loads(&self) -> usize {
        *self.loads.lock().expect("not poisoned")
    }

    fn parts(&self) -> Vec<Asked> {
        self.parts.lock().expect("not poisoned").clone()
    }

    fn reset(&self) {
        *self.loads.lock().expect("not poisoned") = 0;
        self.parts.lock().expect("not poisoned").clear();
    }
}

#[async_trait]
impl StateStore for Counting {
    async fn load(&self) -> Result<SyncState, StateError> {
        *self.loads.lock().expect("not poisoned") += 1;
        self.inner.load().await
    }

    async fn load_part(&self, request: &PartRequest<'_>) -> Result<StatePart, StateError> {
        let asked = (request.hr.to_vec(), request.idp.to_vec(), request.links_total);
        self.parts.lock().expect("not poisoned").push(asked);
        Ok(StatePart::of(&self.inner.state(), request))
    }

    fn reads_parts(&self) -> bool {
        self.reads_parts
    }

    async fn save(&self, state: &SyncState) -> Result<(), StateError> {
        self.inner.save(state).await
    }

    async fn commit(&self, changes: &StateChanges) -> Result<(), StateError> {
        self.inner.commit(changes).await
    }

    async fn lease(&self, holder: &str) -> Result<Lease, StateError> {
        self.inner.lease(holder).await
    }

    async fn update(
        &self,
        change: &mut (dyn for<'s> FnMut(&'s mut SyncState) + Send),
    ) -> Result<SyncState, StateError> {
        self.inner.update(change).await
    }
}

fn person(i: usize) -> Person {
    Person::new().with_email(format!("p{i}@example.com")).with_given_name(format!("P{i}"))
}

/// `n` people linked by a sync (h0 ↔ a0, …), and the store, reading parts alone, counting from
/// then on.
async fn linked(n: usize) -> (InMemoryDirectory, InMemoryDirectory, Counting) {
    linked_in(n, Counting { reads_parts: true, ..Counting::default() }).await
}

/// [`linked`] over `store`.
async fn linked_in(n: usize, store: Counting) -> (InMemoryDirectory, InMemoryDirectory, Counting) {
    let hr = InMemoryDirectory::new((0..n).map(|i| Record::new(format!("h{i}"), person(i))))
        .with_name("Huma");
    let idp = InMemoryDirectory::new((0..n).map(|i| Record::new(format!("a{i}"), person(i))))
        .with_name("Azure AD");
    let sync = Synchronizer::new(&hr, &idp, &store);
    sync.plan().await.expect("planned").apply().await.expect("linked");
    store.reset();
    (hr, idp, store)
}

fn updated(ids: &[&str]) -> HrEvent {
    HrEvent {
        change: HrChange::Updated,
        records: ids.iter().map(|id| RecordId::from(*id)).collect(),
    }
}

fn ids(ids: &[&str]) -> Vec<RecordId> {
    ids.iter().map(|id| RecordId::from(*id)).collect()
}

const LEAVERS: Leavers = Leavers { disable: true, revoke_sessions: false };

#[tokio::test]
async fn a_push_of_a_linked_person_reads_their_part_of_the_state_never_the_whole() {
    let (hr, idp, store) = linked(5).await;
    hr.put(Record::new("h2", person(2).with_job_title("CTO")));
    let push = RealtimePush::new(&hr, &idp).with_store(&store).with_leavers(LEAVERS);

    let summary = push.push_event(&updated(&["h2"])).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Updated, "{summary:?}");
    assert_eq!(store.loads(), 0, "the whole state was never loaded");
    let asked = [
        // The event's ids and how many links there are, for the threshold on disabled accounts.
        (ids(&["h2"]), ids(&[]), true),
        (ids(&["h2"]), ids(&[]), false), // the person's link, to find their account
        (ids(&["h2"]), ids(&["a2"]), false), // the person and their account, for the engine
    ];
    assert_eq!(store.parts(), asked);
    let job = |id: &str| idp.records().into_iter().find(|r| r.id.as_str() == id);
    let a2 = job("a2").expect("exists");
    assert_eq!(a2.person.job_title(), Some("CTO"));
}

#[tokio::test]
async fn an_account_enabled_again_is_pushed_to_from_parts_of_the_state() {
    let (hr, idp, store) = linked(3).await;
    let push = RealtimePush::new(&hr, &idp).with_store(&store).with_leavers(LEAVERS);
    hr.put(Record::new("h0", person(0)).inactive());
    let summary = push.push_event(&updated(&["h0"])).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Disabled, "{summary:?}");

    hr.put(Record::new("h0", person(0).with_job_title("CTO")));
    let summary = push.push_event(&updated(&["h0"])).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Updated, "{summary:?}");
    assert_eq!(store.loads(), 0, "the whole state was never loaded");
    assert!(store.inner.state().disabled.is_empty(), "the account's memory of it is gone");
    let account = idp.records().into_iter().find(|r| r.id.as_str() == "a0").expect("exists");
    assert!(account.active);
    assert_eq!(account.person.job_title(), Some("CTO"));
}

#[tokio::test]
async fn an_account_found_by_email_but_linked_to_another_is_still_refused() {
    let (hr, idp, store) = linked(2).await;
    // A new HR person with h1's email: their match is a1, which the state links to h1.
    hr.put(Record::new("h9", person(1).with_job_title("CTO")));
    let push = RealtimePush::new(&hr, &idp).with_store(&store);

    let summary = push.push_event(&updated(&["h9"])).await.expect("pushed");
    let pushed = &summary.people[0];
    assert_eq!(pushed.action, PushAction::Ambiguous, "{summary:?}");
    assert!(pushed.detail.as_deref().unwrap_or_default().contains("linked to Huma person h1"));
    assert_eq!(store.loads(), 0);
    assert_eq!(store.parts().last(), Some(&(ids(&["h9"]), ids(&["a1"]), false)));
}

#[tokio::test]
async fn the_threshold_on_disabled_accounts_counts_every_link_of_the_state() {
    // 40 linked: the default threshold is max(10, 5 % of 40) = 10, so 11 leavers are refused.
    let (hr, idp, store) = linked(40).await;
    let leavers: Vec<String> = (0..11).map(|i| format!("h{i}")).collect();
    for id in &leavers {
        hr.remove(&id.as_str().into());
    }
    let push = RealtimePush::new(&hr, &idp).with_store(&store).with_leavers(LEAVERS);
    let event = HrEvent {
        change: HrChange::Deleted,
        records: ids(&leavers.iter().map(String::as_str).collect::<Vec<_>>()),
    };
    let summary = push.push_event(&event).await.expect("handled");
    assert!(summary.people.iter().all(|p| p.action == PushAction::Failed), "{summary:?}");
    assert!(summary.people[0].detail.as_deref().unwrap_or_default().contains("more than the 10"));
    assert_eq!(store.loads(), 0);
}

#[tokio::test]
async fn a_store_that_keeps_the_default_is_loaded_once_for_a_person() {
    let (hr, idp, store) = linked_in(5, Counting::default()).await;
    hr.put(Record::new("h2", person(2).with_job_title("CTO")));
    let push = RealtimePush::new(&hr, &idp).with_store(&store);
    let summary = push.push_event(&updated(&["h2"])).await.expect("pushed");
    assert_eq!(summary.people[0].action, PushAction::Updated, "{summary:?}");
    assert_eq!(store.loads(), 1, "one whole load, the parts taken from it");
    assert_eq!(store.parts(), Vec::<Asked>::new(), "no part read on its own");
}

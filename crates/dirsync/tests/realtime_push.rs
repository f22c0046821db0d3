//! RealtimePush: what one HR event does to the identity directory and to the state.

use async_trait::async_trait;
use dirsync::{
    directory::{DirectoryError, ErrorKind, FieldChange, InMemoryDirectory, Record, RecordId},
    model::{Field, Person},
    policy::Scope,
    realtime::{AutoProvisioning, HrChange, HrEvent, PersonPush, PushAction, RealtimePush},
    store::{JsonFileStore, MemoryStore, StateStore, SyncState},
    sync::Synchronizer,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use testkit::{Intercept, Intercepted};

// ---------------------------------------------------------------------------------------------
// A directory in memory that counts its calls and may refuse every write.

struct Counts {
    reads: AtomicUsize,
    writes: AtomicUsize,
    refuse_writes: Option<ErrorKind>,
}

impl Counts {
    fn read(&self) -> Result<(), DirectoryError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    fn write(&self) -> Result<(), DirectoryError> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        match self.refuse_writes {
            Some(kind) => {
                Err(DirectoryError::new(kind, "the app may not write users (on purpose)"))
            }
            None => Ok(()),
        }
    }
}

#[async_trait]
impl Intercept for Counts {
    async fn before_snapshot(&self) -> Result<(), DirectoryError> {
        self.read()
    }

    async fn before_get(&self, _: &RecordId) -> Result<(), DirectoryError> {
        self.read()
    }

    async fn before_find_matching(&self, _: &Person) -> Result<(), DirectoryError> {
        self.read()
    }

    async fn before_create(&self, _: &Person) -> Result<(), DirectoryError> {
        self.write()
    }

    async fn before_update(&self, _: &RecordId, _: &[FieldChange]) -> Result<(), DirectoryError> {
        self.write()
    }
}

type Counted = Intercepted<Counts>;

/// What the tests ask of a counted directory.
trait Counting {
    fn refusing_writes(self, kind: ErrorKind) -> Self;
    fn records(&self) -> Vec<Record>;
    fn reads(&self) -> usize;
    fn writes(&self) -> usize;
}

fn counted(name: &str, records: Vec<Record>) -> Counted {
    let counts =
        Counts { reads: AtomicUsize::new(0), writes: AtomicUsize::new(0), refuse_writes: None };
    Intercepted::new(InMemoryDirectory::new(records).with_name(name), counts)
}

impl Counting for Counted {
    fn refusing_writes(mut self, kind: ErrorKind) -> Self {
        self.hooks.refuse_writes = Some(kind);
        self
    }

    fn records(&self) -> Vec<Record> {
        self.inner.records()
    }

    fn reads(&self) -> usize {
        self.hooks.reads.load(Ordering::SeqCst)
    }

    fn writes(&self) -> usize {
        self.hooks.writes.load(Ordering::SeqCst)
    }
}

// ---------------------------------------------------------------------------------------------

fn ada() -> Person {
    Person::new()
        .with_email("ada@example.com")
        .with_employment_id("E1")
        .with_given_name("Ada")
        .with_family_name("Lovelace")
        .with_job_title("CTO")
}

fn huma(records: Vec<Record>) -> Counted {
    counted("Huma", records)
}

fn azure(records: Vec<Record>) -> Counted {
    counted("Azure AD", records)
}

fn event(change: HrChange, ids: &[&str]) -> HrEvent {
    HrEvent { change, records: ids.iter().map(|id| RecordId::new(*id)).collect() }
}

/// The one person pushed.
fn only(summary: &dirsync::realtime::PushSummary) -> &PersonPush {
    assert_eq!(summary.people.len(), 1, "{summary:#?}");
    &summary.people[0]
}

fn detail(pushed: &PersonPush) -> &str {
    pushed.detail.as_deref().unwrap_or_else(|| panic!("a detail: {pushed:#?}"))
}

fn linked(hr: &str, idp: &str) -> MemoryStore {
    let mut state = SyncState::new();
    state.link(hr.into(), idp.into(), Person::new().with_email("ada@example.com"));
    MemoryStore::with_state(state)
}

// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn only_the_fields_that_differ_are_written_and_none_is_cleared() {
    let hr = huma(vec![Record::new("h1", ada())]);
    // Azure AD has an older job title, and a phone Huma lacks.
    let twin = ada().with_job_title("Engineer").with_phone("+47 100");
    let idp = azure(vec![Record::new("a1", twin.clone())]);
    let store = linked("h1", "a1");
    let push = RealtimePush::new(&hr, &idp).with_store(&store);

    let summary = push.push(&["h1".into()]).await;

    let pushed = only(&summary);
    assert_eq!(pushed.action, PushAction::Updated, "{pushed:#?}");
    assert_eq!(pushed.idp.as_ref().map(RecordId::as_str), Some("a1"));
    assert_eq!(pushed.fields, vec![Field::JobTitle]);
    assert!(!summary.failed());
    assert_eq!(idp.writes(), 1);
    assert_eq!(idp.records(), vec![Record::new("a1", twin.with_job_title("CTO"))]);

    // Pushed again, nothing differs: nothing is written.
    let summary = push.push(&["h1".into()]).await;
    assert_eq!(only(&summary).action, PushAction::Unchanged);
    assert_eq!(idp.writes(), 1);
}

#[tokio::test]
async fn without_a_link_the_one_record_with_the_same_email_is_updated() {
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![Record::new(
        "a1",
        Person::new().with_email("ADA@example.com").with_given_name("Ada"),
    )]);
    let push = RealtimePush::new(&hr, &idp);

    let summary = push.push(&["h1".into()]).await;

    let pushed = only(&summary);
    assert_eq!(pushed.action, PushAction::Updated, "{pushed:#?}");
    assert_eq!(pushed.idp.as_ref().map(RecordId::as_str), Some("a1"));
    assert_eq!(pushed.fields, vec![Field::EmploymentId, Field::FamilyName, Field::JobTitle]);
    let a1 = &idp.records()[0];
    assert_eq!(a1.person.email(), Some("ADA@example.com"), "an email equal but for case is kept");
}

#[tokio::test]
async fn a_person_with_no_twin_is_created_only_with_auto_provisioning_and_linked() {
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![]);
    let store = MemoryStore::new();
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);

    let summary = push.push_event(&event(HrChange::Created, &["h1"])).await.expect("pushed");

    let pushed = only(&summary);
    assert_eq!(pushed.action, PushAction::Created, "{pushed:#?}");
    let created = idp.records();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].person, ada());
    assert_eq!(pushed.idp.as_ref(), Some(&created[0].id));
    assert_eq!(
        pushed.fields,
        vec![Field::EmploymentId, Field::GivenName, Field::FamilyName, Field::JobTitle]
    );
    let state = store.load().await.expect("loaded");
    let link = &state.links[&RecordId::new("h1")];
    assert_eq!(link.idp, created[0].id);
    assert_eq!(link.baseline.job_title(), Some("CTO"));

    // The next push finds her by the link and has nothing to do.
    let again = push.push(&["h1".into()]).await;
    assert_eq!(only(&again).action, PushAction::Unchanged);
    assert_eq!(idp.records().len(), 1);
}

#[tokio::test]
async fn a_person_with_no_twin_is_not_in_the_idp_when_provisioning_is_off() {
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![]);
    let store = MemoryStore::new();
    let push = RealtimePush::new(&hr, &idp).with_store(&store);

    let summary = push.push_event(&event(HrChange::Created, &["h1"])).await.expect("pushed");

    let pushed = only(&summary);
    assert_eq!(pushed.action, PushAction::NotInIdp);
    assert_eq!(pushed.idp, None);
    assert!(detail(pushed).contains("not in Azure AD"), "{pushed:#?}");
    assert!(!summary.failed());
    assert_eq!(idp.writes(), 0);
    assert!(idp.records().is_empty());
    assert_eq!(store.load().await.expect("loaded"), SyncState::new());
}

#[tokio::test]
async fn a_deleted_linked_twin_is_not_created_again_even_with_provisioning() {
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![]);
    let store = linked("h1", "a1");
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);

    let summary = push.push(&["h1".into()]).await;

    let pushed = only(&summary);
    assert_eq!(pushed.action, PushAction::DeletedInIdp, "{pushed:#?}");
    assert!(detail(pushed).contains("the Azure AD user a1"), "{pushed:#?}");
    assert_eq!(idp.writes(), 0);
    assert!(idp.records().is_empty());
    assert_eq!(
        store.load().await.expect("loaded"),
        linked("h1", "a1").load().await.expect("loaded")
    );
}

#[tokio::test]
async fn a_deleted_linked_twin_created_again_by_hand_is_found_by_email() {
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![Record::new("a9", ada().with_job_title("Engineer"))]);
    let store = linked("h1", "a1");
    let push = RealtimePush::new(&hr, &idp).with_store(&store);

    let pushed = push.push(&["h1".into()]).await;

    assert_eq!(only(&pushed).action, PushAction::Updated, "{pushed:#?}");
    assert_eq!(only(&pushed).idp.as_ref().map(RecordId::as_str), Some("a9"));
    assert_eq!(idp.records()[0].person.job_title(), Some("CTO"));
}

#[tokio::test]
async fn two_matching_records_are_ambiguous_and_nothing_is_written() {
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![
        Record::new("a1", Person::new().with_email("ada@example.com")),
        Record::new("a2", Person::new().with_employment_id("E1").with_given_name("A.")),
    ]);
    let before = idp.records();
    let store = MemoryStore::new();
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);

    let summary = push.push(&["h1".into()]).await;

    let pushed = only(&summary);
    assert_eq!(pushed.action, PushAction::Ambiguous, "{pushed:#?}");
    assert!(detail(pushed).contains("2 Azure AD users"), "{pushed:#?}");
    assert!(detail(pushed).contains("a1, a2"), "{pushed:#?}");
    assert_eq!(idp.writes(), 0);
    assert_eq!(idp.records(), before);
    assert_eq!(store.load().await.expect("loaded"), SyncState::new());
}

#[tokio::test]
async fn inactive_people_are_left_alone_unless_the_scope_includes_them() {
    // Inactive in Huma.
    let hr = huma(vec![Record::new("h1", ada()).inactive()]);
    let idp = azure(vec![Record::new("a1", ada().with_job_title("Engineer"))]);
    let push = RealtimePush::new(&hr, &idp);
    let pushed = push.push(&["h1".into()]).await;
    assert_eq!(only(&pushed).action, PushAction::Inactive, "{pushed:#?}");
    assert!(detail(only(&pushed)).contains("inactive in Huma"), "{pushed:#?}");
    assert_eq!(idp.writes(), 0);

    let everyone = Scope { include_inactive: true, ..Scope::default() };
    let pushed = push.clone().with_scope(everyone).push(&["h1".into()]).await;
    assert_eq!(only(&pushed).action, PushAction::Updated, "{pushed:#?}");
    assert_eq!(idp.records()[0].person.job_title(), Some("CTO"));

    // Disabled in Azure AD.
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![Record::new("a1", ada().with_job_title("Engineer")).inactive()]);
    let push = RealtimePush::new(&hr, &idp);
    let pushed = push.push(&["h1".into()]).await;
    assert_eq!(only(&pushed).action, PushAction::Inactive, "{pushed:#?}");
    assert!(detail(only(&pushed)).contains("disabled in Azure AD"), "{pushed:#?}");
    assert_eq!(idp.writes(), 0);

    let pushed = push.with_scope(everyone).push(&["h1".into()]).await;
    assert_eq!(only(&pushed).action, PushAction::Updated, "{pushed:#?}");

    // Inactive in Huma and in no directory: not created, even with provisioning.
    let hr = huma(vec![Record::new("h1", ada()).inactive()]);
    let idp = azure(vec![]);
    let push = RealtimePush::new(&hr, &idp).with_provisioning(AutoProvisioning::On);
    let pushed = push.push(&["h1".into()]).await;
    assert_eq!(only(&pushed).action, PushAction::Inactive, "{pushed:#?}");
    assert!(idp.records().is_empty());
}

#[tokio::test]
async fn an_unknown_hr_id_is_gone() {
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![Record::new("a1", ada().with_job_title("Engineer"))]);
    let push = RealtimePush::new(&hr, &idp).with_provisioning(AutoProvisioning::On);

    let summary = push.push_event(&event(HrChange::Updated, &["h9", "h1"])).await.expect("pushed");

    assert_eq!(summary.people.len(), 2, "one entry per person, in the event's order");
    let gone = &summary.people[0];
    assert_eq!((gone.hr.as_str(), gone.action), ("h9", PushAction::Gone));
    assert!(detail(gone).contains("no longer exists in Huma"), "{gone:#?}");
    assert_eq!(summary.people[1].action, PushAction::Updated);
    assert!(!summary.failed());
    assert_eq!(idp.records().len(), 1);
}

#[tokio::test]
async fn an_idp_that_refuses_the_write_fails_the_push() {
    let hr = huma(vec![Record::new("h1", ada()), Record::new("h2", bo())]);
    let idp = azure(vec![Record::new("a1", ada().with_job_title("Engineer"))])
        .refusing_writes(ErrorKind::PermissionDenied);
    let store = MemoryStore::new();
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);

    let summary = push.push(&["h1".into(), "h2".into()]).await;

    assert!(summary.failed());
    let [update, create] = summary.people.as_slice() else { panic!("{summary:#?}") };
    assert_eq!(update.action, PushAction::Failed, "{update:#?}");
    assert_eq!(update.idp.as_ref().map(RecordId::as_str), Some("a1"));
    assert!(detail(update).contains("Azure AD refused the update"), "{update:#?}");
    assert!(detail(update).contains("may not write users"), "{update:#?}");
    assert_eq!(create.action, PushAction::Failed, "{create:#?}");
    assert!(detail(create).contains("Azure AD refused the new user"), "{create:#?}");
    assert_eq!(idp.records(), vec![Record::new("a1", ada().with_job_title("Engineer"))]);
    // As a sync: Ada is linked to the one record with her email, Bo's failed create links
    // nobody, and both refusals are held back, so the next event does not send them again.
    let state = store.load().await.expect("loaded");
    let links: Vec<(&str, &str)> =
        state.links.iter().map(|(hr, link)| (hr.as_str(), link.idp.as_str())).collect();
    assert_eq!(links, [("h1", "a1")], "no link for a failed create");
    let held: Vec<&str> = state.held.iter().map(|h| h.record.as_str()).collect();
    assert_eq!(held, ["a1", "h2"]);
}

fn bo() -> Person {
    Person::new().with_email("bo@example.com").with_given_name("Bo").with_family_name("Ek")
}

#[tokio::test]
async fn events_that_need_no_push_read_nothing_and_write_nothing() {
    let hr = huma(vec![Record::new("h1", ada())]);
    let idp = azure(vec![]);
    let store = MemoryStore::new();
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);

    for change in [HrChange::Deleted, HrChange::Other] {
        let pushed = push.push_event(&event(change, &["h1"])).await;
        assert_eq!(pushed, None, "{change:?}");
    }
    assert_eq!((hr.reads(), idp.reads()), (0, 0));
    assert_eq!((hr.writes(), idp.writes()), (0, 0));
    assert_eq!(store.load().await.expect("loaded"), SyncState::new());
}

#[tokio::test]
async fn messages_use_the_directories_names() {
    let hr = counted("Personio", vec![Record::new("h1", ada())]);
    let idp = counted("Okta", vec![]);
    let push = RealtimePush::new(&hr, &idp);

    let summary = push.push(&["h1".into(), "h2".into()]).await;

    let texts: Vec<&str> = summary.people.iter().map(detail).collect();
    assert!(texts[0].contains("not in Okta"), "{texts:?}");
    assert!(texts[1].contains("no longer exists in Personio"), "{texts:?}");
    for text in texts {
        for generic in ["identity directory", "HR system", "Azure AD", "Huma"] {
            assert!(!text.contains(generic), "{text}");
        }
    }
}

#[tokio::test]
async fn a_push_saves_its_link_while_a_sync_holds_the_file_stores_lease() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("state.json");
    let hr = huma(vec![Record::new("h1", ada()), Record::new("h2", bo())]);
    let idp = azure(vec![Record::new("a1", ada())]);
    let sync_store = JsonFileStore::new(&path);
    // The receiver runs in another process: its own store on the same file.
    let receiver_store = JsonFileStore::new(&path);
    let sync = Synchronizer::new(&hr, &idp, &sync_store).with_holder("nightly sync");

    let planned = sync.plan().await.expect("the sync holds the lease");
    assert!(receiver_store.lease("another sync").await.expect_err("leased").is_busy());
    let push = RealtimePush::new(&hr, &idp)
        .with_store(&receiver_store)
        .with_provisioning(AutoProvisioning::On);
    let summary = push.push_event(&event(HrChange::Created, &["h2"])).await.expect("pushed");
    let bo = only(&summary).idp.clone().expect("Bo was created");
    assert_eq!(only(&summary).action, PushAction::Created);
    assert_eq!(receiver_store.load().await.expect("loaded").links[&RecordId::new("h2")].idp, bo);

    // The sync saves its own result, and keeps the receiver's link.
    planned.apply().await.expect("applied");
    let state = sync_store.load().await.expect("loaded");
    assert_eq!(state.links[&RecordId::new("h1")].idp.as_str(), "a1");
    assert_eq!(state.links[&RecordId::new("h2")].idp, bo);
}

#[tokio::test]
async fn a_record_linked_to_another_hr_person_is_not_written() {
    // Huma holds Ada twice: her first employment (h1, linked to a1 by the last sync) and a new
    // record with the same email and employment id (h2, e.g. a rehire entered by hand).
    let hr = huma(vec![
        Record::new("h1", ada()),
        Record::new("h2", ada().with_given_name("Adah").with_job_title("Advisor")),
    ]);
    let idp = azure(vec![Record::new("a1", ada())]);
    let mut state = SyncState::new();
    state.link("h1".into(), "a1".into(), ada().with_email("ada@example.com"));
    let store = MemoryStore::with_state(state);
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);

    let summary = push.push_event(&event(HrChange::Created, &["h2"])).await.expect("pushed");

    let pushed = only(&summary);
    assert_eq!(idp.writes(), 0, "{pushed:#?}");
    assert_eq!(idp.records(), vec![Record::new("a1", ada())]);
    assert_eq!(pushed.action, PushAction::Ambiguous, "{pushed:#?}");
    assert!(detail(pushed).contains("a1"), "{pushed:#?}");
    assert!(detail(pushed).contains("h1"), "{pushed:#?}");

    // So the next sync has nothing of h2's to carry into h1.
    let sync = Synchronizer::new(&hr, &idp, &store);
    let planned = sync.plan().await.expect("planned");
    let into_h1: Vec<_> = planned.plan().changes.iter().filter(|c| c.hr.as_str() == "h1").collect();
    assert!(into_h1.is_empty(), "{into_h1:#?}");
}

#[tokio::test]
async fn a_duplicate_hr_record_in_the_same_event_leaves_the_record_just_created_alone() {
    // Two Huma records of one person (a rehire entered twice), both new in one event.
    let twice = ada().with_job_title("Engineer");
    let hr = huma(vec![Record::new("h1", ada()), Record::new("h2", twice)]);
    let idp = azure(vec![]);
    let store = MemoryStore::new();
    let push =
        RealtimePush::new(&hr, &idp).with_store(&store).with_provisioning(AutoProvisioning::On);

    let summary = push.push_event(&event(HrChange::Created, &["h1", "h2"])).await.expect("pushed");

    assert_eq!(summary.people[0].action, PushAction::Created, "{summary:#?}");
    assert_eq!(summary.people[1].action, PushAction::Ambiguous, "{summary:#?}");
    assert!(detail(&summary.people[1]).contains("linked to Huma person h1"), "{summary:#?}");
    let created = idp.records();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].person.job_title(), Some("CTO"), "h2's values were not written");
    assert_eq!(store.load().await.expect("loaded").links.len(), 1);
}

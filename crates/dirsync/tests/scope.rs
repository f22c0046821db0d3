//! The edge of the scope, through a whole sync and a real-time push: a linked person who left
//! the scope keeps their link and gets no write (disabled only when asked, enabled again when they
//! come back), one deleted is still a leaver, an excluded administrator is never paired, written
//! or duplicated, and people outside the scope count toward no threshold.

use dirsync::{
    apply::ApplyOptions,
    directory::{InMemoryDirectory, Record, RecordId, Snapshot},
    model::Person,
    plan::{AccountAction, AccountReason, FindingKind, ScopeStatus, reconcile},
    policy::{CreationRule, Leavers, Policy, Scope},
    realtime::{HrChange, HrEvent, PushAction, RealtimePush},
    store::{MemoryStore, StateStore},
    sync::{SyncError, Synchronizer},
};

fn person(i: usize) -> Person {
    Person::new()
        .with_email(format!("p{i}@example.com"))
        .with_given_name(format!("Person{i}"))
        .with_family_name("Lund")
        .with_phone(format!("+47 {i}"))
}

/// `n` people on both sides with the same values; Huma reads the scope "company A".
fn organisation(n: usize) -> (InMemoryDirectory, InMemoryDirectory) {
    let hr = (0..n).map(|i| Record::new(format!("h{i}"), person(i)));
    let idp = (0..n).map(|i| Record::new(format!("a{i}"), person(i)));
    (
        InMemoryDirectory::new(hr).with_name("Huma").with_scope("people of company A"),
        InMemoryDirectory::new(idp).with_name("Azure AD"),
    )
}

fn record(dir: &InMemoryDirectory, id: &str) -> Record {
    dir.records().into_iter().find(|r| r.id.as_str() == id).expect("the record exists")
}

/// Moves a record to `status` and changes its phone, as a move to another company would.
fn move_to(dir: &InMemoryDirectory, id: &str, status: ScopeStatus, phone: &str) {
    let mut moved = record(dir, id).with_scope(status);
    moved.person = moved.person.with_phone(phone);
    dir.put(moved);
}

fn disabling(disable_out_of_scope: bool) -> Policy {
    Policy {
        leavers: Leavers { disable: true, revoke_sessions: false },
        scope: Scope { disable_out_of_scope, ..Scope::default() },
        conflicts: dirsync::policy::ConflictRule::PreferHr,
        ..Policy::default()
    }
}

async fn sync_once(sync: &Synchronizer<'_>) -> Result<dirsync::sync::Synced, SyncError> {
    sync.plan().await?.apply().await
}

#[tokio::test]
async fn a_linked_person_who_left_the_scope_keeps_the_link_and_gets_no_write() {
    let (hr, idp) = organisation(3);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(disabling(false));
    sync_once(&sync).await.expect("the first sync links everyone");

    move_to(&hr, "h1", ScopeStatus::Out, "+47 999");
    let planned = sync.plan().await.expect("planned");
    let plan = planned.plan();
    let pair = plan.pairs.iter().find(|p| p.hr.as_str() == "h1").expect("still paired by its link");
    assert!(pair.outside_scope && !pair.in_scope, "{pair:?}");
    assert!(plan.changes.is_empty(), "the new phone is not written: {:?}", plan.changes);
    assert!(plan.accounts.is_empty(), "not a leaver: {:?}", plan.accounts);
    assert_eq!(plan.summary().left_scope, 1);
    let left = plan.findings.iter().find(|f| f.kind == FindingKind::LeftScope).expect("said so");
    assert!(left.message.contains("Person1 Lund left the scope"), "{}", left.message);
    assert!(left.message.contains("people of company A"), "{}", left.message);
    let scope = plan.hr_scope.as_ref().expect("Huma was read in a scope");
    assert_eq!((scope.people, scope.outside, scope.excluded), (2, 1, 0));
    assert_eq!(plan.idp_scope, None, "Azure AD reads everyone");

    let synced = planned.apply().await.expect("applied");
    assert!(synced.report.operations.is_empty(), "{:?}", synced.report.operations);
    assert!(synced.report.findings.iter().any(|f| f.kind == FindingKind::LeftScope));
    assert_eq!(record(&idp, "a1").person.phone(), Some("+47 1"));
    assert!(record(&idp, "a1").active);
    let state = store.load().await.expect("saved");
    assert_eq!(state.links[&RecordId::from("h1")].idp.as_str(), "a1", "the link is kept");
}

#[tokio::test]
async fn a_person_gone_from_a_scoped_read_is_told_from_one_who_left_the_scope() {
    let (hr, idp) = organisation(3);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(disabling(false));
    sync_once(&sync).await.expect("the first sync links everyone");

    move_to(&hr, "h1", ScopeStatus::Out, "+47 1");
    hr.remove(&"h2".into());
    let planned = sync.plan().await.expect("planned");
    let accounts: Vec<_> =
        planned.plan().accounts.iter().map(|a| (a.idp.as_str(), a.action, a.reason)).collect();
    assert_eq!(accounts, [("a2", AccountAction::Disable, AccountReason::GoneFromHr)]);
    planned.apply().await.expect("applied");
    assert!(record(&idp, "a1").active, "left the scope: not disabled");
    assert!(!record(&idp, "a2").active, "gone from Huma: a leaver");
}

#[tokio::test]
async fn a_person_who_left_the_scope_is_disabled_only_when_asked_and_enabled_when_back() {
    let (hr, idp) = organisation(2);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(disabling(true));
    sync_once(&sync).await.expect("the first sync links everyone");

    move_to(&hr, "h0", ScopeStatus::Out, "+47 0");
    let synced = sync_once(&sync).await.expect("synced");
    assert_eq!(synced.report.counts.disabled_in_idp, 1);
    assert!(!record(&idp, "a0").active);
    let state = store.load().await.expect("saved");
    assert_eq!(state.disabled[&RecordId::from("a0")].reason, AccountReason::LeftScope);

    move_to(&hr, "h0", ScopeStatus::In, "+47 0");
    let planned = sync.plan().await.expect("planned");
    let accounts: Vec<_> = planned.plan().accounts.iter().map(|a| (a.action, a.reason)).collect();
    assert_eq!(accounts, [(AccountAction::Enable, AccountReason::BackInScope)]);
    planned.apply().await.expect("applied");
    assert!(record(&idp, "a0").active, "enabled again: the sync had disabled it");
}

#[tokio::test]
async fn an_account_disabled_by_hand_is_not_enabled_when_its_person_comes_back() {
    let (hr, idp) = organisation(1);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(disabling(true));
    sync_once(&sync).await.expect("the first sync links everyone");
    move_to(&hr, "h0", ScopeStatus::Out, "+47 0");
    idp.put(record(&idp, "a0").inactive());
    sync_once(&sync).await.expect("synced");
    move_to(&hr, "h0", ScopeStatus::In, "+47 0");
    let planned = sync.plan().await.expect("planned");
    assert!(planned.plan().accounts.is_empty(), "{:?}", planned.plan().accounts);
}

#[tokio::test]
async fn an_excluded_administrator_is_never_paired_written_or_duplicated() {
    let ada = Person::new()
        .with_email("ada@example.com")
        .with_given_name("Ada")
        .with_family_name("Admin")
        .with_phone("+47 111");
    let hr = InMemoryDirectory::new([Record::new("h1", ada.clone())]).with_name("Huma");
    let admin = Record::new("a9", ada.with_phone("+47 999")).excluded();
    let idp = InMemoryDirectory::new([admin]).with_name("Azure AD").with_scope("everyone");
    let store = MemoryStore::new();
    let policy = Policy {
        conflicts: dirsync::policy::ConflictRule::PreferHr,
        create_in_idp: CreationRule::All,
        create_in_hr: CreationRule::All,
        leavers: Leavers { disable: true, revoke_sessions: true },
        ..Policy::default()
    };
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy);
    let planned = sync.plan().await.expect("planned");
    let plan = planned.plan();
    assert!(plan.pairs.is_empty() && plan.changes.is_empty(), "{plan:?}");
    assert!(plan.creations.is_empty(), "no duplicate of the admin: {:?}", plan.creations);
    let finding = plan.findings.iter().find(|f| f.kind == FindingKind::Excluded).expect("said");
    assert!(finding.message.contains("excluded from the sync"), "{}", finding.message);
    assert_eq!(plan.idp_scope.as_ref().map(|s| s.excluded), Some(1));
    let synced = planned.apply().await.expect("applied");
    assert!(synced.report.operations.is_empty());
    assert_eq!(record(&idp, "a9").person.phone(), Some("+47 999"), "never written");
    assert_eq!(idp.records().len(), 1);
    assert!(store.load().await.expect("saved").links.is_empty());
}

#[tokio::test]
async fn a_link_to_an_account_that_became_excluded_is_kept_and_left_alone() {
    let (hr, idp) = organisation(2);
    let idp = idp.with_scope("everyone");
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(disabling(true));
    sync_once(&sync).await.expect("the first sync links everyone");
    idp.put(record(&idp, "a1").excluded());
    hr.put(record(&hr, "h1").inactive());

    let planned = sync.plan().await.expect("planned");
    assert!(planned.plan().accounts.is_empty(), "never disabled: {:?}", planned.plan().accounts);
    assert!(planned.plan().pairs.iter().all(|p| p.idp.as_str() != "a1"));
    planned.apply().await.expect("applied");
    assert!(record(&idp, "a1").active);
    let state = store.load().await.expect("saved");
    assert_eq!(state.links[&RecordId::from("h1")].idp.as_str(), "a1", "the link is kept");
}

#[tokio::test]
async fn a_person_entering_the_scope_is_paired_and_synced() {
    let (hr, idp) = organisation(1);
    hr.put(Record::new("h5", person(5).with_job_title("CTO")).out_of_scope());
    idp.put(Record::new("a5", person(5)));
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(disabling(false));
    let first = sync_once(&sync).await.expect("synced");
    assert!(first.plan.pairs.iter().all(|p| p.hr.as_str() != "h5"), "not read: outside");

    move_to(&hr, "h5", ScopeStatus::In, "+47 5");
    let synced = sync_once(&sync).await.expect("synced");
    assert_eq!(synced.report.counts.updated_in_idp, 1);
    assert_eq!(record(&idp, "a5").person.job_title(), Some("CTO"));
}

#[tokio::test]
async fn people_outside_the_scope_count_toward_no_threshold() {
    let (hr, idp) = organisation(6);
    let store = MemoryStore::new();
    let options = ApplyOptions::default().with_max_people_changed(Some(1));
    let sync = Synchronizer::new(&hr, &idp, &store)
        .with_policy(disabling(false))
        .with_apply_options(options);
    sync_once(&sync).await.expect("the first sync links everyone");
    for i in 1..6 {
        move_to(&hr, &format!("h{i}"), ScopeStatus::Out, "+47 000");
    }
    move_to(&hr, "h0", ScopeStatus::In, "+47 000");
    let synced = sync_once(&sync).await.expect("one person changes: within the threshold");
    assert_eq!(synced.report.counts.updated_in_idp, 1);
}

#[tokio::test]
async fn a_person_created_elsewhere_outside_the_scope_is_not_duplicated_nor_linked() {
    let hr = InMemoryDirectory::new([Record::new("h1", person(1))]).with_name("Huma");
    let outside = Record::new("a1", person(1)).out_of_scope();
    let idp = InMemoryDirectory::new([outside]).with_name("Azure AD").with_scope("group G");
    let store = MemoryStore::new();
    let policy = Policy { create_in_idp: CreationRule::All, ..Policy::default() };
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(policy);
    let synced = sync_once(&sync).await.expect("synced");
    let op = &synced.report.operations[0];
    let dirsync::report::Outcome::Skipped { reason } = &op.outcome else {
        panic!("skipped: {op:?}")
    };
    assert!(reason.contains("outside the scope"), "{reason}");
    assert_eq!(idp.records().len(), 1, "no duplicate");
    assert!(store.load().await.expect("saved").links.is_empty(), "not linked");
}

#[test]
fn a_scoped_snapshot_without_look_ups_keeps_unknown_links_and_disables_nobody() {
    let hr = Snapshot::new(vec![]).with_scope("company A");
    let idp = Snapshot::new(vec![Record::new("a1", person(1))]);
    let mut state = dirsync::store::SyncState::new();
    state.link("h1".into(), "a1".into(), person(1));
    let plan = reconcile(&hr, &idp, &state, &disabling(true));
    assert!(plan.accounts.is_empty(), "not known to be gone: {:?}", plan.accounts);
    assert!(plan.findings.iter().any(|f| f.kind == FindingKind::NotLookedUp), "{plan:?}");
    assert_eq!(plan.kept_links.len(), 1);

    let looked_up = Snapshot { gone: vec!["h1".into()], ..hr };
    let plan = reconcile(&looked_up, &idp, &state, &disabling(true));
    let accounts: Vec<_> = plan.accounts.iter().map(|a| (a.action, a.reason)).collect();
    assert_eq!(accounts, [(AccountAction::Disable, AccountReason::GoneFromHr)]);
}

#[tokio::test]
async fn a_push_writes_nobody_outside_the_scope_and_says_why() {
    let (hr, idp) = organisation(2);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(disabling(false));
    sync_once(&sync).await.expect("the first sync links everyone");
    move_to(&hr, "h1", ScopeStatus::Out, "+47 999");
    hr.put(Record::new("h7", person(7)).out_of_scope());

    let push = RealtimePush::new(&hr, &idp)
        .with_store(&store)
        .with_provisioning(dirsync::realtime::AutoProvisioning::On);
    let event = HrEvent { change: HrChange::Updated, records: vec!["h1".into(), "h7".into()] };
    let summary = push.push_event(&event).await.expect("pushed");
    for pushed in &summary.people {
        assert_eq!(pushed.action, PushAction::OutOfScope, "{pushed:?}");
    }
    let detail = summary.people[0].detail.as_deref().unwrap_or_default();
    assert!(detail.contains("left the scope"), "{detail}");
    let detail = summary.people[1].detail.as_deref().unwrap_or_default();
    assert!(detail.contains("outside the scope"), "{detail}");
    assert_eq!(record(&idp, "a1").person.phone(), Some("+47 1"), "not written");
    assert_eq!(idp.records().len(), 2, "nobody created");
}

#[tokio::test]
async fn a_push_of_a_person_whose_twin_is_excluded_writes_and_creates_nothing() {
    let hr = InMemoryDirectory::new([Record::new("h1", person(1))]).with_name("Huma");
    let admin = Record::new("a9", person(1).with_phone("+47 999")).excluded();
    let idp = InMemoryDirectory::new([admin]).with_name("Azure AD").with_scope("everyone");
    let push =
        RealtimePush::new(&hr, &idp).with_provisioning(dirsync::realtime::AutoProvisioning::On);
    let summary = push.push(&["h1".into()]).await;
    assert_eq!(summary.people[0].action, PushAction::OutOfScope, "{summary:?}");
    assert_eq!(idp.records().len(), 1);
    assert_eq!(record(&idp, "a9").person.phone(), Some("+47 999"));
}

//! Leavers: accounts disabled (never deleted) when their person leaves the HR system, enabled
//! again only if the sync disabled them, bounded by their own threshold.

use dirsync::{
    apply::{ApplyError, ApplyOptions},
    directory::{ErrorKind, InMemoryDirectory, Record, RecordId},
    model::Person,
    plan::{AccountAction, AccountReason},
    policy::{Leavers, Policy},
    report::Action,
    store::{MemoryStore, StateStore},
    sync::{SyncError, Synchronizer},
};

fn person(i: usize) -> Person {
    Person::new()
        .with_email(format!("p{i}@example.com"))
        .with_given_name(format!("Person{i}"))
        .with_family_name("Lund")
}

/// `n` people on both sides, active, with the same values.
fn organisation(n: usize) -> (InMemoryDirectory, InMemoryDirectory) {
    let hr = (0..n).map(|i| Record::new(format!("h{i}"), person(i)));
    let idp = (0..n).map(|i| Record::new(format!("a{i}"), person(i)));
    (
        InMemoryDirectory::new(hr).with_name("Huma"),
        InMemoryDirectory::new(idp).with_name("Azure AD"),
    )
}

fn leavers(revoke_sessions: bool) -> Policy {
    Policy { leavers: Leavers { disable: true, revoke_sessions }, ..Policy::default() }
}

fn make_inactive(dir: &InMemoryDirectory, id: &str) {
    let record = dir.records().into_iter().find(|r| r.id.as_str() == id).expect("exists");
    dir.put(record.inactive());
}

fn active(dir: &InMemoryDirectory, id: &str) -> bool {
    dir.records().iter().find(|r| r.id.as_str() == id).expect("exists").active
}

async fn sync_once(sync: &Synchronizer<'_>) -> Result<dirsync::sync::Synced, SyncError> {
    sync.plan().await?.apply().await
}

#[tokio::test]
async fn a_leaver_is_disabled_and_signed_out_then_enabled_again_when_they_return() {
    let (hr, idp) = organisation(3);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(leavers(true));
    sync_once(&sync).await.expect("the first sync links everyone");

    make_inactive(&hr, "h1");
    let planned = sync.plan().await.expect("planned");
    let actions: Vec<(AccountAction, &str)> =
        planned.plan().accounts.iter().map(|a| (a.action, a.idp.as_str())).collect();
    assert_eq!(actions, [(AccountAction::Disable, "a1"), (AccountAction::RevokeSessions, "a1")]);
    assert_eq!(planned.plan().summary().disables, 1);
    let synced = planned.apply().await.expect("applied");

    assert!(!active(&idp, "a1"), "disabled");
    assert!(active(&idp, "a0") && active(&idp, "a2"));
    assert_eq!(idp.records().len(), 3, "nobody deleted");
    assert_eq!(idp.sessions_revoked(&"a1".into()), 1);
    let report = &synced.report;
    assert_eq!(report.counts.disabled_in_idp, 1);
    assert!(report.is_success());
    let disable = report.operations.iter().find(|o| o.action == Action::Disable).expect("listed");
    assert_eq!(disable.reason.as_deref(), Some("inactive in Huma"));
    let markdown = dirsync_report::markdown(report);
    assert!(markdown.contains("## Accounts disabled: 1"), "{markdown}");
    assert!(markdown.contains("| Person1 Lund | a1 | inactive in Huma |"), "{markdown}");
    assert!(dirsync_report::html(report).contains("Accounts disabled: 1"));
    let state = store.load().await.expect("saved");
    let remembered = &state.disabled[&RecordId::from("a1")];
    assert_eq!(
        (remembered.hr.as_str(), remembered.reason, remembered.sessions_revoked),
        ("h1", AccountReason::InactiveInHr, true)
    );
    assert_eq!(remembered.at, synced.started_at);

    // Nothing more to do while they stay away.
    let again = sync.plan().await.expect("planned");
    assert!(again.plan().accounts.is_empty(), "{:?}", again.plan().accounts);
    drop(again);

    // Back in Huma: the account the sync disabled is enabled again and forgotten.
    let back = hr.records().into_iter().find(|r| r.id.as_str() == "h1").expect("exists");
    hr.put(Record { active: true, ..back });
    let synced = sync_once(&sync).await.expect("applied");
    assert!(active(&idp, "a1"));
    assert_eq!(synced.report.counts.enabled_in_idp, 1);
    assert!(dirsync_report::markdown(&synced.report).contains("## Accounts enabled again: 1"));
    assert!(store.load().await.expect("saved").disabled.is_empty());
}

#[tokio::test]
async fn an_account_an_administrator_disabled_stays_disabled() {
    let (hr, idp) = organisation(2);
    make_inactive(&idp, "a0");
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(leavers(false));
    let synced = sync_once(&sync).await.expect("applied");
    assert!(synced.plan.accounts.is_empty(), "{:?}", synced.plan.accounts);
    assert!(!active(&idp, "a0"));
}

#[tokio::test]
async fn a_person_deleted_from_hr_while_linked_is_disabled_not_deleted() {
    let (hr, idp) = organisation(3);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(leavers(false));
    sync_once(&sync).await.expect("linked");
    hr.remove(&"h2".into());

    let synced = sync_once(&sync).await.expect("applied");
    let account = &synced.plan.accounts[0];
    assert_eq!(
        (account.action, account.reason),
        (AccountAction::Disable, AccountReason::GoneFromHr)
    );
    assert_eq!(account.name, "Person2 Lund", "named after the account, as the HR record is gone");
    assert!(!active(&idp, "a2"));
    assert_eq!(idp.sessions_revoked(&"a2".into()), 0, "not asked to revoke");
    assert!(dirsync_report::markdown(&synced.report).contains("no longer in Huma"));
}

#[tokio::test]
async fn leavers_are_left_alone_unless_the_policy_says_so() {
    let (hr, idp) = organisation(2);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store);
    sync_once(&sync).await.expect("linked");
    make_inactive(&hr, "h0");
    hr.remove(&"h1".into());
    let synced = sync_once(&sync).await.expect("applied");
    assert!(synced.plan.accounts.is_empty());
    assert!(active(&idp, "a0") && active(&idp, "a1"));
}

#[tokio::test]
async fn more_leavers_than_the_threshold_refuse_the_run_before_any_write() {
    // 40 linked people: the default threshold is 10 (5 % would be 2).
    let (hr, idp) = organisation(40);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(leavers(false));
    sync_once(&sync).await.expect("linked");
    for i in 0..11 {
        make_inactive(&hr, &format!("h{i}"));
    }
    let err = sync_once(&sync).await.expect_err("over the threshold");
    match &err {
        SyncError::Apply(ApplyError::DisableThreshold { disables, max }) => {
            assert_eq!((*disables, *max), (11, 10));
        }
        other => panic!("expected the disable threshold, got {other:?}"),
    }
    assert!(err.to_string().contains("raise the limit"), "{err}");
    assert!((0..40).all(|i| active(&idp, &format!("a{i}"))), "nothing written");

    // A person who looked at the list raises the limit.
    let raised = ApplyOptions::default().with_max_disables(Some(11));
    let sync = sync.with_apply_options(raised);
    let synced = sync_once(&sync).await.expect("applied");
    assert_eq!(synced.report.counts.disabled_in_idp, 11);
}

#[tokio::test]
async fn a_refused_disable_is_reported_with_the_error_and_held_back_next_time() {
    let (hr, idp) = organisation(2);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(leavers(true));
    sync_once(&sync).await.expect("linked");
    make_inactive(&hr, "h0");
    let admin_message = "Insufficient privileges to complete the operation.";
    idp.refuse(&"a0".into(), ErrorKind::PermissionDenied, admin_message);

    let synced = sync_once(&sync).await.expect("applied");
    let report = &synced.report;
    let outcomes: Vec<(Action, &str)> =
        report.operations.iter().map(|o| (o.action, o.outcome.label())).collect();
    assert_eq!(outcomes, [(Action::Disable, "failed"), (Action::RevokeSessions, "skipped")]);
    assert!(!report.is_success());
    assert!(dirsync_report::markdown(report).contains(admin_message));
    assert!(active(&idp, "a0"));
    assert!(store.load().await.expect("saved").disabled.is_empty(), "not disabled, not remembered");

    // The refusal will not pass by itself: the next run holds it back and succeeds.
    let synced = sync_once(&sync).await.expect("applied");
    assert!(synced.report.is_success(), "{:?}", synced.report);
    assert_eq!(synced.report.held.len(), 1);
    assert!(dirsync_report::markdown(&synced.report).contains("held back since"));
}

#[tokio::test]
async fn sessions_not_revoked_with_the_disable_are_revoked_by_a_later_run() {
    let (hr, idp) = organisation(2);
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&hr, &idp, &store).with_policy(leavers(false));
    sync_once(&sync).await.expect("linked");
    make_inactive(&hr, "h1");
    sync_once(&sync).await.expect("disabled without revoking");
    assert!(!store.load().await.expect("saved").disabled[&RecordId::from("a1")].sessions_revoked);

    let sync = sync.with_policy(leavers(true));
    let synced = sync_once(&sync).await.expect("applied");
    let account = &synced.plan.accounts[0];
    assert_eq!(
        (account.action, account.reason),
        (AccountAction::RevokeSessions, AccountReason::SessionsNotRevoked)
    );
    assert_eq!(idp.sessions_revoked(&"a1".into()), 1);
    assert!(store.load().await.expect("saved").disabled[&RecordId::from("a1")].sessions_revoked);
}

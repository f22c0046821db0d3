//! Leavers through the `sync` program against the demo company: people made inactive in (or
//! deleted from) the fake Huma are listed by `plan --disable-leavers` and disabled in the fake
//! Graph by `apply --disable-leavers`, enabled again when they return; a plan that would disable
//! more accounts than `--max-disables` writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{apply_with_report as apply, argv, run};
use dirsync::store::{JsonFileStore, StateStore};
use dirsync_connect::Secrets;
use dirsync_examples::demo::DemoOrg;
use dirsync_examples::run::Outcome;

/// Everything that can change in the fakes, to tell that nothing was written.
fn fingerprint(org: &DemoOrg) -> String {
    format!("{:?}{:?}", org.huma.users(), org.graph.users())
}

/// Makes Kari Nordmann and Ingrid Hansen inactive in Huma; their Azure AD ids.
fn two_leave(org: &DemoOrg) -> [String; 2] {
    [&org.cast.conflicting_title, &org.cast.missing_phone].map(|(huma, azure)| {
        assert!(org.huma.update_user(huma, |u| u.active = false));
        azure.clone()
    })
}

#[tokio::test]
async fn plan_lists_the_accounts_to_disable_with_who_and_why_and_writes_nothing() {
    let org = DemoOrg::start().await;
    let [kari, ingrid] = two_leave(&org);
    let dir = tempfile::tempdir().unwrap();
    let before = fingerprint(&org);

    // Off by default: nobody is listed.
    let (outcome, text) = run(argv(&org, dir.path(), "plan", &[]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(!text.contains("Accounts to disable"), "{text}");

    let extra = ["--disable-leavers", "--revoke-sessions"];
    let (outcome, text) = run(argv(&org, dir.path(), "plan", &extra), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("Accounts to disable: 2"), "{text}");
    assert!(text.contains(&format!("Kari Nordmann (Azure AD {kari}): inactive in Huma")), "{text}");
    assert!(
        text.contains(&format!("Ingrid Hansen (Azure AD {ingrid}): inactive in Huma")),
        "{text}"
    );
    assert!(text.contains("Sign-in sessions to revoke: 2"), "{text}");
    assert_eq!(fingerprint(&org), before, "plan writes nothing");
    assert!(!dir.path().join("state.json").exists(), "not even the state");
}

#[tokio::test]
async fn over_max_disables_nothing_is_written_and_the_accounts_are_listed_with_exit_4() {
    let org = DemoOrg::start().await;
    let [kari, ingrid] = two_leave(&org);
    let dir = tempfile::tempdir().unwrap();
    let before = fingerprint(&org);
    let extra = ["--prefer", "huma", "--disable-leavers", "--max-disables", "1"];
    let (outcome, text) = run(argv(&org, dir.path(), "apply", &extra), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::OverThreshold, "the code of --max-changes: {text}");
    assert!(text.contains("would disable 2 accounts"), "{text}");
    assert!(text.contains("more than --max-disables 1"), "{text}");
    assert!(text.contains("--max-disables 2"), "how to raise it: {text}");
    let listed = text.split("The accounts it would disable:").nth(1).expect("a list");
    assert!(listed.contains(&format!("Kari Nordmann (Azure AD {kari})")), "{text}");
    assert!(listed.contains(&format!("Ingrid Hansen (Azure AD {ingrid})")), "{text}");
    assert_eq!(fingerprint(&org), before, "nothing was written");
    assert!(!dir.path().join("state.json").exists(), "not even the state");
}

#[tokio::test]
async fn revoke_sessions_alone_is_a_usage_error_that_names_disable_leavers() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, text) =
        run(argv(&org, dir.path(), "apply", &["--revoke-sessions"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Usage, "{text}");
    assert!(text.contains("--disable-leavers"), "{text}");
}

fn enabled(org: &DemoOrg, azure: &str) -> Option<bool> {
    org.graph.user(azure).unwrap().account_enabled
}

#[tokio::test]
async fn leavers_are_disabled_and_enabled_again_only_if_the_sync_disabled_them() {
    let org = DemoOrg::start().await;
    let [kari, ingrid] = two_leave(&org);
    // Sofia's account was disabled by an administrator, by hand; she is active in Huma.
    let (_, sofia) = &org.cast.missing_start_date;
    assert!(org.graph.update_user(sofia, |u| u.account_enabled = Some(false)));
    let dir = tempfile::tempdir().unwrap();

    let extra = ["--disable-leavers", "--revoke-sessions"];
    let (outcome, text, report) = apply(&org, dir.path(), &extra).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!(enabled(&org, &kari), Some(false), "{text}");
    assert_eq!(enabled(&org, &ingrid), Some(false), "{text}");
    assert_eq!((org.graph.revocations(&kari), org.graph.revocations(&ingrid)), (1, 1));
    assert_eq!(report.counts.disabled_in_idp, 2, "{text}");
    assert!(text.contains("Accounts disabled: 2"), "{text}");
    assert!(text.contains("Sign-in sessions revoked: 2"), "{text}");
    let disabled = JsonFileStore::new(dir.path().join("state.json")).load().await.unwrap().disabled;
    assert_eq!(disabled.len(), 2, "remembered: {disabled:?}");

    // Nothing left to do for them; accounts are never deleted.
    let (outcome, text, report) = apply(&org, dir.path(), &extra).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!(report.counts.disabled_in_idp, 0, "{text}");
    assert!(org.graph.user(&kari).is_some() && org.graph.user(&ingrid).is_some());

    // Kari comes back: her account is enabled again. Sofia's stays as the administrator left it.
    let (kari_huma, _) = &org.cast.conflicting_title;
    assert!(org.huma.update_user(kari_huma, |u| u.active = true));
    let (outcome, text, report) = apply(&org, dir.path(), &extra).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!(report.counts.enabled_in_idp, 1, "{text}");
    assert!(text.contains("Accounts enabled again: 1"), "{text}");
    assert_eq!(enabled(&org, &kari), Some(true));
    assert_eq!(enabled(&org, &ingrid), Some(false));
    assert_eq!(enabled(&org, sofia), Some(false), "never enabled: the sync did not disable it");
}

#[tokio::test]
async fn a_person_deleted_from_huma_while_linked_is_a_leaver() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    // A first sync links everyone; then Kari is deleted in Huma.
    let (outcome, text, _) = apply(&org, dir.path(), &[]).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let (kari_huma, kari) = &org.cast.conflicting_title;
    org.huma.delete_user(kari_huma).unwrap();

    let (outcome, text) =
        run(argv(&org, dir.path(), "plan", &["--disable-leavers"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(
        text.contains(&format!("Kari Nordmann (Azure AD {kari}): no longer in Huma")),
        "{text}"
    );

    let (outcome, text, report) = apply(&org, dir.path(), &["--disable-leavers"]).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!(report.counts.disabled_in_idp, 1, "{text}");
    assert_eq!(enabled(&org, kari), Some(false));
}

#[tokio::test]
async fn an_administrator_s_account_refused_with_403_fails_once_then_is_held_back() {
    let org = DemoOrg::start().await;
    let [kari, ingrid] = two_leave(&org);
    org.graph.set_admin(&ingrid, true);
    let dir = tempfile::tempdir().unwrap();

    let (outcome, text, report) = apply(&org, dir.path(), &["--disable-leavers"]).await;
    assert_eq!(outcome, Outcome::SomeFailed, "{text}");
    assert_eq!((report.counts.disabled_in_idp, report.counts.failed), (1, 1), "{text}");
    assert_eq!(enabled(&org, &kari), Some(false));
    assert_ne!(enabled(&org, &ingrid), Some(false), "refused");

    let (outcome, text, report) = apply(&org, dir.path(), &["--disable-leavers"]).await;
    assert_eq!(outcome, Outcome::Done, "held back, not failed: {text}");
    assert_eq!((report.counts.failed, report.counts.held), (0, 1), "{text}");
    let line = text.lines().find(|l| l.contains("Ingrid Hansen: disable the account")).unwrap();
    assert!(line.contains("held back since "), "{line}");
}

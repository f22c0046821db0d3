//! Leavers through the `sync` program against the demo company: people made inactive in the fake
//! Huma are listed by `plan --disable-leavers`, and a plan that would disable more accounts than
//! `--max-disables` writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{argv, run};
use dirsync_examples::connect::fake_secrets;
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
    let (outcome, text) = run(argv(&org, dir.path(), "plan", &[]), fake_secrets()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(!text.contains("Accounts to disable"), "{text}");

    let extra = ["--disable-leavers", "--revoke-sessions"];
    let (outcome, text) = run(argv(&org, dir.path(), "plan", &extra), fake_secrets()).await;
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
    let (outcome, text) = run(argv(&org, dir.path(), "apply", &extra), fake_secrets()).await;
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
        run(argv(&org, dir.path(), "apply", &["--revoke-sessions"]), fake_secrets()).await;
    assert_eq!(outcome, Outcome::Usage, "{text}");
    assert!(text.contains("--disable-leavers"), "{text}");
}

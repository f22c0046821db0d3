//! Records of the wrong shape through the `sync` program against the demo company, in the fake
//! Huma and the fake Graph: one is a finding and takes no writes while the rest syncs; more than
//! 5 % fail the read, writing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{argv, run};
use dirsync_connect::Secrets;
use dirsync_examples::demo::DemoOrg;
use dirsync_examples::run::Outcome;
use serde_json::json;
use testkit::HumaView;

/// Everything that can change in the fakes, to tell that nothing was written.
fn fingerprint(org: &DemoOrg) -> String {
    format!("{:?}{:?}", org.huma.users(), org.graph.users())
}

#[tokio::test]
async fn an_unreadable_huma_user_is_a_finding_takes_no_writes_and_the_rest_syncs() {
    let org = DemoOrg::start().await;
    // Lars's status in Huma is not a boolean.
    let (lars, lars_azure) = &org.cast.conflicting_phone;
    org.huma.set_raw_property(lars, HumaView::Details, "status.active", json!("yes")).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let (outcome, text) =
        run(argv(&org, dir.path(), "plan", &["--prefer", "huma"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let findings = text.split("\nFindings (").nth(1).expect("findings");
    let unreadable: Vec<&str> = findings.lines().filter(|l| l.contains("Unreadable")).collect();
    assert_eq!(unreadable.len(), 1, "{findings}");
    assert!(findings.contains(&format!("Huma returned record {lars}")), "{findings}");
    assert!(findings.contains("status.active"), "what could not be understood: {findings}");
    assert!(!text.contains("Lars Eriksson · Phone number"), "no change planned for him: {text}");

    let before = (org.huma.user(lars).unwrap(), org.graph.user(lars_azure).unwrap());
    let (outcome, text) =
        run(argv(&org, dir.path(), "apply", &["--prefer", "huma"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "a finding fails no run: {text}");
    assert!(text.contains("**Unreadable record**"), "{text}");
    let after = (org.huma.user(lars).unwrap(), org.graph.user(lars_azure).unwrap());
    assert_eq!(after, before, "nothing written to him on either side");
    let (_, kari) = &org.cast.conflicting_title;
    assert_eq!(org.graph.user(kari).unwrap().job_title.as_deref(), Some("Head of Finance"));
}

#[tokio::test]
async fn an_unreadable_azure_ad_user_is_a_finding_and_takes_no_writes() {
    let org = DemoOrg::start().await;
    // Kari's job title at Graph is a number.
    let (_, kari) = &org.cast.conflicting_title;
    org.graph.set_raw_property(kari, "jobTitle", json!(42)).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let (outcome, text) =
        run(argv(&org, dir.path(), "plan", &["--prefer", "huma"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let findings = text.split("\nFindings (").nth(1).expect("findings");
    assert!(findings.contains(&format!("Azure AD returned record {kari}")), "{findings}");
    assert!(findings.contains("Unreadable"), "{findings}");
    assert!(!text.contains("Kari Nordmann · Job title"), "no change planned for her: {text}");

    let before = org.graph.user(kari).unwrap();
    let (outcome, text) =
        run(argv(&org, dir.path(), "apply", &["--prefer", "huma"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!(org.graph.user(kari).unwrap(), before, "nothing written to her");
    let (_, lars) = &org.cast.conflicting_phone;
    assert_eq!(org.graph.user(lars).unwrap().mobile_phone.as_deref(), Some("+46 70 123 45 67"));
}

#[tokio::test]
async fn more_than_5_percent_unreadable_fails_the_read_and_writes_nothing() {
    let org = DemoOrg::start().await;
    // 3 of the demo's 49 Huma users: over 5 %.
    let unreadable =
        [&org.cast.conflicting_phone, &org.cast.conflicting_title, &org.cast.read_only];
    for (huma, _) in unreadable {
        let name = json!(["not", "a", "name"]);
        org.huma.set_raw_property(huma, HumaView::Details, "familyName.value", name).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let before = fingerprint(&org);
    let (outcome, text) =
        run(argv(&org, dir.path(), "apply", &["--prefer", "huma"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("could not be understood (more than 5 %)"), "{text}");
    assert_eq!(fingerprint(&org), before, "nothing was written");
    assert!(!dir.path().join("state.json").exists(), "not even the state");
}

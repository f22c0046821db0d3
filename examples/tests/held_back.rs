//! A write Azure AD refuses for good, through the `sync` program against the demo company: the
//! first run fails it (exit 5), the next holds it back (exit 0, "held back since …"), `sync
//! release ID` lets the run after try it again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{apply_with_report as apply, argv, run};
use dirsync_connect::Secrets;
use dirsync_examples::demo::DemoOrg;
use dirsync_examples::run::Outcome;
use std::path::Path;

/// `sync release <id> --state <dir>/state.json`.
async fn release(dir: &Path, id: &str) -> (Outcome, String) {
    let state = dir.join("state.json");
    let args = ["sync", "release", id, "--state", state.to_str().unwrap()];
    run(args.iter().map(|s| (*s).to_owned()).collect(), Secrets::default()).await
}

#[tokio::test]
async fn a_write_refused_for_good_fails_once_then_is_held_back_until_released() {
    let org = DemoOrg::start().await;
    // Lars holds an admin role in Azure AD: his phone there is refused with a 403 every time.
    let (_, lars) = &org.cast.conflicting_phone;
    org.graph.set_admin(lars, true);
    let phone = org.graph.user(lars).unwrap().mobile_phone;
    let dir = tempfile::tempdir().unwrap();

    // 1. The first refusal is a failure.
    let (outcome, text, report) = apply(&org, dir.path(), &[]).await;
    assert_eq!(outcome, Outcome::SomeFailed, "{text}");
    assert_eq!(report.counts.failed, 1, "{text}");
    assert!(report.held.is_empty(), "{text}");
    // The state file remembers the refused phone as shown to people, and as a value.
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("state.json")).unwrap()).unwrap();
    let remembered = &state["state"]["held"][0];
    assert_eq!(state["format"], 1);
    assert!(remembered["value"].is_string(), "{remembered}");
    assert_eq!(remembered["value_data"]["text"], remembered["value"], "{remembered}");

    // 2. The next run holds it back: nothing failed, so it exits with 0, and says so.
    let (outcome, text, report) = apply(&org, dir.path(), &[]).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!((report.counts.failed, report.counts.held), (0, 1), "{text}");
    let held = &report.held[0];
    assert_eq!(held.name, "Lars Eriksson");
    let line = text.lines().find(|l| l.contains("Lars Eriksson: Phone number")).expect("a line");
    assert!(line.contains("held back since "), "{line}");
    assert!(line.contains(held.id.as_str()), "the id to release it by: {line}");
    assert!(text.contains("sync release ID"), "{text}");
    assert_eq!(org.graph.user(lars).unwrap().mobile_phone, phone, "not written");

    // `plan` shows what an apply would hold back, with the id.
    let (outcome, text) =
        run(argv(&org, dir.path(), "plan", &["--prefer", "huma"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("Held back: 1"), "{text}");
    assert!(text.contains(held.id.as_str()), "{text}");

    // An id that matches nothing is an error that lists what is held back.
    let (outcome, text) = release(dir.path(), "held-0000000000000000").await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("nothing held back"), "{text}");
    assert!(text.contains(held.id.as_str()), "{text}");

    // 3. Released, the next run tries it again: still refused, so it fails again.
    let (outcome, text) = release(dir.path(), held.id.as_str()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("Released 1 held-back write"), "{text}");
    assert!(text.contains("Lars Eriksson: Phone number"), "{text}");
    let (outcome, text, report) = apply(&org, dir.path(), &[]).await;
    assert_eq!(outcome, Outcome::SomeFailed, "tried again: {text}");
    assert_eq!((report.counts.failed, report.counts.held), (1, 0), "{text}");

    // Without the admin role, --retry-held does not wait for the schedule, and the write is made.
    org.graph.set_admin(lars, false);
    let (outcome, text, report) = apply(&org, dir.path(), &[]).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!(report.counts.held, 1, "held back again without --retry-held: {text}");
    let (outcome, text, report) = apply(&org, dir.path(), &["--retry-held"]).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!((report.counts.held, report.counts.updated_in_idp), (0, 1), "{text}");
    assert_ne!(org.graph.user(lars).unwrap().mobile_phone, phone, "written at last");
}

#[tokio::test]
async fn release_without_a_state_file_says_which_file_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, text) = release(dir.path(), "held-0000000000000000").await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("--state"), "{text}");
    assert!(!dir.path().join("state.json").exists(), "nothing is created");
}

#[tokio::test]
async fn values_either_side_refuses_per_user_are_held_back_after_one_failed_run() {
    let org = DemoOrg::start().await;
    // Azure AD refuses Ingrid's phone (400), Huma refuses Mikko's address (400).
    let (_, ingrid) = &org.cast.missing_phone;
    let message = "Invalid value specified for property 'mobilePhone' of resource 'User'.";
    org.graph.refuse_writes(ingrid, 400, "Request_BadRequest", message).unwrap();
    let (mikko, _) = &org.cast.missing_address;
    let refusal = serde_json::json!({
        "errorCode": "field:invalid-format",
        "errorMessage": "Invalid field format",
        "fields": ["address"],
    });
    org.huma.fail_writes(mikko, 400, refusal).unwrap();
    let dir = tempfile::tempdir().unwrap();

    let (outcome, text, report) = apply(&org, dir.path(), &[]).await;
    assert_eq!(outcome, Outcome::SomeFailed, "{text}");
    assert_eq!(report.counts.failed, 2, "{text}");

    let (outcome, text, report) = apply(&org, dir.path(), &[]).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!((report.counts.failed, report.counts.held), (0, 2), "{text}");
    let names: Vec<&str> = report.held.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["Ingrid Hansen", "Mikko Lahtinen"], "{text}");
    for name in names {
        let line = text.lines().find(|l| l.starts_with(&format!("- {name}: "))).unwrap();
        assert!(line.contains("held back since "), "{line}");
    }
}

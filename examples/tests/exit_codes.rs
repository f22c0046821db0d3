//! Every exit code of `sync plan` / `sync apply`, through the program's own entry point against the
//! fakes seeded with the demo company.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{argv, run};
use dirsync_connect::Secrets;
use dirsync_examples::demo::{DOMAIN, DemoOrg};
use dirsync_examples::run::{Captured, Console, Outcome, main_with};
use huma_api::SecretString;

/// Everything that can change in the fakes, to tell that nothing was written.
fn fingerprint(org: &DemoOrg) -> String {
    format!("{:?}{:?}", org.huma.users(), org.graph.users())
}

const CREATE: [&str; 4] = ["--create-in-azure", "all", "--upn-domain", DOMAIN];

#[tokio::test]
async fn exit_0_when_everything_is_done() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mut extra = vec!["--prefer", "huma", "--report-json", report.to_str().unwrap()];
    extra.extend(CREATE);
    let (outcome, text) = run(argv(&org, dir.path(), "apply", &extra), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(json["counts"]["created_in_idp"], 3);
    assert_eq!(json["counts"]["failed"], 0);

    // The plan afterwards: nothing to write, and `plan` itself ends with 0 and writes nothing.
    let before = fingerprint(&org);
    let (outcome, text) =
        run(argv(&org, dir.path(), "plan", &["--json"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let plan: dirsync::plan::Plan =
        serde_json::from_str(&text).expect("plan --json prints only JSON");
    assert_eq!(plan.summary().conflicts, 0);
    let (outcome, text) = run(argv(&org, dir.path(), "plan", &[]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("people paired:              49"), "{text}");
    assert!(text.contains("This was a plan only: nothing was written."), "{text}");
    assert_eq!(fingerprint(&org), before);
}

#[tokio::test]
async fn exit_1_when_azure_refuses_the_client_secret() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets {
        azure_client_secret: Some(SecretString::from("not-the-secret-value")),
        ..Secrets::for_fakes()
    };
    let before = fingerprint(&org);
    let (outcome, text) =
        run(argv(&org, dir.path(), "apply", &["--prefer", "huma"]), secrets).await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("AADSTS7000215"), "the reason is given: {text}");
    assert!(!text.contains("not-the-secret-value"), "the secret is never echoed: {text}");
    assert_eq!(fingerprint(&org), before);
}

#[tokio::test]
async fn exit_1_when_a_secret_is_missing() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets { huma_client_secret: None, ..Secrets::for_fakes() };
    let (outcome, text) = run(argv(&org, dir.path(), "plan", &[]), secrets).await;
    assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
    assert!(text.contains("HUMA_CLIENT_SECRET"), "{text}");
}

#[tokio::test]
async fn exit_2_for_a_bad_command_line() {
    for bad in [
        vec!["sync", "apply", "--prefer", "hr"],
        vec!["sync", "apply", "--no-such-flag"],
        vec!["sync", "upload"],
        vec!["sync", "apply", "--max-changes", "many"],
        vec!["sync", "apply", "--huma-groups", "admins"],
    ] {
        let (outcome, text) =
            run(bad.iter().map(|s| (*s).to_owned()).collect(), Secrets::default()).await;
        assert_eq!(outcome, Outcome::Usage, "{bad:?}: {text}");
    }
    let (outcome, text) = run(vec!["sync".into(), "--help".into()], Secrets::default()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("plan"), "{text}");
}

#[tokio::test]
async fn exit_2_for_a_creation_in_azure_without_a_domain() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let args = argv(&org, dir.path(), "apply", &["--prefer", "huma", "--create-in-azure", "all"]);
    let (outcome, text) = run(args, Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Usage, "{text}");
    assert!(text.contains("--upn-domain"), "{text}");
}

#[tokio::test]
async fn exit_2_for_a_bad_decisions_file_naming_the_line() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("decisions.json");
    let before = fingerprint(&org);

    std::fs::write(&file, "{\n  \"chg-0000000000000000\": \"maybe\"\n}\n").unwrap();
    let (outcome, text) = run(
        argv(&org, dir.path(), "apply", &["--decisions", file.to_str().unwrap()]),
        Secrets::for_fakes(),
    )
    .await;
    assert_eq!(outcome, Outcome::Usage, "{text}");
    assert!(text.contains("decisions.json:2:"), "{text}");

    std::fs::write(&file, "{\n\n  \"chg-0000000000000000\": \"huma\"\n}\n").unwrap();
    let (outcome, text) = run(
        argv(&org, dir.path(), "apply", &["--decisions", file.to_str().unwrap()]),
        Secrets::for_fakes(),
    )
    .await;
    assert_eq!(outcome, Outcome::Usage, "{text}");
    assert!(text.contains("decisions.json:3:") && text.contains("no item"), "{text}");
    assert_eq!(fingerprint(&org), before);
}

#[tokio::test]
async fn exit_3_when_conflicts_are_pending_and_nobody_can_be_asked() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let before = fingerprint(&org);
    let (outcome, text) = run(argv(&org, dir.path(), "apply", &[]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Pending, "{text}");
    assert!(text.contains("3 decision(s) are pending"), "{text}");
    assert!(text.contains("Kari Nordmann · Job title"), "the pending items are listed: {text}");
    assert_eq!(fingerprint(&org), before, "nothing was written");
    assert!(!dir.path().join("state.json").exists(), "not even the state");
}

#[tokio::test]
async fn pending_conflicts_are_settled_by_a_decisions_file() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, text) =
        run(argv(&org, dir.path(), "plan", &["--json"]), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let plan: dirsync::plan::Plan = serde_json::from_str(&text).unwrap();
    let decisions: serde_json::Map<String, serde_json::Value> = plan
        .pending()
        .into_iter()
        .map(|id| (id.to_string(), serde_json::Value::String("azure".into())))
        .collect();
    let file = dir.path().join("decisions.json");
    std::fs::write(&file, serde_json::to_string_pretty(&decisions).unwrap()).unwrap();

    // Azure AD's job title for Kari does not exist in Huma yet: it is created there.
    let args = argv(
        &org,
        dir.path(),
        "apply",
        &["--decisions", file.to_str().unwrap(), "--create-job-titles"],
    );
    let (outcome, text) = run(args, Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let (h, _) = &org.cast.conflicting_phone;
    assert_eq!(org.huma.user(h).unwrap().phone.as_deref(), Some("+46 70 765 43 21"));
}

#[tokio::test]
async fn in_a_terminal_each_conflict_is_asked_about() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let captured = Captured::default();
    let mut console = Console {
        out: Box::new(captured.clone()),
        err: Box::new(captured.clone()),
        // An answer that is not understood is asked again; then Huma, Azure AD, skip.
        input: Some(Box::new(std::io::Cursor::new("x\nh\na\ns\n"))),
        progress: false,
    };
    let args = argv(&org, dir.path(), "apply", &["--create-job-titles"]);
    let outcome = main_with(args, Secrets::for_fakes(), &mut console).await;
    let text = captured.text();
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("[h]uma / [a]zure / [s]kip"), "{text}");
    assert!(text.contains("please answer"), "{text}");
    // Plan order: Aino's family name (h), Kari's job title (a), Lars's phone (s).
    let (ha, aa) = &org.cast.conflicting_name;
    assert_eq!(org.graph.user(aa).unwrap().surname.as_deref(), Some("Virtanen-Korhonen"));
    assert_eq!(org.huma.user(ha).unwrap().family_name, "Virtanen-Korhonen");
    let (_, ak) = &org.cast.conflicting_title;
    assert_eq!(org.graph.user(ak).unwrap().job_title.as_deref(), Some("Finance Manager"));
    let (hk, _) = &org.cast.conflicting_title;
    let kari = org.huma.user(hk).unwrap();
    let title = kari.current_position().and_then(|p| p.title.clone()).map(|t| t.name);
    assert_eq!(title.as_deref(), Some("Finance Manager"));
    let (hl, al) = &org.cast.conflicting_phone;
    assert_eq!(org.graph.user(al).unwrap().mobile_phone.as_deref(), Some("+46 70 765 43 21"));
    assert_eq!(org.huma.user(hl).unwrap().phone.as_deref(), Some("+46 70 123 45 67"));
}

#[tokio::test]
async fn exit_4_over_the_safety_threshold_writes_nothing() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let before = fingerprint(&org);
    let args = argv(&org, dir.path(), "apply", &["--prefer", "huma", "--max-changes", "1"]);
    let (outcome, text) = run(args, Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::OverThreshold, "{text}");
    assert!(text.contains("--max-changes 1"), "{text}");
    assert_eq!(fingerprint(&org), before, "nothing was written");
}

#[tokio::test]
async fn exit_5_when_a_write_fails_and_the_report_says_which() {
    let org = DemoOrg::start().await;
    // Lars holds an admin role in Azure AD: changing his phone there is refused with a 403 every
    // time, while every other write goes through.
    let (_, lars) = &org.cast.conflicting_phone;
    org.graph.set_admin(lars, true);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let html = dir.path().join("report.html");
    let args = argv(
        &org,
        dir.path(),
        "apply",
        &[
            "--prefer",
            "huma",
            "--report-json",
            report.to_str().unwrap(),
            "--report-html",
            html.to_str().unwrap(),
        ],
    );
    let (outcome, text) = run(args, Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::SomeFailed, "{text}");
    let report: dirsync::report::Report =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1, "{text}");
    assert_eq!(failures[0].name, "Lars Eriksson");
    assert_eq!(report.counts.updated_in_idp, 5, "the other writes were made");
    let (_, kari) = &org.cast.conflicting_title;
    assert_eq!(org.graph.user(kari).unwrap().job_title.as_deref(), Some("Head of Finance"));
    assert!(std::fs::read_to_string(&html).unwrap().contains("Lars Eriksson"));
    assert!(dir.path().join("state.json").exists(), "the state is saved for the writes made");
}

#[tokio::test]
async fn the_report_email_is_sent_after_apply_and_a_failed_email_never_changes_the_exit_code() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let sender = org.graph.users()[0].user_principal_name.clone().unwrap();
    let mut extra =
        vec!["--prefer", "huma", "--email-to", "it@example.com", "--email-via", "graph"];
    extra.extend(["--email-from", sender.as_str()]);
    extra.extend(CREATE);
    let (outcome, text) = run(argv(&org, dir.path(), "apply", &extra), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let sent = org.graph.sent_mail();
    assert_eq!(sent.len(), 1, "{text}");
    assert_eq!(sent[0].to, ["it@example.com"]);
    assert!(sent[0].subject.contains("Huma"), "{}", sent[0].subject);

    // Without the Mail.Send permission the email fails, the run does not.
    org.graph.set_mail_send_permission(false);
    let extra = ["--prefer", "huma", "--email-to", "it@example.com", "--email-via", "graph"];
    let mut extra = extra.to_vec();
    extra.extend(["--email-from", sender.as_str()]);
    let (outcome, text) = run(argv(&org, dir.path(), "apply", &extra), Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("Mail.Send"), "the warning says what to grant: {text}");
    assert_eq!(org.graph.sent_mail().len(), 1);
}

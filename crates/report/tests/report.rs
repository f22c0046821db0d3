//! The report: exact Markdown, HTML and email for a run with every kind of outcome, escaping,
//! JSON.
//!
//! The expected renderings live in `tests/snapshots/`; run with `UPDATE_SNAPSHOTS=1` to rewrite
//! them after a deliberate change, and review the difference.

use async_trait::async_trait;
use dirsync::{
    apply::{ApplyError, ApplyOptions, DirectoryPair, apply},
    directory::{
        DirectoryError, ErrorKind, FieldChange, InMemoryDirectory, InvalidValue, Record, RecordId,
        Snapshot,
    },
    model::{Address, Field, Person},
    plan::reconcile,
    policy::{ConflictRule, CreationRule, Policy},
    report::Report,
    store::SyncState,
};
use dirsync_report::ReportEmail;
use std::collections::BTreeSet;
use std::path::PathBuf;
use testkit::{Intercept, Intercepted};

/// Compares `actual` with the snapshot file `name`, or rewrites it when `UPDATE_SNAPSHOTS=1`.
fn assert_snapshot(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("folder created");
        std::fs::write(&path, actual).expect("snapshot written");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {}: {e}; run with UPDATE_SNAPSHOTS=1 to create it", path.display())
    });
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .map_or_else(|| "the end".to_owned(), |i| format!("line {}", i + 1));
        panic!(
            "{name} differs from the snapshot from {line}; if the change is intended, rerun \
             with UPDATE_SNAPSHOTS=1 and review the diff\n--- actual ---\n{actual}"
        );
    }
}

/// Writes a directory refuses, by choice.
struct Refusing {
    refuse_update_of: Option<RecordId>,
    refuse_creates: bool,
}

#[async_trait]
impl Intercept for Refusing {
    async fn before_create(&self, _: &Person) -> Result<(), DirectoryError> {
        if self.refuse_creates {
            return Err(DirectoryError::new(
                ErrorKind::Authentication,
                "the API key was revoked: create a new API key and reconnect",
            ));
        }
        Ok(())
    }

    async fn before_update(&self, id: &RecordId, _: &[FieldChange]) -> Result<(), DirectoryError> {
        if self.refuse_update_of.as_ref() == Some(id) {
            return Err(DirectoryError::new(
                ErrorKind::PermissionDenied,
                format!("Insufficient privileges to update {id} (Authorization_RequestDenied)"),
            ));
        }
        Ok(())
    }
}

const SCRIPT_NAME: &str = "<script>alert(\"x\")</script>";

fn hr_records() -> Vec<Record> {
    let p = |email: &str, id: &str| Person::new().with_email(email).with_employment_id(id);
    vec![
        Record::new(
            "h1",
            p("ada@example.com", "E1")
                .with_given_name("Ada")
                .with_family_name("Lovelace")
                .with_job_title("CTO")
                .with_phone("+47 100"),
        ),
        Record::new("h2", p("alan@example.com", "E2").with_given_name("Alan")),
        Record::new(
            "h3",
            p("grace@example.com", "E3").with_given_name("Grace").with_family_name("Hopper"),
        ),
        Record::new(
            "h4",
            p("s@example.com", "E4").with_given_name(SCRIPT_NAME).with_job_title("R&D | *lead*"),
        ),
        Record::new("h5", p("linus@example.com", "E5").with_given_name("Linus")),
        Record::new(
            "h6",
            p("barbara@example.com", "E6").with_given_name("Barbara").with_phone("+1 555"),
        ),
    ]
}

fn idp_records() -> Vec<Record> {
    let p = |email: &str, id: &str| Person::new().with_email(email).with_employment_id(id);
    vec![
        Record::new(
            "a1",
            p("ada@example.com", "E1")
                .with_given_name("Ada")
                .with_family_name("Lovelace")
                .with_job_title("Engineer"),
        )
        .read_only(Field::Phone),
        Record::new(
            "a2",
            p("alan@example.com", "E2")
                .with_given_name("Alan")
                .with_phone("+47 200")
                .with_address(Address::new("Storgata 1", "0150", "Oslo", None)),
        )
        .with_invalid(InvalidValue::new(
            Field::Address,
            "Norway",
            "country \"Norway\" is not an ISO 3166-1 alpha-2 code; did you mean NO?",
        )),
        Record::new(
            "a4",
            p("s@example.com", "E4").with_given_name(SCRIPT_NAME).with_job_title("Researcher"),
        ),
        Record::new(
            "a5",
            Person::new().with_email("margaret@example.com").with_given_name("Margaret"),
        ),
        Record::new("a6", Person::new().with_email("ken@example.com").with_given_name("Ken")),
        Record::new("a7", Person::new().with_email("kim@example.com").with_given_name("Kim")),
        Record::new(
            "a8",
            p("barbara@example.com", "E6").with_given_name("Barbara").with_phone("+1 666"),
        ),
    ]
}

fn policy() -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        create_in_idp: CreationRule::All,
        create_in_hr: CreationRule::Selected(BTreeSet::from(["a5".into(), "a6".into()])),
        ..Policy::default()
    }
    .with_conflict_rule(Field::Phone, ConflictRule::Skip)
}

/// A run with every outcome: updates done on both sides, a create done, a create skipped because
/// the person appeared meanwhile, a write the target refuses, a value the target marks read-only,
/// an invalid country, a conflict and a creation left alone by the policy, refused credentials,
/// and a write not attempted after them.
async fn every_outcome() -> Report {
    let hr = Intercepted::new(
        InMemoryDirectory::new(hr_records()).with_name("Huma"),
        Refusing { refuse_update_of: None, refuse_creates: true },
    );
    let idp = Intercepted::new(
        InMemoryDirectory::new(idp_records()).with_name("Azure AD"),
        Refusing { refuse_update_of: Some("a4".into()), refuse_creates: false },
    );
    let mut state = SyncState::new();
    let plan = reconcile(
        &Snapshot::read(&hr).await.expect("read"),
        &Snapshot::read(&idp).await.expect("read"),
        &state,
        &policy(),
    );
    // Linus appears in the directory after the plan was made.
    idp.inner.put(Record::new("a9", Person::new().with_email("LINUS@example.com")));
    let options = ApplyOptions { concurrency: 1, ..ApplyOptions::default() };
    match apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &options).await {
        Err(ApplyError::Fatal { report, .. }) => report
            .with_title("Huma and Azure AD: people synchronised")
            .with_generated_at(chrono::DateTime::from_timestamp(1_795_698_000, 0).expect("a time")),
        other => panic!("expected the run to stop on the refused credentials, got {other:?}"),
    }
}

#[tokio::test]
async fn the_report_counts_every_kind_of_outcome() {
    let report = every_outcome().await;
    let c = report.counts;
    assert_eq!(
        (c.updated_in_hr, c.updated_in_idp, c.created_in_hr, c.created_in_idp),
        (1, 1, 0, 1)
    );
    assert_eq!((c.skipped, c.failed, c.not_attempted, c.findings), (5, 2, 1, 1));
    let labels: Vec<(&str, &str)> =
        report.operations.iter().map(|o| (o.name.as_str(), o.outcome.label())).collect();
    assert_eq!(
        labels,
        vec![
            (SCRIPT_NAME, "failed"),
            ("Ada Lovelace", "done"),
            ("Alan", "done"),
            ("Grace Hopper", "done"),
            ("Ken", "not attempted"),
            ("Linus", "skipped"),
            ("Margaret", "failed"),
        ]
    );
}

#[tokio::test]
async fn the_markdown_report_matches_its_snapshot() {
    let report = every_outcome().await;
    assert_snapshot("report_every_outcome.md", &dirsync_report::markdown(&report));
}

#[tokio::test]
async fn the_html_report_matches_its_snapshot() {
    let report = every_outcome().await;
    assert_snapshot("report_every_outcome.html", &dirsync_report::html(&report));
}

#[tokio::test]
async fn the_html_report_is_self_contained_and_escapes_every_value() {
    let html = dirsync_report::html(&every_outcome().await);
    assert!(!html.contains("<script"), "a raw script tag");
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(html.contains("R&amp;D | *lead*"));
    for external in ["src=", "href=", "<link", "url(", "@import"] {
        assert!(!html.contains(external), "the page loads something: {external}");
    }
    assert!(html.starts_with("<!DOCTYPE html>\n"));
    assert!(html.ends_with("</html>\n"));
}

#[tokio::test]
async fn the_markdown_report_escapes_every_value() {
    let md = dirsync_report::markdown(&every_outcome().await);
    assert!(!md.replace("\\<", "").contains('<'), "an unescaped <");
    assert!(md.contains("\\<script\\>alert(\"x\")\\</script\\>"));
    assert!(md.contains("R\\&D \\| \\*lead\\*"));
}

#[tokio::test]
async fn the_report_round_trips_through_json() {
    let report = every_outcome().await;
    let json = serde_json::to_value(&report).expect("serialised");
    assert_eq!(json["counts"]["failed"], 2);
    assert_eq!(json["title"], "Huma and Azure AD: people synchronised");
    let failed = &json["operations"][0];
    assert_eq!(failed["outcome"]["status"], "failed");
    assert_eq!(failed["outcome"]["kind"], "permission denied");
    let back: Report = serde_json::from_value(json).expect("deserialised");
    assert_eq!(back, report);
}

#[tokio::test]
async fn the_report_does_not_depend_on_the_order_writes_end_in() {
    let run = |concurrency: usize| async move {
        let hr = InMemoryDirectory::new(hr_records());
        let idp = InMemoryDirectory::new(idp_records());
        let mut state = SyncState::new();
        let plan = reconcile(
            &Snapshot::read(&hr).await.expect("read"),
            &Snapshot::read(&idp).await.expect("read"),
            &state,
            &policy(),
        );
        let options = ApplyOptions { concurrency, ..ApplyOptions::default() };
        apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &options).await.expect("applied")
    };
    let one = run(1).await;
    let many = run(8).await;
    assert_eq!(one, many);
    assert_eq!(dirsync_report::markdown(&one), dirsync_report::markdown(&many));
    assert_eq!(dirsync_report::html(&one), dirsync_report::html(&many));
}

#[test]
fn an_empty_run_says_nothing_needed_to_change() {
    let md = dirsync_report::markdown(&Report::default());
    assert!(md.starts_with("# Sync report\n"), "{md}");
    assert!(md.ends_with("Nothing needed to change.\n\n"), "{md}");
    assert!(dirsync_report::html(&Report::default()).contains("<p>Nothing needed to change.</p>"));
}

/// The run with every outcome, as its email: timed, for an organisation.
async fn every_outcome_email() -> dirsync::mail::Email {
    let started = chrono::DateTime::parse_from_rfc3339("2026-11-26T13:00:00Z")
        .expect("a time")
        .with_timezone(&chrono::Utc);
    let report = every_outcome().await.with_run_time(started, std::time::Duration::from_secs(125));
    ReportEmail::new(&report)
        .with_organisation("Example AS")
        .to_email("sync@example.com", ["hr@example.com"])
}

#[tokio::test]
async fn the_email_text_part_matches_its_snapshot() {
    let email = every_outcome_email().await;
    assert_eq!(
        email.subject,
        "Huma ↔ Azure AD sync for Example AS: stopped early, 2 failed, 1 not attempted, 2 updated, 1 created, 1 finding"
    );
    assert_snapshot("email_every_outcome.txt", &email.text);
}

#[tokio::test]
async fn the_email_html_part_matches_its_snapshot() {
    let email = every_outcome_email().await;
    assert_snapshot("email_every_outcome.html", &email.html);
}

#[tokio::test]
async fn the_email_puts_attention_first_and_says_what_to_do() {
    let email = every_outcome_email().await;
    for part in [&email.text, &email.html] {
        let lower = part.to_lowercase();
        let at = |needle: &str| lower.find(needle).unwrap_or_else(|| panic!("{needle} in {part}"));
        assert!(at("failed (") < at("in numbers"), "attention before the counts");
        assert!(at("in numbers") < at("changes made"), "the counts before the changes");
        assert!(
            part.contains("the integration may not write this; grant the permission"),
            "{part}"
        );
        assert!(part.contains("Started 2026-11-26 13:00 UTC, took 2 min 5 s."));
        assert!(part.contains("Example AS"));
    }
}

#[tokio::test]
async fn the_email_html_is_self_contained_and_escapes_every_value() {
    let html = every_outcome_email().await.html;
    assert!(!html.contains("<script"), "a raw script tag");
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    for external in ["src=", "href=", "<link", "url(", "@import", "<style"] {
        assert!(!html.contains(external), "the email loads or styles from elsewhere: {external}");
    }
}

#[tokio::test]
async fn the_email_attaches_every_change_as_csv_and_the_report_as_json() {
    let email = every_outcome_email().await;
    let names: Vec<&str> = email.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["changes.csv", "report.json"]);
    let csv = String::from_utf8(email.attachments[0].bytes.clone()).expect("utf-8");
    assert!(csv.starts_with("Person,System,Write,Field,Before,After,Outcome,Details,What to do\n"));
    assert!(csv.contains("Ada Lovelace,Azure AD,update,Job title,Engineer,CTO,done,,"), "{csv}");
    let report: Report = serde_json::from_slice(&email.attachments[1].bytes).expect("the report");
    assert_eq!(report.counts.failed, 2);
}

/// 10,000 people, 800 of them changed: the email shows the first changes and counts the rest.
#[test]
fn a_big_run_gives_a_short_email_with_the_rest_attached() {
    let mut report =
        Report { names: dirsync::model::Names::new("Huma", "Azure AD"), ..Report::default() };
    for i in 0..800 {
        report.operations.push(dirsync::report::OperationReport {
            action: dirsync::report::Action::Update,
            target: dirsync::model::Side::Idp,
            name: format!("Person {i:05}"),
            hr: Some(format!("h{i}").into()),
            idp: Some(format!("a{i}").into()),
            fields: vec![dirsync::report::FieldReport {
                field: Field::JobTitle,
                from: Some(dirsync::model::FieldValue::Text("Engineer".into())),
                to: dirsync::model::FieldValue::Text("Senior engineer".into()),
            }],
            reason: None,
            outcome: dirsync::report::Outcome::Done,
        });
    }
    report.counts.updated_in_idp = 800;
    let email = ReportEmail::new(&report).to_email("sync@example.com", ["hr@example.com"]);
    assert_eq!(email.subject, "Huma ↔ Azure AD sync: 800 updated");
    assert!(
        email.text.contains("... and 775 more change(s) for 775 more person(s)"),
        "{}",
        email.text
    );
    assert!(email.text.lines().count() < 120, "{} lines", email.text.lines().count());
    assert!(email.html.len() < 40_000, "{} bytes of HTML", email.html.len());
    assert!(email.text.contains("Person 00024") && !email.text.contains("Person 00025"));
    let csv = &email.attachments[0];
    assert_eq!(csv.name, "changes.csv");
    assert_eq!(String::from_utf8_lossy(&csv.bytes).lines().count(), 801);
}

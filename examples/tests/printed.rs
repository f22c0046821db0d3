//! What the programs print and write for a person: the plan, whose pending items and people not
//! created say which flags settle them, and the demo's report email as an `.eml` file.

use dirsync::report::Report;
use dirsync::{
    directory::{Record, Snapshot},
    model::Person,
    plan::reconcile,
    policy::Policy,
    store::SyncState,
};
use dirsync_examples::demo::write_eml;
use dirsync_examples::plan_view;

#[test]
fn a_pending_item_and_one_not_created_say_which_flags_settle_them() {
    let hr = Snapshot::new(vec![
        Record::new("h1", Person::new().with_email("a@x.no").with_phone("+47 1")),
        Record::new("h2", Person::new().with_email("new@x.no")),
    ]);
    let idp = Snapshot::new(vec![Record::new(
        "a1",
        Person::new().with_email("a@x.no").with_phone("+47 2"),
    )]);
    let plan = reconcile(&hr, &idp, &SyncState::new(), &Policy::default());
    let mut out = Vec::new();
    plan_view::view(&plan).write(&mut out).expect("writes");
    let text = String::from_utf8(out).expect("utf-8");
    let decide = "decide with --prefer, --decisions FILE, or answer in a terminal";
    assert!(text.contains(&format!("PENDING: {decide}")), "{text}");
    assert!(text.contains("not created: listed for you to choose (--create-in-idp all"), "{text}");
}

fn failed_report() -> Report {
    let mut report = Report::default();
    report.counts.failed = 1;
    report
}

#[test]
fn the_demo_email_is_written_as_an_eml_file() {
    let folder = tempfile::tempdir().expect("a folder");
    let path = folder.path().join("report.eml");
    let said = write_eml(
        &failed_report(),
        "Nordlys AS",
        "dirsync@nordlys.example",
        "hr@nordlys.example",
        &path,
    );
    assert!(said.contains("1 failed"), "{said}");
    let eml = std::fs::read_to_string(&path).expect("written");
    assert!(eml.contains("multipart/alternative") && eml.contains("report.json"), "{eml}");
}

//! The demonstration: the made-up company "Nordlys AS" of `testkit::demo` (about 50 people with
//! every case a real sync meets) synchronised twice against the fakes: people only in Huma are
//! created in Azure AD, one with an employment id too long for Azure AD (left out, and said so);
//! people only in Azure AD are listed, not created in Huma.

use crate::run::{Console, Mode, Outcome, say, sync};
use dirsync::{apply::ApplyOptions, report::Report};
use dirsync_connect::{Directories, NewPeople, SyncSetup};
use dirsync_report::ReportEmail;
use std::path::{Path, PathBuf};

pub use testkit::demo::{Cast, DOMAIN, DemoOrg, seed};

/// The two directories, pointed at the demo company's fakes.
pub fn directories(org: &DemoOrg) -> Directories {
    Directories::for_fakes(&org.graph, &org.huma, &new_people())
}

/// How new people are made in the demo.
pub fn new_people() -> NewPeople {
    NewPeople { upn_domain: DOMAIN.to_owned(), huma_groups: Vec::new(), create_job_titles: true }
}

/// The settings of one demo run.
pub fn settings(state: &Path, report_html: Option<PathBuf>) -> SyncSetup {
    SyncSetup {
        policy: testkit::demo::policy(),
        decisions: None,
        state: dirsync_connect::StateLocation::File(state.to_owned()),
        report_json: None,
        report_html,
        title: "Nordlys AS (demo): Huma and Azure AD synchronised".to_owned(),
        apply: ApplyOptions::default(),
    }
}

/// Runs the demo over a seeded company: the first sync (plan, apply with progress, report, HTML
/// report), then a second sync that shows nothing is left to do.
pub async fn run(
    org: &DemoOrg,
    state: &Path,
    report_html: &Path,
    console: &mut Console,
) -> Outcome {
    let directories = directories(org);
    say!(
        console.out,
        "dirsync demo: Nordlys AS, {} people in Huma, {} in Azure AD",
        org.huma.user_count(),
        org.graph.user_count()
    );
    say!(
        console.out,
        "  fake Huma at {}, fake Microsoft Graph at {}",
        org.huma.uri(),
        org.graph.uri()
    );
    say!(console.out, "  state file: {}", state.display());
    say!(
        console.out,
        "  settings: Huma wins conflicts, missing values are filled, people only in Huma are \
         created in Azure AD (as alias@{DOMAIN}), people only in Azure AD are listed for you to \
         choose (as Huma does) and not created"
    );
    say!(console.out);
    say!(console.out, "== First sync ==");
    let first =
        sync(&directories, &settings(state, Some(report_html.to_owned())), Mode::Apply, console)
            .await;
    if first.outcome != Outcome::Done {
        say!(console.err, "the demo's first sync did not finish: {:?}", first.outcome);
        return first.outcome;
    }
    // The email `--email-to` would send, beside the HTML report: open it in a mail program.
    if let Some(report) = &first.report {
        let (from, to) = (format!("dirsync@{DOMAIN}"), format!("hr@{DOMAIN}"));
        let eml = report_html.with_file_name("report.eml");
        say!(console.out, "{}", write_eml(report, "Nordlys AS", &from, &to, &eml));
    }

    say!(console.out);
    say!(console.out, "== Second sync: is anything left to do? ==");
    // The second run's plan is printed briefly: the first run printed every detail already.
    let (mut quiet, _) = Console::captured();
    let second =
        sync(&directories, &settings(state, None), Mode::Plan { json: false }, &mut quiet).await;
    let Some(plan) = second.plan else {
        say!(console.err, "the demo's second sync could not read the plan: {:?}", second.outcome);
        return second.outcome;
    };
    let s = plan.summary();
    say!(
        console.out,
        "{} people paired, {} conflicts, {} people to create",
        s.pairs,
        s.conflicts,
        s.create_in_hr + s.create_in_idp - count_not_created(&plan)
    );
    match plan.operations().map(|ops| ops.operations.len()) {
        Ok(0) => {
            say!(
                console.out,
                "Nothing left to do: 0 writes. Left as they are, with the reasons in the report:"
            );
            let _ = crate::plan_view::view(&plan).write_remaining(&mut console.out);
            Outcome::Done
        }
        Ok(n) => {
            say!(
                console.err,
                "the second sync still wants {n} write(s): the first did not settle everything"
            );
            Outcome::SomeFailed
        }
        Err(pending) => {
            say!(console.err, "the second sync has pending decisions: {pending}");
            Outcome::Pending
        }
    }
}

fn count_not_created(plan: &dirsync::plan::Plan) -> usize {
    plan.creations
        .iter()
        .filter(|c| c.settled.map(|s| s.decision) != Some(dirsync::plan::Decision::Create))
        .count()
}

/// `cargo run --example sync` without arguments: start the fakes, run the demo, write
/// `report.html` and `report.eml` (the report email) in the current directory and the state in a
/// fresh temporary directory, kept for a look afterwards.
pub async fn main(console: &mut Console) -> Outcome {
    let org = DemoOrg::start().await;
    let state_dir = match tempfile::Builder::new().prefix("dirsync-demo-").tempdir() {
        Ok(dir) => dir.keep(),
        Err(e) => {
            say!(console.err, "error: cannot create a temporary directory: {e}");
            return Outcome::CouldNotRun;
        }
    };
    let state = state_dir.join("dirsync-state.json");
    run(&org, &state, Path::new("report.html"), console).await
}

/// Writes `report`'s email to `path` as an `.eml` file a mail program opens (the demo's way of
/// showing it), and says where.
pub fn write_eml(report: &Report, organisation: &str, from: &str, to: &str, path: &Path) -> String {
    let email = ReportEmail::new(report).with_organisation(organisation).to_email(from, [to]);
    let written = dirsync_smtp::to_eml(&email)
        .map_err(|e| e.to_string())
        .and_then(|eml| std::fs::write(path, eml).map_err(|e| e.to_string()));
    match written {
        Ok(()) => format!("Report email ({}) written to {}", email.subject, path.display()),
        Err(e) => format!("warning: cannot write the report email to {}: {e}", path.display()),
    }
}

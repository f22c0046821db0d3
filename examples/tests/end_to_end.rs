//! The demo's code path end to end against the fakes: plan → apply → a second plan with nothing
//! to write, then the final state of both fakes, field by field, for the people each case is about.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use dirsync::{
    model::{Field, FieldValue},
    plan::{Decision, Plan},
};
use dirsync_examples::demo::{self, DOMAIN, DemoOrg};
use dirsync_examples::run::{Console, Mode, Outcome, sync};
use testkit::{GraphUser, HumaAddress, HumaUser};

fn huma_user(org: &DemoOrg, id: &str) -> HumaUser {
    org.huma.user(id).unwrap_or_else(|| panic!("Huma has user {id}"))
}

fn azure_user(org: &DemoOrg, id: &str) -> GraphUser {
    org.graph.user(id).unwrap_or_else(|| panic!("Azure AD has user {id}"))
}

fn title(user: &HumaUser) -> Option<String> {
    user.current_position().and_then(|p| p.title.as_ref()).map(|t| t.name.clone())
}

fn writes(plan: &Plan) -> usize {
    plan.operations().expect("settled").operations.len()
}

#[tokio::test]
async fn the_demo_syncs_every_case_and_a_second_run_has_nothing_to_write() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let html = dir.path().join("report.html");
    let huma_before = org.huma.user_count();
    let azure_before = org.graph.user_count();
    let directories = demo::directories(&org);

    // First run: the plan holds every case, settled by the demo's policy.
    let (mut console, output) = Console::captured();
    let first =
        sync(&directories, &demo::settings(&state, Some(html.clone())), Mode::Apply, &mut console)
            .await;
    assert_eq!(first.outcome, Outcome::Done, "{}", output.text());
    let plan = first.plan.unwrap();
    let s = plan.summary();
    assert_eq!((s.conflicts, s.missing, s.create_in_idp, s.pending), (3, 6, 3, 0));
    let report = first.report.unwrap();
    assert_eq!(report.counts.created_in_idp, 3);
    assert_eq!(report.counts.updated_in_idp, 6);
    assert_eq!(report.counts.updated_in_hr, 1);
    assert_eq!(report.counts.failed, 0);
    assert!(std::fs::read_to_string(&html).unwrap().contains("Kari Nordmann"));
    assert!(state.exists());

    // Second run: nothing to write.
    let (mut console, output) = Console::captured();
    let second =
        sync(&directories, &demo::settings(&state, None), Mode::Plan { json: false }, &mut console)
            .await;
    assert_eq!(second.outcome, Outcome::Done, "{}", output.text());
    let again = second.plan.unwrap();
    assert_eq!(writes(&again), 0, "{}", output.text());
    assert_eq!(again.summary().conflicts, 0);
    assert!(
        again.changes.iter().all(|c| !c.blocked.is_empty()),
        "only unwritable values remain: {:#?}",
        again.changes
    );

    conflicts_and_missing_values_were_settled(&org);
    unsyncable_values_were_left_and_reported(&org, &report);
    people_on_one_side_were_created_or_listed(&org, (huma_before, azure_before), &again);
    // A person who was in step from the start is unchanged on both sides.
    let anders = org.huma.user_by_email(&format!("anders.aas@{DOMAIN}")).expect("in Huma");
    assert_eq!(anders.phone.as_deref(), Some("+47 400 00 100"));
    let anders_idp = org.graph.user(&format!("anders.aas@{DOMAIN}")).expect("in Azure AD");
    assert_eq!(anders_idp.street_address.as_deref(), Some("Storgata 1\nLeilighet 1"));
    assert_eq!(
        anders.home_address.map(|a| (a.line1, a.line2)),
        Some(("Storgata 1".into(), "Leilighet 1".into()))
    );

    // Every write of the first run is in the report with its value.
    let kari = report.operations.iter().find(|o| o.name == "Kari Nordmann").expect("reported");
    assert_eq!(kari.fields[0].to, FieldValue::Text("Head of Finance".into()));
}

/// Conflicts went Huma's way; missing values were filled on the empty side.
fn conflicts_and_missing_values_were_settled(org: &DemoOrg) {
    let cast = &org.cast;
    // Conflict, Huma wins: Azure AD has Huma's job title; Huma keeps it.
    let (h, a) = &cast.conflicting_title;
    assert_eq!(azure_user(org, a).job_title.as_deref(), Some("Head of Finance"));
    assert_eq!(title(&huma_user(org, h)).as_deref(), Some("Head of Finance"));
    let (h, a) = &cast.conflicting_phone;
    assert_eq!(azure_user(org, a).mobile_phone.as_deref(), Some("+46 70 123 45 67"));
    assert_eq!(huma_user(org, h).phone.as_deref(), Some("+46 70 123 45 67"));
    let (h, a) = &cast.conflicting_name;
    assert_eq!(azure_user(org, a).surname.as_deref(), Some("Virtanen-Korhonen"));
    assert_eq!(huma_user(org, h).family_name, "Virtanen-Korhonen");

    // Missing values, filled on the empty side.
    let (h, a) = &cast.missing_phone;
    assert_eq!(azure_user(org, a).mobile_phone.as_deref(), Some("+47 934 56 789"));
    assert_eq!(huma_user(org, h).phone.as_deref(), Some("+47 934 56 789"));
    let (h, a) = &cast.missing_address;
    let mikko = huma_user(org, h);
    let expected = HumaAddress {
        line1: "Hämeenkatu 10".into(),
        postal_code: "33100".into(),
        city: "Tampere".into(),
        country: "FI".into(),
        ..HumaAddress::default()
    };
    assert_eq!(mikko.home_address.as_ref(), Some(&expected));
    assert_eq!(azure_user(org, a).country.as_deref(), Some("FI"));
    let (_, a) = &cast.missing_start_date;
    assert_eq!(azure_user(org, a).employee_hire_date.as_deref(), Some("2022-03-14T00:00:00Z"));
}

/// The non-alpha-2 country and the read-only field were left as they are, and reported.
fn unsyncable_values_were_left_and_reported(org: &DemoOrg, report: &dirsync::report::Report) {
    let cast = &org.cast;
    // The non-alpha-2 country: the address stays out of Huma, Azure AD keeps its text, and the
    // rest of the person still syncs (the phone reached Azure AD).
    let (h, a) = &cast.bad_country;
    let ola_hr = huma_user(org, h);
    let ola_idp = azure_user(org, a);
    assert_eq!(ola_hr.home_address, None);
    assert_eq!(ola_idp.country.as_deref(), Some("Norway"));
    assert_eq!(ola_idp.street_address.as_deref(), Some("Torget 1"));
    assert_eq!(ola_idp.mobile_phone.as_deref(), Some("+47 922 11 333"));
    assert!(report.skipped.iter().any(|s| s.name == "Ola Berg" && s.field == Some(Field::Address)));

    // The read-only field: Huma's locked employment id is untouched and reported.
    let (h, a) = &cast.read_only;
    assert_eq!(huma_user(org, h).employment_id, None);
    assert_eq!(azure_user(org, a).employee_id.as_deref(), Some("E1108"));
    let per = report.skipped.iter().find(|s| s.name == "Per Johansen").expect("reported");
    assert!(per.reason.contains("read-only"), "{}", per.reason);
}

/// People only in Huma were created in Azure AD; people only in Azure AD were listed.
fn people_on_one_side_were_created_or_listed(
    org: &DemoOrg,
    (huma_before, azure_before): (usize, usize),
    again: &Plan,
) {
    let cast = &org.cast;
    // Only in Huma: created in Azure AD with every value Azure AD can take.
    assert_eq!(org.graph.user_count(), azure_before + 3);
    let emma = org.graph.user(&format!("emma.solberg@{DOMAIN}")).expect("Emma created");
    assert_eq!(emma.given_name.as_deref(), Some("Emma"));
    assert_eq!(emma.surname.as_deref(), Some("Solberg"));
    assert_eq!(emma.employee_id.as_deref(), Some("E1201"));
    assert_eq!(emma.mobile_phone.as_deref(), Some("+47 400 10 200"));
    assert_eq!(emma.street_address.as_deref(), Some("Parkveien 4"));
    assert_eq!(emma.postal_code.as_deref(), Some("0350"));
    assert_eq!(emma.city.as_deref(), Some("Oslo"));
    assert_eq!(emma.country.as_deref(), Some("NO"));
    assert_eq!(emma.job_title.as_deref(), Some("Software Engineer"));
    assert_eq!(emma.employee_hire_date.as_deref(), Some("2024-08-01T00:00:00Z"));
    assert_eq!(emma.mail.as_deref(), Some("emma.solberg@nordlys.example"));
    assert_eq!(emma.account_enabled, Some(true));
    // Elin's 17-character employment id does not fit Azure AD: she is created without it.
    let elin = org.graph.user(&format!("elin.strand@{DOMAIN}")).expect("Elin created");
    assert_eq!(elin.employee_id, None);
    assert_eq!(elin.job_title.as_deref(), Some("Designer"));

    // Only in Azure AD: listed, not created in Huma.
    assert_eq!(org.huma.user_count(), huma_before);
    assert!(org.huma.user_by_email(&format!("hedda.moe@{DOMAIN}")).is_none());
    let hedda = again
        .creations
        .iter()
        .find(|c| c.record.as_str() == cast.only_in_azure[0])
        .expect("Hedda is listed");
    assert_eq!(hedda.settled.map(|s| s.decision), Some(Decision::Skip));
}

#[tokio::test]
async fn the_demo_program_path_finishes_with_exit_code_zero() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let (mut console, output) = Console::captured();
    let outcome = demo::run(
        &org,
        &dir.path().join("state.json"),
        &dir.path().join("report.html"),
        &mut console,
    )
    .await;
    let text = output.text();
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("== Second sync"), "{text}");
    assert!(text.contains("Nothing left to do: 0 writes"), "{text}");
    assert!(text.contains("Hedda Moe: only in Azure AD, not created in Huma"), "{text}");
}

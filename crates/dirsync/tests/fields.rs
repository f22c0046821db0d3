//! Field rules: missing values, one-sided changes, conflicts, and values that cannot be written.

mod common;

use chrono::NaiveDate;
use common::{address, decide, person, plan, snap};
use dirsync::{
    directory::{Capabilities, InvalidValue, Limits, Record},
    model::{Field, FieldValue, Person, Side},
    plan::{BlockReason, ChangeKind, DecidedBy, Decision, FindingKind, Operation, reconcile},
    policy::{ConflictRule, MissingRule, Policy},
    store::SyncState,
};

fn prefer(side: Side) -> Policy {
    let conflicts = match side {
        Side::Hr => ConflictRule::PreferHr,
        Side::Idp => ConflictRule::PreferIdp,
    };
    Policy { conflicts, ..Policy::default() }
}

fn updates(plan: &dirsync::plan::Plan) -> Vec<(Side, String, Field, String)> {
    let ops = plan.operations().expect("settled");
    let mut out = Vec::new();
    for op in ops.operations {
        if let Operation::Update(u) = op {
            for c in &u.changes {
                out.push((u.target, u.record().to_string(), c.field, c.to.to_string()));
            }
        }
    }
    out
}

#[test]
fn equal_values_make_no_change_however_they_are_padded() {
    let hr = vec![Record::new(
        "h1",
        person("a@x.no").with_given_name("Ada").with_address(address("a\nb", "0150", "Oslo", "NO")),
    )];
    let idp = vec![Record::new(
        "a1",
        person("A@x.no")
            .with_given_name(" Ada ")
            .with_address(address("a\r\nb ", "0150 ", "Oslo", "no")),
    )];
    let plan = plan(hr, idp, &Policy::default());
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert_eq!(plan.pairs[0].agreed.given_name(), Some("Ada"));
}

#[test]
fn missing_value_never_blanks_a_filled_field() {
    // HR has no phone, the directory has one: the directory's phone fills HR, never the reverse.
    let hr = vec![Record::new("h1", person("a@x.no"))];
    let idp = vec![Record::new("a1", person("a@x.no").with_phone("+47 1234"))];
    let plan = plan(hr, idp, &prefer(Side::Hr));
    assert_eq!(plan.changes[0].kind, ChangeKind::Missing(Side::Hr));
    assert_eq!(updates(&plan), [(Side::Hr, "h1".into(), Field::Phone, "+47 1234".into())]);
}

#[test]
fn missing_value_rule_ask_leaves_a_pending_decision_and_skip_leaves_it_alone() {
    let hr = || vec![Record::new("h1", person("a@x.no"))];
    let idp = || vec![Record::new("a1", person("a@x.no").with_job_title("CTO"))];
    let ask = plan(hr(), idp(), &Policy { missing: MissingRule::Ask, ..Policy::default() });
    assert_eq!(ask.pending(), [ask.changes[0].id.clone()]);
    let skip = plan(hr(), idp(), &Policy { missing: MissingRule::Skip, ..Policy::default() });
    assert!(skip.operations().unwrap().operations.is_empty());
}

#[test]
fn a_partial_address_is_a_missing_value_filled_part_by_part() {
    let hr =
        vec![Record::new("h1", person("a@x.no").with_address(address("Main 1", "", "Oslo", "")))];
    let idp =
        vec![Record::new("a1", person("a@x.no").with_address(address("Main 1", "0150", "", "NO")))];
    let plan = plan(hr, idp, &prefer(Side::Hr));
    // Neither is part of the other: a conflict; the winner's parts, the loser's extra parts kept.
    assert_eq!(plan.changes[0].kind, ChangeKind::Conflict);
    let got = updates(&plan);
    assert_eq!(got.len(), 2, "both sides lack a part: {got:?}");
    assert!(got.iter().all(|(_, _, _, value)| value == "Main 1, 0150 Oslo, NO"));

    let hr = vec![Record::new("h1", person("a@x.no").with_address(address("Main 1", "", "", "")))];
    let idp = vec![Record::new(
        "a1",
        person("a@x.no").with_address(address("Main 1", "0150", "Oslo", "NO")),
    )];
    let plan = common::plan(hr, idp, &prefer(Side::Hr));
    assert_eq!(plan.changes[0].kind, ChangeKind::Missing(Side::Hr));
    assert_eq!(
        updates(&plan),
        [(Side::Hr, "h1".into(), Field::Address, "Main 1, 0150 Oslo, NO".into())]
    );
}

#[test]
fn without_a_baseline_every_difference_is_a_conflict() {
    let hr = vec![Record::new("h1", person("a@x.no").with_job_title("CTO"))];
    let idp = vec![Record::new("a1", person("a@x.no").with_job_title("Engineer"))];
    let plan = plan(hr, idp, &Policy::default());
    assert_eq!(plan.changes[0].kind, ChangeKind::Conflict);
    assert!(plan.changes[0].settled.is_none(), "the default policy asks");
    assert!(plan.operations().is_err());
}

#[test]
fn with_a_baseline_a_one_sided_change_flows_and_a_two_sided_one_conflicts() {
    let base = person("a@x.no").with_job_title("Engineer").with_given_name("Ada");
    let mut state = SyncState::new();
    state.link("h1".into(), "a1".into(), base);
    let hr = snap(vec![Record::new(
        "h1",
        person("a@x.no").with_job_title("CTO").with_given_name("Adele"),
    )]);
    let idp = snap(vec![Record::new(
        "a1",
        person("a@x.no").with_job_title("Engineer").with_given_name("Adeline"),
    )]);
    let plan = reconcile(&hr, &idp, &state, &Policy::default());
    let by_field = |f: Field| plan.changes.iter().find(|c| c.field == f).unwrap();
    let title = by_field(Field::JobTitle);
    assert_eq!(title.kind, ChangeKind::Changed(Side::Hr));
    assert_eq!(
        title.settled.map(|s| (s.decision, s.by)),
        Some((Decision::UseHr, DecidedBy::Baseline))
    );
    let name = by_field(Field::GivenName);
    assert_eq!(name.kind, ChangeKind::Conflict);
    assert_eq!(name.settled, None);
}

#[test]
fn a_field_rule_overrides_the_general_conflict_rule() {
    let hr = vec![Record::new("h1", person("a@x.no").with_job_title("CTO").with_phone("1"))];
    let idp = vec![Record::new("a1", person("a@x.no").with_job_title("Engineer").with_phone("2"))];
    let policy = prefer(Side::Hr).with_conflict_rule(Field::Phone, ConflictRule::PreferIdp);
    let got = updates(&plan(hr, idp, &policy));
    assert!(got.contains(&(Side::Idp, "a1".into(), Field::JobTitle, "CTO".into())));
    assert!(got.contains(&(Side::Hr, "h1".into(), Field::Phone, "2".into())));
    assert_eq!(got.len(), 2);
}

#[test]
fn a_non_alpha2_country_keeps_the_address_from_hr_and_the_rest_still_syncs() {
    let norway = dirsync::model::CountryCode::parse("Norway").unwrap_err();
    let idp_record = Record::new(
        "a1",
        person("a@x.no").with_job_title("CTO").with_address(address("Main 1", "0150", "Oslo", "")),
    )
    .with_invalid(InvalidValue::new(Field::Address, "Norway", &norway));
    let hr = vec![Record::new(
        "h1",
        person("a@x.no").with_address(address("Old 2", "0151", "Oslo", "NO")),
    )];
    let plan = plan(hr, vec![idp_record], &prefer(Side::Idp));

    let got = updates(&plan);
    assert_eq!(got, [(Side::Hr, "h1".into(), Field::JobTitle, "CTO".into())]);
    let ops = plan.operations().unwrap();
    assert_eq!(ops.skipped.len(), 1);
    assert_eq!(ops.skipped[0].field, Field::Address);
    assert!(matches!(ops.skipped[0].reason, BlockReason::InvalidSource(_)));
    assert!(ops.skipped[0].reason.to_string().contains("did you mean NO?"));
    let finding = plan.findings.iter().find(|f| f.kind == FindingKind::InvalidValue).unwrap();
    assert!(finding.message.contains("\"Norway\""), "{}", finding.message);
}

#[test]
fn a_value_over_the_targets_limit_is_not_written_and_is_reported() {
    let idp_caps = Capabilities {
        limits: Limits { employment_id: Some(16), ..Limits::default() },
        ..Capabilities::default()
    };
    let hr =
        snap(vec![Record::new("h1", person("a@x.no").with_employment_id("E-00000000000000017"))]);
    let mut idp = snap(vec![Record::new("a1", person("a@x.no"))]);
    idp.capabilities = idp_caps;
    let plan = reconcile(&hr, &idp, &SyncState::new(), &Policy::default());
    let ops = plan.operations().unwrap();
    assert!(ops.operations.is_empty());
    assert_eq!(ops.skipped.len(), 1);
    match &ops.skipped[0].reason {
        BlockReason::TooLong(t) => assert_eq!((t.len, t.max), (19, 16)),
        other => panic!("expected too long, got {other:?}"),
    }
}

#[test]
fn a_read_only_field_is_not_written_and_a_person_cannot_choose_to_write_it() {
    let hr =
        vec![Record::new("h1", person("a@x.no").with_job_title("CTO")).read_only(Field::JobTitle)];
    let idp = vec![Record::new("a1", person("a@x.no").with_job_title("Engineer"))];
    let mut plan = plan(hr, idp, &Policy::default());
    let id = plan.changes[0].id.clone();
    let err = plan.decide(&id, Decision::UseIdp).unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    decide(&mut plan, &id, Decision::UseHr);
    assert_eq!(updates(&plan), [(Side::Idp, "a1".into(), Field::JobTitle, "CTO".into())]);
}

#[test]
fn a_field_the_target_cannot_write_is_blocked() {
    let mut idp = snap(vec![Record::new("a1", person("a@x.no"))]);
    idp.capabilities.writable.remove(Field::EmploymentStartDate);
    let date = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
    let hr = snap(vec![Record::new("h1", person("a@x.no").with_employment_start_date(date))]);
    let plan = reconcile(&hr, &idp, &SyncState::new(), &Policy::default());
    assert_eq!(plan.changes[0].blocked_toward(Side::Idp), Some(&BlockReason::NotWritable));
    assert!(plan.operations().unwrap().operations.is_empty());
}

#[test]
fn the_agreed_values_are_exactly_the_equal_ones() {
    let hr = vec![Record::new("h1", person("a@x.no").with_given_name("Ada").with_job_title("CTO"))];
    let idp =
        vec![Record::new("a1", person("a@x.no").with_given_name("Ada").with_job_title("Dev"))];
    let plan = plan(hr, idp, &Policy::default());
    assert_eq!(plan.pairs[0].agreed, Person::new().with_given_name("Ada"));
    assert_eq!(plan.changes[0].value(Side::Hr), Some(&FieldValue::Text("CTO".into())));
}

//! Who is created where: the creation rules, scope, and what a target cannot take.

mod common;

use common::{person, plan, snap};
use dirsync::{
    directory::{Capabilities, Limits, Record},
    model::{Field, FieldSet, Side},
    plan::{BlockReason, DecidedBy, Decision, FindingKind, Operation, reconcile},
    policy::{CreationRule, Policy, Scope},
    store::SyncState,
};

fn hr_only() -> Vec<Record> {
    vec![
        Record::new("h1", person("a@x.no").with_given_name("Ada")),
        Record::new("h2", person("b@x.no").with_given_name("Bo")),
    ]
}

fn create_decisions(policy: Policy) -> Vec<(String, Option<Decision>)> {
    plan(hr_only(), vec![], &policy)
        .creations
        .iter()
        .map(|c| (c.record.to_string(), c.settled.map(|s| s.decision)))
        .collect()
}

#[test]
fn each_creation_rule_settles_as_it_says() {
    let rule = |create_in_idp| Policy { create_in_idp, ..Policy::default() };
    let skip = Some(Decision::Skip);
    let create = Some(Decision::Create);
    assert_eq!(
        create_decisions(rule(CreationRule::None)),
        [("h1".into(), skip), ("h2".into(), skip)]
    );
    assert_eq!(
        create_decisions(rule(CreationRule::All)),
        [("h1".into(), create), ("h2".into(), create)]
    );
    assert_eq!(
        create_decisions(rule(CreationRule::Ask)),
        [("h1".into(), None), ("h2".into(), None)]
    );
    let selected = CreationRule::Selected(["h2".into()].into_iter().collect());
    assert_eq!(create_decisions(rule(selected)), [("h1".into(), skip), ("h2".into(), create)]);
}

#[test]
fn people_only_in_the_directory_are_created_in_hr_by_their_own_rule() {
    let idp = vec![Record::new("a1", person("c@x.no"))];
    let policy = Policy { create_in_hr: CreationRule::All, ..Policy::default() };
    let plan = plan(vec![], idp, &policy);
    let ops = plan.operations().unwrap();
    match &ops.operations[..] {
        [Operation::Create(c)] => {
            assert_eq!((c.target, c.source.as_str()), (Side::Hr, "a1"));
            assert_eq!(c.person.email(), Some("c@x.no"));
        }
        other => panic!("expected one create, got {other:?}"),
    }
}

#[test]
fn inactive_people_are_not_created_unless_the_scope_includes_them() {
    let hr = vec![Record::new("h1", person("a@x.no")).inactive()];
    let all = Policy { create_in_idp: CreationRule::All, ..Policy::default() };
    assert!(plan(hr.clone(), vec![], &all).creations.is_empty());
    let with_inactive =
        Policy { scope: Scope { include_inactive: true, ..Scope::default() }, ..all };
    assert_eq!(plan(hr, vec![], &with_inactive).creations.len(), 1);
}

#[test]
fn values_the_target_cannot_take_are_left_out_of_a_creation_with_the_reason() {
    let mut idp = snap(vec![]);
    idp.capabilities.limits = Limits { employment_id: Some(16), ..Limits::default() };
    let hr = snap(vec![Record::new(
        "h1",
        person("a@x.no").with_given_name("Ada").with_employment_id("E-00000000000000017"),
    )]);
    let policy = Policy { create_in_idp: CreationRule::All, ..Policy::default() };
    let plan = reconcile(&hr, &idp, &SyncState::new(), &policy);
    let creation = &plan.creations[0];
    assert_eq!(creation.person.employment_id(), None);
    assert_eq!(creation.person.given_name(), Some("Ada"));
    assert!(matches!(creation.left_out[..], [(Field::EmploymentId, BlockReason::TooLong(_))]));
}

#[test]
fn a_person_missing_what_the_target_requires_cannot_be_created() {
    let mut hr = snap(vec![]);
    hr.capabilities = Capabilities {
        required_on_create: FieldSet::empty().with(Field::GivenName).with(Field::FamilyName),
        email_required: true,
        ..Capabilities::default()
    };
    let idp = snap(vec![Record::new("a1", dirsync::model::Person::new().with_given_name("Ada"))]);
    let policy = Policy { create_in_hr: CreationRule::All, ..Policy::default() };
    let plan = reconcile(&hr, &idp, &SyncState::new(), &policy);
    assert!(plan.creations.is_empty());
    let finding = &plan.findings[0];
    assert_eq!(finding.kind, FindingKind::CannotCreate);
    assert!(finding.message.contains("Family name, Email"), "{}", finding.message);
}

#[test]
fn a_target_that_cannot_create_gets_no_creations() {
    let mut idp = snap(vec![]);
    idp.capabilities.can_create = false;
    let policy = Policy { create_in_idp: CreationRule::All, ..Policy::default() };
    let plan = reconcile(&snap(hr_only()), &idp, &SyncState::new(), &policy);
    assert!(plan.creations.is_empty());
    assert_eq!(plan.findings.len(), 2);
    assert!(plan.findings.iter().all(|f| f.kind == FindingKind::CannotCreate));
}

/// One person only in Azure AD, whom Huma cannot create: it requires a family name.
fn plan_for_one_huma_cannot_create(create_in_hr: CreationRule) -> dirsync::plan::Plan {
    let mut hr = snap(vec![]);
    hr.capabilities = Capabilities {
        required_on_create: FieldSet::empty().with(Field::FamilyName),
        ..Capabilities::default()
    };
    let idp = snap(vec![Record::new("a1", person("ada@x.no").with_given_name("Ada"))]);
    reconcile(&hr, &idp, &SyncState::new(), &Policy { create_in_hr, ..Policy::default() })
}

#[test]
fn someone_the_policy_would_not_create_is_found_on_one_side_only_not_a_finding() {
    let selected_others = CreationRule::Selected(["a9".into()].into());
    for rule in [CreationRule::None, selected_others] {
        let mut plan = plan_for_one_huma_cannot_create(rule.clone());
        assert!(plan.findings.is_empty(), "{rule:?}: {:?}", plan.findings);
        let creation = &plan.creations[0];
        assert_eq!(
            creation.settled.map(|s| (s.decision, s.by)),
            Some((Decision::Skip, DecidedBy::Policy))
        );
        let why = creation.cannot_create.clone().expect("why they cannot be created");
        assert!(why.contains("requires Family name"), "{why}");

        let id = creation.id.clone();
        let refused = plan.decide(&id, Decision::Create).expect_err("cannot be created");
        assert!(
            matches!(refused, dirsync::plan::DecisionError::CannotCreate { .. }),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("settle it with Skip"), "{refused}");
        plan.decide(&id, Decision::Skip).expect("skipping is fine");
    }
}

#[test]
fn someone_the_policy_would_create_or_ask_about_but_cannot_is_a_finding() {
    let selected = CreationRule::Selected(["a1".into()].into());
    for rule in [CreationRule::All, CreationRule::Ask, selected] {
        let plan = plan_for_one_huma_cannot_create(rule.clone());
        assert!(plan.creations.is_empty(), "{rule:?}");
        assert_eq!(plan.findings.len(), 1, "{rule:?}");
        assert_eq!(plan.findings[0].kind, FindingKind::CannotCreate);
    }
}

#[test]
fn a_caller_can_create_someone_the_policy_skipped() {
    let mut plan = plan(hr_only(), vec![], &Policy::default());
    let id = plan.creations[1].id.clone();
    plan.decide(&id, Decision::Create).unwrap();
    assert_eq!(plan.creations[1].settled.map(|s| s.by), Some(DecidedBy::Caller));
    let ops = plan.operations().unwrap();
    assert_eq!(ops.operations.len(), 1);
    assert_eq!(ops.people_changed(), 1);
}

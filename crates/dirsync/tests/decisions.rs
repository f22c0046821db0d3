//! Pending decisions, deciding by id, stable ids and plain-data plans.

mod common;

use common::{person, plan};
use dirsync::{
    directory::Record,
    plan::{Decision, DecisionError, ItemId, Plan},
    policy::{CreationRule, Policy},
};

fn conflicted() -> Plan {
    let hr = vec![
        Record::new("h1", person("a@x.no").with_job_title("CTO")),
        Record::new("h2", person("b@x.no")),
    ];
    let idp = vec![Record::new("a1", person("a@x.no").with_job_title("Engineer"))];
    plan(hr, idp, &Policy { create_in_idp: CreationRule::Ask, ..Policy::default() })
}

#[test]
fn a_plan_with_pending_decisions_yields_no_operations() {
    let plan = conflicted();
    assert_eq!(plan.pending().len(), 2);
    let err = plan.operations().unwrap_err();
    assert_eq!(err.pending, plan.pending());
    assert!(err.to_string().starts_with("2 decision(s) are still pending"), "{err}");
}

#[test]
fn deciding_every_pending_item_makes_the_plan_applicable() {
    let mut plan = conflicted();
    let [change, creation] = [plan.changes[0].id.clone(), plan.creations[0].id.clone()];
    plan.decide_all([(change, Decision::UseIdp), (creation, Decision::Create)]).unwrap();
    assert!(plan.is_settled());
    let ops = plan.operations().unwrap();
    assert_eq!(ops.operations.len(), 2);
    assert_eq!(ops.people_changed(), 2);
}

#[test]
fn a_decision_that_does_not_fit_is_refused() {
    let mut plan = conflicted();
    let change = plan.changes[0].id.clone();
    let creation = plan.creations[0].id.clone();
    assert!(matches!(plan.decide(&change, Decision::Create), Err(DecisionError::WrongKind { .. })));
    assert!(matches!(
        plan.decide(&creation, Decision::UseHr),
        Err(DecisionError::WrongKind { .. })
    ));
    let unknown = ItemId::new("chg-0000000000000000");
    assert_eq!(plan.decide(&unknown, Decision::Skip), Err(DecisionError::UnknownItem(unknown)));
    assert_eq!(plan.pending().len(), 2, "nothing was settled by the refused decisions");
}

#[test]
fn ids_are_the_same_on_every_run_and_change_with_the_values() {
    assert_eq!(conflicted().changes[0].id, conflicted().changes[0].id);
    let hr = vec![Record::new("h1", person("a@x.no").with_job_title("CFO"))];
    let idp = vec![Record::new("a1", person("a@x.no").with_job_title("Engineer"))];
    let other = plan(hr, idp, &Policy::default());
    assert_ne!(other.changes[0].id, conflicted().changes[0].id);
}

#[test]
fn a_plan_round_trips_through_json() {
    let mut plan = conflicted();
    let id = plan.changes[0].id.clone();
    plan.decide(&id, Decision::UseHr).unwrap();
    let json = serde_json::to_string(&plan).unwrap();
    let back: Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(back, plan);
}

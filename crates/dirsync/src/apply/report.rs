//! The report of an apply: each write and how it ended, what the plan left out, what was held
//! back, and why the run stopped.

use super::units::Ended;
use crate::report::{Action, FieldReport, HeldItem, OperationReport, Report, SkippedItem, Stopped};
use crate::{
    Decision, DirectoryError, Field, HeldWrite, Names, Operation, Operations, Plan, Side, Update,
    quarantine,
};

/// What went into a run's report, besides the plan.
pub(super) struct Ran<'r> {
    /// The writes made, in plan order.
    pub(super) ops: &'r Operations,
    /// Each write's report, in the same order.
    pub(super) reports: Vec<OperationReport>,
    /// Whether each write was refused again after being held back before.
    pub(super) refused_again: Vec<bool>,
    /// What was held back before the run.
    pub(super) held: Vec<HeldItem>,
    /// The side whose credentials were refused, and how.
    pub(super) fatal: Option<&'r (Side, DirectoryError)>,
}

/// The report of a run of `plan`, with `held` the writes held back after it.
pub(super) fn build(plan: &Plan, ran: Ran<'_>, held: &[HeldWrite], names: Names) -> Report {
    let Ran { ops, reports, refused_again, held: mut held_items, fatal } = ran;
    // A write held back before and refused again when its next try came is reported as held
    // back, not as a new failure.
    let mut operations = Vec::with_capacity(reports.len());
    for ((report, again), op) in reports.into_iter().zip(refused_again).zip(&ops.operations) {
        if again {
            held_items.extend(quarantine::held_for(op, held).map(|h| HeldItem::from_held(h, true)));
        } else {
            operations.push(report);
        }
    }
    let mut report = Report {
        operations,
        skipped: skipped_items(plan, ops, &names),
        findings: plan.findings.clone(),
        held: held_items,
        ..Report::default()
    };
    if let Some((side, error)) = fatal {
        let error = crate::ErrorChain(error).to_string();
        report.stopped = Some(Stopped::CredentialsRefused { side: *side, error });
    }
    report.names = names;
    report.recount();
    report.sort();
    report
}

pub(super) fn operation_report(op: &Operation, end: &Ended, names: &Names) -> OperationReport {
    match op {
        Operation::Account(account) => OperationReport {
            action: account.action.into(),
            target: Side::Idp,
            name: account.name.clone(),
            hr: Some(account.hr.clone()),
            idp: Some(account.idp.clone()),
            fields: Vec::new(),
            reason: Some(account.reason.explain(names)),
            outcome: end.outcome.clone(),
        },
        Operation::Update(Update { target, hr, idp, name, changes }) => OperationReport {
            action: Action::Update,
            target: *target,
            name: name.clone(),
            hr: Some(hr.clone()),
            idp: Some(idp.clone()),
            fields: changes
                .iter()
                .map(|c| FieldReport { field: c.field, from: c.from.clone(), to: c.to.clone() })
                .collect(),
            reason: None,
            outcome: end.outcome.clone(),
        },
        Operation::Create(create) => {
            let made = end.record.as_ref().map(|r| r.id.clone());
            let (hr, idp) = match create.target {
                Side::Idp => (Some(create.source.clone()), made),
                Side::Hr => (made, Some(create.source.clone())),
            };
            OperationReport {
                action: Action::Create,
                target: create.target,
                name: create.name.clone(),
                hr,
                idp,
                fields: Field::ALL
                    .into_iter()
                    .filter_map(|field| {
                        let to = create.person.get(field)?.to_owned();
                        Some(FieldReport { field, from: None, to })
                    })
                    .collect(),
                reason: None,
                outcome: end.outcome.clone(),
            }
        }
    }
}

/// What the plan leaves as it is: writes it cannot make, and items settled as "skip".
fn skipped_items(plan: &Plan, ops: &Operations, names: &Names) -> Vec<SkippedItem> {
    let mut items: Vec<SkippedItem> = ops
        .skipped
        .iter()
        .map(|s| SkippedItem {
            item: s.item.clone(),
            name: s.name.clone(),
            field: Some(s.field),
            target: Some(s.target),
            reason: s.reason.to_string(),
        })
        .collect();
    for change in &plan.changes {
        if let Some(settled) = change.settled.filter(|s| s.decision == Decision::Skip) {
            items.push(SkippedItem {
                item: change.id.clone(),
                name: change.name.clone(),
                field: Some(change.field),
                target: None,
                reason: SkippedItem::reason_for_skipped_change(change.kind, settled.by, names),
            });
        }
    }
    for creation in &plan.creations {
        match creation.settled {
            Some(settled) if settled.decision == Decision::Skip => items.push(SkippedItem {
                item: creation.id.clone(),
                name: creation.name.clone(),
                field: None,
                target: Some(creation.target()),
                reason: SkippedItem::reason_for_skipped_creation(
                    creation.source,
                    settled.by,
                    names,
                ),
            }),
            Some(settled) if settled.decision == Decision::Create => {
                for (field, reason) in &creation.left_out {
                    items.push(SkippedItem {
                        item: creation.id.clone(),
                        name: creation.name.clone(),
                        field: Some(*field),
                        target: Some(creation.target()),
                        reason: format!("left out of the new person: {reason}"),
                    });
                }
            }
            _ => {}
        }
    }
    items
}

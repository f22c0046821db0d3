//! What a pass of the engine did for one person, as the push's summary says it.

use super::event::{PersonPush, PushAction};
use super::pass::Pass;
use crate::report::{Action, OperationReport, Outcome};
use crate::{ApplyError, FindingKind, Names, Record, Side};

/// The summary of `pass` for the HR person of `out`, with `twin` their record before it.
pub(super) fn classify(
    mut out: PersonPush,
    pass: &Pass,
    hr: Option<&Record>,
    twin: Option<&Record>,
    names: &Names,
) -> PersonPush {
    out.idp = twin.map(|t| t.id.clone());
    out.skipped = pass.skipped.iter().map(|s| (s.field, s.reason.clone())).collect();
    let report = match &pass.applied {
        Ok(report) => report,
        Err(ApplyError::Fatal { report, .. }) => report,
        Err(refused) => {
            return out.with_detail(PushAction::Failed, crate::ErrorChain(refused).to_string());
        }
    };
    let ops: Vec<&OperationReport> =
        report.operations.iter().filter(|op| op.target == Side::Idp).collect();
    // A disabled account whose sessions could not be revoked is disabled still (the next sync
    // revokes them): the summary says so rather than failing the event.
    if let Some(disabled) = done(&ops, Action::Disable) {
        return out.with_detail(PushAction::Disabled, disabled_detail(disabled, &ops, names));
    }
    if let Some(failed) = ops.iter().find(|op| matches!(op.outcome, Outcome::Failed { .. })) {
        return out.with_detail(PushAction::Failed, failure(failed, names));
    }
    if let Some(created) = done(&ops, Action::Create) {
        out.idp.clone_from(&created.idp);
        out.fields = created.fields.iter().map(|f| f.field).collect();
        out.action = PushAction::Created;
        // What the new person was created without, and why.
        out.skipped.extend(pass.plan.creations.iter().flat_map(|c| c.left_out.iter().cloned()));
        return out;
    }
    if let Some(updated) = done(&ops, Action::Update) {
        out.fields = updated.fields.iter().map(|f| f.field).collect();
        out.action = PushAction::Updated;
        return out;
    }
    if let Some(skipped) = ops.iter().find_map(|op| match &op.outcome {
        Outcome::Skipped { reason } => Some(reason),
        _ => None,
    }) {
        return out.with_detail(PushAction::Unchanged, skipped.clone());
    }
    nothing_written(out, pass, report, hr, twin, names)
}

/// Why nothing was written.
fn nothing_written(
    out: PersonPush,
    pass: &Pass,
    report: &crate::Report,
    hr: Option<&Record>,
    twin: Option<&Record>,
    names: &Names,
) -> PersonPush {
    let plan = &pass.plan;
    if let Some(why) = outside_scope(plan, hr, names) {
        return out.with_detail(PushAction::OutOfScope, why);
    }
    if let Some(broken) = plan.broken_links.iter().find(|b| b.gone == Side::Idp) {
        let detail = format!(
            "the {} user {} linked to this person was deleted; not created again: a sync lists \
             them, and creates them if you decide \"create\" for them",
            names.idp, broken.idp
        );
        return out.with_detail(PushAction::DeletedInIdp, detail);
    }
    if twin.is_none() {
        if let Some(cannot) = plan.findings.iter().find(|f| f.kind == FindingKind::CannotCreate) {
            return out.with_detail(PushAction::CannotCreate, cannot.message.clone());
        }
        // Someone the engine would not create, nor even consider, is out of the scope.
        if !plan.creations.is_empty() && plan.creations.iter().all(|c| !is_created(c)) {
            let detail = format!(
                "not in {}; auto-provisioning is off, so the next sync lists them",
                names.idp
            );
            return out.with_detail(PushAction::NotInIdp, detail);
        }
        if plan.creations.is_empty() && hr.is_some_and(|hr| !hr.active) {
            let detail = format!("inactive in {}: left alone, as a sync leaves them", names.hr);
            return out.with_detail(PushAction::Inactive, detail);
        }
    }
    if plan.pairs.first().is_some_and(|pair| !pair.in_scope) {
        let why = match hr.is_some_and(|hr| !hr.active) {
            true => format!("inactive in {}", names.hr),
            false => format!("disabled in {}", names.idp),
        };
        let detail = format!("{why}: left alone, as a sync leaves them");
        return out.with_detail(PushAction::Inactive, detail);
    }
    match report.held.first() {
        Some(held) => out.with_detail(PushAction::Unchanged, held.explain()),
        None => out,
    }
}

/// Why nothing was written because of the scope: what the plan found at its edge, or the HR
/// person outside it.
fn outside_scope(plan: &crate::Plan, hr: Option<&Record>, names: &Names) -> Option<String> {
    let at_the_edge = [FindingKind::LeftScope, FindingKind::Excluded, FindingKind::OutsideScope];
    if let Some(finding) = plan.findings.iter().find(|f| at_the_edge.contains(&f.kind)) {
        return Some(finding.message.clone());
    }
    hr.filter(|hr| !hr.scope.is_in()).map(|_| {
        let scope = plan.hr_scope.as_ref().map(|s| format!(" ({})", s.description));
        format!(
            "outside the scope of the sync in {}{}: left alone, as a sync leaves them",
            names.hr,
            scope.unwrap_or_default()
        )
    })
}

fn is_created(creation: &crate::Creation) -> bool {
    creation.settled.is_some_and(|s| s.decision == crate::Decision::Create)
}

/// The operation of `action` that was done.
fn done<'r>(ops: &[&'r OperationReport], action: Action) -> Option<&'r OperationReport> {
    ops.iter().copied().find(|op| op.action == action && op.outcome == Outcome::Done)
}

fn failure(op: &OperationReport, names: &Names) -> String {
    let Outcome::Failed { message, .. } = &op.outcome else { return String::new() };
    let account = op.idp.as_ref().map(ToString::to_string).unwrap_or_default();
    let what = match op.action {
        Action::Update => format!("{} refused the update", names.idp),
        Action::Create => format!("{} refused the new user", names.idp),
        Action::Disable => format!("{} refused to disable the account {account}", names.idp),
        Action::Enable => format!("{} refused to enable the account {account} again", names.idp),
        Action::RevokeSessions => {
            format!("{} refused to revoke the sign-in sessions of {account}", names.idp)
        }
    };
    format!("{what}: {message}")
}

fn disabled_detail(disabled: &OperationReport, ops: &[&OperationReport], names: &Names) -> String {
    let revoke = ops.iter().find(|op| op.action == Action::RevokeSessions);
    let sessions = match revoke.map(|op| &op.outcome) {
        Some(Outcome::Done) => " and its sign-in sessions revoked".to_owned(),
        Some(Outcome::Failed { message, .. }) => format!(
            "; its sign-in sessions could not be revoked ({message}), the next sync tries again"
        ),
        _ => String::new(),
    };
    let account = disabled.idp.as_ref().map(ToString::to_string).unwrap_or_default();
    let why = disabled.reason.clone().unwrap_or_default();
    format!("{why}: the account {account} in {} was disabled{sessions}", names.idp)
}

//! A plan as text for a person at a terminal or in a log: the counts, then every conflict and
//! missing value with both values and its id, the people to create, the accounts to disable or
//! enable, and the findings; and the writes held back.
//!
//! Where a person must act (decide, create someone, try a held-back write again), the text says
//! what to do in the words a [`PlanText`]'s hints give: a program names its own flags there.
//!
//! ```
//! use dirsync::{
//!     directory::{Record, Snapshot},
//!     model::Person,
//!     plan::reconcile,
//!     policy::Policy,
//!     store::SyncState,
//! };
//! use dirsync_report::PlanText;
//! let hr = Snapshot::new(vec![Record::new("h1", Person::new().with_email("a@x.no").with_phone("+47 1"))]);
//! let idp = Snapshot::new(vec![Record::new("a1", Person::new().with_email("a@x.no").with_phone("+47 2"))]);
//! let plan = reconcile(&hr, &idp, &SyncState::new(), &Policy::default());
//! let mut text = Vec::new();
//! PlanText::new(&plan).with_pending_hint("answer below").write(&mut text)?;
//! let text = String::from_utf8(text)?;
//! assert!(text.contains("conflicts:                  1"));
//! assert!(text.contains("PENDING: answer below"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::words::quoted_value_text;
use dirsync::{
    held::HeldWrite,
    model::{Names, Side},
    plan::{AccountAction, ChangeKind, Creation, DecidedBy, Decision, Plan, RecordRef, Settled},
    report::HeldItem,
};
use std::io::{self, Write};

/// Picks the changes of one section.
type KindFilter = fn(ChangeKind) -> bool;

/// A plan as text, with what the text tells a person to do where they must act.
#[derive(Debug, Clone)]
pub struct PlanText<'a> {
    plan: &'a Plan,
    pending: &'a str,
    create: [&'a str; 2],
}

impl<'a> PlanText<'a> {
    /// `plan` as text, with neutral hints.
    pub fn new(plan: &'a Plan) -> Self {
        PlanText { plan, pending: "waits for a decision", create: ["listed for you to choose"; 2] }
    }

    /// What an item waiting for a decision says after "PENDING: " (how to decide).
    #[must_use]
    pub fn with_pending_hint(mut self, hint: &'a str) -> Self {
        self.pending = hint;
        self
    }

    /// What someone found on one side only and not created says after "not created: ", for a
    /// creation in `target` (how to create them after all).
    #[must_use]
    pub fn with_create_hint(mut self, target: Side, hint: &'a str) -> Self {
        self.create[side_index(target)] = hint;
        self
    }

    /// Writes the whole plan.
    ///
    /// # Errors
    /// Writing to `out` failed.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        write_plan(out, self)
    }

    /// Writes the items still waiting for a decision, one line each, with their ids.
    ///
    /// # Errors
    /// Writing to `out` failed.
    pub fn write_pending(&self, out: &mut dyn Write) -> io::Result<()> {
        write_pending(out, self.plan)
    }

    /// Writes, one line each, what a settled plan leaves as it is: values that cannot be written
    /// and people found on one side only who are not created.
    ///
    /// # Errors
    /// Writing to `out` failed.
    pub fn write_remaining(&self, out: &mut dyn Write) -> io::Result<()> {
        write_remaining(out, self.plan)
    }

    /// Writes the plan's account changes of one kind, two lines each: who, which account and
    /// why; the id.
    ///
    /// # Errors
    /// Writing to `out` failed.
    pub fn write_accounts(&self, out: &mut dyn Write, action: AccountAction) -> io::Result<()> {
        write_accounts(out, self.plan, action)
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Hr => 0,
        Side::Idp => 1,
    }
}

/// What a settled item will do, in words; "PENDING" while it waits for a decision.
fn settled_text(view: &PlanText<'_>, settled: Option<Settled>, kind: Option<ChangeKind>) -> String {
    let Some(Settled { decision, by }) = settled else {
        return format!("PENDING: {}", view.pending);
    };
    let names = &view.plan.names;
    let (hr, idp) = (&names.hr, &names.idp);
    let what = match decision {
        Decision::UseHr => format!("{hr}'s value is written to {idp}"),
        Decision::UseIdp => format!("{idp}'s value is written to {hr}"),
        Decision::Create => "create".to_owned(),
        Decision::Skip => "left as it is".to_owned(),
    };
    let what = match (decision, kind) {
        (Decision::UseHr, Some(ChangeKind::Missing(Side::Idp))) => {
            format!("filled in {idp} from {hr}")
        }
        (Decision::UseIdp, Some(ChangeKind::Missing(Side::Hr))) => {
            format!("filled in {hr} from {idp}")
        }
        _ => what,
    };
    let by = match by {
        DecidedBy::Baseline => "changed on one side only since the last sync",
        DecidedBy::Policy => "by the settings",
        DecidedBy::Caller => "as decided",
        DecidedBy::Deletion => {
            "deleted on the other side since the last sync; decide \"create\" to create again"
        }
    };
    format!("{what} ({by})")
}

fn write_plan(out: &mut dyn Write, view: &PlanText<'_>) -> io::Result<()> {
    let plan = view.plan;
    write_summary(out, plan)?;
    write_changes(out, view)?;
    write_creations(out, view)?;
    for (title, action) in ACCOUNT_SECTIONS {
        let count = plan.accounts.iter().filter(|a| a.action == action).count();
        if count > 0 {
            writeln!(out)?;
            writeln!(out, "{title}: {count}")?;
            write_accounts(out, plan, action)?;
        }
    }

    if !plan.findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Findings ({})", plan.findings.len())?;
        for f in &plan.findings {
            let records: Vec<String> =
                f.records.iter().map(|r| record_text(&plan.names, r)).collect();
            writeln!(out, "  {}", f.message)?;
            writeln!(out, "      {:?} · {}", f.kind, records.join(", "))?;
        }
    }
    Ok(())
}

/// The plan in numbers.
fn write_summary(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let s = plan.summary();
    write_scope(out, plan)?;
    writeln!(out, "Plan")?;
    writeln!(out, "  people paired:              {}", s.pairs)?;
    let inactive = s.out_of_scope - s.left_scope;
    if inactive > 0 {
        writeln!(out, "  of them left alone:         {inactive} (inactive)")?;
    }
    if s.left_scope > 0 {
        writeln!(out, "  of them left the scope:     {} (left alone)", s.left_scope)?;
    }
    writeln!(out, "  conflicts:                  {}", s.conflicts)?;
    writeln!(out, "  missing values:             {}", s.missing)?;
    writeln!(out, "  changed on one side:        {}", s.flows)?;
    writeln!(out, "  {:<27} {}", format!("only in {}:", plan.names.hr), s.create_in_idp)?;
    writeln!(out, "  {:<27} {}", format!("only in {}:", plan.names.idp), s.create_in_hr)?;
    if s.disables > 0 {
        writeln!(out, "  accounts to disable:        {}", s.disables)?;
    }
    if s.enables > 0 {
        writeln!(out, "  accounts to enable again:   {}", s.enables)?;
    }
    writeln!(out, "  findings:                   {}", s.findings)?;
    writeln!(out, "  waiting for a decision:     {}", s.pending)?;

    Ok(())
}

/// Conflicts, missing values and one-sided changes, a section each: both values, what happens,
/// the id.
fn write_changes(out: &mut dyn Write, view: &PlanText<'_>) -> io::Result<()> {
    let plan = view.plan;
    let sections: [(&str, KindFilter); 3] = [
        ("Conflicts", |k| matches!(k, ChangeKind::Conflict)),
        ("Missing values", |k| matches!(k, ChangeKind::Missing(_))),
        ("Changed on one side since the last sync", |k| matches!(k, ChangeKind::Changed(_))),
    ];
    for (title, wanted) in sections {
        let changes: Vec<_> = plan.changes.iter().filter(|c| wanted(c.kind)).collect();
        if changes.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(out, "{title} ({})", changes.len())?;
        for c in changes {
            writeln!(out, "  {} · {}", c.name, c.field)?;
            let (hr, idp) = (format!("{}:", plan.names.hr), format!("{}:", plan.names.idp));
            let width = hr.chars().count().max(idp.chars().count());
            writeln!(out, "      {hr:<width$} {}", quoted_value_text(c.hr_value.as_ref()))?;
            writeln!(out, "      {idp:<width$} {}", quoted_value_text(c.idp_value.as_ref()))?;
            let target = match c.settled.map(|s| s.decision) {
                Some(Decision::UseHr) => Some(Side::Idp),
                Some(Decision::UseIdp) => Some(Side::Hr),
                _ => None,
            };
            match target.and_then(|t| c.blocked_toward(t).map(|reason| (t, reason))) {
                Some((t, reason)) => {
                    writeln!(out, "      → not written to {}: {reason}", plan.names.of(t))?;
                }
                None => writeln!(out, "      → {}", settled_text(view, c.settled, Some(c.kind)))?,
            }
            let names = &plan.names;
            writeln!(out, "      id {}  ({} {}, {} {})", c.id, names.hr, c.hr, names.idp, c.idp)?;
        }
    }

    Ok(())
}

/// The people found on one side only, a section per side: what happens to each, the id.
fn write_creations(out: &mut dyn Write, view: &PlanText<'_>) -> io::Result<()> {
    let plan = view.plan;
    for source in Side::BOTH {
        let creations: Vec<&Creation> =
            plan.creations.iter().filter(|c| c.source == source).collect();
        if creations.is_empty() {
            continue;
        }
        writeln!(out)?;
        writeln!(
            out,
            "Only in {} ({}): to create in {}?",
            plan.names.of(source),
            creations.len(),
            plan.names.of(source.other())
        )?;
        for c in creations {
            let email = c.person.email().map(|e| format!(" <{e}>")).unwrap_or_default();
            writeln!(out, "  {}{email}", c.name)?;
            let what = match c.settled {
                Some(Settled { decision: Decision::Create, .. }) => {
                    format!("created in {}", plan.names.of(c.target()))
                }
                Some(Settled { decision: Decision::Skip, .. }) => {
                    format!("not created: {}", view.create[side_index(c.target())])
                }
                _ => settled_text(view, c.settled, None),
            };
            writeln!(out, "      → {what}")?;
            for (field, reason) in &c.left_out {
                writeln!(out, "      ! {field} is left out: {reason}")?;
            }
            writeln!(out, "      id {}  ({} {})", c.id, plan.names.of(c.source), c.record)?;
        }
    }

    Ok(())
}

/// The scope each side was read in and how many people it held there; nothing when both sides
/// were read in full.
fn write_scope(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    if plan.hr_scope.is_none() && plan.idp_scope.is_none() {
        return Ok(());
    }
    writeln!(out, "Scope")?;
    for side in Side::BOTH {
        let name = plan.names.of(side);
        let scope = match side {
            Side::Hr => &plan.hr_scope,
            Side::Idp => &plan.idp_scope,
        };
        let Some(scope) = scope else {
            writeln!(out, "  {name}: everyone")?;
            continue;
        };
        let mut counts = vec![format!("{} people in it", scope.people)];
        if scope.excluded > 0 {
            counts.push(format!("{} excluded", scope.excluded));
        }
        if scope.outside > 0 {
            counts.push(format!("{} linked outside it", scope.outside));
        }
        writeln!(out, "  {name}: {}: {}", scope.description, counts.join(", "))?;
    }
    writeln!(out)
}

/// The headings of the account sections, with their actions, in order.
const ACCOUNT_SECTIONS: [(&str, AccountAction); 3] = [
    ("Accounts to disable", AccountAction::Disable),
    ("Sign-in sessions to revoke", AccountAction::RevokeSessions),
    ("Accounts to enable again", AccountAction::Enable),
];

fn write_accounts(out: &mut dyn Write, plan: &Plan, action: AccountAction) -> io::Result<()> {
    for a in plan.accounts.iter().filter(|a| a.action == action) {
        let why = a.reason.explain(&plan.names);
        writeln!(out, "  {} ({} {}): {why}", a.name, plan.names.idp, a.idp)?;
        writeln!(out, "      id {}  ({} {})", a.id, plan.names.hr, a.hr)?;
    }
    Ok(())
}

/// Writes the writes held back because a directory refused them for good before, one line each
/// (who, what, since when and why, the id to release it by), then `how_to_retry`, how to try
/// them again (a program names its command), on a line of its own.
///
/// # Errors
/// Writing to `out` failed.
pub fn write_held(
    out: &mut dyn Write,
    names: &Names,
    held: &[HeldItem],
    how_to_retry: &str,
) -> io::Result<()> {
    if held.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "Held back: {} (refused for good before; not written now)", held.len())?;
    for h in held {
        let value = h.value.as_deref().map(|v| format!(" → \"{v}\"")).unwrap_or_default();
        writeln!(
            out,
            "  {}: {} in {}{value}: {}",
            h.name,
            h.write,
            names.of(h.target),
            h.explain()
        )?;
    }
    writeln!(out, "  {how_to_retry}")
}

/// One write held back in the state, in a line: who, what, since when and why
/// (`Kari Nordmann: mobile phone → "+47 4000 0001" (refused 2 time(s) since 2026-11-02: …)`).
pub fn held_line(held: &HeldWrite) -> String {
    let value = held.value.as_deref().map(|v| format!(" → \"{v}\"")).unwrap_or_default();
    format!(
        "{}: {}{value} (refused {} time(s) since {}: {})",
        held.name,
        held.write,
        held.attempts,
        held.first_seen.format("%Y-%m-%d"),
        held.error
    )
}

fn record_text(names: &Names, r: &RecordRef) -> String {
    format!("{} {}", names.of(r.side), r.id)
}

fn write_pending(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    for c in plan.changes.iter().filter(|c| c.settled.is_none()) {
        writeln!(
            out,
            "  {}  {} · {}: {} {} / {} {}",
            c.id,
            c.name,
            c.field,
            plan.names.hr,
            quoted_value_text(c.hr_value.as_ref()),
            plan.names.idp,
            quoted_value_text(c.idp_value.as_ref())
        )?;
    }
    for c in plan.creations.iter().filter(|c| c.settled.is_none()) {
        writeln!(
            out,
            "  {}  {}: only in {}; create in {}?",
            c.id,
            c.name,
            plan.names.of(c.source),
            plan.names.of(c.target())
        )?;
    }
    Ok(())
}

fn write_remaining(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    for c in &plan.changes {
        for b in &c.blocked {
            if c.value(b.toward.other()).is_some() {
                writeln!(
                    out,
                    "  {} · {}: not written to {}: {}",
                    c.name,
                    c.field,
                    plan.names.of(b.toward),
                    b.reason
                )?;
            }
        }
    }
    for c in &plan.creations {
        if c.settled.map(|s| s.decision) != Some(Decision::Create) {
            writeln!(
                out,
                "  {}: only in {}, not created in {} (your choice)",
                c.name,
                plan.names.of(c.source),
                plan.names.of(c.target())
            )?;
        }
    }
    for f in &plan.findings {
        writeln!(out, "  {}", f.message)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::{
        directory::{Record, Snapshot},
        model::Person,
        plan::reconcile,
        policy::Policy,
        store::SyncState,
    };

    #[test]
    fn a_conflict_shows_both_values_its_id_and_that_it_waits() {
        let hr = Snapshot::new(vec![Record::new(
            "h1",
            Person::new()
                .with_email("ada@example.com")
                .with_given_name("Ada")
                .with_job_title("CTO"),
        )])
        .with_name("Huma");
        let idp = Snapshot::new(vec![Record::new(
            "a1",
            Person::new()
                .with_email("ada@example.com")
                .with_given_name("Ada")
                .with_job_title("Engineer"),
        )])
        .with_name("Azure AD");
        let plan = reconcile(&hr, &idp, &SyncState::new(), &Policy::default());
        let mut out = Vec::new();
        PlanText::new(&plan).write(&mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let id = plan.changes[0].id.as_str();
        assert!(text.contains("Ada · Job title"), "{text}");
        assert!(text.contains("Huma:     \"CTO\""), "{text}");
        assert!(text.contains("Azure AD: \"Engineer\""), "{text}");
        assert!(text.contains("PENDING"), "{text}");
        assert!(text.contains(id), "{text}");
    }

    #[test]
    fn a_leaver_is_listed_with_the_account_why_and_id() {
        let ada = Person::new().with_email("ada@example.com").with_given_name("Ada");
        let hr = Snapshot::new(vec![Record::new("h1", ada.clone()).inactive()]).with_name("Huma");
        let idp = Snapshot::new(vec![Record::new("a1", ada)]).with_name("Azure AD");
        let leavers = dirsync::policy::Leavers { disable: true, revoke_sessions: true };
        let policy = Policy { leavers, ..Policy::default() };
        let plan = reconcile(&hr, &idp, &SyncState::new(), &policy);
        let mut out = Vec::new();
        PlanText::new(&plan).write(&mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.contains("accounts to disable:        1"), "{text}");
        assert!(
            text.contains("Accounts to disable: 1\n  Ada (Azure AD a1): inactive in Huma"),
            "{text}"
        );
        assert!(text.contains("Sign-in sessions to revoke: 1"), "{text}");
        assert!(text.contains(plan.accounts[0].id.as_str()), "{text}");
    }

    #[test]
    fn the_scope_of_each_side_and_who_left_it_are_shown_and_nothing_without_a_scope() {
        let ada = Person::new().with_email("ada@example.com").with_given_name("Ada");
        let hr = Snapshot::new(vec![Record::new("h1", ada.clone()).out_of_scope()])
            .with_name("Huma")
            .with_scope("the people of company C in Huma");
        let idp = Snapshot::new(vec![
            Record::new("a1", ada),
            Record::new("a9", Person::new().with_email("root@example.com")).excluded(),
        ])
        .with_name("Azure AD")
        .with_scope("everyone in Azure AD, except the members of the group G");
        let mut state = SyncState::new();
        state.link("h1".into(), "a1".into(), Person::new());
        let plan = reconcile(&hr, &idp, &state, &Policy::default());
        let mut out = Vec::new();
        PlanText::new(&plan).write(&mut out).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(text.starts_with("Scope\n  Huma: the people of company C in Huma: 0 people in it, 1 linked outside it\n"), "{text}");
        assert!(text.contains("  Azure AD: everyone in Azure AD, except the members of the group G: 1 people in it, 1 excluded\n"), "{text}");
        assert!(text.contains("of them left the scope:     1 (left alone)"), "{text}");
        assert!(!text.contains("(inactive)"), "{text}");
        assert!(text.contains("Ada left the scope of the sync"), "{text}");

        // Without a scope on either side, the plan starts as it always did.
        let none = Snapshot::new(vec![]);
        let plain = reconcile(&none, &none, &SyncState::new(), &Policy::default());
        let mut out = Vec::new();
        PlanText::new(&plain).write(&mut out).expect("writes");
        assert!(String::from_utf8(out).expect("utf-8").starts_with("Plan\n"));
    }

    #[test]
    fn a_held_back_write_is_one_line_with_since_and_the_id_to_release() {
        let at = chrono::DateTime::from_timestamp(1_793_577_600, 0).expect("a time"); // 2026-11-02
        let held = HeldItem {
            id: dirsync::plan::ItemId::new("held-0123456789abcdef"),
            name: "Lars Eriksson".into(),
            target: Side::Idp,
            record: "a7".into(),
            write: dirsync::held::Write::Field(dirsync::model::Field::Phone),
            value: Some("+46 70 123 45 67".into()),
            error: "permission denied: Insufficient privileges".into(),
            since: at,
            attempts: 1,
            next_try: at + chrono::Duration::hours(1),
            tried_again: false,
        };
        let mut out = Vec::new();
        let retry = "To try one again: release its id.";
        write_held(&mut out, &Names::new("Huma", "Azure AD"), &[held], retry).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let line = text.lines().find(|l| l.contains("Lars")).expect("a line for Lars");
        assert!(line.starts_with("  Lars Eriksson: Phone number in Azure AD → \"+46 70"), "{text}");
        assert!(line.contains("held back since 2026-11-02: permission denied"), "{text}");
        assert!(line.contains("held-0123456789abcdef"), "{text}");
        assert!(text.ends_with("  To try one again: release its id.\n"), "{text}");
    }

    #[test]
    fn a_held_write_of_the_state_is_one_line_with_its_value_refusals_and_reason() {
        let at = chrono::DateTime::from_timestamp(1_793_577_600, 0).expect("a time"); // 2026-11-02
        let held = HeldWrite {
            id: dirsync::plan::ItemId::new("held-0123456789abcdef"),
            target: Side::Idp,
            record: "a7".into(),
            name: "Lars Eriksson".into(),
            write: dirsync::held::Write::Field(dirsync::model::Field::Phone),
            value: Some("+46 70 123 45 67".into()),
            current: None,
            value_data: None,
            current_data: None,
            person_data: None,
            kind: dirsync::directory::ErrorKind::PermissionDenied,
            error: "Insufficient privileges".into(),
            first_seen: at,
            last_seen: at,
            attempts: 2,
        };
        assert_eq!(
            held_line(&held),
            "Lars Eriksson: Phone number → \"+46 70 123 45 67\" (refused 2 time(s) since \
             2026-11-02: Insufficient privileges)"
        );
    }
}

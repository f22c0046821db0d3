//! A plan printed for a person: the counts, then every conflict and missing value with both values
//! and its id, the people to create, and the findings.

use dirsync::{
    ChangeKind, Creation, DecidedBy, Decision, FieldValue, Names, Plan, RecordRef, Settled, Side,
};
use std::io::{self, Write};

/// Picks the changes of one section.
type KindFilter = fn(ChangeKind) -> bool;

/// A value for one line of text, quoted; "(empty)" when absent.
pub fn value_text(value: Option<&FieldValue>) -> String {
    match value {
        Some(v) => format!("\"{}\"", v.to_string().replace(['\r', '\n'], ", ")),
        None => "(empty)".to_owned(),
    }
}

/// What a settled item will do, in words; "PENDING" while it waits for a decision.
fn settled_text(names: &Names, settled: Option<Settled>, kind: Option<ChangeKind>) -> String {
    let Some(Settled { decision, by }) = settled else {
        return "PENDING: decide with --prefer, --decisions FILE, or answer in a terminal"
            .to_owned();
    };
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

/// Prints `plan` readably.
///
/// # Errors
/// Writing to `out` failed.
pub fn print_plan(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    let s = plan.summary();
    writeln!(out, "Plan")?;
    writeln!(out, "  people paired:              {}", s.pairs)?;
    if s.out_of_scope > 0 {
        writeln!(out, "  of them left alone:         {} (inactive)", s.out_of_scope)?;
    }
    writeln!(out, "  conflicts:                  {}", s.conflicts)?;
    writeln!(out, "  missing values:             {}", s.missing)?;
    writeln!(out, "  changed on one side:        {}", s.flows)?;
    writeln!(out, "  {:<27} {}", format!("only in {}:", plan.names.hr), s.create_in_idp)?;
    writeln!(out, "  {:<27} {}", format!("only in {}:", plan.names.idp), s.create_in_hr)?;
    writeln!(out, "  findings:                   {}", s.findings)?;
    writeln!(out, "  waiting for a decision:     {}", s.pending)?;

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
            writeln!(out, "      {hr:<width$} {}", value_text(c.hr_value.as_ref()))?;
            writeln!(out, "      {idp:<width$} {}", value_text(c.idp_value.as_ref()))?;
            let target = match c.settled.map(|s| s.decision) {
                Some(Decision::UseHr) => Some(Side::Idp),
                Some(Decision::UseIdp) => Some(Side::Hr),
                _ => None,
            };
            match target.and_then(|t| c.blocked_toward(t).map(|reason| (t, reason))) {
                Some((t, reason)) => {
                    writeln!(out, "      → not written to {}: {reason}", plan.names.of(t))?;
                }
                None => {
                    writeln!(out, "      → {}", settled_text(&plan.names, c.settled, Some(c.kind)))?
                }
            }
            let names = &plan.names;
            writeln!(out, "      id {}  ({} {}, {} {})", c.id, names.hr, c.hr, names.idp, c.idp)?;
        }
    }

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
                Some(Settled { decision: Decision::Skip, .. }) => format!(
                    "not created: listed for you to choose (--create-in-{} all, or \"create\" \
                     in a decisions file)",
                    match c.target() {
                        Side::Hr => "huma",
                        Side::Idp => "idp",
                    }
                ),
                _ => settled_text(&plan.names, c.settled, None),
            };
            writeln!(out, "      → {what}")?;
            for (field, reason) in &c.left_out {
                writeln!(out, "      ! {field} is left out: {reason}")?;
            }
            writeln!(out, "      id {}  ({} {})", c.id, plan.names.of(c.source), c.record)?;
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

fn record_text(names: &Names, r: &RecordRef) -> String {
    format!("{} {}", names.of(r.side), r.id)
}

/// Prints the items still waiting for a decision, one line each, with their ids.
///
/// # Errors
/// Writing to `out` failed.
pub fn print_pending(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
    for c in plan.changes.iter().filter(|c| c.settled.is_none()) {
        writeln!(
            out,
            "  {}  {} · {}: {} {} / {} {}",
            c.id,
            c.name,
            c.field,
            plan.names.hr,
            value_text(c.hr_value.as_ref()),
            plan.names.idp,
            value_text(c.idp_value.as_ref())
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

/// Prints, one line each, what a settled plan leaves as it is: values that cannot be written and
/// people found on one side only who are not created.
///
/// # Errors
/// Writing to `out` failed.
pub fn print_remaining(out: &mut dyn Write, plan: &Plan) -> io::Result<()> {
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
    use dirsync::{Person, Policy, Record, Snapshot, SyncState, reconcile};

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
        print_plan(&mut out, &plan).expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let id = plan.changes[0].id.as_str();
        assert!(text.contains("Ada · Job title"), "{text}");
        assert!(text.contains("Huma:     \"CTO\""), "{text}");
        assert!(text.contains("Azure AD: \"Engineer\""), "{text}");
        assert!(text.contains("PENDING"), "{text}");
        assert!(text.contains(id), "{text}");
    }
}

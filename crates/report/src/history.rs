//! The history of runs as text, for a log or a terminal: what each run did, to whom.

use crate::words::quoted_value_text;
use dirsync::{
    model::Side,
    report::Counts,
    store::{RunEntry, WriteRecord},
};

/// One recorded run as lines of text: when, who, how it ended, its counts and error, then its
/// writes, each field of an operation under it.
///
/// ```text
/// Run 7 of acme · 2026-11-02 06:00:00 UTC · 2.4 s · sync worker on host-1 (process 812)
///   done: Huma 0 updated, 0 created; identity directory 1 updated, 0 created; 0 failed
///   - Kari Nordmann (Huma h-1, directory a-2): update in the identity directory: done
///       Job title: "Finance Manager" → "Head of Finance"
/// ```
pub fn run_text(entry: &RunEntry) -> String {
    let run = &entry.run;
    let took = (run.finished_at - run.started_at).num_milliseconds().max(0) as f64 / 1000.0;
    let mut lines = vec![
        format!(
            "Run {} of {} · {} · {took:.1} s · {}",
            entry.id,
            entry.organisation,
            run.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
            run.holder
        ),
        format!("  {}: {}", run.outcome.as_str().replace('_', " "), counts_text(&run.counts)),
    ];
    if let Some(error) = &run.error {
        lines.push(format!("  error: {error}"));
    }
    // A person's writes of one operation (a creation's fields) under one line.
    for writes in run.writes.chunk_by(same_operation) {
        lines.push(format!("  - {}", operation_text(&writes[0])));
        for write in writes.iter().filter(|w| w.field.is_some() && !w.action.is_account()) {
            lines.push(format!("      {}", field_text(write)));
        }
    }
    lines.join("\n")
}

/// Whether two writes are fields of one operation: one person, one side, one outcome.
fn same_operation(a: &WriteRecord, b: &WriteRecord) -> bool {
    (&a.name, &a.hr, &a.idp, a.target, a.action, a.outcome, &a.error)
        == (&b.name, &b.hr, &b.idp, b.target, b.action, b.outcome, &b.error)
}

/// A run's counts in words, for the history and the worker's log.
pub fn counts_text(counts: &Counts) -> String {
    let mut text = format!(
        "Huma {} updated, {} created; identity directory {} updated, {} created; {} failed",
        counts.updated_in_hr,
        counts.created_in_hr,
        counts.updated_in_idp,
        counts.created_in_idp,
        counts.failed
    );
    for (n, what) in [
        (counts.not_attempted, "not attempted"),
        (counts.disabled_in_idp, "accounts disabled"),
        (counts.enabled_in_idp, "enabled again"),
        (counts.held, "held back"),
    ] {
        if n > 0 {
            text.push_str(&format!(", {n} {what}"));
        }
    }
    text
}

/// An operation: who (both ids), what, where, how it ended.
fn operation_text(write: &WriteRecord) -> String {
    let ids: Vec<String> = [("Huma", &write.hr), ("directory", &write.idp)]
        .into_iter()
        .filter_map(|(side, id)| id.as_ref().map(|id| format!("{side} {id}")))
        .collect();
    let target = match write.target {
        Side::Hr => "Huma",
        Side::Idp => "the identity directory",
    };
    let error = write.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
    format!(
        "{} ({}): {} in {target}: {}{error}",
        write.name,
        ids.join(", "),
        write.action.label(),
        write.outcome.as_str().replace('_', " ")
    )
}

/// One field of an operation: its value before and after.
fn field_text(write: &WriteRecord) -> String {
    let field = write.field.map(|field| field.to_string()).unwrap_or_default();
    let before = quoted_value_text(write.before.as_ref());
    let after = quoted_value_text(write.after.as_ref());
    format!("{field}: {before} → {after}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::{
        model::{Field, FieldValue},
        report::Action,
        store::WriteOutcome,
    };

    #[test]
    fn a_write_names_the_person_both_ids_the_field_and_both_values() {
        let write = WriteRecord {
            name: "Kari Nordmann".to_owned(),
            target: Side::Idp,
            hr: Some("h-1".into()),
            idp: Some("a-2".into()),
            action: Action::Update,
            field: Some(Field::JobTitle),
            before: Some(FieldValue::Text("Finance Manager".to_owned())),
            after: Some(FieldValue::Text("Head of Finance".to_owned())),
            outcome: WriteOutcome::Failed,
            error: Some("permission denied".to_owned()),
        };
        assert_eq!(
            operation_text(&write),
            "Kari Nordmann (Huma h-1, directory a-2): update in the identity directory: failed: \
             permission denied"
        );
        assert_eq!(field_text(&write), "Job title: \"Finance Manager\" → \"Head of Finance\"");
        let created = WriteRecord { action: Action::Create, hr: None, before: None, ..write };
        assert_eq!(field_text(&created), "Job title: (empty) → \"Head of Finance\"");
        assert!(operation_text(&created).starts_with("Kari Nordmann (directory a-2): create"));
    }

    #[test]
    fn counts_name_only_the_rare_kinds_that_happened() {
        let counts = Counts { updated_in_idp: 3, created_in_idp: 1, held: 2, ..Counts::default() };
        assert_eq!(
            counts_text(&counts),
            "Huma 0 updated, 0 created; identity directory 3 updated, 1 created; 0 failed, 2 \
             held back"
        );
    }
}

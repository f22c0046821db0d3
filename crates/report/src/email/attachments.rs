//! The full report attached to its email: `changes.csv` for a spreadsheet, `report.json` for a
//! program.

use crate::words::{finding_label, outcome_text, value_text};
use dirsync::{
    mail::Attachment,
    report::{Action, Report},
};

/// The columns of `changes.csv`.
const HEADER: [&str; 9] =
    ["Person", "System", "Write", "Field", "Before", "After", "Outcome", "Details", "What to do"];

/// `report.json` always; `changes.csv` when there is a row for it.
pub(crate) fn attachments(report: &Report) -> Vec<Attachment> {
    let mut files = Vec::new();
    let rows = rows(report);
    if !rows.is_empty()
        && let Some(bytes) = csv_bytes(&rows)
    {
        files.push(Attachment {
            name: "changes.csv".to_owned(),
            content_type: "text/csv; charset=utf-8".to_owned(),
            bytes,
        });
    }
    // A report is plain data with string keys: it always serialises.
    if let Ok(json) = report.to_json_pretty() {
        files.push(Attachment {
            name: "report.json".to_owned(),
            content_type: "application/json".to_owned(),
            bytes: (json + "\n").into_bytes(),
        });
    }
    files
}

/// One row per field written (or to be written), per skipped item and per finding.
fn rows(report: &Report) -> Vec<[String; 9]> {
    let names = &report.names;
    let mut rows = Vec::new();
    for op in &report.operations {
        let write = op.action.label();
        let (details, todo) = match op.outcome.label() {
            "done" => (String::new(), String::new()),
            _ => outcome_text(&op.outcome),
        };
        let fields: Vec<Option<&dirsync::report::FieldReport>> =
            if op.fields.is_empty() { vec![None] } else { op.fields.iter().map(Some).collect() };
        for field in fields {
            rows.push([
                op.name.clone(),
                names.of(op.target).to_owned(),
                write.to_owned(),
                field.map(|f| f.field.label().to_owned()).unwrap_or_default(),
                match (op.action, field) {
                    (Action::Update, Some(f)) => value_text(f.from.as_ref()),
                    _ => String::new(),
                },
                field.map(|f| value_text(Some(&f.to))).unwrap_or_default(),
                op.outcome.label().to_owned(),
                details.clone(),
                todo.clone(),
            ]);
        }
    }
    for s in &report.skipped {
        rows.push([
            s.name.clone(),
            s.target.map(|side| names.of(side).to_owned()).unwrap_or_default(),
            if s.field.is_some() { "update" } else { "create" }.to_owned(),
            s.field.map(|f| f.label().to_owned()).unwrap_or_default(),
            String::new(),
            String::new(),
            if s.field.is_some() { "held back" } else { "waiting for a decision" }.to_owned(),
            s.reason.clone(),
            String::new(),
        ]);
    }
    for f in &report.findings {
        let mut row: [String; 9] = Default::default();
        row[6] = "finding".to_owned();
        row[7] = format!("{}: {}", finding_label(f.kind), f.message);
        rows.push(row);
    }
    rows
}

fn csv_bytes(rows: &[[String; 9]]) -> Option<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER).ok()?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| defused(cell))).ok()?;
    }
    writer.into_inner().ok()
}

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a tab or a carriage return
/// first) gets a leading `'`, so opening the file runs nothing a value in a directory says.
fn defused(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_that_looks_like_a_formula_is_defused() {
        assert_eq!(defused("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defused("+47 100"), "'+47 100");
        assert_eq!(defused("Ada"), "Ada");
    }

    #[test]
    fn an_empty_report_attaches_only_its_json() {
        let files = attachments(&Report::default());
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["report.json"]);
        let back: Report = serde_json::from_slice(&files[0].bytes).expect("the report");
        assert_eq!(back, Report::default());
    }
}

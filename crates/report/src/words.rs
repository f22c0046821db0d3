//! The words every view of a run shares: labels, values on one line, what a write did and what to
//! do about an outcome. Laid out by the HTML report, Markdown, the email and the review page.

use chrono::{DateTime, Utc};
use dirsync::{
    model::FieldValue,
    plan::FindingKind,
    report::{Action, HeldItem, OperationReport, Outcome, Report},
};
use std::time::Duration;

/// The heading of a report without a title.
pub(crate) const DEFAULT_TITLE: &str = "Sync report";

/// A finding's kind as a person reads it: "Ambiguous", "Cannot create".
pub fn finding_label(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Ambiguous => "Ambiguous",
        FindingKind::WouldDuplicate => "Would duplicate",
        FindingKind::LinkBroken => "Broken link",
        FindingKind::CannotCreate => "Cannot create",
        FindingKind::InvalidValue => "Invalid value",
        FindingKind::DuplicateRecordId => "Duplicate record id",
        FindingKind::MalformedEmail => "Malformed email",
        FindingKind::Unreadable => "Unreadable record",
        FindingKind::LeftScope => "Left the scope",
        FindingKind::Excluded => "Excluded",
        FindingKind::OutsideScope => "Outside the scope",
        FindingKind::NotLookedUp => "Not looked up",
    }
}

/// A value in quotes on one line, for text where "(empty)" must stand out from a blank:
/// `"Storgata 1, Leilighet 2"`, `(empty)`.
pub fn quoted_value_text(value: Option<&FieldValue>) -> String {
    match value {
        Some(v) => format!("\"{}\"", v.to_string().replace(['\r', '\n'], ", ")),
        None => "(empty)".to_owned(),
    }
}

/// A value on one line; "—" when there is none.
pub fn value_text(value: Option<&FieldValue>) -> String {
    value.map(|v| one_line(&v.to_string())).unwrap_or_else(|| "—".to_owned())
}

/// A value on one line: line breaks (which could fake a heading or a new entry) become spaces.
pub(crate) fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// "update of a4 (Job title Researcher → R&D)", "disable the account of a7 (inactive in Huma)".
pub(crate) fn action_text(op: &OperationReport) -> String {
    let verb = op.action.label();
    let record = op.record().map(|r| format!(" of {r}")).unwrap_or_default();
    if op.action.is_account() {
        let why = op.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
        return format!("{verb} the account{record}{why}");
    }
    let fields: Vec<String> = match op.action {
        Action::Update => op
            .fields
            .iter()
            .map(|f| {
                let (from, to) = (value_text(f.from.as_ref()), value_text(Some(&f.to)));
                format!("{} {from} → {to}", f.field.label())
            })
            .collect(),
        _ => op.fields.iter().map(|f| f.field.label().to_owned()).collect(),
    };
    format!("{verb}{record} ({})", fields.join("; "))
}

/// What happened to a write that did not end as done, and what to do about it.
pub(crate) fn outcome_text(outcome: &Outcome) -> (String, String) {
    match outcome {
        Outcome::Done => ("done".to_owned(), String::new()),
        Outcome::Skipped { reason } => (reason.clone(), String::new()),
        Outcome::Failed { kind, message } => {
            (format!("{kind}: {message}"), outcome.advice().unwrap_or_default().to_owned())
        }
        Outcome::NotAttempted => {
            ("not attempted: the run stopped first".to_owned(), "sync again".to_owned())
        }
    }
}

/// The operations whose outcome has this [`Outcome::label`].
pub(crate) fn operations_with<'a>(
    report: &'a Report,
    label: &'a str,
) -> impl Iterator<Item = &'a OperationReport> + 'a {
    report.operations.iter().filter(move |o| o.outcome.label() == label)
}

/// The field changes made (account changes have sections of their own).
pub(crate) fn done_changes(report: &Report) -> Vec<&OperationReport> {
    operations_with(report, "done").filter(|op| !op.action.is_account()).collect()
}

/// The rows of the "skipped" table: person, system, field, why.
pub(crate) fn skipped_rows(report: &Report) -> Vec<[String; 4]> {
    let mut rows: Vec<[String; 4]> = operations_with(report, "skipped")
        .map(|op| {
            [
                op.name.clone(),
                report.names.of(op.target).to_owned(),
                "—".to_owned(),
                outcome_text(&op.outcome).0,
            ]
        })
        .collect();
    rows.extend(report.skipped.iter().map(|s| {
        [
            s.name.clone(),
            s.target.map(|side| report.names.of(side)).unwrap_or("—").to_owned(),
            s.field.map(|f| f.label()).unwrap_or("—").to_owned(),
            s.reason.clone(),
        ]
    }));
    rows.sort();
    rows
}

/// The account changes made with `action`: one row each of person, account, why.
pub(crate) fn account_rows(report: &Report, action: Action) -> Vec<[String; 3]> {
    operations_with(report, "done")
        .filter(|op| op.action == action)
        .map(|op| {
            let account = op.idp.as_ref().map(ToString::to_string).unwrap_or_default();
            [op.name.clone(), account, op.reason.clone().unwrap_or_default()]
        })
        .collect()
}

/// The headings of the account sections, with their actions, in order.
pub(crate) const ACCOUNT_SECTIONS: [(&str, Action); 3] = [
    ("Accounts disabled", Action::Disable),
    ("Sign-in sessions revoked", Action::RevokeSessions),
    ("Accounts enabled again", Action::Enable),
];

/// The summary's lines for account changes and held-back writes, those that are not zero.
pub(crate) fn account_counts(report: &Report) -> Vec<(&'static str, usize)> {
    let c = &report.counts;
    [
        ("Accounts disabled", c.disabled_in_idp),
        ("Accounts enabled again", c.enabled_in_idp),
        ("Held back", c.held),
    ]
    .into_iter()
    .filter(|(_, n)| *n > 0)
    .collect()
}

/// When the run's account changes happened, as the report shows it.
pub(crate) fn when(report: &Report) -> String {
    match report.started_at.or(report.generated_at) {
        Some(at) => shown_time(&at),
        None => "this run".to_owned(),
    }
}

/// A time as the report shows it: "2026-11-26 13:00 UTC".
pub(crate) fn shown_time(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Why the run stopped, in words naming the directories, if it did.
pub(crate) fn stopped_text(report: &Report) -> Option<String> {
    report.stopped.as_ref().map(|stop| stop.explain(&report.names))
}

/// A line of the "held back" list: who, where, what; and why.
pub(crate) fn held_line(report: &Report, held: &HeldItem) -> (String, String) {
    let value = held.value.as_ref().map(|v| format!(" → {v}")).unwrap_or_default();
    let what = format!("{} in {}{value}", held.write, report.names.of(held.target));
    (format!("{}: {what}", held.name), held.explain())
}

/// Whether the report has nothing to show.
pub(crate) fn is_empty(report: &Report, skipped: &[[String; 4]]) -> bool {
    report.operations.is_empty()
        && skipped.is_empty()
        && report.findings.is_empty()
        && report.held.is_empty()
}

/// The count rows for each side, in order: label, the HR system's, the identity directory's.
pub(crate) fn side_counts(report: &Report) -> [(&'static str, usize, usize); 2] {
    let c = &report.counts;
    [("Updated", c.updated_in_hr, c.updated_in_idp), ("Created", c.created_in_hr, c.created_in_idp)]
}

/// "850 ms", "12 s", "2 min 5 s", "1 h 3 min".
pub fn duration_text(d: Duration) -> String {
    let secs = d.as_secs();
    match secs {
        0 => format!("{} ms", d.as_millis()),
        1..=59 => format!("{secs} s"),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// "nothing to change" → "Nothing to change".
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_a_person_says_them() {
        assert_eq!(duration_text(Duration::from_millis(850)), "850 ms");
        assert_eq!(duration_text(Duration::from_secs(12)), "12 s");
        assert_eq!(duration_text(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(duration_text(Duration::from_secs(3780)), "1 h 3 min");
    }

    #[test]
    fn a_value_never_breaks_its_line() {
        let street = FieldValue::Text("Storgata 1\r\nOslo".into());
        assert_eq!(value_text(Some(&street)), "Storgata 1  Oslo");
        assert_eq!(value_text(None), "—");
    }
}

//! The report as Markdown and as a self-contained HTML page.

use super::{Action, OperationReport, Outcome, Report};
use crate::{FieldValue, FindingKind};
use std::fmt::Write as _;

const DEFAULT_TITLE: &str = "Sync report";

pub(crate) fn finding_label(kind: FindingKind) -> &'static str {
    match kind {
        FindingKind::Ambiguous => "Ambiguous",
        FindingKind::WouldDuplicate => "Would duplicate",
        FindingKind::LinkBroken => "Broken link",
        FindingKind::CannotCreate => "Cannot create",
        FindingKind::InvalidValue => "Invalid value",
        FindingKind::DuplicateRecordId => "Duplicate record id",
        FindingKind::MalformedEmail => "Malformed email",
        FindingKind::Unreadable => "Unreadable record",
    }
}

pub(crate) fn value_text(value: Option<&FieldValue>) -> String {
    value.map(|v| v.to_string().replace(['\r', '\n'], " ")).unwrap_or_else(|| "—".to_owned())
}

fn action_text(op: &OperationReport) -> String {
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

/// The one-line explanation of an operation that did not end as done.
pub(crate) fn outcome_text(outcome: &Outcome) -> (String, String) {
    match outcome {
        Outcome::Done => ("done".to_owned(), String::new()),
        Outcome::Skipped { reason } => (reason.clone(), String::new()),
        Outcome::Failed { kind, message, advice } => (format!("{kind}: {message}"), advice.clone()),
        Outcome::NotAttempted => {
            ("not attempted: the run stopped first".to_owned(), "sync again".to_owned())
        }
    }
}

/// A row of the "skipped" table: person, system, field, why.
fn skipped_rows(report: &Report) -> Vec<[String; 4]> {
    let mut rows: Vec<[String; 4]> = report
        .operations_with("skipped")
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
fn account_rows(report: &Report, action: Action) -> Vec<[String; 3]> {
    report
        .operations_with("done")
        .filter(|op| op.action == action)
        .map(|op| {
            let account = op.idp.as_ref().map(ToString::to_string).unwrap_or_default();
            [op.name.clone(), account, op.reason.clone().unwrap_or_default()]
        })
        .collect()
}

/// The headings of the account sections, with their actions, in order.
const ACCOUNT_SECTIONS: [(&str, Action); 3] = [
    ("Accounts disabled", Action::Disable),
    ("Sign-in sessions revoked", Action::RevokeSessions),
    ("Accounts enabled again", Action::Enable),
];

/// When the run's account changes happened, as the report shows it.
fn when(report: &Report) -> String {
    match (&report.started_at, &report.generated_at) {
        (Some(at), _) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
        (None, Some(at)) => at.clone(),
        (None, None) => "this run".to_owned(),
    }
}

/// A line of the "held back" list: who, where, what.
fn held_line(report: &Report, held: &super::HeldItem) -> (String, String) {
    let value = held.value.as_ref().map(|v| format!(" → {v}")).unwrap_or_default();
    let what = format!("{} in {}{value}", held.write, report.names.of(held.target));
    (format!("{}: {what}", held.name), held.explain())
}

/// Escapes text for Markdown: every character that could start markup is backslash-escaped, and
/// line breaks become spaces so a value never breaks a table.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '~' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub(crate) fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

impl Report {
    /// The summary's lines for account changes and held-back writes, those that are not zero.
    fn account_counts(&self) -> Vec<(&'static str, usize)> {
        let c = &self.counts;
        [
            ("Accounts disabled", c.disabled_in_idp),
            ("Accounts enabled again", c.enabled_in_idp),
            ("Held back", c.held),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    /// Whether the report has nothing to show.
    fn is_empty(&self, skipped: &[[String; 4]]) -> bool {
        self.operations.is_empty()
            && skipped.is_empty()
            && self.findings.is_empty()
            && self.held.is_empty()
    }

    /// The report as Markdown (CommonMark with tables), every value escaped.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_markdown(&mut out);
        out
    }

    fn write_markdown(&self, out: &mut String) -> std::fmt::Result {
        let title = self.title.as_deref().unwrap_or(DEFAULT_TITLE);
        writeln!(out, "# {}\n", md(title))?;
        if let Some(at) = &self.generated_at {
            writeln!(out, "Generated: {}\n", md(at))?;
        }
        if let Some(stopped) = &self.stopped {
            writeln!(out, "**The sync stopped early.** {}\n", md(stopped))?;
        }
        let c = &self.counts;
        writeln!(out, "## Summary\n")?;
        writeln!(out, "| | {} | {} |", md(&self.names.hr), md(&self.names.idp))?;
        writeln!(out, "|---|---:|---:|")?;
        writeln!(out, "| Updated | {} | {} |", c.updated_in_hr, c.updated_in_idp)?;
        writeln!(out, "| Created | {} | {} |\n", c.created_in_hr, c.created_in_idp)?;
        writeln!(out, "- Skipped: {}", c.skipped)?;
        writeln!(out, "- Failed: {}", c.failed)?;
        writeln!(out, "- Not attempted: {}", c.not_attempted)?;
        writeln!(out, "- Findings: {}", c.findings)?;
        for (label, n) in self.account_counts() {
            writeln!(out, "- {label}: {n}")?;
        }
        writeln!(out)?;

        let done: Vec<&OperationReport> =
            self.operations_with("done").filter(|op| !op.action.is_account()).collect();
        if !done.is_empty() {
            writeln!(out, "## Changes made\n")?;
            let mut person: Option<&str> = None;
            for op in done {
                if person != Some(op.name.as_str()) {
                    if person.is_some() {
                        writeln!(out)?;
                    }
                    person = Some(&op.name);
                    writeln!(out, "### {}\n", md(&op.name))?;
                    writeln!(out, "| System | Field | Before | After |")?;
                    writeln!(out, "|---|---|---|---|")?;
                }
                for field in &op.fields {
                    let before = match op.action {
                        Action::Create => "(new person)".to_owned(),
                        _ => md(&value_text(field.from.as_ref())),
                    };
                    writeln!(
                        out,
                        "| {} | {} | {} | {} |",
                        self.names.of(op.target),
                        field.field.label(),
                        before,
                        md(&value_text(Some(&field.to)))
                    )?;
                }
            }
            writeln!(out)?;
        }

        for (heading, action) in ACCOUNT_SECTIONS {
            let rows = account_rows(self, action);
            if rows.is_empty() {
                continue;
            }
            writeln!(out, "## {heading}: {}\n", rows.len())?;
            writeln!(out, "At {}.\n", md(&when(self)))?;
            writeln!(out, "| Person | Account | Why |")?;
            writeln!(out, "|---|---|---|")?;
            for [name, account, why] in &rows {
                writeln!(out, "| {} | {} | {} |", md(name), md(account), md(why))?;
            }
            writeln!(out)?;
        }

        let failed: Vec<&OperationReport> = self.operations_with("failed").collect();
        if !failed.is_empty() {
            writeln!(out, "## Failed\n")?;
            writeln!(out, "| Person | System | Write | Error | What to do |")?;
            writeln!(out, "|---|---|---|---|---|")?;
            for op in failed {
                let (error, advice) = outcome_text(&op.outcome);
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} |",
                    md(&op.name),
                    self.names.of(op.target),
                    md(&action_text(op)),
                    md(&error),
                    md(&advice)
                )?;
            }
            writeln!(out)?;
        }

        let not_attempted: Vec<&OperationReport> = self.operations_with("not attempted").collect();
        if !not_attempted.is_empty() {
            writeln!(out, "## Not attempted\n")?;
            for op in not_attempted {
                writeln!(
                    out,
                    "- {}: {} in {}",
                    md(&op.name),
                    md(&action_text(op)),
                    md(self.names.of(op.target))
                )?;
            }
            writeln!(out)?;
        }

        let skipped = skipped_rows(self);
        if !skipped.is_empty() {
            writeln!(out, "## Skipped\n")?;
            writeln!(out, "| Person | System | Field | Why |")?;
            writeln!(out, "|---|---|---|---|")?;
            for [name, system, field, why] in &skipped {
                writeln!(out, "| {} | {} | {} | {} |", md(name), system, field, md(why))?;
            }
            writeln!(out)?;
        }

        if !self.held.is_empty() {
            writeln!(out, "## Held back: {}\n", self.held.len())?;
            for held in &self.held {
                let (what, why) = held_line(self, held);
                writeln!(out, "- {}: {}", md(&what), md(&why))?;
            }
            writeln!(out)?;
        }

        if !self.findings.is_empty() {
            writeln!(out, "## Findings\n")?;
            for finding in &self.findings {
                writeln!(out, "- **{}**: {}", finding_label(finding.kind), md(&finding.message))?;
            }
            writeln!(out)?;
        }

        if self.is_empty(&skipped) {
            writeln!(out, "Nothing needed to change.\n")?;
        }
        Ok(())
    }

    /// The report as one self-contained HTML page: inline styles only, no scripts, no external
    /// resources, every value escaped; suited to the body of an email.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_html(&mut out);
        out
    }

    fn write_html(&self, out: &mut String) -> std::fmt::Result {
        const BODY: &str = "font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1f2328;\
                            margin:0;padding:24px;background:#ffffff";
        const TABLE: &str = "border-collapse:collapse;margin:8px 0 16px 0";
        const TH: &str = "text-align:left;border:1px solid #d0d7de;padding:6px 10px;\
                          background:#f6f8fa";
        const TD: &str = "border:1px solid #d0d7de;padding:6px 10px;vertical-align:top";
        const NUM: &str = "border:1px solid #d0d7de;padding:6px 10px;text-align:right";
        const FAILED: &str = "border:1px solid #d0d7de;padding:6px 10px;vertical-align:top;\
                              background:#ffebe9";
        const H2: &str = "font-size:18px;margin:24px 0 8px 0";
        const H3: &str = "font-size:15px;margin:16px 0 4px 0";
        const STOPPED: &str = "padding:10px 12px;border:1px solid #cf222e;background:#ffebe9";

        let title = html(self.title.as_deref().unwrap_or(DEFAULT_TITLE));
        writeln!(out, "<!DOCTYPE html>")?;
        writeln!(out, "<html lang=\"en\">")?;
        writeln!(out, "<head>")?;
        writeln!(out, "<meta charset=\"utf-8\">")?;
        writeln!(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
        writeln!(out, "<title>{title}</title>")?;
        writeln!(out, "</head>")?;
        writeln!(out, "<body style=\"{BODY}\">")?;
        writeln!(out, "<h1 style=\"font-size:22px;margin:0 0 8px 0\">{title}</h1>")?;
        if let Some(at) = &self.generated_at {
            writeln!(out, "<p style=\"color:#59636e\">Generated: {}</p>", html(at))?;
        }
        if let Some(stopped) = &self.stopped {
            writeln!(
                out,
                "<p style=\"{STOPPED}\"><strong>The sync stopped early.</strong> {}</p>",
                html(stopped)
            )?;
        }

        let c = &self.counts;
        writeln!(out, "<h2 style=\"{H2}\">Summary</h2>")?;
        writeln!(out, "<table style=\"{TABLE}\">")?;
        writeln!(
            out,
            "<tr><th style=\"{TH}\"></th><th style=\"{TH}\">{}</th>\
             <th style=\"{TH}\">{}</th></tr>",
            html(&self.names.hr),
            html(&self.names.idp)
        )?;
        for (label, hr, idp) in [
            ("Updated", c.updated_in_hr, c.updated_in_idp),
            ("Created", c.created_in_hr, c.created_in_idp),
        ] {
            writeln!(
                out,
                "<tr><th style=\"{TH}\">{label}</th><td style=\"{NUM}\">{hr}</td>\
                 <td style=\"{NUM}\">{idp}</td></tr>"
            )?;
        }
        writeln!(out, "</table>")?;
        writeln!(out, "<table style=\"{TABLE}\">")?;
        for (label, n) in [
            ("Skipped", c.skipped),
            ("Failed", c.failed),
            ("Not attempted", c.not_attempted),
            ("Findings", c.findings),
        ]
        .into_iter()
        .chain(self.account_counts())
        {
            writeln!(out, "<tr><th style=\"{TH}\">{label}</th><td style=\"{NUM}\">{n}</td></tr>")?;
        }
        writeln!(out, "</table>")?;

        let done: Vec<&OperationReport> =
            self.operations_with("done").filter(|op| !op.action.is_account()).collect();
        if !done.is_empty() {
            writeln!(out, "<h2 style=\"{H2}\">Changes made</h2>")?;
            let mut person: Option<&str> = None;
            for op in done {
                if person != Some(op.name.as_str()) {
                    if person.is_some() {
                        writeln!(out, "</table>")?;
                    }
                    person = Some(&op.name);
                    writeln!(out, "<h3 style=\"{H3}\">{}</h3>", html(&op.name))?;
                    writeln!(out, "<table style=\"{TABLE}\">")?;
                    writeln!(
                        out,
                        "<tr><th style=\"{TH}\">System</th><th style=\"{TH}\">Field</th>\
                         <th style=\"{TH}\">Before</th><th style=\"{TH}\">After</th></tr>"
                    )?;
                }
                for field in &op.fields {
                    let before = match op.action {
                        Action::Create => "(new person)".to_owned(),
                        _ => value_text(field.from.as_ref()),
                    };
                    writeln!(
                        out,
                        "<tr><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td>\
                         <td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td></tr>",
                        self.names.of(op.target),
                        field.field.label(),
                        html(&before),
                        html(&value_text(Some(&field.to)))
                    )?;
                }
            }
            writeln!(out, "</table>")?;
        }

        for (heading, action) in ACCOUNT_SECTIONS {
            let rows = account_rows(self, action);
            if rows.is_empty() {
                continue;
            }
            writeln!(out, "<h2 style=\"{H2}\">{heading}: {}</h2>", rows.len())?;
            writeln!(out, "<p>At {}.</p>", html(&when(self)))?;
            writeln!(out, "<table style=\"{TABLE}\">")?;
            writeln!(
                out,
                "<tr><th style=\"{TH}\">Person</th><th style=\"{TH}\">Account</th>\
                 <th style=\"{TH}\">Why</th></tr>"
            )?;
            for [name, account, why] in &rows {
                writeln!(
                    out,
                    "<tr><td style=\"{TD}\">{}</td><td style=\"{TD}\">{}</td>\
                     <td style=\"{TD}\">{}</td></tr>",
                    html(name),
                    html(account),
                    html(why)
                )?;
            }
            writeln!(out, "</table>")?;
        }

        let failed: Vec<&OperationReport> = self.operations_with("failed").collect();
        if !failed.is_empty() {
            writeln!(out, "<h2 style=\"{H2}\">Failed</h2>")?;
            writeln!(out, "<table style=\"{TABLE}\">")?;
            writeln!(
                out,
                "<tr><th style=\"{TH}\">Person</th><th style=\"{TH}\">System</th>\
                 <th style=\"{TH}\">Write</th><th style=\"{TH}\">Error</th>\
                 <th style=\"{TH}\">What to do</th></tr>"
            )?;
            for op in failed {
                let (error, advice) = outcome_text(&op.outcome);
                writeln!(
                    out,
                    "<tr><td style=\"{FAILED}\">{}</td><td style=\"{FAILED}\">{}</td>\
                     <td style=\"{FAILED}\">{}</td><td style=\"{FAILED}\">{}</td>\
                     <td style=\"{FAILED}\">{}</td></tr>",
                    html(&op.name),
                    self.names.of(op.target),
                    html(&action_text(op)),
                    html(&error),
                    html(&advice)
                )?;
            }
            writeln!(out, "</table>")?;
        }

        let not_attempted: Vec<&OperationReport> = self.operations_with("not attempted").collect();
        if !not_attempted.is_empty() {
            writeln!(out, "<h2 style=\"{H2}\">Not attempted</h2>")?;
            writeln!(out, "<ul>")?;
            for op in not_attempted {
                writeln!(
                    out,
                    "<li>{}: {} in {}</li>",
                    html(&op.name),
                    html(&action_text(op)),
                    html(self.names.of(op.target))
                )?;
            }
            writeln!(out, "</ul>")?;
        }

        let skipped = skipped_rows(self);
        if !skipped.is_empty() {
            writeln!(out, "<h2 style=\"{H2}\">Skipped</h2>")?;
            writeln!(out, "<table style=\"{TABLE}\">")?;
            writeln!(
                out,
                "<tr><th style=\"{TH}\">Person</th><th style=\"{TH}\">System</th>\
                 <th style=\"{TH}\">Field</th><th style=\"{TH}\">Why</th></tr>"
            )?;
            for [name, system, field, why] in &skipped {
                writeln!(
                    out,
                    "<tr><td style=\"{TD}\">{}</td><td style=\"{TD}\">{system}</td>\
                     <td style=\"{TD}\">{field}</td><td style=\"{TD}\">{}</td></tr>",
                    html(name),
                    html(why)
                )?;
            }
            writeln!(out, "</table>")?;
        }

        if !self.held.is_empty() {
            writeln!(out, "<h2 style=\"{H2}\">Held back: {}</h2>", self.held.len())?;
            writeln!(out, "<ul>")?;
            for held in &self.held {
                let (what, why) = held_line(self, held);
                writeln!(out, "<li><strong>{}</strong>: {}</li>", html(&what), html(&why))?;
            }
            writeln!(out, "</ul>")?;
        }

        if !self.findings.is_empty() {
            writeln!(out, "<h2 style=\"{H2}\">Findings</h2>")?;
            writeln!(out, "<ul>")?;
            for finding in &self.findings {
                writeln!(
                    out,
                    "<li><strong>{}</strong>: {}</li>",
                    finding_label(finding.kind),
                    html(&finding.message)
                )?;
            }
            writeln!(out, "</ul>")?;
        }

        if self.is_empty(&skipped) {
            writeln!(out, "<p>Nothing needed to change.</p>")?;
        }
        writeln!(out, "</body>")?;
        writeln!(out, "</html>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_markup_and_line_breaks() {
        assert_eq!(md("a|b*c_<x>\nd"), "a\\|b\\*c\\_\\<x\\> d");
    }

    #[test]
    fn html_escapes_every_special_character() {
        assert_eq!(html("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}

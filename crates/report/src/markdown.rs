//! The report as Markdown (CommonMark with tables), for a log or a terminal: what `sync apply`
//! prints.

use crate::words::{
    ACCOUNT_SECTIONS, DEFAULT_TITLE, account_counts, account_rows, action_text, done_changes,
    finding_label, held_line, is_empty, operations_with, outcome_text, shown_time, skipped_rows,
    stopped_text, value_text, when,
};
use dirsync::report::{Action, OperationReport, Report};
use std::fmt::{Result, Write as _};

/// The report as Markdown (CommonMark with tables), every value escaped.
///
/// ```
/// let markdown = dirsync_report::markdown(&dirsync::report::Report::default());
/// assert!(markdown.starts_with("# Sync report\n"));
/// assert!(markdown.contains("Nothing needed to change."));
/// ```
pub fn markdown(report: &Report) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_markdown(report, &mut out);
    out
}

fn write_markdown(report: &Report, out: &mut String) -> Result {
    let title = report.title.as_deref().unwrap_or(DEFAULT_TITLE);
    writeln!(out, "# {}\n", md(title))?;
    if let Some(at) = &report.generated_at {
        writeln!(out, "Generated: {}\n", shown_time(at))?;
    }
    if let Some(stopped) = stopped_text(report) {
        writeln!(out, "**The sync stopped early.** {}\n", md(&stopped))?;
    }
    write_summary(report, out)?;
    write_changes(report, out)?;
    write_accounts(report, out)?;
    write_failed(report, out)?;
    let skipped = skipped_rows(report);
    write_skipped(report, &skipped, out)?;
    if is_empty(report, &skipped) {
        writeln!(out, "Nothing needed to change.\n")?;
    }
    Ok(())
}

fn write_summary(report: &Report, out: &mut String) -> Result {
    let c = &report.counts;
    writeln!(out, "## Summary\n")?;
    writeln!(out, "| | {} | {} |", md(&report.names.hr), md(&report.names.idp))?;
    writeln!(out, "|---|---:|---:|")?;
    writeln!(out, "| Updated | {} | {} |", c.updated_in_hr, c.updated_in_idp)?;
    writeln!(out, "| Created | {} | {} |\n", c.created_in_hr, c.created_in_idp)?;
    writeln!(out, "- Skipped: {}", c.skipped)?;
    writeln!(out, "- Failed: {}", c.failed)?;
    writeln!(out, "- Not attempted: {}", c.not_attempted)?;
    writeln!(out, "- Findings: {}", c.findings)?;
    for (label, n) in account_counts(report) {
        writeln!(out, "- {label}: {n}")?;
    }
    writeln!(out)
}

fn write_changes(report: &Report, out: &mut String) -> Result {
    let done = done_changes(report);
    if done.is_empty() {
        return Ok(());
    }
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
                report.names.of(op.target),
                field.field.label(),
                before,
                md(&value_text(Some(&field.to)))
            )?;
        }
    }
    writeln!(out)
}

fn write_accounts(report: &Report, out: &mut String) -> Result {
    for (heading, action) in ACCOUNT_SECTIONS {
        let rows = account_rows(report, action);
        if rows.is_empty() {
            continue;
        }
        writeln!(out, "## {heading}: {}\n", rows.len())?;
        writeln!(out, "At {}.\n", md(&when(report)))?;
        writeln!(out, "| Person | Account | Why |")?;
        writeln!(out, "|---|---|---|")?;
        for [name, account, why] in &rows {
            writeln!(out, "| {} | {} | {} |", md(name), md(account), md(why))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_failed(report: &Report, out: &mut String) -> Result {
    let failed: Vec<&OperationReport> = operations_with(report, "failed").collect();
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
                report.names.of(op.target),
                md(&action_text(op)),
                md(&error),
                md(&advice)
            )?;
        }
        writeln!(out)?;
    }
    let not_attempted: Vec<&OperationReport> = operations_with(report, "not attempted").collect();
    if !not_attempted.is_empty() {
        writeln!(out, "## Not attempted\n")?;
        for op in not_attempted {
            let system = report.names.of(op.target);
            writeln!(out, "- {}: {} in {}", md(&op.name), md(&action_text(op)), md(system))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn write_skipped(report: &Report, skipped: &[[String; 4]], out: &mut String) -> Result {
    if !skipped.is_empty() {
        writeln!(out, "## Skipped\n")?;
        writeln!(out, "| Person | System | Field | Why |")?;
        writeln!(out, "|---|---|---|---|")?;
        for [name, system, field, why] in skipped {
            writeln!(out, "| {} | {} | {} | {} |", md(name), system, field, md(why))?;
        }
        writeln!(out)?;
    }
    if !report.held.is_empty() {
        writeln!(out, "## Held back: {}\n", report.held.len())?;
        for held in &report.held {
            let (what, why) = held_line(report, held);
            writeln!(out, "- {}: {}", md(&what), md(&why))?;
        }
        writeln!(out)?;
    }
    if !report.findings.is_empty() {
        writeln!(out, "## Findings\n")?;
        for finding in &report.findings {
            writeln!(out, "- **{}**: {}", finding_label(finding.kind), md(&finding.message))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Escapes text for Markdown: every character that could start markup is backslash-escaped, and
/// line breaks become spaces so a value never breaks a table. (Markdown has no template engine
/// that escapes; this is its one escaper.)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_markup_and_line_breaks() {
        assert_eq!(md("a|b*c_<x>\nd"), "a\\|b\\*c\\_\\<x\\> d");
    }
}

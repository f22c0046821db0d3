//! The report as one self-contained HTML page: the style sheet inline, no scripts, no external
//! resources, every value escaped by the template engine.

use crate::look::STYLESHEET;
use crate::words::{
    ACCOUNT_SECTIONS, DEFAULT_TITLE, account_counts, account_rows, action_text, done_changes,
    finding_label, held_line, is_empty, operations_with, outcome_text, shown_time, side_counts,
    skipped_rows, stopped_text, value_text, when,
};
use dirsync::report::{Action, OperationReport, Report};
use maud::{DOCTYPE, Markup, PreEscaped, html as markup};

/// The report as one self-contained HTML page (for a file, or a browser): the style sheet is in
/// the page, nothing is loaded from elsewhere, and every value is escaped.
///
/// ```
/// let page = dirsync_report::html(&dirsync::report::Report::default());
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// assert!(page.contains("<p>Nothing needed to change.</p>"));
/// ```
pub fn html(report: &Report) -> String {
    let title = report.title.as_deref().unwrap_or(DEFAULT_TITLE);
    let page = markup! {
        (DOCTYPE) "\n"
        html lang="en" {
            head {
                (crate::look::meta())
                title { (title) }
                style { (PreEscaped(STYLESHEET)) }
            }
            body { (body(report, title)) }
        }
        "\n"
    };
    page.into_string()
}

/// The report's content: heading, summary, changes, account changes, failures, what was left as
/// it is, findings.
fn body(report: &Report, title: &str) -> Markup {
    let skipped = skipped_rows(report);
    markup! {
        h1 { (title) }
        @if let Some(at) = &report.generated_at { p.muted { "Generated: " (shown_time(at)) } }
        @if let Some(stopped) = stopped_text(report) {
            p.stopped { strong { "The sync stopped early." } " " (stopped) }
        }
        (summary(report))
        (changes(report))
        (accounts(report))
        (failed(report))
        (skipped_table(&skipped))
        (held_and_findings(report))
        @if is_empty(report, &skipped) { p { "Nothing needed to change." } }
    }
}

fn summary(report: &Report) -> Markup {
    let c = &report.counts;
    let overall = [
        ("Skipped", c.skipped),
        ("Failed", c.failed),
        ("Not attempted", c.not_attempted),
        ("Findings", c.findings),
    ]
    .into_iter()
    .chain(account_counts(report));
    markup! {
        h2 { "Summary" }
        table.grid {
            tr { th {} th { (report.names.hr) } th { (report.names.idp) } }
            @for (label, hr, idp) in side_counts(report) {
                tr { th { (label) } td.num { (hr) } td.num { (idp) } }
            }
        }
        table.grid {
            @for (label, n) in overall { tr { th { (label) } td.num { (n) } } }
        }
    }
}

/// The changes made, a table per person.
fn changes(report: &Report) -> Markup {
    let done = done_changes(report);
    let mut people: Vec<(&str, Vec<&OperationReport>)> = Vec::new();
    for op in done {
        match people.last_mut() {
            Some((name, ops)) if *name == op.name => ops.push(op),
            _ => people.push((&op.name, vec![op])),
        }
    }
    markup! {
        @if !people.is_empty() {
            h2 { "Changes made" }
            @for (name, ops) in &people {
                h3 { (name) }
                table.grid {
                    tr { th { "System" } th { "Field" } th { "Before" } th { "After" } }
                    @for op in ops {
                        @for field in &op.fields {
                            tr {
                                td { (report.names.of(op.target)) }
                                td { (field.field.label()) }
                                td {
                                    @if op.action == Action::Create { "(new person)" }
                                    @else { (value_text(field.from.as_ref())) }
                                }
                                td { (value_text(Some(&field.to))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn accounts(report: &Report) -> Markup {
    markup! {
        @for (heading, action) in ACCOUNT_SECTIONS {
            @let rows = account_rows(report, action);
            @if !rows.is_empty() {
                h2 { (heading) ": " (rows.len()) }
                p { "At " (when(report)) "." }
                table.grid {
                    tr { th { "Person" } th { "Account" } th { "Why" } }
                    @for [name, account, why] in &rows {
                        tr { td { (name) } td { (account) } td { (why) } }
                    }
                }
            }
        }
    }
}

fn failed(report: &Report) -> Markup {
    let failed: Vec<&OperationReport> = operations_with(report, "failed").collect();
    let not_attempted: Vec<&OperationReport> = operations_with(report, "not attempted").collect();
    markup! {
        @if !failed.is_empty() {
            h2 { "Failed" }
            table.grid {
                tr { th { "Person" } th { "System" } th { "Write" } th { "Error" } th { "What to do" } }
                @for op in &failed {
                    @let (error, advice) = outcome_text(&op.outcome);
                    tr.failed {
                        td { (op.name) }
                        td { (report.names.of(op.target)) }
                        td { (action_text(op)) }
                        td { (error) }
                        td { (advice) }
                    }
                }
            }
        }
        @if !not_attempted.is_empty() {
            h2 { "Not attempted" }
            ul {
                @for op in &not_attempted {
                    li { (op.name) ": " (action_text(op)) " in " (report.names.of(op.target)) }
                }
            }
        }
    }
}

fn skipped_table(skipped: &[[String; 4]]) -> Markup {
    markup! {
        @if !skipped.is_empty() {
            h2 { "Skipped" }
            table.grid {
                tr { th { "Person" } th { "System" } th { "Field" } th { "Why" } }
                @for [name, system, field, why] in skipped {
                    tr { td { (name) } td { (system) } td { (field) } td { (why) } }
                }
            }
        }
    }
}

fn held_and_findings(report: &Report) -> Markup {
    markup! {
        @if !report.held.is_empty() {
            h2 { "Held back: " (report.held.len()) }
            ul {
                @for held in &report.held {
                    @let (what, why) = held_line(report, held);
                    li { strong { (what) } ": " (why) }
                }
            }
        }
        @if !report.findings.is_empty() {
            h2 { "Findings" }
            ul {
                @for finding in &report.findings {
                    li { strong { (finding_label(finding.kind)) } ": " (finding.message) }
                }
            }
        }
    }
}

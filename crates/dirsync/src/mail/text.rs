//! The report email's plain-text part: the same content as the HTML part, for clients that show
//! text only and for people who prefer it.

use super::compose::ReportEmail;
use super::html::{capitalised, people_shown};
use std::fmt::Write as _;

impl ReportEmail<'_> {
    /// The plain-text part.
    pub fn text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) -> std::fmt::Result {
        let names = self.names();
        let title = one_line(&self.title());
        writeln!(out, "{}", one_line(&self.context()))?;
        writeln!(out)?;
        writeln!(out, "{title}")?;
        writeln!(out, "{}", "=".repeat(title.chars().count()))?;
        writeln!(out)?;
        writeln!(out, "{}.", capitalised(&self.outcome()))?;
        if let Some(when) = self.when() {
            writeln!(out, "{}", one_line(&when))?;
        }
        writeln!(out)?;

        let attention = self.attention();
        if attention.is_empty() {
            writeln!(out, "Nothing needs your attention.")?;
            writeln!(out)?;
        } else {
            writeln!(out, "NEEDS YOUR ATTENTION")?;
            writeln!(out)?;
            for group in &attention {
                writeln!(out, "{} ({})", group.title, group.items.len())?;
                for item in group.items.iter().take(self.limit) {
                    let system =
                        item.system.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
                    writeln!(
                        out,
                        "- {}{}: {}",
                        one_line(&item.who),
                        one_line(&system),
                        one_line(&item.what)
                    )?;
                    if !item.todo.is_empty() {
                        writeln!(out, "  What to do: {}", one_line(&item.todo))?;
                    }
                }
                let more = group.items.len().saturating_sub(self.limit);
                if more > 0 {
                    writeln!(out, "- ... and {more} more, listed in the attached changes.csv")?;
                }
                writeln!(out)?;
            }
        }

        writeln!(out, "IN NUMBERS")?;
        writeln!(out)?;
        let (by_side, overall) = self.counts();
        let width = overall.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, hr, idp) in by_side {
            writeln!(
                out,
                "{label:<width$}  {hr} in {}, {idp} in {}",
                one_line(&names.hr),
                one_line(&names.idp)
            )?;
        }
        for (label, n) in overall {
            writeln!(out, "{label:<width$}  {n}")?;
        }
        writeln!(out)?;

        let people = self.changes();
        if !people.is_empty() {
            writeln!(out, "CHANGES MADE")?;
            let mut shown = 0;
            for person in &people {
                if shown >= self.limit {
                    break;
                }
                writeln!(out)?;
                writeln!(out, "{}", one_line(&person.name))?;
                for line in &person.lines {
                    if shown >= self.limit {
                        break;
                    }
                    shown += 1;
                    let change = match &line.before {
                        None => line.after.clone(),
                        Some(before) => format!("{before} -> {}", line.after),
                    };
                    writeln!(
                        out,
                        "- {}, {}: {}",
                        one_line(&line.system),
                        line.field,
                        one_line(&change)
                    )?;
                }
            }
            let total: usize = people.iter().map(|p| p.lines.len()).sum();
            if total > shown {
                writeln!(
                    out,
                    "- ... and {} more change(s) for {} more person(s), listed in the attached \
                     changes.csv",
                    total - shown,
                    people.len() - people_shown(&people, shown)
                )?;
            }
            writeln!(out)?;
        }

        if self.report.operations.is_empty()
            && self.report.skipped.is_empty()
            && self.report.findings.is_empty()
        {
            writeln!(out, "Nothing needed to change.")?;
            writeln!(out)?;
        }
        let files: Vec<String> = self.attachments().into_iter().map(|a| a.name).collect();
        writeln!(out, "-- ")?;
        writeln!(
            out,
            "The full report is attached: {}. Sent by dirsync after the sync of {} and {}.",
            files.join(" and "),
            one_line(&names.hr),
            one_line(&names.idp)
        )
    }
}

/// A value on one line: line breaks (which could fake a heading or a new entry) become spaces.
fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

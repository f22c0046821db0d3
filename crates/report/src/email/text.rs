//! The report email's plain-text part: the same content as the HTML part, for clients that show
//! text only and for people who prefer it. Plain text needs no escaping; a value is kept on its
//! line ([`one_line`]) so it cannot fake a heading or an entry.

use super::{Group, PersonChanges, ReportEmail, people_shown};
use crate::words::{capitalised, one_line};
use std::fmt::{Result, Write as _};

impl ReportEmail<'_> {
    /// The plain-text part.
    pub fn text(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_text(&mut out);
        out
    }

    fn write_text(&self, out: &mut String) -> Result {
        let title = one_line(&self.title());
        writeln!(out, "{}\n", one_line(&self.context()))?;
        writeln!(out, "{title}")?;
        writeln!(out, "{}\n", "=".repeat(title.chars().count()))?;
        writeln!(out, "{}.", capitalised(&self.outcome()))?;
        if let Some(when) = self.when() {
            writeln!(out, "{}", one_line(&when))?;
        }
        writeln!(out)?;
        let attention = self.attention();
        if attention.is_empty() {
            writeln!(out, "Nothing needs your attention.\n")?;
        } else {
            writeln!(out, "NEEDS YOUR ATTENTION\n")?;
            for group in &attention {
                self.write_text_group(out, group)?;
            }
        }
        self.write_text_numbers(out)?;
        let people = self.changes();
        if !people.is_empty() {
            self.write_text_changes(out, &people)?;
        }
        if self.nothing_to_change() {
            writeln!(out, "Nothing needed to change.\n")?;
        }
        let names = self.names();
        writeln!(out, "-- ")?;
        writeln!(
            out,
            "The full report is attached: {}. Sent by dirsync after the sync of {} and {}.",
            self.attachment_names(),
            one_line(&names.hr),
            one_line(&names.idp)
        )
    }

    fn write_text_group(&self, out: &mut String, group: &Group) -> Result {
        writeln!(out, "{} ({})", group.title, group.items.len())?;
        for item in group.items.iter().take(self.limit) {
            let system = item.system.as_deref().map(|s| format!(" ({s})")).unwrap_or_default();
            let (who, what) = (one_line(&item.who), one_line(&item.what));
            writeln!(out, "- {who}{}: {what}", one_line(&system))?;
            if !item.todo.is_empty() {
                writeln!(out, "  What to do: {}", one_line(&item.todo))?;
            }
        }
        let more = group.items.len().saturating_sub(self.limit);
        if more > 0 {
            writeln!(out, "- ... and {more} more, listed in the attached changes.csv")?;
        }
        writeln!(out)
    }

    fn write_text_numbers(&self, out: &mut String) -> Result {
        let names = self.names();
        writeln!(out, "IN NUMBERS\n")?;
        let (by_side, overall) = self.counts();
        let width = overall.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        for (label, hr, idp) in by_side {
            let (hr_name, idp_name) = (one_line(&names.hr), one_line(&names.idp));
            writeln!(out, "{label:<width$}  {hr} in {hr_name}, {idp} in {idp_name}")?;
        }
        for (label, n) in overall {
            writeln!(out, "{label:<width$}  {n}")?;
        }
        writeln!(out)
    }

    fn write_text_changes(&self, out: &mut String, people: &[PersonChanges]) -> Result {
        writeln!(out, "CHANGES MADE")?;
        let mut shown = 0;
        for person in people {
            if shown >= self.limit {
                break;
            }
            writeln!(out)?;
            writeln!(out, "{}", one_line(&person.name))?;
            for line in person.lines.iter().take(self.limit - shown) {
                shown += 1;
                let change = match &line.before {
                    None => line.after.clone(),
                    Some(before) => format!("{before} -> {}", line.after),
                };
                let system = one_line(&line.system);
                writeln!(out, "- {system}, {}: {}", line.field, one_line(&change))?;
            }
        }
        let total: usize = people.iter().map(|p| p.lines.len()).sum();
        if total > shown {
            writeln!(
                out,
                "- ... and {} more change(s) for {} more person(s), listed in the attached \
                 changes.csv",
                total - shown,
                people.len() - people_shown(people, shown)
            )?;
        }
        writeln!(out)
    }
}

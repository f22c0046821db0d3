//! The report email's HTML part: tables for layout and inline styles only, which is what mail
//! clients (Outlook's Word engine among them) render alike; no scripts, no images, no links.

use super::compose::{Group, PersonChanges, ReportEmail};
use crate::report::render::html as esc;
use std::fmt::Write as _;

const FONT: &str = "font-family:Arial,Helvetica,sans-serif";
const MUTED: &str = "#59636e";
const LINE: &str = "#d0d7de";
const GREEN: &str = "#1a7f37";
const SECTION: &str = "padding:4px 24px 8px 24px";
const H2: &str = "font-size:17px;line-height:24px;margin:16px 0 8px 0;color:#1f2328";
const CELL: &str = "padding:5px 8px;border-bottom:1px solid #d0d7de;vertical-align:top";
const FIRST_CELL: &str = "padding:5px 8px 2px 8px;border-top:1px solid #d0d7de;vertical-align:top";
const NEXT_CELL: &str = "padding:2px 8px;vertical-align:top";
/// A system's name on one line ("Azure AD" broken in two reads as two systems).
const NOWRAP: &str = "white-space:nowrap";
const HEAD: &str = "padding:5px 8px;border-bottom:1px solid #d0d7de;text-align:left;\
                    font-weight:bold;background:#f6f8fa";

impl ReportEmail<'_> {
    /// The HTML part: one self-contained document, every value escaped.
    pub fn html(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_html(&mut out);
        out
    }

    fn write_html(&self, out: &mut String) -> std::fmt::Result {
        let names = self.names();
        let attention = self.attention();
        let status = if attention.iter().any(|g| g.title == "Failed") {
            "#cf222e"
        } else if attention.is_empty() {
            GREEN
        } else {
            "#9a6700"
        };
        writeln!(out, "<!DOCTYPE html>")?;
        writeln!(out, "<html lang=\"en\">")?;
        writeln!(out, "<head>")?;
        writeln!(out, "<meta charset=\"utf-8\">")?;
        writeln!(out, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
        writeln!(out, "<title>{}</title>", esc(&self.subject()))?;
        writeln!(out, "</head>")?;
        writeln!(out, "<body style=\"margin:0;padding:0;background:#f6f8fa\">")?;
        writeln!(
            out,
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
             border=\"0\" style=\"background:#f6f8fa\">"
        )?;
        writeln!(out, "<tr><td align=\"center\" style=\"padding:24px 12px\">")?;
        writeln!(
            out,
            "<table role=\"presentation\" width=\"640\" cellpadding=\"0\" cellspacing=\"0\" \
             border=\"0\" style=\"width:100%;max-width:640px;background:#ffffff;\
             border:1px solid {LINE};border-collapse:collapse;{FONT};font-size:14px;\
             line-height:20px;color:#1f2328\">"
        )?;

        // The heading: systems, title, outcome, when.
        writeln!(
            out,
            "<tr><td style=\"padding:20px 24px 16px 24px;border-top:6px solid {status}\">"
        )?;
        writeln!(
            out,
            "<p style=\"margin:0;font-size:12px;color:{MUTED};letter-spacing:0.5px\">{}</p>",
            esc(&self.context())
        )?;
        writeln!(
            out,
            "<h1 style=\"margin:4px 0 8px 0;font-size:21px;line-height:28px\">{}</h1>",
            esc(&self.title())
        )?;
        writeln!(
            out,
            "<p style=\"margin:0;font-size:16px;font-weight:bold;color:{status}\">{}</p>",
            esc(&capitalised(&self.outcome()))
        )?;
        if let Some(when) = self.when() {
            writeln!(out, "<p style=\"margin:4px 0 0 0;color:{MUTED}\">{}</p>", esc(&when))?;
        }
        writeln!(out, "</td></tr>")?;

        // What needs attention.
        writeln!(out, "<tr><td style=\"{SECTION}\">")?;
        if attention.is_empty() {
            writeln!(
                out,
                "<p style=\"margin:12px 0;color:{GREEN}\">Nothing needs your attention.</p>"
            )?;
        } else {
            writeln!(out, "<h2 style=\"{H2}\">Needs your attention</h2>")?;
            for group in &attention {
                self.write_group(out, group)?;
            }
        }
        writeln!(out, "</td></tr>")?;

        // The counts.
        let (by_side, overall) = self.counts();
        writeln!(out, "<tr><td style=\"{SECTION}\">")?;
        writeln!(out, "<h2 style=\"{H2}\">In numbers</h2>")?;
        writeln!(
            out,
            "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" border=\"0\" \
             style=\"border-collapse:collapse;min-width:60%\">"
        )?;
        writeln!(
            out,
            "<tr><td style=\"{HEAD}\"></td><td style=\"{HEAD};text-align:right\">{}</td>\
             <td style=\"{HEAD};text-align:right\">{}</td></tr>",
            esc(&names.hr),
            esc(&names.idp)
        )?;
        for (label, hr, idp) in by_side {
            writeln!(
                out,
                "<tr><td style=\"{CELL}\">{label}</td><td style=\"{CELL};text-align:right\">{hr}</td>\
                 <td style=\"{CELL};text-align:right\">{idp}</td></tr>"
            )?;
        }
        for (label, n) in overall {
            let weight = if n > 0 && label != "Held back" { ";font-weight:bold" } else { "" };
            writeln!(
                out,
                "<tr><td style=\"{CELL}\">{label}</td><td colspan=\"2\" \
                 style=\"{CELL};text-align:right{weight}\">{n}</td></tr>"
            )?;
        }
        writeln!(out, "</table>")?;
        writeln!(out, "</td></tr>")?;

        // The changes made.
        let people = self.changes();
        if !people.is_empty() {
            writeln!(out, "<tr><td style=\"{SECTION}\">")?;
            writeln!(out, "<h2 style=\"{H2}\">Changes made</h2>")?;
            self.write_changes(out, &people)?;
            writeln!(out, "</td></tr>")?;
        }

        // Where the rest is.
        let files: Vec<String> = self.attachments().into_iter().map(|a| a.name).collect();
        writeln!(
            out,
            "<tr><td style=\"padding:16px 24px 20px 24px;border-top:1px solid {LINE};\
             color:{MUTED};font-size:12px;line-height:18px\">"
        )?;
        if self.report.operations.is_empty()
            && self.report.skipped.is_empty()
            && self.report.findings.is_empty()
        {
            writeln!(out, "Nothing needed to change.<br>")?;
        }
        writeln!(
            out,
            "The full report is attached: {}. Sent by dirsync after the sync of {} and {}.",
            esc(&files.join(" and ")),
            esc(&names.hr),
            esc(&names.idp)
        )?;
        writeln!(out, "</td></tr>")?;
        writeln!(out, "</table>")?;
        writeln!(out, "</td></tr>")?;
        writeln!(out, "</table>")?;
        writeln!(out, "</body>")?;
        writeln!(out, "</html>")
    }

    fn write_group(&self, out: &mut String, group: &Group) -> std::fmt::Result {
        let colour = group.colour;
        writeln!(
            out,
            "<h3 style=\"font-size:14px;margin:12px 0 6px 0;color:{colour}\">{} ({})</h3>",
            group.title,
            group.items.len()
        )?;
        writeln!(
            out,
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
             border=\"0\" style=\"border-collapse:collapse\">"
        )?;
        for item in group.items.iter().take(self.limit) {
            let system =
                item.system.as_deref().map(|s| format!(" · {}", esc(s))).unwrap_or_default();
            writeln!(
                out,
                "<tr><td style=\"padding:6px 10px;border-left:3px solid {colour};\
                 background:#f6f8fa\"><strong>{}</strong><span style=\"color:{MUTED}\">{system}\
                 </span><br>{}",
                esc(&item.who),
                esc(&item.what)
            )?;
            if !item.todo.is_empty() {
                writeln!(
                    out,
                    "<br><span style=\"color:{GREEN}\"><strong>What to do:</strong> {}</span>",
                    esc(&item.todo)
                )?;
            }
            writeln!(out, "</td></tr>")?;
            writeln!(
                out,
                "<tr><td style=\"height:4px;line-height:4px;font-size:4px\">&nbsp;</td></tr>"
            )?;
        }
        writeln!(out, "</table>")?;
        let more = group.items.len().saturating_sub(self.limit);
        if more > 0 {
            writeln!(
                out,
                "<p style=\"margin:4px 0;color:{MUTED}\">… and {more} more, listed in the \
                 attached changes.csv.</p>"
            )?;
        }
        Ok(())
    }

    fn write_changes(&self, out: &mut String, people: &[PersonChanges]) -> std::fmt::Result {
        writeln!(
            out,
            "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\" \
             border=\"0\" style=\"border-collapse:collapse\">"
        )?;
        writeln!(
            out,
            "<tr><td style=\"{HEAD}\">Person</td><td style=\"{HEAD}\">System</td>\
             <td style=\"{HEAD}\">Field</td><td style=\"{HEAD}\">Change</td></tr>"
        )?;
        let mut shown = 0;
        for person in people {
            if shown >= self.limit {
                break;
            }
            let mut first = true;
            for line in &person.lines {
                if shown >= self.limit {
                    break;
                }
                shown += 1;
                // A line between people, none between one person's changes.
                let (who, cell) = if first {
                    (format!("<strong>{}</strong>", esc(&person.name)), FIRST_CELL)
                } else {
                    (String::new(), NEXT_CELL)
                };
                first = false;
                let change = match &line.before {
                    None => esc(&line.after),
                    Some(before) => format!(
                        "<span style=\"color:{MUTED}\">{}</span> → {}",
                        esc(before),
                        esc(&line.after)
                    ),
                };
                writeln!(
                    out,
                    "<tr><td style=\"{cell}\">{who}</td><td style=\"{cell};{NOWRAP}\">{}</td>\
                     <td style=\"{cell}\">{}</td><td style=\"{cell}\">{change}</td></tr>",
                    esc(&line.system),
                    esc(&line.field)
                )?;
            }
        }
        writeln!(out, "</table>")?;
        let total: usize = people.iter().map(|p| p.lines.len()).sum();
        if total > shown {
            let rest_people = people.len() - people_shown(people, shown);
            writeln!(
                out,
                "<p style=\"margin:8px 0;color:{MUTED}\">… and {} more change(s) for {} more \
                 person(s), listed in the attached changes.csv.</p>",
                total - shown,
                rest_people
            )?;
        }
        Ok(())
    }
}

/// How many people had at least one of their lines among the first `shown`.
pub(super) fn people_shown(people: &[PersonChanges], shown: usize) -> usize {
    let mut left = shown;
    let mut count = 0;
    for person in people {
        if left == 0 {
            break;
        }
        count += 1;
        left = left.saturating_sub(person.lines.len());
    }
    count
}

/// "3 failed" → "3 failed"; "nothing to change" → "Nothing to change".
pub(super) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

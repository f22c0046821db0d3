//! The report email's HTML part: tables for layout and inline styles only, which is what mail
//! clients (Outlook's Word engine among them) render alike; no scripts, no images, no links.
//! The colours are the style sheet's ([`crate::look`]).

use super::{ChangeLine, Group, PersonChanges, ReportEmail, people_shown};
use crate::look::{AMBER, FONT, GREEN, LINE, MUTED, RED, SUBTLE, TEXT};
use crate::words::capitalised;
use maud::{DOCTYPE, Markup, PreEscaped, html as markup};

const SECTION: &str = "padding:4px 24px 8px 24px";
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
        let page = markup! {
            (DOCTYPE) "\n"
            html lang="en" {
                head {
                    (crate::look::meta())
                    title { (self.subject()) }
                }
                body style=(format!("margin:0;padding:0;background:{SUBTLE}")) {
                    table role="presentation" width="100%" cellpadding="0" cellspacing="0"
                        border="0" style=(format!("background:{SUBTLE}")) {
                        tr { td align="center" style="padding:24px 12px" { (self.card()) } }
                    }
                }
            }
            "\n"
        };
        page.into_string()
    }

    /// The email's content without its document around it: a card that a page can show as it
    /// is (the review page shows the report this way, so page and email say the same).
    pub fn html_card(&self) -> String {
        self.card().into_string()
    }

    fn card(&self) -> Markup {
        let attention = self.attention();
        let status = status_colour(&attention);
        let card = format!(
            "width:100%;max-width:640px;background:#ffffff;border:1px solid {LINE};\
             border-collapse:collapse;{FONT};font-size:14px;line-height:20px;color:{TEXT}"
        );
        let people = self.changes();
        markup! {
            table role="presentation" width="640" cellpadding="0" cellspacing="0" border="0"
                style=(card) {
                tr { td style=(format!("padding:20px 24px 16px 24px;border-top:6px solid {status}")) {
                    (self.heading(status))
                } }
                tr { td style=(SECTION) { (self.attention_section(&attention)) } }
                tr { td style=(SECTION) { (self.numbers()) } }
                @if !people.is_empty() {
                    tr { td style=(SECTION) { (h2("Changes made")) (self.changes_table(&people)) } }
                }
                tr { td style=(format!("padding:16px 24px 20px 24px;border-top:1px solid {LINE};\
                    color:{MUTED};font-size:12px;line-height:18px")) { (self.footer()) } }
            }
        }
    }

    /// The systems, the title, the outcome, when.
    fn heading(&self, status: &str) -> Markup {
        markup! {
            p style=(format!("margin:0;font-size:12px;color:{MUTED};letter-spacing:0.5px")) {
                (self.context())
            }
            h1 style="margin:4px 0 8px 0;font-size:21px;line-height:28px" { (self.title()) }
            p style=(format!("margin:0;font-size:16px;font-weight:bold;color:{status}")) {
                (capitalised(&self.outcome()))
            }
            @if let Some(when) = self.when() {
                p style=(format!("margin:4px 0 0 0;color:{MUTED}")) { (when) }
            }
        }
    }

    fn attention_section(&self, attention: &[Group]) -> Markup {
        markup! {
            @if attention.is_empty() {
                p style=(format!("margin:12px 0;color:{GREEN}")) { "Nothing needs your attention." }
            } @else {
                (h2("Needs your attention"))
                @for group in attention { (self.group(group)) }
            }
        }
    }

    fn group(&self, group: &Group) -> Markup {
        let colour = group.colour;
        let more = group.items.len().saturating_sub(self.limit);
        markup! {
            h3 style=(format!("font-size:14px;margin:12px 0 6px 0;color:{colour}")) {
                (group.title) " (" (group.items.len()) ")"
            }
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
                style="border-collapse:collapse" {
                @for item in group.items.iter().take(self.limit) {
                    tr { td style=(format!("padding:6px 10px;border-left:3px solid {colour};\
                        background:{SUBTLE}")) {
                        strong { (item.who) }
                        span style=(format!("color:{MUTED}")) {
                            @if let Some(system) = &item.system { " · " (system) }
                        }
                        br; (item.what)
                        @if !item.todo.is_empty() {
                            br;
                            span style=(format!("color:{GREEN}")) {
                                strong { "What to do:" } " " (item.todo)
                            }
                        }
                    } }
                    tr { td style="height:4px;line-height:4px;font-size:4px" { (PreEscaped("&nbsp;")) } }
                }
            }
            @if more > 0 {
                p style=(format!("margin:4px 0;color:{MUTED}")) {
                    "… and " (more) " more, listed in the attached changes.csv."
                }
            }
        }
    }

    fn numbers(&self) -> Markup {
        let names = self.names();
        let (by_side, overall) = self.counts();
        markup! {
            (h2("In numbers"))
            table role="presentation" cellpadding="0" cellspacing="0" border="0"
                style="border-collapse:collapse;min-width:60%" {
                tr {
                    td style=(HEAD) {}
                    td style=(format!("{HEAD};text-align:right")) { (names.hr) }
                    td style=(format!("{HEAD};text-align:right")) { (names.idp) }
                }
                @for (label, hr, idp) in by_side {
                    tr {
                        td style=(CELL) { (label) }
                        td style=(format!("{CELL};text-align:right")) { (hr) }
                        td style=(format!("{CELL};text-align:right")) { (idp) }
                    }
                }
                @for (label, n) in overall {
                    @let calm = ["Held back", "Left as it is"].contains(&label);
                    @let weight = if n > 0 && !calm { ";font-weight:bold" } else { "" };
                    tr {
                        td style=(CELL) { (label) }
                        td colspan="2" style=(format!("{CELL};text-align:right{weight}")) { (n) }
                    }
                }
            }
        }
    }

    fn changes_table(&self, people: &[PersonChanges]) -> Markup {
        let mut rows: Vec<(Option<&str>, &ChangeLine)> = Vec::new();
        for person in people {
            for (i, line) in person.lines.iter().enumerate() {
                rows.push(((i == 0).then_some(person.name.as_str()), line));
            }
        }
        let shown = rows.len().min(self.limit);
        let total = rows.len();
        markup! {
            table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
                style="border-collapse:collapse" {
                tr {
                    td style=(HEAD) { "Person" } td style=(HEAD) { "System" }
                    td style=(HEAD) { "Field" } td style=(HEAD) { "Change" }
                }
                @for (who, line) in rows.iter().take(shown) { (change_row(*who, line)) }
            }
            @if total > shown {
                p style=(format!("margin:8px 0;color:{MUTED}")) {
                    "… and " (total - shown) " more change(s) for "
                    (people.len() - people_shown(people, shown))
                    " more person(s), listed in the attached changes.csv."
                }
            }
        }
    }

    fn footer(&self) -> Markup {
        let names = self.names();
        markup! {
            @if self.nothing_to_change() { "Nothing needed to change." br; }
            "The full report is attached: " (self.attachment_names()) ". Sent by dirsync after \
             the sync of " (names.hr) " and " (names.idp) "."
        }
    }
}

/// One line of the changes: a line between people, none between one person's changes.
fn change_row(who: Option<&str>, line: &ChangeLine) -> Markup {
    let cell = if who.is_some() { FIRST_CELL } else { NEXT_CELL };
    markup! {
        tr {
            td style=(cell) { @if let Some(who) = who { strong { (who) } } }
            td style=(format!("{cell};{NOWRAP}")) { (line.system) }
            td style=(cell) { (line.field) }
            td style=(cell) {
                @if let Some(before) = &line.before {
                    span style=(format!("color:{MUTED}")) { (before) } " → "
                }
                (line.after)
            }
        }
    }
}

fn h2(text: &str) -> Markup {
    markup! {
        h2 style=(format!("font-size:17px;line-height:24px;margin:16px 0 8px 0;color:{TEXT}")) {
            (text)
        }
    }
}

/// Red when something failed, green when nothing needs attention, amber otherwise.
fn status_colour(attention: &[Group]) -> &'static str {
    if attention.iter().any(|g| g.title == "Failed") {
        RED
    } else if attention.is_empty() {
        GREEN
    } else {
        AMBER
    }
}

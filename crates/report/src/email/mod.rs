//! The report as an email a person wants to read: what it says is worked out once here (the
//! subject, the attention list, the counts and the changes shown), and laid out by the HTML part
//! ([`html`]) and the plain-text part ([`text`]); the full report is attached ([`attachments`]).

mod attachments;
mod html;
mod text;

use crate::look::{AMBER, BLUE, RED};
use crate::words::{
    duration_text, finding_label, operations_with, outcome_text, shown_time, stopped_text,
    value_text,
};
use dirsync::{
    mail::{Attachment, Email, EmailOn},
    model::{Names, Side},
    report::{Action, OperationReport, Outcome, Report},
};

/// The report email of one run: compose it from a [`Report`] and what the report does not know
/// (the organisation's name), then send the [`Email`] through a [`dirsync::mail::Mailer`]
/// ([`dirsync::mail::send_email`]).
///
/// Written for an HR administrator: what needs attention first (what failed, what is held back,
/// who waits for a decision, findings), each with what to do; then the counts; then the changes
/// made, by person. However big the run, the email stays short: the first
/// [`limit`](ReportEmail::with_limit) entries of each list are shown and the rest counted, and
/// the full list is attached as `changes.csv` (for a spreadsheet) and `report.json`.
///
/// ```
/// use dirsync::report::Report;
/// use dirsync_report::ReportEmail;
/// let report = Report::default();
/// let email = ReportEmail::new(&report).to_email("sync@example.com", ["hr@example.com"]);
/// assert!(email.html.starts_with("<!DOCTYPE html>"));
/// assert!(email.text.contains("Nothing needed to change."));
/// assert_eq!(email.attachments[0].name, "report.json");
/// ```
#[derive(Debug, Clone)]
pub struct ReportEmail<'a> {
    pub(crate) report: &'a Report,
    pub(crate) organisation: Option<String>,
    pub(crate) limit: usize,
}

/// A count row for each side: label, HR system, identity directory.
pub(crate) type BySide = (&'static str, usize, usize);
/// A count row for the run as a whole.
pub(crate) type Overall = (&'static str, usize);

/// One entry of the attention list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    /// The person (or "The sync" for the run as a whole).
    pub(crate) who: String,
    /// The system concerned, when one is.
    pub(crate) system: Option<String>,
    /// What happened.
    pub(crate) what: String,
    /// What to do about it; empty when `what` says it already.
    pub(crate) todo: String,
}

/// One heading of the attention list, with every entry (the renderers show the first ones).
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) title: &'static str,
    /// The accent colour of the HTML part.
    pub(crate) colour: &'static str,
    pub(crate) items: Vec<Item>,
}

/// One line of the changes: a field written for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChangeLine {
    pub(crate) system: String,
    pub(crate) field: String,
    /// `None` for a person created (`after` then lists their values).
    pub(crate) before: Option<String>,
    pub(crate) after: String,
}

/// The changes made for one person.
#[derive(Debug, Clone)]
pub(crate) struct PersonChanges {
    pub(crate) name: String,
    pub(crate) lines: Vec<ChangeLine>,
}

impl<'a> ReportEmail<'a> {
    /// How many entries of each list are shown by default.
    pub const DEFAULT_LIMIT: usize = 25;

    /// The email for `report`.
    pub fn new(report: &'a Report) -> Self {
        ReportEmail { report, organisation: None, limit: Self::DEFAULT_LIMIT }
    }

    /// Names the organisation in the subject and the heading, e.g. "Example AS".
    #[must_use]
    pub fn with_organisation(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.organisation = (!name.trim().is_empty()).then(|| name.trim().to_owned());
        self
    }

    /// Shows at most `limit` entries of each list (at least 1); the rest are counted and found in
    /// the attachments.
    #[must_use]
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit.max(1);
        self
    }

    /// Whether the run needs someone to look at it ([`Report::has_problems`]): a write failed
    /// or was not attempted, the run stopped early, something is newly held back, a finding is
    /// new, or the weekly reminder of those that stand is due.
    pub fn has_problems(&self) -> bool {
        EmailOn::Problems.wants(self.report)
    }

    /// Whether to send it under `on` ([`EmailOn::wants`]).
    pub fn should_send(&self, on: EmailOn) -> bool {
        on.wants(self.report)
    }

    /// The names of the two systems.
    pub(crate) fn names(&self) -> &Names {
        &self.report.names
    }

    /// The subject: the systems, the organisation and the outcome, e.g. "Huma ↔ Azure AD sync:
    /// 3 failed, 120 updated".
    pub fn subject(&self) -> String {
        let names = self.names();
        let org = self.organisation.as_deref().map(|o| format!(" for {o}")).unwrap_or_default();
        format!("{} ↔ {} sync{org}: {}", names.hr, names.idp, self.outcome())
    }

    /// The outcome in a few words: "3 failed, 120 updated", "nothing to change".
    pub(crate) fn outcome(&self) -> String {
        let c = &self.report.counts;
        let mut parts = Vec::new();
        if self.report.stopped.is_some() {
            parts.push("stopped early".to_owned());
        }
        let counted = [
            (c.failed, "failed"),
            (c.not_attempted, "not attempted"),
            (c.updated_in_hr + c.updated_in_idp, "updated"),
            (c.created_in_hr + c.created_in_idp, "created"),
            (c.disabled_in_idp, "accounts disabled"),
            (c.enabled_in_idp, "accounts enabled again"),
            (c.held, "held back"),
        ];
        parts.extend(counted.iter().filter(|(n, _)| *n > 0).map(|(n, what)| format!("{n} {what}")));
        match c.findings {
            0 => {}
            1 => parts.push("1 finding".to_owned()),
            n => parts.push(format!("{n} findings")),
        }
        if self
            .report
            .news
            .as_ref()
            .is_some_and(|n| n.reminder && n.findings.is_empty() && n.held.is_empty())
        {
            parts.push("weekly reminder".to_owned());
        }
        if parts.is_empty() {
            let waiting = self.report.skipped.len() + c.skipped;
            return if waiting == 0 {
                "nothing to change".to_owned()
            } else {
                "nothing changed".to_owned()
            };
        }
        parts.join(", ")
    }

    /// A line on when the run started and how long it took, when the report says.
    pub(crate) fn when(&self) -> Option<String> {
        let started = self.report.started_at.or(self.report.generated_at).map(|at| shown_time(&at));
        let took = self.report.duration().map(duration_text);
        match (started, took) {
            (Some(at), Some(took)) => Some(format!("Started {at}, took {took}.")),
            (Some(at), None) => Some(format!("Started {at}.")),
            (None, Some(took)) => Some(format!("Took {took}.")),
            (None, None) => None,
        }
    }

    /// The heading: the report's title, or one made of the systems' names.
    pub(crate) fn title(&self) -> String {
        let names = self.names();
        self.report
            .title
            .clone()
            .unwrap_or_else(|| format!("{} and {}: people synchronised", names.hr, names.idp))
    }

    /// The line above the heading: the organisation and the systems, "Example AS · Huma ↔
    /// Azure AD".
    pub(crate) fn context(&self) -> String {
        let names = self.names();
        let systems = format!("{} ↔ {}", names.hr, names.idp);
        match &self.organisation {
            Some(org) => format!("{org} · {systems}"),
            None => systems,
        }
    }

    /// The attention list, most urgent first; groups without entries are left out.
    pub(crate) fn attention(&self) -> Vec<Group> {
        let (left, waiting) = self.left_and_waiting();
        let findings = self
            .report
            .findings
            .iter()
            .map(|f| Item {
                who: match self.new_mark(&f.id) {
                    "" => finding_label(f.kind).to_owned(),
                    _ => format!("{} (new)", finding_label(f.kind)),
                },
                system: None,
                what: f.message.clone(),
                todo: String::new(),
            })
            .collect();
        [
            Group { title: "Failed", colour: RED, items: self.failed() },
            Group { title: "Waiting for a decision", colour: AMBER, items: waiting },
            Group { title: "Held back", colour: AMBER, items: self.held() },
            Group { title: "Left as it is", colour: AMBER, items: left },
            Group { title: "Findings", colour: BLUE, items: findings },
        ]
        .into_iter()
        .filter(|g| !g.items.is_empty())
        .collect()
    }

    /// "New: " before an item the last run's report did not show, when the report knows.
    fn new_mark(&self, id: &dirsync::plan::ItemId) -> &'static str {
        match &self.report.news {
            Some(news) if news.is_new(id) => "New: ",
            _ => "",
        }
    }

    /// What failed or was not attempted, the run's stop first.
    fn failed(&self) -> Vec<Item> {
        let (report, names) = (self.report, self.names());
        let mut failed = Vec::new();
        if let Some(stopped) = stopped_text(report) {
            failed.push(Item {
                who: "The sync".to_owned(),
                system: None,
                what: format!("stopped early: {stopped}"),
                todo: "fix the cause, then sync again; the writes not tried are listed below"
                    .to_owned(),
            });
        }
        for op in &report.operations {
            if matches!(op.outcome, Outcome::Failed { .. } | Outcome::NotAttempted) {
                let (what, todo) = outcome_text(&op.outcome);
                let what = format!("{}: {what}", write_text(op, names));
                let system = Some(names.of(op.target).to_owned());
                failed.push(Item { who: op.name.clone(), system, what, todo });
            }
        }
        failed
    }

    /// The writes held back because a directory refused them for good before.
    fn held(&self) -> Vec<Item> {
        let names = self.names();
        self.report
            .held
            .iter()
            .map(|h| {
                let value = h.value.as_ref().map(|v| format!(" → {v}")).unwrap_or_default();
                Item {
                    who: h.name.clone(),
                    system: Some(names.of(h.target).to_owned()),
                    what: format!("{}{}{value}: {}", self.new_mark(&h.id), h.write, h.explain()),
                    todo: "correct the value or grant the permission; it is tried again at its \
                           next try, when the value changes, or when released by its id"
                        .to_owned(),
                }
            })
            .collect()
    }

    /// What was left as it is (skipped writes, values left out), and who waits for a decision
    /// to be created.
    fn left_and_waiting(&self) -> (Vec<Item>, Vec<Item>) {
        let (report, names) = (self.report, self.names());
        let system = |side: Side| Some(names.of(side).to_owned());
        let mut left = Vec::new();
        let mut waiting = Vec::new();
        for op in operations_with(report, "skipped") {
            left.push(Item {
                who: op.name.clone(),
                system: system(op.target),
                what: format!("{}: {}", write_text(op, names), outcome_text(&op.outcome).0),
                todo: "nothing: the next sync looks at it again".to_owned(),
            });
        }
        for s in &report.skipped {
            let target = s.target.map(|side| names.of(side).to_owned());
            match s.field {
                Some(field) => left.push(Item {
                    who: s.name.clone(),
                    system: target,
                    what: format!("{}: {}", field.label(), s.reason),
                    todo: "nothing, if that is intended; otherwise correct the value where it \
                           is wrong, or change the sync settings"
                        .to_owned(),
                }),
                None => waiting.push(Item {
                    who: s.name.clone(),
                    system: target.clone(),
                    what: s.reason.clone(),
                    todo: match target {
                        Some(t) => format!(
                            "to have them created in {t}, decide \"create\" for them in the \
                             next sync (or create them by hand)"
                        ),
                        None => "decide \"create\" for them in the next sync".to_owned(),
                    },
                }),
            }
        }
        (left, waiting)
    }

    /// The counts as rows: a label, the HR system's and the identity directory's numbers (or one
    /// number for the run as a whole).
    pub(crate) fn counts(&self) -> (Vec<BySide>, Vec<Overall>) {
        let c = &self.report.counts;
        let waiting = self.report.skipped.iter().filter(|s| s.field.is_none()).count();
        let by_side = vec![
            ("Updated", c.updated_in_hr, c.updated_in_idp),
            ("Created", c.created_in_hr, c.created_in_idp),
        ];
        let mut overall = vec![
            ("Failed", c.failed),
            ("Not attempted", c.not_attempted),
            ("Waiting for a decision", waiting),
            ("Held back", c.held),
            ("Left as it is", c.skipped - waiting.min(c.skipped)),
            ("Findings", c.findings),
        ];
        for (label, n) in
            [("Accounts disabled", c.disabled_in_idp), ("Accounts enabled again", c.enabled_in_idp)]
        {
            if n > 0 {
                overall.push((label, n));
            }
        }
        (by_side, overall)
    }

    /// The changes made, by person, in the report's order.
    pub(crate) fn changes(&self) -> Vec<PersonChanges> {
        let names = self.names();
        let mut people: Vec<PersonChanges> = Vec::new();
        for op in operations_with(self.report, "done") {
            let system = names.of(op.target).to_owned();
            if people.last().is_none_or(|p| p.name != op.name) {
                people.push(PersonChanges { name: op.name.clone(), lines: Vec::new() });
            }
            let Some(person) = people.last_mut() else { continue };
            if op.action.is_account() {
                person.lines.push(ChangeLine {
                    system,
                    field: "Account".to_owned(),
                    before: None,
                    after: account_text(op),
                });
                continue;
            }
            if op.action == Action::Create {
                // A new person is one change: one line with every value they were created with.
                let values: Vec<String> = op
                    .fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field.label(), value_text(Some(&f.to))))
                    .collect();
                person.lines.push(ChangeLine {
                    system,
                    field: "New person".to_owned(),
                    before: None,
                    after: values.join("; "),
                });
                continue;
            }
            for field in &op.fields {
                person.lines.push(ChangeLine {
                    system: system.clone(),
                    field: field.field.label().to_owned(),
                    before: Some(value_text(field.from.as_ref())),
                    after: value_text(Some(&field.to)),
                });
            }
        }
        people
    }

    /// The files attached: `report.json` always, `changes.csv` when the run had writes or
    /// skipped items.
    pub fn attachments(&self) -> Vec<Attachment> {
        attachments::attachments(self.report)
    }

    /// The email from `from` to `to`.
    pub fn to_email(
        &self,
        from: impl Into<String>,
        to: impl IntoIterator<Item = impl Into<String>>,
    ) -> Email {
        Email {
            from: from.into(),
            to: to.into_iter().map(Into::into).collect(),
            subject: self.subject(),
            text: self.text(),
            html: self.html(),
            attachments: self.attachments(),
        }
    }

    /// Whether the run had nothing at all to do.
    pub(crate) fn nothing_to_change(&self) -> bool {
        self.report.operations.is_empty()
            && self.report.skipped.is_empty()
            && self.report.findings.is_empty()
    }

    /// The attachments' names, "changes.csv and report.json".
    pub(crate) fn attachment_names(&self) -> String {
        let files: Vec<String> = self.attachments().into_iter().map(|a| a.name).collect();
        files.join(" and ")
    }
}

/// How many people had at least one of their lines among the first `shown`.
pub(crate) fn people_shown(people: &[PersonChanges], shown: usize) -> usize {
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

/// "update of a4 (Job title Researcher → R&D)" with the system: "update in Azure AD".
fn write_text(op: &OperationReport, names: &Names) -> String {
    let system = names.of(op.target);
    match op.action {
        Action::Update => {
            let fields: Vec<&str> = op.fields.iter().map(|f| f.field.label()).collect();
            format!("updating {} in {system}", fields.join(", "))
        }
        Action::Create => format!("creating them in {system}"),
        Action::Disable => format!("disabling their account in {system}"),
        Action::RevokeSessions => format!("revoking their sign-in sessions in {system}"),
        Action::Enable => format!("enabling their account again in {system}"),
    }
}

/// "disabled (inactive in Huma)".
fn account_text(op: &OperationReport) -> String {
    let done = match op.action {
        Action::Disable => "disabled",
        Action::RevokeSessions => "sign-in sessions revoked",
        _ => "enabled again",
    };
    match &op.reason {
        Some(reason) => format!("{done} ({reason})"),
        None => done.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_states_the_outcome() {
        let mut report = Report { names: Names::new("Huma", "Azure AD"), ..Report::default() };
        assert_eq!(ReportEmail::new(&report).subject(), "Huma ↔ Azure AD sync: nothing to change");
        report.counts.failed = 3;
        report.counts.updated_in_idp = 100;
        report.counts.updated_in_hr = 20;
        report.counts.findings = 1;
        let email = ReportEmail::new(&report).with_organisation("Example AS");
        assert_eq!(
            email.subject(),
            "Huma ↔ Azure AD sync for Example AS: 3 failed, 120 updated, 1 finding"
        );
        assert!(email.has_problems());
        assert!(email.should_send(EmailOn::Problems));
    }

    #[test]
    fn new_items_are_marked_and_a_reminder_says_so_in_the_subject() {
        let finding = |id: &str| dirsync::plan::Finding {
            id: dirsync::plan::ItemId::new(id),
            kind: dirsync::plan::FindingKind::Ambiguous,
            records: Vec::new(),
            message: format!("{id} is ambiguous"),
        };
        let mut report = Report {
            names: Names::new("Huma", "Azure AD"),
            findings: vec![finding("fnd-old"), finding("fnd-new")],
            news: Some(dirsync::report::News {
                findings: vec![dirsync::plan::ItemId::new("fnd-new")],
                ..dirsync::report::News::default()
            }),
            ..Report::default()
        };
        report.counts.findings = 2;
        let text = ReportEmail::new(&report).text();
        assert!(text.contains("- Ambiguous (new): fnd-new is ambiguous"), "{text}");
        assert!(text.contains("- Ambiguous: fnd-old is ambiguous"), "{text}");
        assert!(ReportEmail::new(&report).has_problems());

        report.news =
            Some(dirsync::report::News { reminder: true, ..dirsync::report::News::default() });
        let email = ReportEmail::new(&report);
        assert_eq!(email.subject(), "Huma ↔ Azure AD sync: 2 findings, weekly reminder");
        assert!(!email.text().contains("(new)"));
        report.news = Some(dirsync::report::News::default());
        assert!(!ReportEmail::new(&report).should_send(EmailOn::Problems), "nothing new");
    }

    #[test]
    fn a_clean_run_is_sent_always_but_not_on_problems_only() {
        let mut report = Report::default();
        report.counts.updated_in_idp = 4;
        let email = ReportEmail::new(&report);
        assert!(!email.has_problems());
        assert!(email.should_send(EmailOn::Always));
        assert!(!email.should_send(EmailOn::Problems));
    }
}

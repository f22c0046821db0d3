//! What a run did, for a person: counts, every change with its old and new value, what was skipped
//! and why, what failed and what to do about it. Plain data that serialises to JSON; the
//! `dirsync-report` crate lays it out as an HTML page, Markdown and the report email.
//!
//! A report holds names, record ids and field values, never a secret: the core never sees a
//! password or a token, so there is none to leak.

pub use crate::news::REMINDER_INTERVAL;

use crate::{
    ChangeKind, DecidedBy, DirectoryError, ErrorKind, Field, FieldValue, Finding, HeldWrite,
    ItemId, Names, RecordId, Side, Write,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;

mod json;
mod stop;

pub use stop::Stopped;

/// What one run of [`crate::apply::apply`] did.
///
/// Everything in it is sorted, so the same run gives the same report, byte for byte. It is
/// `serde::Serialize` and `Deserialize` ([`Report::to_json`]); JSON written by earlier versions
/// reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// A heading, e.g. "Huma and Azure AD: people synchronised"; set by the caller.
    pub title: Option<String>,
    /// When the report was made, to show (to the minute; in JSON as "2026-11-26 13:00 UTC");
    /// the core reads no clock.
    pub generated_at: Option<DateTime<Utc>>,
    /// When the run started, if the caller knows ([`crate::sync::Synchronizer`] does).
    pub started_at: Option<DateTime<Utc>>,
    /// How long the run took, in milliseconds, if the caller knows; see [`Report::duration`].
    pub duration_ms: Option<u64>,
    /// What the two systems are called ("Huma", "Azure AD").
    pub names: Names,
    /// How many of each outcome.
    pub counts: Counts,
    /// Every write the plan called for and how it ended, by person, then side.
    pub operations: Vec<OperationReport>,
    /// What the plan left as it is, and why, by person.
    pub skipped: Vec<SkippedItem>,
    /// Problems with records that kept them from being paired, created or fully synced.
    pub findings: Vec<Finding>,
    /// Writes held back because the directory refused them for good before, by person.
    pub held: Vec<HeldItem>,
    /// Why the run stopped before every write was tried, if it did.
    pub stopped: Option<Stopped>,
    /// What this report shows that the last run's did not, by what the state remembers of it
    /// ([`crate::store::SyncState::reported`]); `None` for a report made without a state to remember
    /// by (a real-time push's).
    pub news: Option<News>,
}

/// What a report shows that the last run's report did not: whether it is worth an email under
/// "email on problems" ([`Report::has_problems`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct News {
    /// Findings the last run's report did not have, by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<ItemId>,
    /// Writes held back that the last run's report did not show (nor saw refused), by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<ItemId>,
    /// Whether findings or held-back writes stand that no report with problems has shown for a
    /// week ([`crate::report::REMINDER_INTERVAL`]): this report is their reminder.
    #[serde(default)]
    pub reminder: bool,
}

impl News {
    /// Whether there is nothing new and no reminder is due.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.held.is_empty() && !self.reminder
    }

    /// Whether the item `id` (a finding or a held-back write) is new in this report.
    pub fn is_new(&self, id: &ItemId) -> bool {
        self.findings.contains(id) || self.held.contains(id)
    }
}

/// How many of each outcome a run had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Records updated in the HR system.
    pub updated_in_hr: usize,
    /// Records updated in the identity directory.
    pub updated_in_idp: usize,
    /// People created in the HR system.
    pub created_in_hr: usize,
    /// People created in the identity directory.
    pub created_in_idp: usize,
    /// Writes left out, with why: skipped operations and the plan's skipped items.
    pub skipped: usize,
    /// Writes that failed.
    pub failed: usize,
    /// Writes not tried because the run stopped early.
    pub not_attempted: usize,
    /// Findings.
    pub findings: usize,
    /// Leavers' accounts disabled in the identity directory.
    #[serde(default)]
    pub disabled_in_idp: usize,
    /// Accounts enabled again in the identity directory.
    #[serde(default)]
    pub enabled_in_idp: usize,
    /// Writes held back (refused for good before).
    #[serde(default)]
    pub held: usize,
}

impl Counts {
    /// Records updated on `side`.
    pub fn updated(&self, side: Side) -> usize {
        match side {
            Side::Hr => self.updated_in_hr,
            Side::Idp => self.updated_in_idp,
        }
    }

    /// People created on `side`.
    pub fn created(&self, side: Side) -> usize {
        match side {
            Side::Hr => self.created_in_hr,
            Side::Idp => self.created_in_idp,
        }
    }
}

/// One write and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationReport {
    /// Update or create.
    pub action: Action,
    /// The side written to.
    pub target: Side,
    /// The person's name.
    pub name: String,
    /// The HR record: the one updated or the source, or the one created (once known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr: Option<RecordId>,
    /// The identity directory's record, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<RecordId>,
    /// The fields written (for a create: the values the person was created with; none for an
    /// account change).
    pub fields: Vec<FieldReport>,
    /// Why, for an account change ("inactive in Huma").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
}

impl OperationReport {
    /// The record written to, once known.
    pub fn record(&self) -> Option<&RecordId> {
        match self.target {
            Side::Hr => self.hr.as_ref(),
            Side::Idp => self.idp.as_ref(),
        }
    }
}

/// What kind of write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Fields of an existing record were set.
    Update,
    /// A person was created.
    Create,
    /// A leaver's account was disabled.
    Disable,
    /// A leaver's sign-in sessions were revoked.
    RevokeSessions,
    /// An account the sync had disabled was enabled again.
    Enable,
}

impl Action {
    /// A short word for people and files: "update", "create", "disable", "revoke sessions",
    /// "enable".
    pub fn label(self) -> &'static str {
        match self {
            Action::Update => "update",
            Action::Create => "create",
            Action::Disable => "disable",
            Action::RevokeSessions => "revoke sessions",
            Action::Enable => "enable",
        }
    }

    /// Whether it changes an account rather than a person's values.
    pub fn is_account(self) -> bool {
        matches!(self, Action::Disable | Action::RevokeSessions | Action::Enable)
    }
}

impl From<crate::AccountAction> for Action {
    fn from(action: crate::AccountAction) -> Self {
        match action {
            crate::AccountAction::Disable => Action::Disable,
            crate::AccountAction::RevokeSessions => Action::RevokeSessions,
            crate::AccountAction::Enable => Action::Enable,
        }
    }
}

/// A write held back: the directory refused it for good before, with the same values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldItem {
    /// The id to release it by.
    pub id: ItemId,
    /// The person's name.
    pub name: String,
    /// The side it would be written to.
    pub target: Side,
    /// The record there (for a new person: their record on the other side).
    pub record: RecordId,
    /// What it writes.
    pub write: Write,
    /// The value it writes, as shown to people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// The refusal.
    pub error: String,
    /// When it was first refused.
    pub since: DateTime<Utc>,
    /// How many times it was refused.
    pub attempts: u32,
    /// When it is tried again, unless its value changes or a person releases it first.
    pub next_try: DateTime<Utc>,
    /// Whether this run tried it again (its next try was due) and it was refused again.
    #[serde(default)]
    pub tried_again: bool,
}

impl HeldItem {
    pub(crate) fn from_held(held: &HeldWrite, tried_again: bool) -> Self {
        HeldItem {
            id: held.id.clone(),
            name: held.name.clone(),
            target: held.target,
            record: held.record.clone(),
            write: held.write,
            value: held.value.clone(),
            error: held.error.clone(),
            since: held.first_seen,
            attempts: held.attempts,
            next_try: held.next_try(),
            tried_again,
        }
    }

    /// The report's line for it: "held back since 2026-11-02: …".
    pub fn explain(&self) -> String {
        let again = if self.tried_again { "; tried again now and refused again" } else { "" };
        format!(
            "held back since {}: {}{again}; refused {} time(s); tried again after {}, when the \
             value changes, or when released ({})",
            self.since.format("%Y-%m-%d"),
            self.error,
            self.attempts,
            self.next_try.format("%Y-%m-%d %H:%M UTC"),
            self.id
        )
    }
}

/// One field's value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldReport {
    /// The field.
    pub field: Field,
    /// The value before (none for a new person or an empty field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<FieldValue>,
    /// The value after.
    pub to: FieldValue,
}

/// How one write ended. In JSON, a failure carries its [advice](Outcome::advice) too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "json::OutcomeJson", from = "json::OutcomeJson")]
pub enum Outcome {
    /// It was made.
    Done,
    /// It was not made, on purpose.
    Skipped {
        /// Why.
        reason: String,
    },
    /// The directory refused it or could not be reached.
    Failed {
        /// What kind of failure, e.g. [`ErrorKind::PermissionDenied`].
        kind: ErrorKind,
        /// The directory's message.
        message: String,
    },
    /// The run stopped before it was tried.
    NotAttempted,
}

impl Outcome {
    /// The outcome for an error from a directory, with advice for its kind.
    pub fn failed(error: &DirectoryError) -> Outcome {
        Outcome::Failed { kind: error.kind(), message: crate::ErrorChain(error).to_string() }
    }

    /// What to do about a failure, for its kind; `None` for any other outcome.
    pub fn advice(&self) -> Option<&'static str> {
        match self {
            Outcome::Failed { kind, .. } => Some(advice(*kind)),
            _ => None,
        }
    }

    /// A short word for people: "done", "skipped", "failed", "not attempted".
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Failed { .. } => "failed",
            Outcome::NotAttempted => "not attempted",
        }
    }
}

/// What to do about a failure of `kind`.
fn advice(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => {
            "the record no longer exists; the next sync reads both systems again and pairs anew"
        }
        ErrorKind::AlreadyExists => {
            "someone with the same email or employment id already exists there; the next sync \
             pairs them instead"
        }
        ErrorKind::Authentication => {
            "the connection's credentials were refused; renew them (a new client secret or API \
             key) and reconnect, then sync again"
        }
        ErrorKind::PermissionDenied => {
            "the integration may not write this; grant the permission (or change the value by \
             hand), then sync again"
        }
        ErrorKind::InvalidValue => "correct the value where it comes from, then sync again",
        ErrorKind::Throttled | ErrorKind::Unavailable => {
            "a temporary problem; sync again later and it is tried again"
        }
        _ => "sync again; if it keeps failing, report the message to the integration's maintainers",
    }
}

/// Something the plan left as it is, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    /// The plan item.
    pub item: ItemId,
    /// The person's name.
    pub name: String,
    /// The field, when one field was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// The side it would have been written to, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Side>,
    /// Why.
    pub reason: String,
}

impl SkippedItem {
    /// Why a change settled as "skip" is left as it is.
    pub(crate) fn reason_for_skipped_change(
        kind: ChangeKind,
        by: DecidedBy,
        names: &Names,
    ) -> String {
        let what = match kind {
            ChangeKind::Conflict => {
                format!("{} and {} hold different values", names.hr, names.idp)
            }
            ChangeKind::Missing(side) => format!("the value is missing in {}", names.of(side)),
            ChangeKind::Changed(side) => format!("it changed in {}", names.of(side)),
        };
        format!("{what}; left as it is, as {}", decided_by(by))
    }

    /// Why a creation settled as "skip" is not made.
    pub(crate) fn reason_for_skipped_creation(
        source: Side,
        by: DecidedBy,
        names: &Names,
    ) -> String {
        format!(
            "found only in {}; not created in {}, as {}",
            names.of(source),
            names.of(source.other()),
            decided_by(by)
        )
    }
}

fn decided_by(by: DecidedBy) -> &'static str {
    match by {
        DecidedBy::Baseline => "the last sync's values say",
        DecidedBy::Policy => "the sync settings say",
        DecidedBy::Caller => "decided before the sync",
        DecidedBy::Deletion => {
            "their record there was deleted since the last sync (decide \"create\" to create \
             them again)"
        }
    }
}

impl Report {
    /// The report as compact JSON, to store or send. A `Report` is `serde::Serialize` and
    /// `Deserialize`, with every field named as here; [`Report::from_json`] reads it back.
    ///
    /// # Errors
    /// None in practice (a report is plain data with string keys); the serialiser's error type
    /// is kept so that a caller never has to unwrap.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// The report as indented JSON, as the `sync` program's `--report-json` writes it and the
    /// report email attaches it (`report.json`).
    ///
    /// # Errors
    /// As [`Report::to_json`].
    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// A report from its JSON ([`Report::to_json`], `--report-json`); fields a newer version
    /// added that this one does not know are ignored.
    ///
    /// # Errors
    /// The text is not a report's JSON.
    pub fn from_json(json: &str) -> Result<Report, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The report with a heading.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The report with the time it was made, to show.
    #[must_use]
    pub fn with_generated_at(mut self, at: DateTime<Utc>) -> Self {
        self.generated_at = Some(at);
        self
    }

    /// The report with when the run started and how long it took.
    #[must_use]
    pub fn with_run_time(mut self, started_at: DateTime<Utc>, took: Duration) -> Self {
        self.started_at = Some(started_at);
        self.duration_ms = Some(u64::try_from(took.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// How long the run took, if the caller said ([`Report::with_run_time`]).
    pub fn duration(&self) -> Option<Duration> {
        self.duration_ms.map(Duration::from_millis)
    }

    /// Whether every write that was needed was made, apart from those held back because the
    /// directory refused them for good before ([`Report::held`]): only something new failing
    /// makes a run unsuccessful.
    pub fn is_success(&self) -> bool {
        self.counts.failed == 0 && self.counts.not_attempted == 0 && self.stopped.is_none()
    }

    /// Whether the run needs someone to look at it, as "email on problems" means it
    /// ([`crate::mail::EmailOn::Problems`]): a write failed or was not attempted, or the run stopped
    /// (not [`Report::is_success`]); or, by what the last run reported ([`Report::news`]), a
    /// finding is new, a write is newly held back, or the weekly reminder of those that stand
    /// is due. A report made without that memory (`news` is `None`) has problems whenever it
    /// has a finding.
    pub fn has_problems(&self) -> bool {
        if !self.is_success() {
            return true;
        }
        match &self.news {
            Some(news) => !news.is_empty(),
            None => self.counts.findings > 0,
        }
    }

    /// The writes that failed.
    pub fn failures(&self) -> impl Iterator<Item = &OperationReport> {
        self.operations.iter().filter(|o| matches!(o.outcome, Outcome::Failed { .. }))
    }

    /// Recounts [`Report::counts`] from the entries.
    pub(crate) fn recount(&mut self) {
        let mut counts =
            Counts { findings: self.findings.len(), held: self.held.len(), ..Counts::default() };
        counts.skipped = self.skipped.len();
        for op in &self.operations {
            match (&op.outcome, op.action, op.target) {
                (Outcome::Done, Action::Update, Side::Hr) => counts.updated_in_hr += 1,
                (Outcome::Done, Action::Update, Side::Idp) => counts.updated_in_idp += 1,
                (Outcome::Done, Action::Create, Side::Hr) => counts.created_in_hr += 1,
                (Outcome::Done, Action::Create, Side::Idp) => counts.created_in_idp += 1,
                (Outcome::Done, Action::Disable, _) => counts.disabled_in_idp += 1,
                (Outcome::Done, Action::Enable, _) => counts.enabled_in_idp += 1,
                (Outcome::Done, Action::RevokeSessions, _) => {}
                (Outcome::Skipped { .. }, ..) => counts.skipped += 1,
                (Outcome::Failed { .. }, ..) => counts.failed += 1,
                (Outcome::NotAttempted, ..) => counts.not_attempted += 1,
            }
        }
        self.counts = counts;
    }

    /// Puts every list in its fixed order.
    pub(crate) fn sort(&mut self) {
        self.operations.sort_by(|a, b| {
            (&a.name, a.target, a.action, &a.hr, &a.idp)
                .cmp(&(&b.name, b.target, b.action, &b.hr, &b.idp))
        });
        self.skipped.sort_by(|a, b| {
            (&a.name, a.field, a.target, &a.item).cmp(&(&b.name, b.field, b.target, &b.item))
        });
        self.held.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_from_its_json_compact_or_indented() {
        let mut report = Report { names: Names::new("Huma", "Azure AD"), ..Report::default() }
            .with_title("Huma and Azure AD: people synchronised");
        report.counts.updated_in_idp = 2;
        let compact = report.to_json().expect("JSON");
        assert!(compact.contains("\"updated_in_idp\":2"), "{compact}");
        let pretty = report.to_json_pretty().expect("JSON");
        assert!(pretty.contains("\n  \"counts\": {"), "{pretty}");
        assert_eq!(Report::from_json(&compact).expect("read"), report);
        assert_eq!(Report::from_json(&pretty).expect("read"), report);
        assert!(Report::from_json("{\"counts\": 3}").is_err());
    }
}

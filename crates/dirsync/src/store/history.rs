//! The history of runs a store may keep: each run's outcome and counts, and every write's outcome
//! per person, so a person can ask "what did the sync do to Kari last month?".

use super::StateError;
use crate::{Action, Counts, Field, FieldValue, Outcome, RecordId, Report, Side};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A store's history of runs: what [`crate::sync::Synchronizer`] records after every apply, and what a
/// person asks about later. `dirsync-postgres` keeps one; the file and memory stores do not.
#[async_trait]
pub trait RunHistory: Send + Sync {
    /// Records one run; returns its id.
    ///
    /// # Errors
    /// [`StateError`] when it could not be recorded (the sync itself is not undone).
    async fn record(&self, run: &RunRecord) -> Result<i64, StateError>;

    /// The runs that match `query`, newest first, each with its writes (only the person's, when
    /// the query names one).
    ///
    /// # Errors
    /// [`StateError`] when the history cannot be read.
    async fn query(&self, query: &HistoryQuery) -> Result<Vec<RunEntry>, StateError>;
}

/// One run, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Who ran it, as it described itself to the lease ("worker-3, process 4242").
    pub holder: String,
    /// When it took the lease.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: DateTime<Utc>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// How many of each outcome its writes had.
    pub counts: Counts,
    /// Why it stopped or was refused, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every write it made or tried, one per field.
    #[serde(default)]
    pub writes: Vec<WriteRecord>,
}

impl RunRecord {
    /// A run whose writes are `report`'s.
    pub fn from_report(
        holder: impl Into<String>,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        outcome: RunOutcome,
        report: &Report,
    ) -> RunRecord {
        RunRecord {
            holder: holder.into(),
            started_at,
            finished_at,
            outcome,
            counts: report.counts,
            error: report.stopped.as_ref().map(|stop| stop.explain(&report.names)),
            writes: WriteRecord::from_report(report),
        }
    }

    /// A run that wrote nothing: refused, or stopped before its writes, with why.
    pub fn without_writes(
        holder: impl Into<String>,
        started_at: DateTime<Utc>,
        finished_at: DateTime<Utc>,
        outcome: RunOutcome,
        error: impl Into<String>,
    ) -> RunRecord {
        RunRecord {
            holder: holder.into(),
            started_at,
            finished_at,
            outcome,
            counts: Counts::default(),
            error: Some(error.into()),
            writes: Vec::new(),
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunOutcome {
    /// Every write was made (writes held back are not failures).
    Synced,
    /// Some writes failed; the rest were made.
    SomeFailed,
    /// A directory refused the credentials half-way: the writes before that were made.
    Stopped,
    /// The writes ran but the state could not be saved.
    NotSaved,
    /// Nothing was written: a threshold, or decisions pending.
    Refused,
    /// A side could not be read, so nothing was written.
    ReadFailed,
}

impl RunOutcome {
    /// The outcome's name, as the history stores it: "synced", "some_failed", ...
    pub fn as_str(self) -> &'static str {
        match self {
            RunOutcome::Synced => "synced",
            RunOutcome::SomeFailed => "some_failed",
            RunOutcome::Stopped => "stopped",
            RunOutcome::NotSaved => "not_saved",
            RunOutcome::Refused => "refused",
            RunOutcome::ReadFailed => "read_failed",
        }
    }
}

/// One write of a run: one field of an update or a creation, or an account change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// The person's name.
    pub name: String,
    /// The side written to.
    pub target: Side,
    /// The HR record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hr: Option<RecordId>,
    /// The identity directory's record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idp: Option<RecordId>,
    /// What kind of write.
    pub action: Action,
    /// The field written (none for an account change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Field>,
    /// The value before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<FieldValue>,
    /// The value written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<FieldValue>,
    /// How it ended.
    pub outcome: WriteOutcome,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl WriteRecord {
    /// The writes of `report`, in its order.
    pub fn from_report(report: &Report) -> Vec<WriteRecord> {
        let mut writes = Vec::new();
        for op in &report.operations {
            let (outcome, error) = WriteOutcome::of(&op.outcome);
            let write = |field: Option<Field>, before, after| WriteRecord {
                name: op.name.clone(),
                target: op.target,
                hr: op.hr.clone(),
                idp: op.idp.clone(),
                action: op.action,
                field,
                before,
                after,
                outcome,
                error: error.clone(),
            };
            if op.fields.is_empty() {
                writes.push(write(None, None, None));
            }
            for field in &op.fields {
                writes.push(write(Some(field.field), field.from.clone(), Some(field.to.clone())));
            }
        }
        writes
    }

    /// Whether it was written to, or for, the record `id` on either side.
    pub fn concerns(&self, id: &RecordId) -> bool {
        self.hr.as_ref() == Some(id) || self.idp.as_ref() == Some(id)
    }
}

/// How one write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WriteOutcome {
    /// It was made.
    Done,
    /// It was left out on purpose.
    Skipped,
    /// The directory refused it or could not be reached.
    Failed,
    /// The run stopped before it was tried.
    NotAttempted,
}

impl WriteOutcome {
    /// The outcome's name: "done", "skipped", "failed", "not_attempted".
    pub fn as_str(self) -> &'static str {
        match self {
            WriteOutcome::Done => "done",
            WriteOutcome::Skipped => "skipped",
            WriteOutcome::Failed => "failed",
            WriteOutcome::NotAttempted => "not_attempted",
        }
    }

    /// A report's outcome, and its reason or error.
    fn of(outcome: &Outcome) -> (WriteOutcome, Option<String>) {
        match outcome {
            Outcome::Done => (WriteOutcome::Done, None),
            Outcome::Skipped { reason } => (WriteOutcome::Skipped, Some(reason.clone())),
            Outcome::Failed { message, .. } => (WriteOutcome::Failed, Some(message.clone())),
            Outcome::NotAttempted => (WriteOutcome::NotAttempted, None),
        }
    }
}

/// Which runs to look at.
///
/// ```
/// use dirsync::store::HistoryQuery;
/// let kari = HistoryQuery::default().person("h-kari").since("2026-11-01T00:00:00Z".parse()?);
/// assert_eq!(kari.person.as_ref().map(|p| p.as_str()), Some("h-kari"));
/// # Ok::<(), chrono::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    /// One run, by id.
    pub run: Option<i64>,
    /// Only runs that wrote to (or for) this record, on either side, with only its writes.
    pub person: Option<RecordId>,
    /// Runs that started at or after this.
    pub since: Option<DateTime<Utc>>,
    /// Runs that started before this.
    pub until: Option<DateTime<Utc>>,
    /// At most this many runs (newest first); `None` for all.
    pub limit: Option<usize>,
}

impl HistoryQuery {
    /// Only the runs that wrote to record `id` (either side's id).
    #[must_use]
    pub fn person(mut self, id: impl Into<RecordId>) -> Self {
        self.person = Some(id.into());
        self
    }

    /// Only the runs that started at or after `since`.
    #[must_use]
    pub fn since(mut self, since: DateTime<Utc>) -> Self {
        self.since = Some(since);
        self
    }
}

/// A run found in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEntry {
    /// The run's id.
    pub id: i64,
    /// The organisation it synced, as the store names it.
    pub organisation: String,
    /// The run.
    #[serde(flatten)]
    pub run: RunRecord,
}

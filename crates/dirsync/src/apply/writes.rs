//! The step from a settled plan to its writes at one moment: what to make, and what is held
//! back because a directory refused it for good before.

use crate::report::HeldItem;
use crate::{HeldWrite, Operations, PendingDecisions, Plan, Side, quarantine};
use chrono::{DateTime, Utc};

/// The writes of a settled plan at `now`: every write it calls for, the writes to make, and
/// those held back.
#[derive(Debug, Clone)]
pub(crate) struct Writes {
    /// Every write the plan calls for, held back or not.
    pub(crate) planned: Operations,
    /// The writes to make, when some are held back (`None`: all of `planned`).
    kept: Option<Operations>,
    /// The writes held back, for the report.
    pub(crate) held: Vec<HeldItem>,
    /// The time of the run: what it records, and what it holds writes back by.
    pub(crate) now: DateTime<Utc>,
}

impl Writes {
    /// The writes of `plan` at `now`, holding back those `held` remembers (none with
    /// `retry_held`).
    ///
    /// # Errors
    /// The plan still has pending decisions.
    pub(crate) fn of(
        plan: &Plan,
        held: &[HeldWrite],
        now: DateTime<Utc>,
        retry_held: bool,
    ) -> Result<Writes, PendingDecisions> {
        let planned = plan.operations()?;
        let (kept, held) = quarantine::hold_back(&planned, held, now, retry_held);
        Ok(Writes { planned, kept, held, now })
    }

    /// The writes to make.
    pub(crate) fn to_make(&self) -> &Operations {
        self.kept.as_ref().unwrap_or(&self.planned)
    }

    /// Only the writes to `side` are made (what a real-time push does); the others stay planned,
    /// so what is held back for them is kept.
    pub(crate) fn toward(mut self, side: Side) -> Writes {
        let mut kept = self.kept.take().unwrap_or_else(|| self.planned.clone());
        kept.operations.retain(|op| op.target() == side);
        kept.skipped.retain(|s| s.target == side);
        self.held.retain(|h| h.target == side);
        self.kept = Some(kept);
        self
    }
}

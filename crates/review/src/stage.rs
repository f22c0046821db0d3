//! Where the review is, shared by the pages and the task that holds the plan: the stage, the
//! progress of the writes, and the result for the program that started it.

use dirsync::{
    mail::MailError,
    plan::{ItemId, Plan},
    report::HeldItem,
    sync::{SyncError, Synced},
};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// Where the review is.
#[derive(Debug, Clone, Default)]
pub(crate) enum Stage {
    /// No plan yet: the page offers to read both directories.
    #[default]
    Idle,
    /// Reading both directories.
    Planning,
    /// The plan could not be made (busy state, unreadable directory): why.
    Failed(String),
    /// A plan to settle.
    Reviewing(Arc<View>),
    /// Reading both directories again, to make sure the plan still holds, before any write.
    Checking,
    /// The plan no longer holds: why; nothing was written.
    Stale(String),
    /// The writes are under way.
    Applying,
    /// The apply ended: what the result page shows.
    Done(Arc<Ended>),
}

/// A plan as the pages show it.
#[derive(Debug, Clone)]
pub(crate) struct View {
    /// Which plan this is; forms carry it.
    pub(crate) generation: u64,
    /// The plan, settled so far.
    pub(crate) plan: Plan,
    /// The writes this plan would hold back.
    pub(crate) held: Vec<HeldItem>,
    /// What the last action did, for the next page.
    pub(crate) notice: Option<String>,
}

impl View {
    /// Whether `id` is one of the plan's held-back writes.
    pub(crate) fn holds(&self, id: &str) -> bool {
        self.held.iter().any(|h| h.id.as_str() == id)
    }
}

/// What the result page shows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Ended {
    /// How it went, in a few words: the result page's heading.
    pub(crate) heading: String,
    /// Writes ended, and writes in all.
    pub(crate) progress: (usize, usize),
    /// The report email's content, when there is a report.
    pub(crate) card: Option<String>,
    /// What else to say: why it stopped, whether the report was emailed.
    pub(crate) messages: Vec<String>,
}

/// The progress of the writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Writes ended.
    pub(crate) done: usize,
    /// Writes in all.
    pub(crate) total: usize,
    /// What is happening, in words.
    pub(crate) status: String,
}

/// How an applied review ended, for the program that started it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Finished {
    /// The sync's result: the report, or why it stopped (with the report when writes began).
    pub result: Result<Synced, SyncError>,
    /// The report email: sent to these addresses, or why not; `None` when none was asked for.
    pub email: Option<Result<Vec<String>, MailError>>,
}

/// The state every page and the plan's task share.
#[derive(Debug)]
pub(crate) struct Shared {
    stage: Mutex<Stage>,
    progress: Mutex<Progress>,
    finished: Mutex<Option<Finished>>,
    /// Bumped on every change of stage or progress: the events stream waits on it.
    changes: watch::Sender<u64>,
    /// Whether the result was shown (the result page was served after the apply ended).
    shown: watch::Sender<bool>,
    /// Whether an apply ended.
    ended: watch::Sender<bool>,
    /// Decisions carried from plan to plan (by id: a changed value has a new id).
    carried: Mutex<Vec<(ItemId, dirsync::plan::Decision)>>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            stage: Mutex::default(),
            progress: Mutex::default(),
            finished: Mutex::default(),
            changes: watch::channel(0).0,
            shown: watch::channel(false).0,
            ended: watch::channel(false).0,
            carried: Mutex::default(),
        }
    }
}

/// A lock that a panic elsewhere does not poison for good: the state it guards is replaced whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    /// The stage now.
    pub(crate) fn stage(&self) -> Stage {
        lock(&self.stage).clone()
    }

    /// Moves to `stage`.
    pub(crate) fn set(&self, stage: Stage) {
        *lock(&self.stage) = stage;
        self.changes.send_modify(|n| *n += 1);
    }

    /// Moves to `next` when `claim` accepts the stage now, as one step (so two requests never
    /// both claim the same stage); says whether it did.
    pub(crate) fn claim(&self, claim: impl FnOnce(&Stage) -> Option<Stage>) -> bool {
        let mut stage = lock(&self.stage);
        match claim(&stage) {
            Some(next) => {
                *stage = next;
                drop(stage);
                self.changes.send_modify(|n| *n += 1);
                true
            }
            None => false,
        }
    }

    /// The progress of the writes now.
    pub(crate) fn progress(&self) -> Progress {
        lock(&self.progress).clone()
    }

    /// Changes the progress.
    pub(crate) fn update_progress(&self, update: impl FnOnce(&mut Progress)) {
        update(&mut lock(&self.progress));
        self.changes.send_modify(|n| *n += 1);
    }

    /// A receiver told of every change.
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// Keeps how the apply ended, for the program.
    pub(crate) fn finish(&self, finished: Finished) {
        *lock(&self.finished) = Some(finished);
        self.ended.send_replace(true);
    }

    /// How the apply ended, once.
    pub(crate) fn take_finished(&self) -> Option<Finished> {
        lock(&self.finished).take()
    }

    /// Notes that the result page was served.
    pub(crate) fn mark_shown(&self) {
        self.shown.send_replace(true);
    }

    /// Waits until the result page was served.
    pub(crate) async fn wait_shown(&self) {
        let mut shown = self.shown.subscribe();
        let _ = shown.wait_for(|shown| *shown).await;
    }

    /// Waits until an apply ended.
    pub(crate) async fn wait_ended(&self) {
        let mut ended = self.ended.subscribe();
        let _ = ended.wait_for(|ended| *ended).await;
    }

    /// The decisions carried to the next plan.
    pub(crate) fn carried(&self) -> Vec<(ItemId, dirsync::plan::Decision)> {
        lock(&self.carried).clone()
    }

    /// Carries `decisions` to the next plan, over earlier ones for the same items.
    pub(crate) fn carry(&self, decisions: &[(ItemId, dirsync::plan::Decision)]) {
        let mut carried = lock(&self.carried);
        for (id, decision) in decisions {
            carried.retain(|(known, _)| known != id);
            carried.push((id.clone(), *decision));
        }
    }
}

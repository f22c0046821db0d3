//! The task that holds the plan: it owns the [`Synchronizer`] and the [`PlannedSync`] (with its
//! lease) from one request to the next, and takes the pages' commands one at a time, so one
//! planned sync is decided and applied once, whatever the tabs do.

use crate::Parts;
use crate::stage::{Ended, Finished, Progress, Shared, Stage, View};
use dirsync::{
    apply::Progress as ApplyProgress,
    directory::ErrorChain,
    plan::{Decision, ItemId, Plan},
    sync::{PlannedSync, SyncError, Synchronizer},
};
use dirsync_report::ReportEmail;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// A reply: done, or what to tell the person.
pub(crate) type Reply = oneshot::Sender<Result<(), String>>;

/// What a page asks of the plan's task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Let the plan (and the lease) go, and plan again.
    Plan(Reply),
    /// Settle items of plan `generation`.
    Decide { generation: u64, decisions: Vec<(ItemId, Decision)>, reply: Reply },
    /// Release a held-back write, then plan again.
    Release { generation: u64, id: String, reply: Reply },
    /// Check that plan `generation` still holds, then apply it. The page claimed the stage.
    Apply { generation: u64 },
}

/// The plan under its lease, as made.
struct Current<'a> {
    planned: PlannedSync<'a>,
    /// The plan as reconciled, before anyone decided: what a fresh read must give again.
    original: Plan,
    generation: u64,
}

/// Runs until every sender is gone (the Router and the handles dropped), then lets the lease go.
pub(crate) async fn run(
    parts: Arc<Parts>,
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    let sync = synchronizer(&parts, &shared);
    let mut current: Option<Current<'_>> = None;
    let mut generation = 0;
    while let Some(command) = commands.recv().await {
        match command {
            Command::Plan(reply) => {
                drop(current.take()); // let the lease go before taking it again
                let planned = plan(&sync, &parts, &shared, &mut generation).await;
                let _ = reply.send(planned.as_ref().map(|_| ()).map_err(Clone::clone));
                current = planned.ok();
            }
            Command::Decide { generation: asked, decisions, reply } => {
                // A plan claimed for its apply (the stage moved on) takes no more decisions.
                let open = matches!(shared.stage(), Stage::Reviewing(_));
                let _ = reply.send(match current.as_mut() {
                    Some(c) if c.generation == asked && open => {
                        decide(c, &parts, &shared, &decisions)
                    }
                    _ => Err(OUTDATED.to_owned()),
                });
            }
            Command::Release { generation: asked, id, reply } => {
                if current.as_ref().is_none_or(|c| c.generation != asked) {
                    let _ = reply.send(Err(OUTDATED.to_owned()));
                    continue;
                }
                drop(current.take()); // the release takes the lease itself
                let released = release(&sync, &id).await;
                let planned = plan(&sync, &parts, &shared, &mut generation).await;
                current = planned.ok();
                if let (Some(c), Ok(notice)) = (current.as_ref(), &released) {
                    publish(&shared, c, &parts, Some(notice.clone()));
                }
                let _ = reply.send(released.map(|_| ()));
            }
            Command::Apply { generation: asked } => {
                let Some(c) = current.take().filter(|c| c.generation == asked) else { continue };
                apply(&sync, c, &parts, &shared).await;
            }
        }
    }
}

/// What a page is told when it acts on a plan that is no longer the one under review.
pub(crate) const OUTDATED: &str = "this page shows an older plan (another tab planned again or \
     synchronized): reload the page";

fn synchronizer<'a>(parts: &'a Parts, shared: &Arc<Shared>) -> Synchronizer<'a> {
    let shared = Arc::clone(shared);
    let options = parts.options.clone().with_progress(move |event| match event {
        ApplyProgress::Started { operations } => shared.update_progress(|p| {
            *p = Progress { done: 0, total: *operations, status: "Writing…".to_owned() };
        }),
        ApplyProgress::Finished { finished, operations, .. } => shared.update_progress(|p| {
            (p.done, p.total) = (*finished, *operations);
        }),
        _ => {}
    });
    let mut sync = Synchronizer::new(parts.hr.as_ref(), parts.idp.as_ref(), parts.store.as_ref())
        .with_policy(parts.policy.clone())
        .with_apply_options(options)
        .with_holder(parts.holder.clone());
    if let Some(title) = &parts.title {
        sync = sync.with_title(title.clone());
    }
    if let Some(timeout) = parts.read_timeout {
        sync = sync.with_read_timeout(timeout);
    }
    sync
}

/// Takes the lease, reads, plans, settles the decisions carried over, and shows the plan.
async fn plan<'a>(
    sync: &Synchronizer<'a>,
    parts: &Parts,
    shared: &Shared,
    generation: &mut u64,
) -> Result<Current<'a>, String> {
    shared.set(Stage::Planning);
    let mut planned = match sync.plan().await {
        Ok(planned) => planned,
        Err(e) => {
            let message = plan_failure(&e);
            shared.set(Stage::Failed(message.clone()));
            return Err(message);
        }
    };
    let original = planned.plan().clone();
    // A carried decision applies only where its item is in the new plan with the same values
    // (an id names the values too); one that no longer fits is dropped.
    for (id, decision) in shared.carried() {
        let _ = planned.decide(&id, decision);
    }
    *generation += 1;
    let current = Current { planned, original, generation: *generation };
    publish(shared, &current, parts, None);
    Ok(current)
}

fn plan_failure(error: &SyncError) -> String {
    if error.is_busy() {
        format!("{}: try again once that sync is done", ErrorChain(error))
    } else {
        format!("{}; nothing was written", ErrorChain(error))
    }
}

/// Shows `current`'s plan on the pages.
fn publish(shared: &Shared, current: &Current<'_>, parts: &Parts, notice: Option<String>) {
    let planned = &current.planned;
    let held = if planned.is_settled() {
        planned.held_back()
    } else {
        // What would be held back once the rest is settled: the plan with what waits skipped.
        let mut trial = planned.plan().clone();
        let _ = trial.decide_all(trial.pending().into_iter().map(|id| (id, Decision::Skip)));
        let now = parts.options.now.unwrap_or_else(chrono::Utc::now);
        dirsync::held::held_back(&trial, planned.state(), now, parts.options.retry_held)
    };
    let view = View { generation: current.generation, plan: planned.plan().clone(), held, notice };
    shared.set(Stage::Reviewing(Arc::new(view)));
}

/// Settles `decisions` all or none: they are tried on a copy of the plan first.
fn decide(
    current: &mut Current<'_>,
    parts: &Parts,
    shared: &Shared,
    decisions: &[(ItemId, Decision)],
) -> Result<(), String> {
    let mut trial = current.planned.plan().clone();
    trial.decide_all(decisions.iter().cloned()).map_err(|e| e.to_string())?;
    for (id, decision) in decisions {
        current.planned.decide(id, *decision).map_err(|e| e.to_string())?;
    }
    shared.carry(decisions);
    publish(shared, current, parts, None);
    Ok(())
}

async fn release(sync: &Synchronizer<'_>, id: &str) -> Result<String, String> {
    match sync.release(id).await {
        Ok(released) if released.is_empty() => Err(format!("nothing held back has the id {id}")),
        Ok(released) => Ok(format!(
            "Released {} held-back write(s): this sync tries them again.",
            released.len()
        )),
        Err(e) => Err(ErrorChain(&e).to_string()),
    }
}

/// Reads both sides again; applies only when the plan made from them is the one under review.
async fn apply(sync: &Synchronizer<'_>, current: Current<'_>, parts: &Parts, shared: &Shared) {
    let writes = current.planned.plan().operations().map(|o| o.operations.len()).unwrap_or(0);
    shared.update_progress(|p| {
        *p = Progress {
            done: 0,
            total: writes,
            status: "Checking that nobody changed since the plan was made…".to_owned(),
        };
    });
    match sync.preview().await {
        Ok(fresh) if fresh == current.original => {}
        Ok(_) => {
            drop(current); // let the lease go before the page offers a new plan
            shared.set(Stage::Stale(
                "Someone changed a person in one of the directories, or another sync ran, since \
                 this plan was made."
                    .to_owned(),
            ));
            return;
        }
        Err(e) => {
            drop(current);
            let why = format!(
                "The directories could not be read again to check the plan: {}.",
                ErrorChain(&e)
            );
            shared.set(Stage::Stale(why));
            return;
        }
    }
    shared.set(Stage::Applying);
    shared.update_progress(|p| p.status = "Writing…".to_owned());
    let result = current.planned.apply().await;
    let report = match &result {
        Ok(synced) => Some(&synced.report),
        Err(e) => e.report(),
    };
    let email = match (report, &parts.email) {
        (Some(report), Some(email)) => email.send(report).await,
        _ => None,
    };
    let mut ended = ended(parts.email.as_ref(), &result, report, email.as_ref());
    shared.update_progress(|p| p.status = "Done.".to_owned());
    let progress = shared.progress();
    ended.progress = (progress.done, progress.total);
    shared.finish(Finished { result, email });
    shared.set(Stage::Done(Arc::new(ended)));
}

/// What the result page says.
fn ended(
    composer: Option<&crate::ReviewEmail>,
    result: &Result<dirsync::sync::Synced, SyncError>,
    report: Option<&dirsync::report::Report>,
    email: Option<&Result<Vec<String>, dirsync::mail::MailError>>,
) -> Ended {
    let mut messages = Vec::new();
    if let Err(e) = result {
        let nothing = if report.is_none() { " Nothing was written." } else { "" };
        messages.push(format!("{}.{nothing}", ErrorChain(e)));
    }
    match email {
        Some(Ok(to)) => messages.push(format!("The report was emailed to {}.", to.join(", "))),
        Some(Err(e)) => messages.push(format!(
            "The report email could not be sent: {}. The sync is not affected.",
            ErrorChain(e)
        )),
        None => {}
    }
    let card = report.map(|r| match composer {
        Some(email) => email.compose(r).html_card(),
        None => ReportEmail::new(r).html_card(),
    });
    let heading = match (result, report) {
        (Ok(synced), _) if synced.report.is_success() => "Users synchronized",
        (Ok(_), _) => "Users synchronized, with problems",
        (Err(_), Some(_)) => "The sync stopped early",
        (Err(_), None) => "Nothing was written",
    };
    Ended { heading: heading.to_owned(), progress: (0, 0), card, messages }
}

//! Running the writes: each side's units with slots of their own, each unit bounded in time and
//! kept from taking the run down with a panic, and a side whose credentials are refused stopped.

use super::report::operation_report;
use super::units::{Ended, operation_span, panicked, run_unit, timed_out, units};
use super::{ApplyOptions, DirectoryPair, Progress};
use crate::report::{OperationReport, Outcome};
use crate::timeout::within;
use crate::{DirectoryError, Operation, Operations, Side};
use futures::FutureExt;
use futures::stream::{BoxStream, StreamExt};
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing::Instrument;

/// How the writes of a run ended.
pub(super) struct Executed {
    /// Each operation's end, in plan order.
    pub(super) ended: Vec<Ended>,
    /// Each operation's report, in plan order.
    pub(super) reports: Vec<OperationReport>,
    /// The first side that refused the credentials, and its error.
    pub(super) fatal: Option<(Side, DirectoryError)>,
}

/// What the units of one run share while they run.
struct Shared<'a> {
    operations: &'a [Operation],
    directories: DirectoryPair<'a>,
    options: &'a ApplyOptions,
    /// Per side: stop starting writes (its credentials were refused).
    stop: [AtomicBool; 2],
    fatal: Mutex<Option<(Side, DirectoryError)>>,
}

/// Runs `ops`: each side's units at most [`ApplyOptions::concurrency`] at once, on slots of its
/// own, so one directory's writes never queue behind the other's (Azure AD's wait for its write
/// window does not hold Huma's updates back). When a directory refuses the credentials, no
/// further write to it is started (they end "not attempted"); the other side's go on, since
/// they need nothing of it.
pub(super) async fn execute(
    ops: &Operations,
    directories: DirectoryPair<'_>,
    options: &ApplyOptions,
) -> Executed {
    let operations = &ops.operations;
    let total = operations.len();
    options.tell(&Progress::Started { operations: total });
    let shared = Shared {
        operations,
        directories,
        options,
        stop: [AtomicBool::new(false), AtomicBool::new(false)],
        fatal: Mutex::new(None),
    };
    let mut per_side: [Vec<Vec<usize>>; 2] = [Vec::new(), Vec::new()];
    for unit in units(operations, |side| directories.get(side)) {
        per_side[slot(operations[unit[0]].target())].push(unit);
    }
    let [hr, idp] = per_side.map(|units| side_stream(&shared, units));
    let mut stream = futures::stream::select(hr, idp);

    let names = directories.names();
    let mut ended: Vec<Option<Ended>> = (0..total).map(|_| None).collect();
    let mut reports: Vec<Option<OperationReport>> = vec![None; total];
    let mut finished = 0;
    while let Some((index, end)) = stream.next().await {
        finished += 1;
        let report = operation_report(&operations[index], &end, &names);
        match &end.outcome {
            Outcome::Failed { kind, message, .. } => {
                tracing::warn!(index, kind = %kind, message = %message, "write failed");
            }
            outcome => tracing::info!(index, outcome = outcome.label(), "write ended"),
        }
        options.tell(&Progress::Finished { finished, operations: total, report: report.clone() });
        reports[index] = Some(report);
        ended[index] = Some(end);
    }
    drop(stream);
    let fatal = shared.fatal.into_inner().unwrap_or_else(|p| p.into_inner());
    Executed {
        ended: ended.into_iter().flatten().collect(),
        reports: reports.into_iter().flatten().collect(),
        fatal,
    }
}

/// One side's units as a stream of ended operations, at most the concurrency at once.
fn side_stream<'s>(
    shared: &'s Shared<'s>,
    units: Vec<Vec<usize>>,
) -> BoxStream<'s, (usize, Ended)> {
    // The futures are built up front (they start only when polled): a stream combinator holding
    // a closure over borrowed operations would keep the whole future from being `Send`.
    let runs: Vec<_> = units.into_iter().map(|unit| run(shared, unit)).collect();
    futures::stream::iter(runs)
        .buffer_unordered(shared.options.concurrency.max(1))
        .flat_map(futures::stream::iter)
        .boxed()
}

/// Runs one unit within the write timeout, unless its side was stopped.
async fn run(shared: &Shared<'_>, unit: Vec<usize>) -> Vec<(usize, Ended)> {
    let side = shared.operations[unit[0]].target();
    if shared.stop[slot(side)].load(Ordering::SeqCst) {
        let not_attempted = || Ended { outcome: Outcome::NotAttempted, record: None, fatal: None };
        return unit.iter().map(|&index| (index, not_attempted())).collect();
    }
    let target = shared.directories.get(side);
    let timeout = shared.options.write_timeout;
    let span = operation_span(unit[0], &shared.operations[unit[0]], unit.len());
    let write = AssertUnwindSafe(run_unit(shared.operations, &unit, target).instrument(span))
        .catch_unwind();
    let ends = match within(timeout, write).await {
        Some(Ok(ends)) => ends,
        Some(Err(panic)) => unit.iter().map(|_| Ended::failed(panicked(&panic))).collect(),
        None => unit.iter().map(|_| Ended::failed(timed_out(target, timeout))).collect(),
    };
    let mut out = Vec::with_capacity(unit.len());
    for (&index, mut end) in unit.iter().zip(ends) {
        if let Some(error) = end.fatal.take() {
            shared.stop[slot(side)].store(true, Ordering::SeqCst);
            let mut first = shared.fatal.lock().unwrap_or_else(|p| p.into_inner());
            if first.is_none() {
                *first = Some((side, error));
            }
        }
        out.push((index, end));
    }
    out
}

fn slot(side: Side) -> usize {
    match side {
        Side::Hr => 0,
        Side::Idp => 1,
    }
}

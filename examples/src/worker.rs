//! `sync worker`: every organisation of an organisations file synced when due, a few at a time,
//! over the states in one PostgreSQL database that any number of workers share
//! ([`dirsync_postgres::Worker`]). One line per organisation and round on standard output;
//! each run in the database's history.

use crate::cli::WorkerArgs;
use crate::run::{Console, Outcome, refused, say};
use dirsync_connect::orgs_file::{self, Organisation, ReadError};
use dirsync_connect::{OrganisationJob as Job, Problem, ProblemKind};
use dirsync_postgres::{
    OrgDone, OrgJob as _, OrgKey, PostgresConfig, RoundOutcome, StopSignals, Worker,
};
use std::collections::HashMap;
use std::io::Write;

/// Runs `sync worker`: with `--once`, 0 when every organisation was synced (or was not due, or
/// was being synced by another), 5 when one failed, 1 when none could run; without it, rounds
/// until Ctrl-C or SIGTERM. 2 for a bad command line or organisations file.
pub async fn worker(args: &WorkerArgs, console: &mut Console) -> Outcome {
    let jobs = match jobs(args) {
        Ok(jobs) => jobs,
        Err(problem) => return refused(console, problem),
    };
    let db = match crate::run::open_database(&jobs.database).await {
        Ok(db) => db,
        Err(problem) => return refused(console, problem),
    };
    let worker = Worker::new(db, args.every).with_concurrency(args.concurrency);
    let by_key: HashMap<&OrgKey, &Job> = jobs.jobs.iter().map(|job| (job.key(), job)).collect();
    let signals = StopSignals::listen();
    tokio::spawn(say_stopping(signals.clone()));
    let (stop, abort) = (signals.first(), signals.second());
    let (out, err) = (&mut console.out, &mut console.err);
    let mut log = |done: &OrgDone| log(out, err, done, by_key.get(&done.key).copied());
    let work = async {
        if args.once {
            Some(worker.round(&jobs.jobs, stop, &mut log).await)
        } else {
            worker.run(&jobs.jobs, stop, &mut log).await;
            None
        }
    };
    let ended = tokio::select! {
        summary = work => Ok(summary),
        () = abort => Err(()),
    };
    match ended {
        Ok(Some(summary)) => {
            say!(console.out, "{summary}");
            match summary.outcome() {
                RoundOutcome::Done => Outcome::Done,
                RoundOutcome::NoneRan => Outcome::CouldNotRun,
                _ => Outcome::SomeFailed,
            }
        }
        Ok(None) => Outcome::Done,
        Err(()) => {
            say!(
                console.err,
                "error: stopped at once: the runs under way were cut short; their organisations \
                 are free for the next run at once"
            );
            Outcome::CouldNotRun
        }
    }
}

/// The organisations to serve and the database they are in.
struct Jobs {
    database: PostgresConfig,
    jobs: Vec<Job>,
}

/// The database from `--state` and a job for each organisation of `--orgs`, every setting
/// checked and both directories built (no request made yet), so a bad file stops the worker
/// before it syncs anyone.
fn jobs(args: &WorkerArgs) -> Result<Jobs, Problem> {
    use ProblemKind::{CouldNotRun, Settings};
    if !dirsync_connect::is_url(&args.state) {
        return Err(Problem::new(
            Settings,
            format!(
                "sync worker keeps every organisation's state in PostgreSQL, not in the file {}: \
                 give --state postgres://USER@HOST:PORT/DATABASE",
                args.state
            ),
        ));
    }
    let database = crate::run::database(&args.state)?;
    let file = args.orgs.display();
    let organisations = orgs_file::read(&args.orgs).map_err(|e| match e {
        ReadError::Bad(bad) => Problem::new(Settings, format!("{file}: {bad}")),
        ReadError::Unreadable(io) => Problem::new(CouldNotRun, format!("cannot read {file}: {io}")),
        other => Problem::new(CouldNotRun, format!("{file}: {other}")),
    })?;
    let holder = dirsync_connect::holder("sync worker");
    let jobs = organisations
        .into_iter()
        .map(|organisation| job(organisation, &database, &holder))
        .collect::<Result<Vec<_>, String>>()
        .map_err(|message| Problem::new(Settings, format!("{file}: {message}")))?;
    Ok(Jobs { database, jobs })
}

/// The organisation of the file, ready to sync; or why not, naming its table.
fn job(organisation: Organisation, database: &PostgresConfig, holder: &str) -> Result<Job, String> {
    let Organisation { key, args, secrets } = organisation;
    let table = format!("[[organisation]] {:?}", key.as_str());
    Job::new(key, &args, &secrets, database, holder)
        .map_err(|e| format!("{table}: {}", Problem::from(&e)))
}

/// The line for one organisation's turn on standard output, and its notes on standard error.
fn log(out: &mut dyn Write, err: &mut dyn Write, done: &OrgDone, job: Option<&Job>) {
    let at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ");
    let took = done.took.as_secs_f64();
    let (key, status) = (&done.key, done.status());
    let detail = job.map(|job| job.describe(done)).unwrap_or_default();
    say!(out, "{at} {key}: {status} in {took:.1} s: {detail}");
    for note in job.map(Job::take_notes).unwrap_or_default() {
        say!(err, "{key}: {note}");
    }
}

/// Says on standard error what each stop signal does, as it comes.
async fn say_stopping(signals: StopSignals) {
    signals.first().await;
    tracing::warn!(
        "stopping: no further organisation is taken up, those under way finish (signal again to \
         stop at once)"
    );
    signals.second().await;
    tracing::warn!("stopping at once");
}

//! The `sync` program's flow: parse the arguments, connect, read both sides, settle the plan, apply
//! it, and say how it went as an [`Outcome`] (the exit code).

use crate::cli::{Args, Command};
use crate::plan_view;
use dirsync::{
    apply::{ApplyError, DirectoryPair, Progress},
    directory::Directory,
    model::Names,
    plan::{AccountAction, Decision, ItemId, Plan, PlanItem},
    report::Report,
    sync::{PlannedSync, SyncError, Synchronizer},
};
use dirsync_connect::{
    Directories, EmailOutcome, Problem, ProblemKind, Secrets, SyncSettings, SyncSetup,
};
use dirsync_postgres::{PostgresConfig, PostgresDatabase};
use dirsync_report::quoted_value_text as value_text;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::ffi::OsString;
use std::io::{self, BufRead, Write};
pub use testkit::Captured;

/// How a run ended: the process's exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Outcome {
    /// Everything was done (or, for `plan` and `--help`, shown).
    Done = 0,
    /// The run could not start or went wrong as a whole: connection, credentials, configuration,
    /// the state file. The reason was printed.
    CouldNotRun = 1,
    /// The command line or the decisions file is wrong.
    Usage = 2,
    /// Decisions are pending: they were listed and nothing was written.
    Pending = 3,
    /// The plan changes more people than --max-changes allows, or disables more accounts than
    /// --max-disables allows: nothing was written.
    OverThreshold = 4,
    /// Some writes failed; the report says which. (Writes held back because they were refused for
    /// good before are not failures: a run whose only problems are those is [`Outcome::Done`].)
    SomeFailed = 5,
    /// `sync review` was stopped (Ctrl-C) before anything was written.
    Interrupted = 130,
}

impl Outcome {
    /// The exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Outcome> for std::process::ExitCode {
    fn from(outcome: Outcome) -> Self {
        std::process::ExitCode::from(outcome.code())
    }
}

/// Where a run writes and reads: the program's standard streams, or buffers in tests.
pub struct Console {
    /// What the program tells (the plan, the report).
    pub out: Box<dyn Write + Send>,
    /// Errors and warnings.
    pub err: Box<dyn Write + Send>,
    /// Answers to questions; `None` when nobody is there to ask (not a terminal).
    pub input: Option<Box<dyn BufRead + Send>>,
    /// Whether to draw a progress bar on standard output.
    pub progress: bool,
}

impl Console {
    /// The process's standard streams: questions (on standard error) only when standard input is
    /// a terminal, a progress bar only when standard output is one.
    pub fn stdio() -> Console {
        use std::io::IsTerminal;
        let terminal = io::stdout().is_terminal();
        let ask = io::stdin().is_terminal();
        Console {
            out: Box::new(io::stdout()),
            err: Box::new(io::stderr()),
            input: ask
                .then(|| Box::new(io::BufReader::new(io::stdin())) as Box<dyn BufRead + Send>),
            progress: terminal,
        }
    }

    /// Asks `question` on the error stream and reads the answer, trimmed; `None` when nobody is
    /// there to answer or the input ended.
    ///
    /// # Errors
    /// The input cannot be read.
    pub fn ask(&mut self, question: &str) -> io::Result<Option<String>> {
        let Some(input) = self.input.as_mut() else { return Ok(None) };
        let _ = write!(self.err, "{question}");
        let _ = self.err.flush();
        let mut line = String::new();
        Ok((input.read_line(&mut line)? > 0).then(|| line.trim().to_owned()))
    }

    /// A console that keeps everything written to it (standard output and errors together), with
    /// nobody to answer questions: for tests.
    pub fn captured() -> (Console, Captured) {
        let captured = Captured::default();
        let console = Console {
            out: Box::new(captured.clone()),
            err: Box::new(captured.clone()),
            input: None,
            progress: false,
        };
        (console, captured)
    }
}

/// Writes a line to a console stream; a console that cannot be written to is not worth failing a
/// sync for.
macro_rules! say {
    ($w:expr) => {{ let _ = writeln!($w); }};
    ($w:expr, $($arg:tt)*) => {{ let _ = writeln!($w, $($arg)*); }};
}
pub(crate) use say;

/// Parses a program's arguments. A mistake is a usage error on standard error; `--help` and
/// `--version` are printed on standard output and end the program successfully.
pub(crate) fn parse_args<A: clap::Parser>(
    argv: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    console: &mut Console,
) -> Result<A, Outcome> {
    A::try_parse_from(argv).map_err(|e| {
        let text = e.render().to_string();
        if e.use_stderr() {
            say!(console.err, "{}", text.trim_end());
            Outcome::Usage
        } else {
            say!(console.out, "{}", text.trim_end());
            Outcome::Done
        }
    })
}

/// The `sync` program: its arguments, secrets and standard streams from the process, logs on
/// standard error; the exit code.
pub async fn program_main() -> std::process::ExitCode {
    crate::init_tracing();
    main_with(std::env::args_os(), Secrets::from_env(), &mut Console::stdio()).await.into()
}

/// Runs the `sync` program with these arguments (the first is the program's name) and secrets.
///
/// Without a command it runs the demonstration ([`crate::demo::main`]).
pub async fn main_with(
    argv: impl IntoIterator<Item = impl Into<OsString> + Clone>,
    secrets: Secrets,
    console: &mut Console,
) -> Outcome {
    let args: Args = match parse_args(argv, console) {
        Ok(args) => args,
        Err(outcome) => return outcome,
    };
    match args.command {
        None => crate::demo::main(console).await,
        Some(Command::Plan(plan)) => {
            let mode = Mode::Plan { json: plan.json };
            real(&plan.sync, mode, &secrets, console).await
        }
        Some(Command::Apply(sync)) => real(&sync, Mode::Apply, &secrets, console).await,
        Some(Command::LoginAzure(login)) => {
            crate::login::login_azure(&login, &secrets, console).await
        }
        Some(Command::Release(release)) => crate::release::release(&release, console).await,
        Some(Command::Review(review)) => {
            crate::review::review(&review, &secrets, console, stop_signal()).await
        }
        Some(Command::History(history)) => crate::history::history(&history, console).await,
        Some(Command::Worker(worker)) => crate::worker::worker(&worker, console).await,
    }
}

/// Ctrl-C, or never when it cannot be listened for.
async fn stop_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Against the real services (or whatever the URLs point at).
async fn real(
    args: &SyncSettings,
    mode: Mode,
    secrets: &Secrets,
    console: &mut Console,
) -> Outcome {
    let (settings, directories) = match SyncSetup::connect(args, secrets) {
        Ok(ready) => ready,
        Err(e) => return refused(console, &e),
    };
    warn_if_cannot_disable(&settings, directories.idp.directory(), console);
    let run = sync(&directories, &settings, mode, console).await;
    // The report files are written by now; a failed email is a warning, never the run's outcome.
    if let (Mode::Apply, Some(report)) = (mode, &run.report) {
        let email = dirsync_connect::send_report(&args.email, report, None, &directories).await;
        if email.is_failure() {
            say!(console.err, "{email}");
        } else if email != EmailOutcome::NotAsked {
            say!(console.out, "{email}");
        }
    }
    run.outcome
}

/// Says so when --disable-leavers is given for a directory that cannot disable accounts.
pub(crate) fn warn_if_cannot_disable(
    setup: &SyncSetup,
    idp: &dyn Directory,
    console: &mut Console,
) {
    if let Some(warning) = setup.cannot_disable(idp) {
        say!(console.err, "warning: {warning}");
    }
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read, reconcile, print the plan; write nothing.
    Plan {
        /// Print JSON rather than text.
        json: bool,
    },
    /// Read, reconcile, settle, apply, save the state, report.
    Apply,
}

impl From<ProblemKind> for Outcome {
    fn from(kind: ProblemKind) -> Outcome {
        match kind {
            ProblemKind::Settings => Outcome::Usage,
            ProblemKind::Pending => Outcome::Pending,
            ProblemKind::OverThreshold => Outcome::OverThreshold,
            _ => Outcome::CouldNotRun,
        }
    }
}

/// Says what the problem is; its exit code.
pub(crate) fn refused(console: &mut Console, problem: impl Into<Problem>) -> Outcome {
    let problem = problem.into();
    say!(console.err, "error: {problem}");
    problem.kind().into()
}

/// The database a `--state postgres://…` names (the URL checked, no connection made).
///
/// # Errors
/// Not a PostgreSQL URL, or a password written in it: wrong settings.
pub(crate) fn database(url: &str) -> Result<PostgresConfig, Problem> {
    PostgresConfig::from_url(url).map_err(|e| Problem::new(ProblemKind::Settings, e.to_string()))
}

/// [`dirsync_connect::open_database`], its error a run that could not run.
pub(crate) async fn open_database(database: &PostgresConfig) -> Result<PostgresDatabase, Problem> {
    dirsync_connect::open_database(database)
        .await
        .map_err(|e| Problem::chain(ProblemKind::CouldNotRun, &e))
}

/// What a sync did: its outcome, and the plan and report when it got that far.
#[derive(Debug, Clone)]
pub struct Run {
    /// The exit code.
    pub outcome: Outcome,
    /// The plan, once read and settled.
    pub plan: Option<Plan>,
    /// The report, once applied.
    pub report: Option<Report>,
}

impl Run {
    pub(crate) fn failed(console: &mut Console, problem: Problem, plan: Option<Plan>) -> Run {
        Run { outcome: refused(console, problem), plan, report: None }
    }
}

/// One sync: read, plan, and (in [`Mode::Apply`]) settle, apply, save the state and report.
pub async fn sync(
    directories: &Directories,
    settings: &SyncSetup,
    mode: Mode,
    console: &mut Console,
) -> Run {
    sync_with(&directories.huma, directories.idp.directory(), settings, mode, console).await
}

/// [`sync`] over any two directories (Huma's side first): the library's [`Synchronizer`], with
/// the plan printed, decisions asked for, a progress bar and the report written.
pub async fn sync_with(
    hr: &dyn Directory,
    idp: &dyn Directory,
    settings: &SyncSetup,
    mode: Mode,
    console: &mut Console,
) -> Run {
    let bar = progress_bar(console.progress, 0);
    let options = settings
        .apply_options()
        .with_progress(progress_to(bar.clone(), DirectoryPair::new(hr, idp).names()));
    let synchronizer = |store| {
        settings.synchronizer(hr, idp, store, options.clone()).with_holder(dirsync_connect::holder(
            match mode {
                Mode::Plan { .. } => "sync plan",
                Mode::Apply => "sync apply",
            },
        ))
    };
    match mode {
        Mode::Plan { json } => {
            let copy = match settings.state.snapshot().await {
                Ok(copy) => copy,
                Err(e) => return Run::failed(console, Problem::from(&e), None),
            };
            show_plan(&synchronizer(&copy), settings, json, console).await
        }
        Mode::Apply => {
            let store = match settings.state.open().await {
                Ok(store) => store,
                Err(e) => return Run::failed(console, Problem::from(&e), None),
            };
            apply(&synchronizer(store.store()), settings, &bar, console).await
        }
    }
}

/// Reads both sides and plans, the decisions file applied.
async fn planned<'s>(
    sync: &'s Synchronizer<'_>,
    settings: &SyncSetup,
    console: &mut Console,
) -> Result<PlannedSync<'s>, Run> {
    let mut planned = match sync.plan().await {
        Ok(planned) => planned,
        Err(e) => return Err(Run::failed(console, Problem::of_sync(&e, settings), None)),
    };
    if let Some(decisions) = &settings.decisions
        && let Err(e) = decisions.apply_to(|id, decision| planned.decide(id, decision))
    {
        let plan = Some(planned.plan().clone());
        return Err(Run::failed(console, Problem::of_decisions(&e), plan));
    }
    Ok(planned)
}

/// Reads both sides and prints what a sync would do, and which writes it would hold back; writes
/// nothing and takes no lease on the state file.
async fn show_plan(
    sync: &Synchronizer<'_>,
    settings: &SyncSetup,
    json: bool,
    console: &mut Console,
) -> Run {
    let planned = match planned(sync, settings, console).await {
        Ok(planned) => planned,
        Err(run) => return run,
    };
    // What would be held back is known once nothing waits for a decision.
    let held = planned.held_back();
    let remembered = if planned.is_settled() { 0 } else { planned.state().held.len() };
    let plan = planned.plan().clone();
    drop(planned);
    if json {
        match serde_json::to_string_pretty(&plan) {
            Ok(text) => say!(console.out, "{text}"),
            Err(e) => {
                let problem =
                    Problem::new(ProblemKind::CouldNotRun, format!("cannot show the plan: {e}"));
                return Run::failed(console, problem, Some(plan));
            }
        }
    } else {
        let _ = plan_view::view(&plan).write(&mut console.out);
        let _ = plan_view::print_held(&mut console.out, &plan.names, &held);
        if remembered > 0 {
            say!(console.out);
            say!(
                console.out,
                "{remembered} write(s) were refused for good before; which of them an apply holds \
                 back shows once no decision is pending."
            );
        }
        say!(console.out);
        say!(console.out, "This was a plan only: nothing was written.");
    }
    Run { outcome: Outcome::Done, plan: Some(plan), report: None }
}

/// Plans under the state's lease, settles (decisions file, then questions), applies, reports.
async fn apply(
    sync: &Synchronizer<'_>,
    settings: &SyncSetup,
    bar: &ProgressBar,
    console: &mut Console,
) -> Run {
    let mut planned = match planned(sync, settings, console).await {
        Ok(planned) => planned,
        Err(run) => return run,
    };
    let _ = plan_view::view(planned.plan()).write(&mut console.out);
    if !planned.is_settled() && console.input.is_some() {
        ask(&mut planned, console);
    }
    if !planned.is_settled() {
        say!(console.err);
        say!(
            console.err,
            "{} decision(s) are pending, so nothing was written. Settle them with --prefer huma|idp, \
             with --decisions FILE (JSON: {{\"<id>\": \"huma\" | \"azure\" | \"skip\" | \"create\"}}), \
             or run in a terminal to be asked:",
            planned.pending().len()
        );
        let _ = plan_view::view(planned.plan()).write_pending(&mut console.err);
        return Run { outcome: Outcome::Pending, plan: Some(planned.plan().clone()), report: None };
    }

    let writes = planned.plan().operations().map(|ops| ops.operations.len()).unwrap_or(0);
    let held = planned.held_back().len();
    say!(console.out);
    if held > 0 {
        say!(
            console.out,
            "Applying: {writes} write(s) planned; {held} held back (refused for good before)"
        );
    } else {
        say!(console.out, "Applying: {writes} write(s)");
    }
    bar.set_length(writes as u64);
    let plan = planned.plan().clone();
    let applied = planned.apply().await;
    if !bar.is_finished() {
        bar.finish();
    }
    applied_run(applied, plan, settings, console)
}

/// What an apply's result means for a person and the exit code: the report printed and written
/// to its files, or why nothing was written. `sync apply` and `sync review` end with it.
pub fn applied_run(
    applied: Result<dirsync::sync::Synced, SyncError>,
    plan: Plan,
    settings: &SyncSetup,
    console: &mut Console,
) -> Run {
    let (report, stopped) = match applied {
        Ok(synced) => (synced.report, None),
        Err(e) => match e.report().cloned() {
            Some(report) => (report, Some(Problem::of_sync(&e, settings))),
            None => {
                let run = Run::failed(console, Problem::of_sync(&e, settings), Some(plan.clone()));
                if let SyncError::Apply(ApplyError::DisableThreshold { .. }) = e {
                    say!(console.err, "The accounts it would disable:");
                    let _ = plan_view::view(&plan)
                        .write_accounts(&mut console.err, AccountAction::Disable);
                }
                return run;
            }
        },
    };
    let mut outcome = if report.is_success() { Outcome::Done } else { Outcome::SomeFailed };
    say!(console.out);
    say!(console.out, "{}", dirsync_report::markdown(&report).trim_end());
    match settings.write_reports(&report) {
        Ok(written) => written.iter().for_each(|line| say!(console.out, "{line}")),
        Err(e) => outcome = refused(console, Problem::chain(ProblemKind::CouldNotRun, &e)),
    }
    if let Some(problem) = stopped {
        outcome = refused(console, problem);
    } else if outcome == Outcome::SomeFailed {
        say!(
            console.err,
            "{} write(s) failed; the report above says which and what to do",
            report.counts.failed + report.counts.not_attempted
        );
    }
    if !report.held.is_empty() {
        say!(
            console.out,
            "{} write(s) held back: refused for good before, they are tried again when their value \
             changes or at their next try. To try one at the next apply: `sync release ID` (the id \
             ends its line above); all of them now: --retry-held.",
            report.held.len()
        );
    }
    Run { outcome, plan: Some(plan), report: Some(report) }
}

/// The progress bar told of each write.
fn progress_to(bar: ProgressBar, names: Names) -> impl Fn(&Progress) + Send + Sync + 'static {
    move |event: &Progress| match event {
        Progress::Started { operations } => bar.set_length(*operations as u64),
        Progress::Finished { finished, report, .. } => {
            bar.set_position(*finished as u64);
            bar.set_message(format!("{} in {}", report.name, names.of(report.target)));
        }
        Progress::Done { .. } => bar.finish_with_message("done"),
        _ => {}
    }
}

fn progress_bar(visible: bool, len: usize) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stdout());
    if let Ok(style) = ProgressStyle::with_template("  [{bar:40}] {pos}/{len} {wide_msg}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Asks about each pending item on the console's input until it is settled or the input ends.
fn ask(planned: &mut PlannedSync<'_>, console: &mut Console) {
    let pending = planned.pending();
    if !pending.is_empty() {
        say!(console.err);
        say!(console.err, "{} item(s) wait for your decision.", pending.len());
    }
    for id in pending {
        let question = question(planned.plan(), &id);
        loop {
            let Ok(Some(answer)) = console.ask(&question) else { return };
            let decision = match answer.to_ascii_lowercase().as_str() {
                "h" | "huma" => Decision::UseHr,
                "a" | "azure" => Decision::UseIdp,
                "s" | "skip" => Decision::Skip,
                "c" | "create" => Decision::Create,
                _ => {
                    say!(console.err, "  please answer h, a or s (c to create a person)");
                    continue;
                }
            };
            match planned.decide(&id, decision) {
                Ok(()) => break,
                Err(e) => say!(console.err, "  {e}"),
            }
        }
    }
}

fn question(plan: &Plan, id: &ItemId) -> String {
    match plan.item(id) {
        Some(PlanItem::Change(c)) => format!(
            "{} · {}: {} {} / {} {} — keep [h]uma / [a]zure / [s]kip? ",
            c.name,
            c.field,
            plan.names.hr,
            value_text(c.hr_value.as_ref()),
            plan.names.idp,
            value_text(c.idp_value.as_ref())
        ),
        Some(PlanItem::Creation(c)) => format!(
            "{} is only in {}: [c]reate in {} / [s]kip? ",
            c.name,
            plan.names.of(c.source),
            plan.names.of(c.target())
        ),
        _ => format!("{id}: [h]uma / [a]zure / [s]kip? "),
    }
}

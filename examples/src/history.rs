//! `sync history`: the runs recorded with a state in PostgreSQL, newest first, and each write
//! they made or tried ("what did the sync do to Kari last month?").

use crate::cli::HistoryArgs;
use crate::run::{Console, Outcome, refused, say};
use dirsync::store::{HistoryQuery, RunEntry};
use dirsync_connect::{Problem, ProblemKind};
use dirsync_postgres::OrgKey;

/// Runs `sync history`: 0 when shown (also when there is nothing to show), 1 when the state
/// keeps no history (a file) or cannot be read, 2 for a bad URL or organisation key.
pub async fn history(args: &HistoryArgs, console: &mut Console) -> Outcome {
    let text = args.store.state.to_string_lossy();
    if !dirsync_connect::is_url(&text) {
        say!(
            console.err,
            "error: the state file {text} keeps no history: runs are recorded only with a state in \
             PostgreSQL (--state postgres://USER@HOST:PORT/DB --org KEY); for a state file, keep \
             the reports of `sync apply` (--report-json, --report-html)"
        );
        return Outcome::CouldNotRun;
    }
    let found = match find(args, &text).await {
        Ok(found) => found,
        Err(problem) => return refused(console, problem),
    };
    if args.json {
        return match serde_json::to_string_pretty(&found.runs) {
            Ok(json) => {
                say!(console.out, "{json}");
                Outcome::Done
            }
            Err(e) => {
                say!(console.err, "error: cannot show the history as JSON: {e}");
                Outcome::CouldNotRun
            }
        };
    }
    if found.runs.is_empty() {
        say!(console.out, "No runs recorded for {}{}.", found.whose, filters(args));
    }
    for entry in &found.runs {
        say!(console.out);
        say!(console.out, "{}", dirsync_report::history::run_text(entry));
    }
    Outcome::Done
}

/// The runs found, and whose they are, for a person.
struct Found {
    runs: Vec<RunEntry>,
    whose: String,
}

async fn find(args: &HistoryArgs, url: &str) -> Result<Found, Problem> {
    let database = crate::run::database(url)?;
    let org = match args.store.org.as_deref().map(OrgKey::new).transpose() {
        Ok(org) => org,
        Err(e) => return Err(Problem::new(ProblemKind::Settings, e.to_string())),
    };
    let db = crate::run::open_database(&database).await?;
    let query = HistoryQuery {
        person: args.person.as_deref().map(|id| id.trim().into()),
        since: args.since,
        ..HistoryQuery::default()
    };
    let runs = db
        .history(org.as_ref(), &query)
        .await
        .map_err(|e| Problem::chain(ProblemKind::CouldNotRun, &e))?;
    let whose = match &org {
        Some(org) => format!("organisation {org} in {}", db.target()),
        None => format!("any organisation in {}", db.target()),
    };
    Ok(Found { runs, whose })
}

/// " for person X since T", as far as asked.
fn filters(args: &HistoryArgs) -> String {
    let mut text = String::new();
    if let Some(person) = &args.person {
        text.push_str(&format!(" that wrote to {}", person.trim()));
    }
    if let Some(since) = args.since {
        text.push_str(&format!(" since {}", since.format("%Y-%m-%d %H:%M:%S UTC")));
    }
    text
}

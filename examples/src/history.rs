//! `sync history`: the runs recorded with a state in PostgreSQL, newest first, and each write
//! they made or tried ("what did the sync do to Kari last month?").

use crate::cli::HistoryArgs;
use crate::plan_view::value_text;
use crate::run::{Console, Outcome, say};
use crate::state;
use dirsync::{Counts, HistoryQuery, RunEntry, Side, WriteRecord};
use dirsync_postgres::OrgKey;
use std::io::Write;

/// Runs `sync history`: 0 when shown (also when there is nothing to show), 1 when the state
/// keeps no history (a file) or cannot be read, 2 for a bad URL or organisation key.
pub async fn history(args: &HistoryArgs, console: &mut Console) -> Outcome {
    let text = args.store.state.to_string_lossy();
    if !state::is_url(&text) {
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
        Err(failure) => {
            say!(console.err, "error: {}", failure.message);
            return failure.outcome;
        }
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
        print_run(&mut console.out, entry);
    }
    Outcome::Done
}

/// The runs found, and whose they are, for a person.
struct Found {
    runs: Vec<RunEntry>,
    whose: String,
}

async fn find(args: &HistoryArgs, url: &str) -> Result<Found, crate::run::Failure> {
    let database = state::database(url)?;
    let org = match args.store.org.as_deref().map(OrgKey::new).transpose() {
        Ok(org) => org,
        Err(e) => return Err(crate::run::Failure::new(Outcome::Usage, e.to_string())),
    };
    let db = state::connect(&database).await?;
    let query = HistoryQuery {
        person: args.person.as_deref().map(|id| id.trim().into()),
        since: args.since,
        ..HistoryQuery::default()
    };
    let runs = db.history(org.as_ref(), &query).await.map_err(|e| {
        crate::run::Failure::new(Outcome::CouldNotRun, dirsync::ErrorChain(&e).to_string())
    })?;
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

/// One run: when, who, how it ended, its counts and error, then its writes.
fn print_run(out: &mut dyn Write, entry: &RunEntry) {
    let run = &entry.run;
    let took = (run.finished_at - run.started_at).num_milliseconds().max(0) as f64 / 1000.0;
    say!(out);
    say!(
        out,
        "Run {} of {} · {} · {took:.1} s · {}",
        entry.id,
        entry.organisation,
        run.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
        run.holder
    );
    say!(out, "  {}: {}", run.outcome.as_str().replace('_', " "), counts_text(&run.counts));
    if let Some(error) = &run.error {
        say!(out, "  error: {error}");
    }
    // A person's writes of one operation (a creation's fields) under one line.
    for writes in run.writes.chunk_by(same_operation) {
        say!(out, "  - {}", operation_text(&writes[0]));
        for write in writes.iter().filter(|w| w.field.is_some() && !w.action.is_account()) {
            say!(out, "      {}", field_text(write));
        }
    }
}

/// Whether two writes are fields of one operation: one person, one side, one outcome.
fn same_operation(a: &WriteRecord, b: &WriteRecord) -> bool {
    (&a.name, &a.hr, &a.idp, a.target, a.action, a.outcome, &a.error)
        == (&b.name, &b.hr, &b.idp, b.target, b.action, b.outcome, &b.error)
}

/// A run's counts in words, for the history and the worker's log.
pub fn counts_text(counts: &Counts) -> String {
    let mut text = format!(
        "Huma {} updated, {} created; identity directory {} updated, {} created; {} failed",
        counts.updated_in_hr,
        counts.created_in_hr,
        counts.updated_in_idp,
        counts.created_in_idp,
        counts.failed
    );
    for (n, what) in [
        (counts.not_attempted, "not attempted"),
        (counts.disabled_in_idp, "accounts disabled"),
        (counts.enabled_in_idp, "enabled again"),
        (counts.held, "held back"),
    ] {
        if n > 0 {
            text.push_str(&format!(", {n} {what}"));
        }
    }
    text
}

/// An operation: who (both ids), what, where, how it ended.
fn operation_text(write: &WriteRecord) -> String {
    let ids: Vec<String> = [("Huma", &write.hr), ("directory", &write.idp)]
        .into_iter()
        .filter_map(|(side, id)| id.as_ref().map(|id| format!("{side} {id}")))
        .collect();
    let target = match write.target {
        Side::Hr => "Huma",
        Side::Idp => "the identity directory",
    };
    let error = write.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default();
    format!(
        "{} ({}): {} in {target}: {}{error}",
        write.name,
        ids.join(", "),
        write.action.label(),
        write.outcome.as_str().replace('_', " ")
    )
}

/// One field of an operation: its value before and after.
fn field_text(write: &WriteRecord) -> String {
    let field = write.field.map(|field| field.to_string()).unwrap_or_default();
    let (before, after) = (value_text(write.before.as_ref()), value_text(write.after.as_ref()));
    format!("{field}: {before} → {after}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use dirsync::{Action, Field, FieldValue, WriteOutcome};

    #[test]
    fn a_write_names_the_person_both_ids_the_field_and_both_values() {
        let write = WriteRecord {
            name: "Kari Nordmann".to_owned(),
            target: Side::Idp,
            hr: Some("h-1".into()),
            idp: Some("a-2".into()),
            action: Action::Update,
            field: Some(Field::JobTitle),
            before: Some(FieldValue::Text("Finance Manager".to_owned())),
            after: Some(FieldValue::Text("Head of Finance".to_owned())),
            outcome: WriteOutcome::Failed,
            error: Some("permission denied".to_owned()),
        };
        assert_eq!(
            operation_text(&write),
            "Kari Nordmann (Huma h-1, directory a-2): update in the identity directory: failed: \
             permission denied"
        );
        assert_eq!(field_text(&write), "Job title: \"Finance Manager\" → \"Head of Finance\"");
        let created = WriteRecord { action: Action::Create, hr: None, before: None, ..write };
        assert_eq!(field_text(&created), "Job title: (empty) → \"Head of Finance\"");
        assert!(operation_text(&created).starts_with("Kari Nordmann (directory a-2): create"));
    }

    #[test]
    fn counts_name_only_the_rare_kinds_that_happened() {
        let counts = Counts { updated_in_idp: 3, created_in_idp: 1, held: 2, ..Counts::default() };
        assert_eq!(
            counts_text(&counts),
            "Huma 0 updated, 0 created; identity directory 3 updated, 1 created; 0 failed, 2 \
             held back"
        );
    }
}

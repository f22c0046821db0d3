//! The history of runs: a row per run and a row per write, kept for the retention, queried by
//! organisation, run, person and time.

use crate::{OrgKey, PgError, PostgresDatabase, PostgresStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dirsync::{
    report::Counts,
    store::{HistoryQuery, RunEntry, RunHistory, RunRecord, StateError, WriteRecord},
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use tokio_postgres::Row;

#[async_trait]
impl RunHistory for PostgresStore {
    /// Records `run` with its writes in one transaction, and prunes this organisation's runs
    /// older than the retention.
    async fn record(&self, run: &RunRecord) -> Result<i64, StateError> {
        record(self, run).await.map_err(|e| e.into_state("record the run in", self.name()))
    }

    async fn query(&self, query: &HistoryQuery) -> Result<Vec<RunEntry>, StateError> {
        self.database()
            .history(Some(self.key()), query)
            .await
            .map_err(|e| e.into_state("read the history of", self.name()))
    }
}

impl PostgresDatabase {
    /// The runs that match `query`, newest first, of one organisation or (with `None`) of all.
    ///
    /// # Errors
    /// A database error, or a stored run that cannot be read.
    pub async fn history(
        &self,
        organisation: Option<&OrgKey>,
        query: &HistoryQuery,
    ) -> Result<Vec<RunEntry>, PgError> {
        let client = self.client().await?;
        let target = self.target();
        let person = query.person.as_ref().map(|p| p.as_str());
        let limit = query.limit.map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let runs = client
            .query(
                "SELECT r.id, o.key, r.holder, r.started_at, r.finished_at, r.outcome, \
                        r.counts::text, r.error \
                 FROM dirsync_runs r JOIN dirsync_organisations o ON o.id = r.org \
                 WHERE ($1::text IS NULL OR o.key = $1) AND ($2::bigint IS NULL OR r.id = $2) \
                   AND ($3::timestamptz IS NULL OR r.started_at >= $3) \
                   AND ($4::timestamptz IS NULL OR r.started_at < $4) \
                   AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM dirsync_run_writes w \
                        WHERE w.run = r.id AND (w.hr = $5 OR w.idp = $5))) \
                 ORDER BY r.started_at DESC, r.id DESC LIMIT $6",
                &[
                    &organisation.map(OrgKey::as_str),
                    &query.run,
                    &query.since,
                    &query.until,
                    &person,
                    &limit,
                ],
            )
            .await
            .map_err(|e| PgError::database("read the history", target, e))?;
        let mut entries = runs.iter().map(run_entry).collect::<Result<Vec<_>, _>>()?;
        let ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        let rows = client
            .query(
                "SELECT run, name, target, hr, idp, action, field, before::text, after::text, \
                        outcome, error \
                 FROM dirsync_run_writes WHERE run = ANY($1) \
                   AND ($2::text IS NULL OR hr = $2 OR idp = $2) ORDER BY run, seq",
                &[&ids, &person],
            )
            .await
            .map_err(|e| PgError::database("read the history", target, e))?;
        let mut writes: BTreeMap<i64, Vec<WriteRecord>> = BTreeMap::new();
        for row in &rows {
            writes.entry(row.get(0)).or_default().push(write_record(row)?);
        }
        for entry in &mut entries {
            entry.run.writes = writes.remove(&entry.id).unwrap_or_default();
        }
        Ok(entries)
    }
}

async fn record(store: &PostgresStore, run: &RunRecord) -> Result<i64, PgError> {
    let target = store.database().target();
    let fail = |e| PgError::database("record the run", target, e);
    let mut client = store.database().client().await?;
    let tx = tokio_postgres::Client::transaction(&mut client).await.map_err(fail)?;
    let id: i64 = tx
        .query_one(
            "INSERT INTO dirsync_runs (org, holder, started_at, finished_at, outcome, counts, error) \
             VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7) RETURNING id",
            &[
                &store.id(),
                &run.holder,
                &run.started_at,
                &run.finished_at,
                &run.outcome.as_str(),
                &json(&run.counts)?,
                &run.error,
            ],
        )
        .await
        .map_err(fail)?
        .get(0);
    insert_writes(&tx, id, &run.writes).await.map_err(fail)?;
    let keep = chrono::Duration::from_std(store.database().history_retention())
        .unwrap_or(chrono::Duration::MAX);
    let cutoff = Utc::now().checked_sub_signed(keep).unwrap_or(DateTime::<Utc>::MIN_UTC);
    let pruned = tx
        .execute(
            "DELETE FROM dirsync_runs WHERE org = $1 AND started_at < $2",
            &[&store.id(), &cutoff],
        )
        .await
        .map_err(fail)?;
    tx.commit().await.map_err(fail)?;
    tracing::debug!(run = id, writes = run.writes.len(), pruned, "run recorded");
    Ok(id)
}

/// The writes of run `id`, in one statement however many.
async fn insert_writes(
    tx: &tokio_postgres::Transaction<'_>,
    id: i64,
    writes: &[WriteRecord],
) -> Result<u64, tokio_postgres::Error> {
    let mut columns = WriteColumns::default();
    for (seq, write) in writes.iter().enumerate() {
        columns.push(i32::try_from(seq).unwrap_or(i32::MAX), write);
    }
    let c = &columns;
    tx.execute(
        "INSERT INTO dirsync_run_writes \
         (run, seq, name, target, hr, idp, action, field, before, after, outcome, error) \
         SELECT $1, u.seq, u.name, u.target, u.hr, u.idp, u.action, u.field, \
                u.before::jsonb, u.after::jsonb, u.outcome, u.error \
         FROM UNNEST($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                     $8::text[], $9::text[], $10::text[], $11::text[], $12::text[]) \
              AS u (seq, name, target, hr, idp, action, field, before, after, outcome, error)",
        &[
            &id, &c.seq, &c.name, &c.target, &c.hr, &c.idp, &c.action, &c.field, &c.before,
            &c.after, &c.outcome, &c.error,
        ],
    )
    .await
}

/// The writes of a run, column by column, for one `UNNEST`.
#[derive(Default)]
struct WriteColumns {
    seq: Vec<i32>,
    name: Vec<String>,
    target: Vec<String>,
    hr: Vec<Option<String>>,
    idp: Vec<Option<String>>,
    action: Vec<String>,
    field: Vec<Option<String>>,
    before: Vec<Option<String>>,
    after: Vec<Option<String>>,
    outcome: Vec<String>,
    error: Vec<Option<String>>,
}

impl WriteColumns {
    fn push(&mut self, seq: i32, write: &WriteRecord) {
        self.seq.push(seq);
        self.name.push(write.name.clone());
        self.target.push(name_of(&write.target));
        self.hr.push(write.hr.as_ref().map(|id| id.as_str().to_owned()));
        self.idp.push(write.idp.as_ref().map(|id| id.as_str().to_owned()));
        self.action.push(name_of(&write.action));
        self.field.push(write.field.as_ref().map(name_of));
        self.before.push(write.before.as_ref().and_then(|v| serde_json::to_string(v).ok()));
        self.after.push(write.after.as_ref().and_then(|v| serde_json::to_string(v).ok()));
        self.outcome.push(write.outcome.as_str().to_owned());
        self.error.push(write.error.clone());
    }
}

fn run_entry(row: &Row) -> Result<RunEntry, PgError> {
    let id: i64 = row.get(0);
    let what = format!("run {id}");
    let run = RunRecord {
        holder: row.get(2),
        started_at: row.get(3),
        finished_at: row.get(4),
        outcome: named(&what, row.get(5))?,
        counts: parse::<Counts>(&what, row.get(6))?,
        error: row.get(7),
        writes: Vec::new(),
    };
    Ok(RunEntry { id, organisation: row.get(1), run })
}

fn write_record(row: &Row) -> Result<WriteRecord, PgError> {
    let what = format!("write of run {}", row.get::<_, i64>(0));
    let optional = |i: usize| -> Result<_, PgError> {
        row.get::<_, Option<&str>>(i).map(|json| parse(&what, json)).transpose()
    };
    Ok(WriteRecord {
        name: row.get(1),
        target: named(&what, row.get(2))?,
        hr: row.get::<_, Option<String>>(3).map(Into::into),
        idp: row.get::<_, Option<String>>(4).map(Into::into),
        action: named(&what, row.get(5))?,
        field: row.get::<_, Option<&str>>(6).map(|f| named(&what, f)).transpose()?,
        before: optional(7)?,
        after: optional(8)?,
        outcome: named(&what, row.get(9))?,
        error: row.get(10),
    })
}

/// The name serde gives a unit variant (`"idp"`, `"update"`, `"job_title"`).
fn name_of(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        other => format!("{other:?}"),
    }
}

/// The unit variant serde names `name`.
fn named<T: DeserializeOwned>(what: &str, name: &str) -> Result<T, PgError> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|e| corrupt(what, e.to_string()))
}

fn parse<T: DeserializeOwned>(what: &str, json: &str) -> Result<T, PgError> {
    serde_json::from_str(json).map_err(|e| corrupt(what, e.to_string()))
}

fn json(value: &impl Serialize) -> Result<String, PgError> {
    serde_json::to_string(value)
        .map_err(|e| PgError::Config(format!("a run cannot be stored: {e}")))
}

fn corrupt(what: &str, reason: String) -> PgError {
    PgError::Corrupt { what: what.to_owned(), organisation: "(history)".to_owned(), reason }
}

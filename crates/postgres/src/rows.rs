//! An organisation's state as rows: a link, a cursor, a disabled account, a held-back write, a
//! reported finding each, read whole and written by the change.

use crate::PgError;
use dirsync::{
    directory::RecordId,
    model::Person,
    plan::ItemId,
    store::{Link, PartRequest, StateChanges, StatePart, SyncState},
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use tokio_postgres::Transaction;
use tokio_postgres::types::ToSql;

/// A table of entries kept by key, each a JSON value: cursors, disabled accounts, held writes,
/// what the last report showed.
struct Keyed {
    table: &'static str,
    key: &'static str,
    value: &'static str,
    what: &'static str,
}

const CURSORS: Keyed =
    Keyed { table: "dirsync_cursors", key: "name", value: "cursor", what: "cursor" };
const DISABLED: Keyed =
    Keyed { table: "dirsync_disabled", key: "idp", value: "account", what: "disabled account" };
const HELD: Keyed =
    Keyed { table: "dirsync_held", key: "id", value: "write", what: "held-back write" };
const REPORTED: Keyed =
    Keyed { table: "dirsync_reported", key: "id", value: "entry", what: "reported item" };

/// Where the rows are and what to call them in errors.
pub(crate) struct Rows<'a> {
    pub(crate) tx: &'a Transaction<'a>,
    pub(crate) org: i32,
    pub(crate) organisation: &'a str,
    pub(crate) target: &'a str,
}

impl Rows<'_> {
    /// The whole state.
    pub(crate) async fn load(&self) -> Result<SyncState, PgError> {
        let mut state = SyncState::new();
        state.links = self.links().await?;
        state.cursors = self.keyed(&CURSORS).await?;
        state.disabled = self.keyed(&DISABLED).await?;
        let held: BTreeMap<String, dirsync::held::HeldWrite> = self.keyed(&HELD).await?;
        state.held = held.into_values().collect();
        state.sort_held();
        let reported: BTreeMap<String, dirsync::store::Reported> = self.keyed(&REPORTED).await?;
        state.reported = reported.into_iter().map(|(id, seen)| (ItemId::new(id), seen)).collect();
        Ok(state)
    }

    /// The part of the state `request` asks for: the links by their key (org, hr) or by
    /// `dirsync_links_by_idp`, the disabled accounts by their key (org, idp), the held writes
    /// of its records among the organisation's, and a count of the links if asked for. Held
    /// writes are found by the key's leading org and their JSON's record: no index has the
    /// record, as held writes are the few a directory refused for good, and an index would be
    /// a schema version that workers of the version before refuse to run with.
    pub(crate) async fn part(&self, request: &PartRequest<'_>) -> Result<StatePart, PgError> {
        let hr: Vec<&str> = request.hr.iter().map(RecordId::as_str).collect();
        let idp: Vec<&str> = request.idp.iter().map(RecordId::as_str).collect();
        let mut state = SyncState::new();
        state.links = self
            .links_where(
                "SELECT hr, idp, baseline::text FROM dirsync_links \
                 WHERE org = $1 AND (hr = ANY($2) OR idp = ANY($3))",
                &[&self.org, &hr, &idp],
            )
            .await?;
        state.disabled = self
            .keyed_where(&DISABLED, &format!("{} = ANY($2)", DISABLED.key), &[&self.org, &idp])
            .await?;
        let records: Vec<&str> = hr.iter().chain(&idp).copied().collect();
        let held: BTreeMap<String, dirsync::held::HeldWrite> =
            self.keyed_where(&HELD, "write->>'record' = ANY($2)", &[&self.org, &records]).await?;
        state.held = held.into_values().collect();
        state.sort_held();
        let links_total = if request.links_total { Some(self.count_links().await?) } else { None };
        Ok(StatePart { state, links_total })
    }

    /// How many links the organisation has (an index-only count of its key where the table is
    /// vacuumed).
    async fn count_links(&self) -> Result<usize, PgError> {
        let row = self
            .tx
            .query_one("SELECT count(*) FROM dirsync_links WHERE org = $1", &[&self.org])
            .await
            .map_err(|e| PgError::database("count the links", self.target, e))?;
        let count: i64 = row.get(0);
        usize::try_from(count).map_err(|_| PgError::Corrupt {
            what: "the number of links".to_owned(),
            organisation: self.organisation.to_owned(),
            reason: format!("{count} is not a count"),
        })
    }

    /// Writes `changes`: the rows they set or remove, nothing else.
    pub(crate) async fn write(&self, changes: &StateChanges) -> Result<(), PgError> {
        self.write_links(changes).await?;
        let cursors = changes.cursors.iter().map(|(name, c)| (name.as_str(), c.as_ref()));
        self.write_keyed(&CURSORS, cursors).await?;
        let disabled = changes.disabled.iter().map(|(idp, a)| (idp.as_str(), a.as_ref()));
        self.write_keyed(&DISABLED, disabled).await?;
        let held = changes.held.iter().map(|(id, held)| (id.as_str(), held.as_ref()));
        self.write_keyed(&HELD, held).await?;
        let reported = changes.reported.iter().map(|(id, seen)| (id.as_str(), seen.as_ref()));
        self.write_keyed(&REPORTED, reported).await
    }

    /// Removes every row of the state.
    pub(crate) async fn clear(&self) -> Result<(), PgError> {
        for table in ["dirsync_links", CURSORS.table, DISABLED.table, HELD.table, REPORTED.table] {
            let sql = format!("DELETE FROM {table} WHERE org = $1");
            self.tx
                .execute(&sql, &[&self.org])
                .await
                .map_err(|e| PgError::database("clear the state", self.target, e))?;
        }
        Ok(())
    }

    async fn links(&self) -> Result<BTreeMap<RecordId, Link>, PgError> {
        self.links_where(
            "SELECT hr, idp, baseline::text FROM dirsync_links WHERE org = $1",
            &[&self.org],
        )
        .await
    }

    /// The links `sql` selects (hr, idp, baseline as text) with `params`.
    async fn links_where(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<BTreeMap<RecordId, Link>, PgError> {
        let rows = self
            .tx
            .query(sql, params)
            .await
            .map_err(|e| PgError::database("read the links", self.target, e))?;
        let mut links = BTreeMap::new();
        for row in rows {
            let hr: String = row.get(0);
            let baseline: Person = self.parse(&format!("link {hr}"), row.get(2))?;
            links.insert(
                RecordId::new(hr),
                Link { idp: RecordId::new(row.get::<_, String>(1)), baseline },
            );
        }
        Ok(links)
    }

    async fn keyed<K: From<String> + Ord, V: DeserializeOwned>(
        &self,
        table: &Keyed,
    ) -> Result<BTreeMap<K, V>, PgError> {
        self.keyed_where(table, "true", &[&self.org]).await
    }

    /// The entries of `table` of the organisation (`$1`) that `condition` keeps, with `params`.
    async fn keyed_where<K: From<String> + Ord, V: DeserializeOwned>(
        &self,
        table: &Keyed,
        condition: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<BTreeMap<K, V>, PgError> {
        let sql = format!(
            "SELECT {}, {}::text FROM {} WHERE org = $1 AND ({condition})",
            table.key, table.value, table.table
        );
        let rows = self
            .tx
            .query(&sql, params)
            .await
            .map_err(|e| PgError::database("read the state", self.target, e))?;
        let mut entries = BTreeMap::new();
        for row in rows {
            let key: String = row.get(0);
            let value = self.parse(&format!("{} {key}", table.what), row.get(1))?;
            entries.insert(K::from(key), value);
        }
        Ok(entries)
    }

    async fn write_links(&self, changes: &StateChanges) -> Result<(), PgError> {
        if changes.links.is_empty() {
            return Ok(());
        }
        let fail = |e| PgError::database("write the links", self.target, e);
        let changed: Vec<&str> = changes.links.keys().map(RecordId::as_str).collect();
        let claimed: Vec<&str> = changes.claimed_idp().into_iter().map(RecordId::as_str).collect();
        // A link set here takes its directory record from any other link, as pairing would.
        self.tx
            .execute(
                "DELETE FROM dirsync_links WHERE org = $1 AND (hr = ANY($2) OR idp = ANY($3))",
                &[&self.org, &changed, &claimed],
            )
            .await
            .map_err(fail)?;
        let mut hr = Vec::new();
        let mut idp = Vec::new();
        let mut baseline = Vec::new();
        for (id, link) in &changes.links {
            let Some(link) = link else { continue };
            hr.push(id.as_str());
            idp.push(link.idp.as_str());
            baseline.push(to_json(&link.baseline)?);
        }
        self.tx
            .execute(
                "INSERT INTO dirsync_links (org, hr, idp, baseline) \
                 SELECT $1, u.hr, u.idp, u.baseline::jsonb \
                 FROM UNNEST($2::text[], $3::text[], $4::text[]) AS u (hr, idp, baseline)",
                &[&self.org, &hr, &idp, &baseline],
            )
            .await
            .map_err(fail)?;
        Ok(())
    }

    async fn write_keyed<'v, V: Serialize + 'v>(
        &self,
        table: &Keyed,
        changes: impl Iterator<Item = (&'v str, Option<&'v V>)>,
    ) -> Result<(), PgError> {
        let mut keys = Vec::new();
        let mut set_keys = Vec::new();
        let mut values = Vec::new();
        for (key, value) in changes {
            keys.push(key);
            if let Some(value) = value {
                set_keys.push(key);
                values.push(to_json(value)?);
            }
        }
        if keys.is_empty() {
            return Ok(());
        }
        let fail = |e| PgError::database("write the state", self.target, e);
        let delete =
            format!("DELETE FROM {} WHERE org = $1 AND {} = ANY($2)", table.table, table.key);
        self.tx.execute(&delete, &[&self.org, &keys]).await.map_err(fail)?;
        let insert = format!(
            "INSERT INTO {} (org, {}, {}) SELECT $1, u.k, u.v::jsonb FROM UNNEST($2::text[], $3::text[]) AS u (k, v)",
            table.table, table.key, table.value
        );
        self.tx.execute(&insert, &[&self.org, &set_keys, &values]).await.map_err(fail)?;
        Ok(())
    }

    fn parse<T: DeserializeOwned>(&self, what: &str, json: &str) -> Result<T, PgError> {
        serde_json::from_str(json).map_err(|e| PgError::Corrupt {
            what: what.to_owned(),
            organisation: self.organisation.to_owned(),
            reason: e.to_string(),
        })
    }
}

fn to_json(value: &impl Serialize) -> Result<String, PgError> {
    serde_json::to_string(value)
        .map_err(|e| PgError::Config(format!("a value cannot be stored: {e}")))
}

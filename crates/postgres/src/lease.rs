//! An organisation's lease: a session advisory lock on a connection of its own.

use crate::{LOCK_NAMESPACE, PgError, PostgresStore};
use dirsync::store::{Lease, LeaseHolder, StateError};
use std::sync::Arc;
use tokio::task::JoinHandle;

/// What the server is told for the lease connection: notice a dead peer within about a minute
/// (30 s idle, then 3 probes 10 s apart), so the lock of a machine that vanished is let go.
const KEEPALIVES: &str =
    "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3";

/// Holds the lease's connection; dropping it closes the connection, and the lock goes with it
/// (once the server has noticed: [`Lease::release`] unlocks first and waits for the answer).
struct Held {
    _client: Arc<tokio_postgres::Client>,
    task: JoinHandle<()>,
}

impl Drop for Held {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Takes `store`'s lease for `holder`, or says who holds it.
pub(crate) async fn take(store: &PostgresStore, holder: &str) -> Result<Lease, StateError> {
    let fail = |e: PgError| e.into_state("lease", store.name());
    let target = store.database().target();
    let (client, task) = store.database().dedicated(Some(KEEPALIVES)).await.map_err(fail)?;
    let held = Held { _client: Arc::new(client), task };
    let client = held._client.clone();
    let locked: bool = client
        .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LOCK_NAMESPACE, &store.id()])
        .await
        .map_err(|e| fail(PgError::database("take the lease", target, e)))?
        .get(0);
    if !locked {
        let holder = current_holder(&client, store.id()).await;
        return Err(StateError::Busy { state: store.name().to_owned(), holder });
    }
    let holder = LeaseHolder { holder: holder.to_owned(), since: chrono::Utc::now() };
    // Who holds it is for the error a second sync gets; failing to write it loses nothing.
    let recorded = client
        .execute(
            "INSERT INTO dirsync_leases (org, holder, since) VALUES ($1, $2, $3) \
             ON CONFLICT (org) DO UPDATE SET holder = EXCLUDED.holder, since = EXCLUDED.since",
            &[&store.id(), &holder.holder, &holder.since],
        )
        .await;
    if let Err(e) = recorded {
        tracing::debug!(error = %e, "could not record who holds the lease");
    }
    tracing::debug!(organisation = %store.key(), holder = %holder, "lease taken");
    let org = store.id();
    Ok(Lease::new(holder, held).with_release(move || {
        Box::pin(async move {
            let unlocked =
                client.execute("SELECT pg_advisory_unlock($1, $2)", &[&LOCK_NAMESPACE, &org]).await;
            if let Err(e) = unlocked {
                // The lock still ends with the connection, closed next.
                tracing::debug!(error = %e, "could not unlock the lease; closing its connection");
            }
        })
    }))
}

/// Who recorded the lease last: its holder, while the lock is held.
async fn current_holder(client: &tokio_postgres::Client, org: i32) -> Option<LeaseHolder> {
    let row = client
        .query_opt("SELECT holder, since FROM dirsync_leases WHERE org = $1", &[&org])
        .await
        .ok()??;
    Some(LeaseHolder { holder: row.get(0), since: row.get(1) })
}

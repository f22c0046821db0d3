//! The lease across machines: one holder at a time, named to the next; gone with its holder's
//! connection, however that ends.

mod common;

use dirsync::store::{StateError, StateStore};
use dirsync_postgres::PostgresDatabase;

fn busy_holder(err: &StateError) -> String {
    match err {
        StateError::Busy { holder: Some(holder), state } => {
            assert!(state.contains("organisation acme"), "{state}");
            holder.holder.clone()
        }
        other => panic!("busy: {other:?}"),
    }
}

#[tokio::test]
async fn one_holder_at_a_time_across_two_pools_and_the_next_is_told_who() {
    let Some((first, server, name)) = common::database().await else { return };
    let second = PostgresDatabase::open(common::config(&server.url(&name))).await.unwrap();
    let (a, b) =
        (first.organisation("acme").await.unwrap(), second.organisation("acme").await.unwrap());

    let lease = a.lease("nightly sync on worker-3").await.unwrap();
    let refused = b.lease("worker-7").await.expect_err("held by worker-3");
    assert_eq!(busy_holder(&refused), "nightly sync on worker-3");
    assert!(refused.is_busy());
    // Another organisation is not held.
    second.organisation("globex").await.unwrap().lease("worker-7").await.unwrap().release().await;

    lease.release().await;
    let lease = b.lease("worker-7").await.expect("free once released");
    assert_eq!(busy_holder(&a.lease("x").await.expect_err("held")), "worker-7");
    lease.release().await;
}

#[tokio::test]
async fn a_released_lease_is_free_for_the_next_holder_at_once_every_time() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    for round in 0..30 {
        let lease = store.lease("one sync after another").await;
        lease.unwrap_or_else(|e| panic!("round {round}: {e:?}")).release().await;
    }
}

#[tokio::test]
async fn a_holder_whose_connection_dies_lets_go_at_once() {
    let Some((db, server, name)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let _lease = store.lease("a worker that is about to die").await.unwrap();
    assert!(store.lease("next").await.expect_err("held").is_busy());

    // The holder's machine goes away: the server ends its session, as it does for a killed
    // process's closed socket.
    let ended = server.psql(
        &name,
        "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l \
         WHERE l.locktype = 'advisory' AND l.granted AND l.database = \
         (SELECT oid FROM pg_database WHERE datname = current_database())",
    );
    assert_eq!(ended, "1");
    let mut taken = None;
    for _ in 0..50 {
        match store.lease("next").await {
            Ok(lease) => {
                taken = Some(lease);
                break;
            }
            Err(e) if e.is_busy() => tokio::task::yield_now().await,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(taken.is_some(), "the lease was let go with its connection");
}

#[tokio::test]
async fn a_lease_holds_its_own_connection_so_writes_go_on_beside_it() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let _lease = store.lease("sync").await.unwrap();
    // The receiver commits while a sync holds the lease.
    let link = dirsync::store::StateChanges::new().link(
        "h1".into(),
        "a1".into(),
        dirsync::model::Person::new(),
    );
    store.commit(&link).await.unwrap();
    assert_eq!(store.load().await.unwrap().links.len(), 1);
}

//! The schema: made at first connect, once however many connect at once; a newer one, or one
//! with a table missing, refused with nothing written.

mod common;

use dirsync::store::{StateError, StateStore};
use dirsync_postgres::{PgError, PostgresDatabase, SCHEMA_VERSION};

#[tokio::test]
async fn workers_connecting_together_make_the_schema_once() {
    let Some((server, name, url)) = common::new_database() else { return };
    let connects = (0..6).map(|_| PostgresDatabase::open(common::config(&url)));
    for connected in futures::future::join_all(connects).await {
        connected.expect("every worker connects");
    }
    let versions = server.psql(
        &name,
        "SELECT string_agg(version::text, ',' ORDER BY version) FROM dirsync_schema_history",
    );
    let each: Vec<String> = (1..=SCHEMA_VERSION).map(|v| v.to_string()).collect();
    assert_eq!(versions, each.join(","));
}

#[tokio::test]
async fn a_database_of_the_first_version_is_migrated_and_keeps_its_state() {
    let Some((server, name, url)) = common::new_database() else { return };
    let db = PostgresDatabase::open(common::config(&url)).await.unwrap();
    let store = db.organisation("acme").await.unwrap();
    store.save(&common::linked(3)).await.unwrap();
    drop((store, db));
    // As a database made by the version before: no table of what was reported.
    server.psql(&name, "DROP TABLE dirsync_reported");
    server.psql(&name, "DELETE FROM dirsync_schema_history WHERE version > 1");

    let db = PostgresDatabase::open(common::config(&url)).await.expect("migrated");
    let store = db.organisation("acme").await.unwrap();
    let mut state = store.load().await.expect("the links are kept");
    assert_eq!(state.links.len(), 3);
    assert!(state.reported.is_empty());
    let at = chrono::Utc::now();
    state.reported.insert(
        dirsync::plan::ItemId::new("fnd-1"),
        dirsync::store::Reported { since: at, shown: at },
    );
    store.save(&state).await.unwrap();
    assert_eq!(store.load().await.unwrap().reported.len(), 1, "the new table is used");
}

#[tokio::test]
async fn a_newer_schema_is_refused_and_nothing_is_written() {
    let Some((server, name, url)) = common::new_database() else { return };
    PostgresDatabase::open(common::config(&url)).await.unwrap();
    let newer = SCHEMA_VERSION + 1;
    server.psql(
        &name,
        &format!(
            "INSERT INTO dirsync_schema_history (version, name, applied_on, checksum) \
             VALUES ({newer}, 'from_the_future', '2026-12-01T00:00:00Z', '0')"
        ),
    );
    let before = server.psql(&name, "SELECT count(*) FROM dirsync_organisations");

    let err = PostgresDatabase::open(common::config(&url)).await.expect_err("newer");
    match &err {
        PgError::NewerSchema { found, supported, .. } => {
            assert_eq!((*found, *supported), (newer, SCHEMA_VERSION));
        }
        other => panic!("newer schema: {other:?}"),
    }
    assert!(err.to_string().contains("upgrade the program"), "{err}");
    assert_eq!(server.psql(&name, "SELECT count(*) FROM dirsync_organisations"), before);
}

#[tokio::test]
async fn a_missing_table_is_named_and_nothing_is_written() {
    let Some((db, server, name)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    server.psql(&name, "DROP TABLE dirsync_links");

    let err = store.load().await.expect_err("no links table");
    let StateError::Store { source, .. } = &err else { panic!("a store error: {err:?}") };
    let pg = source.downcast_ref::<PgError>().expect("the crate's error");
    assert!(
        matches!(pg, PgError::MissingTable { table, .. } if table == "dirsync_links"),
        "{pg:?}"
    );
    let link = dirsync::store::StateChanges::new().link(
        "h1".into(),
        "a1".into(),
        dirsync::model::Person::new(),
    );
    assert!(store.commit(&link).await.is_err());
    let cursors = server.psql(&name, "SELECT count(*) FROM dirsync_cursors");
    assert_eq!(cursors, "0", "the commit's transaction was rolled back whole");
}

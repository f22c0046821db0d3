//! The state in rows: what is saved loads back the same, a commit writes what changed and keeps
//! what others wrote, an update is a read-modify-write.

mod common;

use chrono::{TimeZone, Utc};
use dirsync::{
    directory::{Cursor, ErrorKind, RecordId},
    held::{HeldWrite, Write},
    model::{Address, Field, FieldValue, Person, Side},
    plan::{AccountReason, ItemId},
    store::{
        DisabledAccount, MemoryStore, PartRequest, Reported, StateChanges, StateStore, SyncState,
    },
};

/// A held write of an address, remembered as shown and as values.
fn held(record: &str) -> HeldWrite {
    let at = Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).single().expect("a date");
    let to = Address::new("1 High St\nFlat 2", "", "Leeds", None);
    let from = Address::new("1 High St", "", "Flat 2, Leeds", None);
    HeldWrite {
        id: ItemId::new(format!("held-{record}")),
        target: Side::Idp,
        record: record.into(),
        name: "Ada Lovelace".to_owned(),
        write: Write::Field(Field::Address),
        value: Some(to.to_string()),
        current: Some(from.to_string()),
        value_data: Some(FieldValue::Address(to)),
        current_data: Some(FieldValue::Address(from)),
        person_data: None,
        kind: ErrorKind::PermissionDenied,
        error: "Insufficient privileges".to_owned(),
        first_seen: at,
        last_seen: at,
        attempts: 2,
    }
}

/// A state with something of everything.
fn full_state() -> SyncState {
    let mut state = common::linked(50);
    state.cursors.insert("idp".to_owned(), Cursor::new("https://graph/delta?token=1"));
    let at = Utc.with_ymd_and_hms(2026, 11, 3, 9, 30, 0).single().expect("a date");
    let account = DisabledAccount {
        hr: "h7".into(),
        at,
        reason: AccountReason::InactiveInHr,
        sessions_revoked: true,
    };
    state.disabled.insert("a7".into(), account);
    let mut created = held("h5");
    created.write = Write::Create;
    created.value = Some("email bo@example.com; First name Bo".to_owned());
    created.current = None;
    (created.value_data, created.current_data) = (None, None);
    created.person_data = Some(Person::new().with_email("bo@example.com").with_given_name("Bo"));
    state.held = vec![held("a9"), held("a3"), created];
    state.sort_held();
    for (id, day) in [("fnd-1", 2), ("held-a9", 3)] {
        let since = Utc.with_ymd_and_hms(2026, 11, day, 6, 0, 0).single().expect("a date");
        state.reported.insert(ItemId::new(id), Reported { since, shown: at });
    }
    state
}

#[tokio::test]
async fn a_saved_state_loads_back_the_same() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    assert_eq!(store.load().await.unwrap(), SyncState::new(), "a new organisation is empty");
    let state = full_state();
    store.save(&state).await.unwrap();
    let loaded = store.load().await.unwrap();
    assert_eq!(loaded, state);
    // A held write keeps its values, not only how they are shown (the two addresses show alike).
    let held = &loaded.held[0];
    assert_eq!(held.value, held.current);
    assert!(held.value_data.is_some() && held.value_data != held.current_data);
    store.save(&SyncState::new()).await.unwrap();
    assert_eq!(store.load().await.unwrap(), SyncState::new(), "a save replaces everything");
}

#[tokio::test]
async fn organisations_do_not_see_each_other() {
    let Some((db, _, _)) = common::database().await else { return };
    let acme = db.organisation("acme").await.unwrap();
    let globex = db.organisation("globex").await.unwrap();
    acme.save(&full_state()).await.unwrap();
    assert_eq!(globex.load().await.unwrap(), SyncState::new());
    let keys: Vec<String> =
        db.organisations().await.unwrap().iter().map(ToString::to_string).collect();
    assert_eq!(keys, ["acme", "globex"]);
}

#[tokio::test]
async fn a_commit_writes_what_changed_as_the_memory_store_does() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let start = full_state();
    // A run relinks h1, drops h2, links h60 to a3 (taking a3 from h3), changes h4's baseline,
    // moves the cursor, enables a7 again and releases one held write.
    let mut end = start.clone();
    end.link("h1".into(), "a100".into(), Person::new().with_given_name("One"));
    end.unlink(&"h2".into());
    end.unlink(&"h3".into());
    end.link("h60".into(), "a3".into(), Person::new());
    end.links.get_mut(&RecordId::from("h4")).expect("linked").baseline =
        Person::new().with_job_title("CTO");
    end.cursors.insert("idp".to_owned(), Cursor::new("https://graph/delta?token=2"));
    end.disabled.clear();
    end.release("held-a9");
    // The report showed a new finding, no longer fnd-1, and held-a9 again in a reminder.
    end.reported.remove(&ItemId::new("fnd-1"));
    end.reported.get_mut(&ItemId::new("held-a9")).expect("reported").shown = Utc::now();
    end.reported.insert(ItemId::new("fnd-2"), Reported { since: Utc::now(), shown: Utc::now() });
    let changes = StateChanges::between(&start, &end);
    assert_eq!(changes.reported.len(), 3);

    // Meanwhile another writer linked h61 and h62 (h62 to a3, which this run takes).
    let mut meanwhile = StateChanges::new().link("h61".into(), "a61".into(), Person::new());
    meanwhile = meanwhile.link("h62".into(), "a3".into(), Person::new());
    let memory = MemoryStore::with_state(start.clone());
    store.save(&start).await.unwrap();
    for s in [&memory as &dyn StateStore, &store] {
        s.commit(&meanwhile).await.unwrap();
        s.commit(&changes).await.unwrap();
    }
    let stored = store.load().await.unwrap();
    assert_eq!(stored, memory.state());
    assert!(stored.links.contains_key(&RecordId::from("h61")), "kept what another wrote");
    assert!(!stored.links.contains_key(&RecordId::from("h62")), "a3 is h60's now");
    assert_eq!(stored.links.len(), 50 - 2 + 1 + 1);
}

#[tokio::test]
async fn an_update_reads_changes_and_writes_in_one_go() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    store.save(&common::linked(3)).await.unwrap();
    let mut seen = 0;
    let after = store
        .update(&mut |state| {
            seen = state.links.len();
            state.unlink(&"h0".into());
        })
        .await
        .unwrap();
    assert_eq!(seen, 3);
    assert_eq!(after.links.len(), 2);
    assert_eq!(store.load().await.unwrap(), after);
}

#[tokio::test]
async fn concurrent_commits_from_two_pools_lose_nothing() {
    let Some((db, _, name)) = common::database().await else { return };
    let url = db.target().to_owned();
    let other = dirsync_postgres::PostgresDatabase::open(common::config(
        &common::SERVER.as_ref().expect("running").url(&name),
    ))
    .await
    .unwrap();
    let (a, b) =
        (db.organisation("acme").await.unwrap(), other.organisation("acme").await.unwrap());
    let writer = |store: dirsync_postgres::PostgresStore, prefix: &'static str| async move {
        for i in 0..40 {
            let link = StateChanges::new().link(
                format!("{prefix}{i}").into(),
                format!("x{prefix}{i}").into(),
                Person::new(),
            );
            store.commit(&link).await.unwrap();
        }
    };
    tokio::join!(writer(a.clone(), "p"), writer(b, "q"));
    assert_eq!(a.load().await.unwrap().links.len(), 80, "{url}");
}

#[tokio::test]
async fn a_commit_after_one_percent_changed_writes_one_percent_of_the_rows() {
    let Some((db, server, name)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let start = common::linked(10_000);
    store.save(&start).await.unwrap();
    let mut end = start.clone();
    for link in end.links.values_mut().step_by(100) {
        link.baseline = link.baseline.clone().with_job_title("CTO");
    }
    store.commit(&StateChanges::between(&start, &end)).await.unwrap();

    // Rows the last transaction wrote carry its id; the rest keep the save's.
    let newest = "SELECT count(*) FROM dirsync_links WHERE xmin::text::bigint = \
                  (SELECT max(xmin::text::bigint) FROM dirsync_links)";
    assert_eq!(server.psql(&name, newest), "100");
    assert_eq!(store.load().await.unwrap(), end);
}

fn record_ids(ids: &[&str]) -> Vec<RecordId> {
    ids.iter().map(|id| RecordId::from(*id)).collect()
}

#[tokio::test]
async fn a_part_read_by_index_is_what_the_default_keeps_of_the_whole_state() {
    let Some((db, _, _)) = common::database().await else { return };
    let store = db.organisation("acme").await.unwrap();
    let state = full_state();
    store.save(&state).await.unwrap();
    // Another organisation with the same ids must not show through.
    let other = db.organisation("globex").await.unwrap();
    let mut theirs = common::linked(80);
    theirs.disabled.clone_from(&state.disabled);
    theirs.held.clone_from(&state.held);
    other.save(&theirs).await.unwrap();

    // h5 has a held creation, a7 is disabled (h7's), a9 has a held address; a3 too.
    let (hr, idp) = (record_ids(&["h5"]), record_ids(&["a7", "a9"]));
    let part = store.load_part(&PartRequest::new(&hr, &idp).with_links_total()).await.unwrap();
    let links: Vec<&str> = part.state.links.keys().map(RecordId::as_str).collect();
    assert_eq!(links, ["h5", "h7", "h9"], "by the HR record, and by the account");
    assert_eq!(part.state.disabled.keys().map(RecordId::as_str).collect::<Vec<_>>(), ["a7"]);
    let held: Vec<&str> = part.state.held.iter().map(|h| h.record.as_str()).collect();
    assert_eq!(held, ["a9", "h5"], "the held writes of either record");
    assert_eq!(part.links_total, Some(50));
    let uncounted = store.load_part(&PartRequest::new(&hr, &idp)).await.unwrap();
    assert_eq!(uncounted.links_total, None, "counted only when asked for");
    assert_eq!(uncounted.state, part.state);
    assert!(part.state.cursors.is_empty() && part.state.reported.is_empty());

    let memory = MemoryStore::with_state(state);
    let asks: [(&[&str], &[&str]); 5] = [
        (&["h1"], &[]),
        (&["h1", "nobody"], &["a6", "a3"]),
        (&["a3"], &[]),
        (&[], &["h5"]),
        (&[], &[]),
    ];
    for (hr, idp) in asks {
        let (hr, idp) = (record_ids(hr), record_ids(idp));
        let request = PartRequest::new(&hr, &idp).with_links_total();
        let read = store.load_part(&request).await.unwrap();
        assert_eq!(read, memory.load_part(&request).await.unwrap(), "{hr:?} {idp:?}");
    }
}

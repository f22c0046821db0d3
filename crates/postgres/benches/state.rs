//! The state of one organisation of 100,000 linked people: a save after 1 % of them changed, a
//! load, and a lease taken and let go, in PostgreSQL (a throwaway local cluster) and in the JSON
//! file store.
//!
//! `cargo bench -p dirsync-postgres --bench state`; needs PostgreSQL installed (see testkit).

#![allow(missing_docs)] // criterion_group! generates an undocumented function.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use dirsync::{
    model::Person,
    store::{JsonFileStore, StateChanges, StateStore, SyncState},
};
use dirsync_postgres::{PostgresConfig, PostgresDatabase};
use secrecy::SecretString;
use std::hint::black_box;
use testkit::postgres::{PASSWORD, TempPostgres};

const PEOPLE: usize = 100_000;

fn linked(n: usize) -> SyncState {
    let mut state = SyncState::new();
    for i in 0..n {
        let baseline = Person::new()
            .with_email(format!("person{i}@example.com"))
            .with_employment_id(format!("E{i}"))
            .with_given_name(format!("Given{i}"))
            .with_family_name(format!("Family{i}"))
            .with_job_title("Engineer")
            .with_phone(format!("+47 22 {i:06}"));
        state.link(format!("h{i}").into(), format!("a{i}").into(), baseline);
    }
    state
}

/// The same state with 1 % of the people's job titles changed.
fn one_percent_changed(state: &SyncState) -> SyncState {
    let mut changed = state.clone();
    for link in changed.links.values_mut().step_by(100) {
        link.baseline = link.baseline.clone().with_job_title("Senior engineer");
    }
    changed
}

/// The stores to compare: PostgreSQL and a JSON file, each holding `state`.
fn stores(
    rt: &tokio::runtime::Runtime,
    server: &TempPostgres,
    folder: &std::path::Path,
    state: &SyncState,
) -> Vec<(&'static str, Box<dyn StateStore>)> {
    server.create_database("bench");
    let config = PostgresConfig::from_url(&server.url("bench"))
        .expect("a URL")
        .password(&SecretString::from(PASSWORD));
    let postgres = rt.block_on(async {
        let db = PostgresDatabase::open(config).await.expect("connects");
        db.organisation("acme").await.expect("an organisation")
    });
    let file = JsonFileStore::new(folder.join("state.json"));
    let stores: Vec<(&'static str, Box<dyn StateStore>)> =
        vec![("postgres", Box::new(postgres)), ("json_file", Box::new(file))];
    for (_, store) in &stores {
        rt.block_on(store.save(state)).expect("saved");
    }
    stores
}

fn bench(c: &mut Criterion) {
    let Some(server) = TempPostgres::start() else { return };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let folder = tempfile::tempdir().expect("a folder");
    let start = linked(PEOPLE);
    let end = one_percent_changed(&start);
    let there = StateChanges::between(&start, &end);
    let back = StateChanges::between(&end, &start);
    assert_eq!(there.len(), PEOPLE / 100);
    let stores = stores(&rt, &server, folder.path(), &start);

    let mut group = c.benchmark_group("state_100k");
    group.sample_size(10);
    for (name, store) in &stores {
        group.bench_function(BenchmarkId::new("save_1_percent_changed", name), |b| {
            let mut forth = true;
            b.iter(|| {
                let changes = if forth { &there } else { &back };
                forth = !forth;
                rt.block_on(store.commit(changes)).expect("committed");
            });
        });
        group.bench_function(BenchmarkId::new("load", name), |b| {
            b.iter(|| black_box(rt.block_on(store.load()).expect("loaded")));
        });
        group.bench_function(BenchmarkId::new("lease_take_and_release", name), |b| {
            b.iter(|| {
                let lease = rt.block_on(store.lease("bench")).expect("leased");
                rt.block_on(black_box(lease).release());
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

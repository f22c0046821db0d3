//! A whole sync of 1,000 people through the real clients against the fakes: it does exactly what
//! the population calls for, with the fewest requests, and a second run has nothing left to do.
#![allow(clippy::unwrap_used)]

use dirsync::store::SyncState;
use dirsync_e2e::fakes::{FakeSettings, Fakes};
use dirsync_e2e::flow::{self, SyncOptions, Tuning};
use dirsync_e2e::world::World;
use testkit::Route;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_of_1k_people_does_what_the_population_needs_with_the_fewest_requests() {
    let world = World::generate(1_000);
    let fakes = Fakes::start(&FakeSettings::default()).await;
    fakes.seed(&world).unwrap();
    let tuning = Tuning::default();
    let clients = flow::connect(&fakes.endpoints(), &tuning).unwrap();
    let mut state = SyncState::new();

    let run = flow::full_sync(&clients, &mut state, &SyncOptions::default().tuned(&tuning))
        .await
        .unwrap();

    let expected = world.expected;
    let counts = run.report.counts;
    assert!(run.report.is_success(), "{:#?}", run.report.failures().collect::<Vec<_>>());
    assert_eq!(counts.updated_in_idp, expected.update_idp);
    assert_eq!(counts.updated_in_hr, expected.update_hr);
    assert_eq!(counts.created_in_idp, expected.create_idp);
    assert_eq!(counts.created_in_hr, 0);
    assert_eq!(run.summary.create_in_hr, expected.only_idp);
    assert_eq!(state.links.len(), world.size - expected.only_idp);

    let (huma, graph) = fakes.counts();
    let hr_people = world.hr.len() as u64;
    assert_eq!(huma.get(Route::Token), 1);
    assert_eq!(huma.get(Route::ListUsers), hr_people.div_ceil(50));
    assert_eq!(huma.get(Route::GetUser), hr_people);
    assert_eq!(huma.get(Route::UpdateUser), expected.update_hr as u64);
    assert_eq!(
        huma.http_requests,
        1 + hr_people.div_ceil(50) + hr_people + expected.update_hr as u64
    );
    let idp_people = world.idp.len() as u64;
    let creates = expected.create_idp as u64;
    assert_eq!(graph.get(Route::Token), 1);
    assert_eq!(
        graph.get(Route::ListUsers),
        idp_people.div_ceil(999) + creates,
        "pages and the duplicate checks before creations"
    );
    assert_eq!(graph.get(Route::Batch), (expected.update_idp as u64).div_ceil(20));
    assert_eq!(graph.get(Route::UpdateUser), expected.update_idp as u64);
    assert_eq!(graph.get(Route::CreateUser), creates);
    assert_eq!(graph.faults_injected + graph.throttled_by_budget + graph.unauthorized, 0);

    // Nothing is left to do, and nobody exists twice.
    fakes.reset_counts();
    let again = flow::full_sync(&clients, &mut state, &SyncOptions::default()).await.unwrap();
    assert!(again.plan.operations().unwrap().operations.is_empty(), "{:#?}", again.summary);
    let dump = fakes.dump();
    assert!(dump.duplicates.is_empty(), "{:?}", dump.duplicates);
    assert_eq!(dump.graph.len(), world.size);
    assert_eq!(dump.huma.len(), world.size - expected.only_idp);
}

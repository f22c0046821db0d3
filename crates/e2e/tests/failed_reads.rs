//! A list page or a detail read that fails for good: the run writes nothing, keeps the state file
//! as it was, and says which side could not be read and why.
#![allow(clippy::unwrap_used)]

mod common;

use common::{quick_tuning, seeded, writes};
use dirsync::store::JsonFileStore;
use dirsync::sync::SyncError;
use dirsync_e2e::fakes::FakeSettings;
use dirsync_e2e::flow::{self, SyncOptions};
use dirsync_e2e::world::World;
use testkit::{FaultRule, Route};

/// Two Graph pages (999 + 196 people).
const PEOPLE: usize = 1_200;

/// Runs one good sync (so there is a state file), breaks a route for good, runs again: returns
/// the error, and checks that nothing was written and the state file did not change.
async fn sync_with_a_broken_route(huma: Vec<FaultRule>, graph: Vec<FaultRule>) -> SyncError {
    let world = World::generate(PEOPLE);
    let tuning = quick_tuning();
    let (fakes, clients) = seeded(&world, &FakeSettings::default(), &tuning).await;
    let dir = tempfile::tempdir().unwrap();
    let store = JsonFileStore::new(dir.path().join("state.json"));
    let options = SyncOptions::default().tuned(&tuning);
    flow::sync_with_store(&clients, &store, &options).await.unwrap();
    let saved = std::fs::read(store.path()).unwrap();

    // Changes on both sides that a run would write, then the fault.
    fakes.huma.update_user(&fakes.huma.users()[3].id, |u| u.phone = Some("+4799999999".into()));
    fakes.graph.update_user(&world.idp[5].user_principal_name.clone().unwrap(), |u| {
        u.job_title = Some("Changed in Azure".into())
    });
    fakes.set_faults(huma, graph, 1);
    fakes.reset_counts();

    let error = flow::sync_with_store(&clients, &store, &options).await.unwrap_err();

    let (huma, graph) = fakes.counts();
    assert_eq!(writes(&huma), 0, "Huma was written: {huma:?}");
    assert_eq!(writes(&graph), 0, "Azure AD was written: {graph:?}");
    assert_eq!(std::fs::read(store.path()).unwrap(), saved, "the state file changed");
    error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huma_detail_read_that_fails_for_good_writes_nothing_and_says_why() {
    // From the 100th detail read on, every read answers 500 (retried, then given up).
    let broken =
        FaultRule::server_error(500).on_requests(100..=1_000_000).on_routes([Route::GetUser]);
    let error = sync_with_a_broken_route(vec![broken], Vec::new()).await;
    assert!(matches!(error, SyncError::Read { side: dirsync::model::Side::Hr, .. }), "{error:?}");
    let message = dirsync::directory::ErrorChain(&error).to_string();
    assert!(
        message.contains("could not read the people in Huma, so nothing was written"),
        "{message}"
    );
    assert!(message.contains("500"), "the server's answer is in the message: {message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huma_list_page_that_fails_for_good_writes_nothing_and_says_why() {
    let broken =
        FaultRule::server_error(503).on_requests(3..=1_000_000).on_routes([Route::ListUsers]);
    let error = sync_with_a_broken_route(vec![broken], Vec::new()).await;
    assert!(matches!(error, SyncError::Read { side: dirsync::model::Side::Hr, .. }), "{error:?}");
    let message = dirsync::directory::ErrorChain(&error).to_string();
    assert!(message.contains("503"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graph_page_that_fails_for_good_writes_nothing_and_says_why() {
    // The second page of users answers 503 on every attempt.
    let broken =
        FaultRule::server_error(503).on_requests(2..=1_000_000).on_routes([Route::ListUsers]);
    let error = sync_with_a_broken_route(Vec::new(), vec![broken]).await;
    assert!(matches!(error, SyncError::Read { side: dirsync::model::Side::Idp, .. }), "{error:?}");
    let message = dirsync::directory::ErrorChain(&error).to_string();
    assert!(
        message.contains("could not read the people in Azure AD, so nothing was written"),
        "{message}"
    );
    assert!(message.contains("unavailable after 3 attempts"), "{message}");
}

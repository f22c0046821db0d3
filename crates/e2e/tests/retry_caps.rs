//! Retry caps hold: a server that answers 429 forever ends the run with a clear error after the
//! configured number of attempts, never in an endless loop. The tests count attempts, not
//! seconds; a generous timeout only stops a loop that would never end.
#![allow(clippy::unwrap_used)]

mod common;

use common::{quick_tuning, seeded, writes};
use dirsync::sync::SyncError;
use dirsync::{report::Outcome, store::SyncState};
use dirsync_e2e::fakes::FakeSettings;
use dirsync_e2e::flow::{self, SyncOptions, SyncRun};
use dirsync_e2e::world::World;
use std::time::Duration;
use testkit::{FaultRule, Route};

async fn run(
    world: &World,
    huma: Vec<FaultRule>,
    graph: Vec<FaultRule>,
) -> (Result<SyncRun, SyncError>, testkit::RequestCounts, testkit::RequestCounts) {
    let tuning = dirsync_e2e::flow::Tuning { huma_concurrency: 1, ..quick_tuning() };
    let settings =
        FakeSettings { huma_faults: huma, graph_faults: graph, ..FakeSettings::default() };
    let (fakes, clients) = seeded(world, &settings, &tuning).await;
    let mut state = SyncState::new();
    let options = SyncOptions::default().tuned(&tuning);
    let result = tokio::time::timeout(
        Duration::from_secs(60),
        flow::full_sync(&clients, &mut state, &options),
    )
    .await
    .expect("the run ends");
    let (huma, graph) = fakes.counts();
    (result, huma, graph)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_throttling_forever_ends_the_read_after_the_configured_attempts() {
    let world = World::generate(50);
    let forever = FaultRule::throttle(1).on_routes([Route::ListUsers]);
    let (result, huma, graph) = run(&world, Vec::new(), vec![forever]).await;
    let error = result.unwrap_err();
    assert!(matches!(error, SyncError::Read { side: dirsync::model::Side::Idp, .. }), "{error:?}");
    let message = dirsync::directory::ErrorChain(&error).to_string();
    assert!(message.contains("Microsoft Graph kept throttling after 3 attempts"), "{message}");
    assert_eq!(graph.get(Route::ListUsers), 3, "three attempts, as configured");
    assert_eq!(writes(&huma) + writes(&graph), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_beyond_the_allowed_wait_ends_at_once() {
    let world = World::generate(50);
    // Graph asks for 2 minutes; the policy allows 10 s of waiting in all.
    let long = FaultRule::throttle(120).on_routes([Route::ListUsers]);
    let (result, _, graph) = run(&world, Vec::new(), vec![long]).await;
    assert!(
        matches!(result, Err(SyncError::Read { side: dirsync::model::Side::Idp, .. })),
        "{result:?}"
    );
    assert_eq!(graph.get(Route::ListUsers), 1, "no wait longer than allowed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huma_throttling_forever_ends_the_read_after_the_configured_retries() {
    let world = World::generate(50);
    let forever = FaultRule::throttle(1).on_routes([Route::GetUser]);
    let (result, huma, graph) = run(&world, vec![forever], Vec::new()).await;
    let error = result.unwrap_err();
    assert!(matches!(error, SyncError::Read { side: dirsync::model::Side::Hr, .. }), "{error:?}");
    let message = dirsync::directory::ErrorChain(&error).to_string();
    assert!(message.contains("Huma kept asking to slow down (HTTP 429)"), "{message}");
    assert_eq!(
        huma.get(Route::GetUser),
        3,
        "the first attempt and two retries, one read at a time"
    );
    assert_eq!(writes(&huma) + writes(&graph), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_throttling_writes_forever_fails_those_writes_and_ends_the_run() {
    let world = World::generate(1_000);
    let forever = FaultRule::throttle(1).on_routes([Route::Batch]);
    let (result, huma, graph) = run(&world, Vec::new(), vec![forever]).await;
    let run = result.unwrap();
    let batches = (world.expected.update_idp as u64).div_ceil(20);
    assert_eq!(graph.get(Route::Batch), batches * 3, "three attempts per batch");
    assert_eq!(run.report.counts.failed, world.expected.update_idp);
    for op in run.report.failures() {
        let Outcome::Failed { message, .. } = &op.outcome else { panic!("{op:?}") };
        assert!(message.contains("kept throttling after 3 attempts"), "{message}");
    }
    // Everything else went through.
    assert_eq!(run.report.counts.updated_in_hr, world.expected.update_hr);
    assert_eq!(run.report.counts.created_in_idp, world.expected.create_idp);
    assert_eq!(huma.get(Route::UpdateUser), world.expected.update_hr as u64);
}

//! A 10,000-person sync through random faults on both fakes — 429s (10%, `Retry-After` 0, 1 or
//! 2 s), 503s (5%), dropped connections (2%), access tokens that die every 500 requests — ends
//! in exactly the final state of a fault-free run.
//!
//! The `Retry-After` values are the 0–2 s, kept real: with 256 Huma reads at once the
//! waits overlap, so the faulted run takes some seconds, not minutes.
#![allow(clippy::unwrap_used)]

use dirsync::{
    report::{Action, Outcome},
    store::SyncState,
};
use dirsync_e2e::fakes::{Dump, FakeSettings, Fakes};
use dirsync_e2e::flow::{self, SyncOptions, SyncRun, Tuning};
use dirsync_e2e::world::World;
use std::time::Duration;
use testkit::{FaultRule, Route};

const PEOPLE: usize = 10_000;

/// 10% throttled (a third each with Retry-After 0, 1 and 2 s), 5% 503, 2% dropped.
fn faults() -> Vec<FaultRule> {
    // Rules draw independently and the first that fires wins: 1 - (1 - p)^3 = 10%.
    let third = 1.0 - 0.9f64.powf(1.0 / 3.0);
    vec![
        FaultRule::throttle(0).at_rate(third),
        FaultRule::throttle(1).at_rate(third),
        FaultRule::throttle(2).at_rate(third),
        FaultRule::server_error(503).at_rate(0.05),
        FaultRule::drop_connection().at_rate(0.02),
    ]
}

/// Retries enough for a 17% fault rate: the chance of one request failing 12 times in a row is
/// about 1e-9.
fn tuning() -> Tuning {
    Tuning {
        huma_concurrency: 256,
        huma_retry: huma_api::RetryPolicy {
            max_attempts: 13,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
            max_total_wait: Duration::from_secs(60),
        },
        graph_retry: azure_graph::RetryPolicy {
            max_attempts: 12,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_secs(2),
            max_total_wait: Duration::from_secs(60),
        },
        ..Tuning::default()
    }
}

async fn final_state(settings: &FakeSettings, world: &World) -> (Dump, Vec<SyncRun>, Fakes) {
    let fakes = Fakes::start(settings).await;
    fakes.seed(world).unwrap();
    let tuning = tuning();
    let clients = flow::connect(&fakes.endpoints(), &tuning).unwrap();
    let options = SyncOptions::default().tuned(&tuning);
    let mut state = SyncState::new();
    let mut runs = Vec::new();
    // A run whose report lists failures is followed by the next scheduled run, as in production;
    // three runs at most.
    for _ in 0..3 {
        // A guard against a hang, not a measure of speed: a run takes under a minute in a debug
        // build on two busy cores.
        let run = tokio::time::timeout(
            Duration::from_secs(300),
            flow::full_sync(&clients, &mut state, &options),
        )
        .await
        .expect("a run ends (no hang)")
        .unwrap_or_else(|e| panic!("the run failed: {e}"));
        let done = run.report.is_success();
        runs.push(run);
        if done {
            break;
        }
    }
    (fakes.dump(), runs, fakes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10k_sync_through_random_faults_ends_as_a_fault_free_one() {
    let world = World::generate(PEOPLE);
    let (clean, clean_runs, _) = final_state(&FakeSettings::default(), &world).await;
    assert_eq!(clean_runs.len(), 1, "the fault-free run needs one run");
    assert!(clean.duplicates.is_empty(), "{:?}", clean.duplicates);

    let faulty = FakeSettings {
        huma_faults: faults(),
        graph_faults: faults(),
        token_max_uses: Some(500),
        ..FakeSettings::default()
    };
    let (dump, runs, fakes) = final_state(&faulty, &world).await;

    let (huma, graph) = fakes.counts();
    println!(
        "faults injected: Huma {} of {} requests ({} dropped, {} refused tokens), Graph {} of {} \
         ({} dropped, {} refused tokens); runs: {}",
        huma.faults_injected,
        huma.http_requests,
        huma.dropped,
        huma.unauthorized,
        graph.faults_injected,
        graph.http_requests + graph.batched,
        graph.dropped,
        graph.unauthorized,
        runs.len()
    );
    assert!(huma.faults_injected > 1_000 && huma.dropped > 100 && huma.unauthorized > 0);
    assert!(graph.faults_injected > 10 && huma.get(Route::Token) > 10);

    let differences = dump.differences(&clean, 10);
    assert!(differences.is_empty(), "the final states differ:\n{}", differences.join("\n"));
    assert!(dump.duplicates.is_empty(), "{:?}", dump.duplicates);

    // The first run did every write but creations whose POST lost its connection: a POST is not
    // sent again blindly (it may have been carried out), so those are reported failed and made by
    // the next run, whose duplicate check finds them if they were.
    let first = &runs[0].report;
    for failed in first.failures() {
        assert_eq!(failed.action, Action::Create, "{failed:?}");
        assert!(matches!(failed.outcome, Outcome::Failed { .. }), "{failed:?}");
    }
    assert_eq!(first.counts.updated_in_idp, world.expected.update_idp);
    assert_eq!(first.counts.updated_in_hr, world.expected.update_hr);
    assert_eq!(
        first.counts.created_in_idp + first.counts.failed,
        world.expected.create_idp,
        "every creation is either done or reported failed"
    );
    if let Some(second) = runs.get(1) {
        assert_eq!(
            second.report.operations.len(),
            first.counts.failed,
            "only the failed are tried again"
        );
    }
}

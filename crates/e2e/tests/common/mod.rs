//! What the end-to-end tests share: quick retry policies and a seeded pair of fakes.
#![allow(dead_code, clippy::unwrap_used)]

use dirsync_e2e::fakes::{FakeSettings, Fakes};
use dirsync_e2e::flow::{self, Clients, Tuning};
use dirsync_e2e::world::World;
use std::time::Duration;

/// Retries that wait milliseconds, not seconds: three attempts on each client.
pub(crate) fn quick_tuning() -> Tuning {
    Tuning {
        huma_retry: huma_api::RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_secs(2),
            max_total_wait: Duration::from_secs(10),
        },
        graph_retry: azure_graph::RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
            max_total_wait: Duration::from_secs(10),
        },
        ..Tuning::default()
    }
}

/// Fakes seeded with `world`, and the clients connected to them.
pub(crate) async fn seeded(
    world: &World,
    settings: &FakeSettings,
    tuning: &Tuning,
) -> (Fakes, Clients) {
    let fakes = Fakes::start(settings).await;
    fakes.seed(world).unwrap();
    let clients = flow::connect(&fakes.endpoints(), tuning).unwrap();
    (fakes, clients)
}

/// Writes of any kind one fake was asked for (Graph's batched updates counted one by one).
pub(crate) fn writes(counts: &testkit::RequestCounts) -> u64 {
    use testkit::Route;
    [
        Route::CreateUser,
        Route::UpdateUser,
        Route::Batch,
        Route::CreatePosition,
        Route::UpdatePosition,
        Route::CreateJobTitle,
    ]
    .into_iter()
    .map(|r| counts.get(r))
    .sum()
}

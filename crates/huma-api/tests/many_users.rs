//! Reading a large organisation from testkit's stateful fake Huma while access tokens keep dying:
//! every list page and every user's details arrive, and the read never stalls.
#![allow(clippy::unwrap_used)]

use dirsync::directory::Directory;
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig, RetryPolicy};
use secrecy::SecretString;
use std::time::Duration;
use testkit::{FakeHuma, HumaConfig, HumaUser, Route};

async fn fake_with(users: usize, config: HumaConfig) -> FakeHuma {
    let huma = FakeHuma::start(config).await;
    let users = (0..users).map(|i| HumaUser::new(format!("u{i}@example.com"), "Given", "Family"));
    huma.insert_users(users).unwrap();
    huma
}

fn directory(huma: &FakeHuma, concurrency: usize) -> HumaDirectory {
    let client = HumaClient::builder()
        .base_url(huma.base_url())
        .credentials(FakeHuma::CLIENT_ID, SecretString::from(FakeHuma::CLIENT_SECRET))
        .max_concurrency(concurrency)
        .retry(RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_total_wait: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    HumaDirectory::new(client, HumaDirectoryConfig::default())
}

/// Every 200th request finds its token dead, so requests keep queueing for the one refresh while
/// list pages and details are both in flight. A list page waiting behind the details must still
/// be driven, or the refresh it was handed is never finished and everything waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_read_through_dying_tokens_never_stalls() {
    let people = 3_000;
    let huma =
        fake_with(people, HumaConfig { token_max_uses: Some(200), ..HumaConfig::default() }).await;
    for concurrency in [1, 4, 16] {
        huma.reset_counts();
        let read =
            tokio::time::timeout(Duration::from_secs(60), directory(&huma, concurrency).snapshot())
                .await
                .unwrap_or_else(|_| panic!("the read stalled at concurrency {concurrency}"))
                .unwrap();
        assert_eq!(read.len(), people);
        // Each request is made once, plus once more for each refused token.
        let counts = huma.counts();
        let reads = counts.get(Route::ListUsers) + counts.get(Route::GetUser);
        assert!(counts.unauthorized > 0, "tokens died during the read");
        assert_eq!(reads, (people / 50 + people) as u64 + counts.unauthorized);
    }
}

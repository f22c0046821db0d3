//! 429 and 503/504: `Retry-After` honoured, backoff otherwise, caps on attempts and waiting,
//! timeouts, and the concurrency limit.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{GraphError, GraphUserId, RetryPolicy};
use common::*;
use dirsync::directory::{Directory, ErrorKind};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn answers_then_ok(server: &MockServer, first: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(first)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(user("u1")))
        .expect(1)
        .mount(server)
        .await;
}

fn u1() -> GraphUserId {
    GraphUserId::new("u1")
}

#[tokio::test]
async fn a_429_with_retry_after_seconds_waits_exactly_that_long() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    answers_then_ok(&server, ResponseTemplate::new(429).insert_header("Retry-After", "7"), 1).await;
    let (client, sleep) = client(&server);
    assert!(client.get_user(&u1(), &[]).await.unwrap().is_some());
    assert_eq!(sleep.waits(), [Duration::from_secs(7)]);
    assert_eq!(client.stats().retries, 1);
}

#[tokio::test]
async fn a_429_with_an_http_date_waits_until_then() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(30);
    let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    answers_then_ok(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", date.as_str()),
        1,
    )
    .await;
    let (client, sleep) = client(&server);
    client.get_user(&u1(), &[]).await.unwrap();
    let waits = sleep.waits();
    assert_eq!(waits.len(), 1);
    assert!(waits[0] > Duration::from_secs(27) && waits[0] <= Duration::from_secs(30), "{waits:?}");
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_exponentially_with_jitter() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    answers_then_ok(&server, ResponseTemplate::new(429), 3).await;
    let (client, sleep) = client(&server);
    client.get_user(&u1(), &[]).await.unwrap();
    let waits = sleep.waits();
    // base 2 ms, cap 20 ms, equal jitter: [1, 2], [2, 4], [4, 8] ms.
    assert_eq!(waits.len(), 3);
    for (wait, full) in waits.iter().zip([2u64, 4, 8]) {
        let full = Duration::from_millis(full);
        assert!(*wait >= full / 2 && *wait <= full, "{waits:?}");
    }
}

#[tokio::test]
async fn a_503_and_a_504_are_retried() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    answers_then_ok(&server, ResponseTemplate::new(504), 1).await;
    let (client, sleep) = client(&server);
    client.get_user(&u1(), &[]).await.unwrap();
    let waits = sleep.waits();
    assert_eq!(waits[0], Duration::from_secs(2));
    assert_eq!(waits.len(), 2);
}

#[tokio::test]
async fn throttling_beyond_the_attempt_cap_is_reported_as_throttled() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .expect(4) // quick_retry(): 4 attempts in all
        .mount(&server)
        .await;
    let (dir, sleep) = directory(&server);
    let err = dir.snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(err.to_string().contains("after 4 attempts"), "{err}");
    assert_eq!(sleep.waits(), [Duration::from_secs(1); 3]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_total_wait_cap_ends_the_retries_at_once() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let (client, sleep) = client(&server);
    let err = client.get_user(&u1(), &[]).await.unwrap_err();
    match err {
        GraphError::Throttled { retry_after, attempts, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)));
            assert_eq!(attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    assert!(sleep.waits().is_empty());
}

#[tokio::test]
async fn a_request_that_times_out_is_retried_then_reported_unavailable() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(500)))
        .expect(2)
        .mount(&server)
        .await;
    let sleep = RecordingClock::default();
    let client = builder(&server, &sleep)
        .timeout(Duration::from_millis(100))
        .retry(RetryPolicy { max_attempts: 2, ..quick_retry() })
        .build()
        .unwrap();
    let err = client.get_user(&u1(), &[]).await.unwrap_err();
    assert!(matches!(err, GraphError::Transport { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn writes_go_at_once_until_the_window_is_spent() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(6)
        .mount(&server)
        .await;
    let clock = RecordingClock::default();
    // 4 writes per 200 ms: 3 usable (1% margin, at least one), then the window must move on.
    let budget = azure_graph::WriteBudget { writes: 4, per: Duration::from_millis(200) };
    let client = builder(&server, &clock).write_budget(Some(budget)).build().unwrap();
    let mut patch = azure_graph::UserPatch::new();
    patch.set("city", "Oslo");
    for _ in 0..6 {
        client.update_user(&u1(), &patch).await.unwrap();
    }
    assert_eq!(clock.waits(), [Duration::from_millis(200)], "one wait, for one window");
}

#[tokio::test]
async fn a_throttled_write_holds_back_the_writes_after_it() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "2"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u2"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let clock = RecordingClock::default();
    let budget = azure_graph::WriteBudget { writes: 100, per: Duration::from_secs(10) };
    let client = builder(&server, &clock).write_budget(Some(budget)).build().unwrap();
    let mut patch = azure_graph::UserPatch::new();
    patch.set("city", "Oslo");
    client.update_user(&u1(), &patch).await.unwrap();
    assert_eq!(clock.waits(), [Duration::from_secs(2)], "the retry waited the Retry-After");
    // The allowance is halved for one window: 49 writes (the throttled one among them), then
    // the next waits until the first leaves the window, 8 s after the retry.
    let u2 = GraphUserId::new("u2");
    for _ in 0..48 {
        client.update_user(&u2, &patch).await.unwrap();
    }
    assert_eq!(clock.waits().len(), 1);
    client.update_user(&u2, &patch).await.unwrap();
    assert_eq!(clock.waits(), [Duration::from_secs(2), Duration::from_secs(8)]);
}

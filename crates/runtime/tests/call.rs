//! The authenticated call against wiremock: the one 401 rule, the one idempotency rule, and
//! every write sent with its length.
#![allow(clippy::unwrap_used)]

use dirsync_runtime::{
    Answer, ApiClient, Auth, Call, ClientSettings, ErrorDetails, RecordingClock, RetryPolicy,
    SendError, Transport,
};
use reqwest::Method;
use secrecy::SecretString;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A client's own error, as an adapter would have one.
#[derive(Debug)]
enum TestError {
    Unsent,
    Refused(ErrorDetails),
}

impl From<SendError> for TestError {
    fn from(_: SendError) -> Self {
        TestError::Unsent
    }
}

fn refused(answer: Answer) -> TestError {
    TestError::Refused(ErrorDetails::from_answer(&answer))
}

fn transport(server: &MockServer) -> (Transport, url::Url) {
    let settings = ClientSettings {
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
            max_total_wait: Duration::from_secs(60),
        },
        clock: Arc::new(RecordingClock::default()),
        ..ClientSettings::new("test", Duration::from_secs(10), 4).with_base_url(server.uri())
    };
    (Transport::new(&settings).unwrap(), settings.checked_base_url().unwrap())
}

/// A client whose tokens come from a fetch that hands out `t-1`, `t-2`, … and counts.
fn fetching(server: &MockServer) -> (ApiClient<TestError>, Arc<AtomicU32>) {
    let fetches = Arc::new(AtomicU32::new(0));
    let counted = fetches.clone();
    let auth = Auth::tokens(Arc::new(RecordingClock::default()), move || {
        let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
        async move { Ok((SecretString::from(format!("t-{n}")), Some(Duration::from_secs(3599)))) }
    });
    let (transport, base) = transport(server);
    (ApiClient::new("test", transport, base, auth), fetches)
}

fn fixed(server: &MockServer) -> ApiClient<TestError> {
    let (transport, base) = transport(server);
    ApiClient::new("test", transport, base, Auth::bearer(SecretString::from("fixed")))
}

async fn answer(server: &MockServer, verb: &str, template: ResponseTemplate, times: u64) {
    Mock::given(method(verb))
        .and(path("/x"))
        .respond_with(template)
        .up_to_n_times(times)
        .expect(times)
        .mount(server)
        .await;
}

async fn call(api: &ApiClient<TestError>, verb: Method) -> Result<Answer, TestError> {
    api.call(Call::new(verb, api.url(&["x"])), refused).await
}

fn status(result: &Result<Answer, TestError>) -> u16 {
    match result {
        Ok(answer) => answer.status.as_u16(),
        Err(TestError::Refused(details)) => details.status.unwrap_or_default(),
        Err(TestError::Unsent) => 0,
    }
}

#[tokio::test]
async fn a_401_then_success_is_one_refresh() {
    let server = MockServer::start().await;
    by_token("t-1", ResponseTemplate::new(401)).expect(1).mount(&server).await;
    by_token("t-2", ResponseTemplate::new(200)).expect(2).mount(&server).await;
    let (api, fetches) = fetching(&server);
    assert_eq!(status(&call(&api, Method::POST).await), 200, "a 401 was not acted on");
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
    assert_eq!(status(&call(&api, Method::GET).await), 200);
    assert_eq!(fetches.load(Ordering::SeqCst), 2, "the fresh token is kept");
}

#[tokio::test]
async fn a_401_twice_is_the_refusal_after_exactly_one_refresh() {
    let server = MockServer::start().await;
    let body = r#"{"error":"invalid_token","error_description":"Token revoked"}"#;
    answer(&server, "GET", ResponseTemplate::new(401).set_body_string(body), 2).await;
    let (api, fetches) = fetching(&server);
    let result = call(&api, Method::GET).await;
    let Err(TestError::Refused(details)) = &result else { panic!("{result:?}") };
    assert_eq!(details.status, Some(401));
    assert_eq!(details.message.as_deref(), Some("Token revoked"));
    assert_eq!(fetches.load(Ordering::SeqCst), 2);
}

/// A mock of the requests that carry `token`.
fn by_token(token: &str, template: ResponseTemplate) -> Mock {
    Mock::given(header("authorization", format!("Bearer {token}").as_str())).respond_with(template)
}

#[tokio::test]
async fn a_token_that_worked_and_expired_does_not_count_as_the_one_refresh() {
    let server = MockServer::start().await;
    let once = |token, status| by_token(token, ResponseTemplate::new(status)).up_to_n_times(1);
    once("t-1", 200).with_priority(1).mount(&server).await;
    by_token("t-1", ResponseTemplate::new(401)).with_priority(2).mount(&server).await;
    // The replacement is refused at once, never having worked: it gets its one refresh.
    by_token("t-2", ResponseTemplate::new(401)).mount(&server).await;
    by_token("t-3", ResponseTemplate::new(200)).mount(&server).await;
    let (api, fetches) = fetching(&server);
    assert_eq!(status(&call(&api, Method::GET).await), 200);
    assert_eq!(status(&call(&api, Method::GET).await), 200, "t-1 expired, t-2 refused, t-3");
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_token_refused_after_waiting_out_an_outage_is_replaced_again() {
    let server = MockServer::start().await;
    for token in ["t-1", "t-2"] {
        let outage = by_token(token, ResponseTemplate::new(503)).up_to_n_times(1);
        outage.with_priority(1).mount(&server).await;
        by_token(token, ResponseTemplate::new(401)).with_priority(2).mount(&server).await;
    }
    by_token("t-3", ResponseTemplate::new(200)).mount(&server).await;
    let (api, fetches) = fetching(&server);
    assert_eq!(status(&call(&api, Method::GET).await), 200);
    assert_eq!(fetches.load(Ordering::SeqCst), 3, "each may have expired during the wait");
}

#[tokio::test]
async fn a_401_to_a_fixed_token_is_the_refusal_at_once() {
    let server = MockServer::start().await;
    by_token("fixed", ResponseTemplate::new(401)).expect(1).mount(&server).await;
    assert_eq!(status(&call(&fixed(&server), Method::GET).await), 401);
}

#[tokio::test]
async fn a_post_or_patch_is_not_sent_again_after_a_503() {
    for verb in [Method::POST, Method::PATCH] {
        let server = MockServer::start().await;
        answer(&server, verb.as_str(), ResponseTemplate::new(503), 1).await;
        assert_eq!(status(&call(&fixed(&server), verb).await), 503);
    }
}

#[tokio::test]
async fn a_get_put_or_delete_is_sent_again_after_a_503() {
    for verb in [Method::GET, Method::PUT, Method::DELETE] {
        let server = MockServer::start().await;
        answer(&server, verb.as_str(), ResponseTemplate::new(503), 2).await;
        answer(&server, verb.as_str(), ResponseTemplate::new(204), 1).await;
        assert_eq!(status(&call(&fixed(&server), verb).await), 204);
    }
}

#[tokio::test]
async fn a_patch_marked_idempotent_is_sent_again_after_a_503() {
    let server = MockServer::start().await;
    answer(&server, "PATCH", ResponseTemplate::new(503), 1).await;
    answer(&server, "PATCH", ResponseTemplate::new(204), 1).await;
    let api = fixed(&server);
    let marked = Call::new(Method::PATCH, api.url(&["x"])).idempotent(true);
    assert_eq!(status(&api.call(marked, refused).await), 204);
}

#[tokio::test]
async fn a_429_is_sent_again_for_every_method_and_heard() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "3");
    answer(&server, "POST", throttled, 1).await;
    answer(&server, "POST", ResponseTemplate::new(201), 1).await;
    let api = fixed(&server);
    let heard = Mutex::new(Vec::new());
    let observer = |wait: Option<Duration>| heard.lock().unwrap().push(wait);
    let post = Call::new(Method::POST, api.url(&["x"])).on_throttle(&observer);
    assert_eq!(status(&api.call(post, refused).await), 201);
    assert_eq!(*heard.lock().unwrap(), [Some(Duration::from_secs(3))]);
}

#[tokio::test]
async fn every_write_carries_its_length() {
    let server = MockServer::start().await;
    for verb in ["POST", "PUT", "PATCH"] {
        Mock::given(method(verb))
            .and(header("content-length", "0"))
            .respond_with(ResponseTemplate::new(204))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(header("content-length", "2"))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let api = fixed(&server);
    for verb in [Method::POST, Method::PUT, Method::PATCH] {
        assert_eq!(status(&call(&api, verb).await), 204);
    }
    let with_body = Call::new(Method::POST, api.url(&["x"])).json(&serde_json::json!({})).unwrap();
    assert_eq!(status(&api.call(with_body, refused).await), 204);
}

#[tokio::test]
async fn a_token_request_is_sent_without_authentication() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let (transport, base) = transport(&server);
    let form = b"grant_type=client_credentials".to_vec();
    let request = Call::new(Method::POST, base)
        .body("application/x-www-form-urlencoded", form)
        .idempotent(true);
    let answer = transport.send_call(&request).await.unwrap();
    assert_eq!(answer.status.as_u16(), 200);
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
}

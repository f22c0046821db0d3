//! The transport against wiremock: what is retried, how long it waits, and what is never followed.
#![allow(clippy::unwrap_used)]

use dirsync_runtime::{ClientSettings, RecordingClock, RetryPolicy, Transport};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn settings(clock: &RecordingClock, retry: RetryPolicy, max_concurrency: usize) -> ClientSettings {
    ClientSettings {
        retry,
        clock: Arc::new(clock.clone()),
        ..ClientSettings::new("test", Duration::from_secs(10), max_concurrency)
    }
}

fn transport(clock: &RecordingClock, retry: RetryPolicy) -> Transport {
    Transport::new(&settings(clock, retry, 4)).unwrap()
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(1),
        max_total_wait: Duration::from_secs(60),
    }
}

#[tokio::test]
async fn unavailable_then_ok_is_retried_with_the_servers_wait() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "7"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(path("/x")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let clock = RecordingClock::default();
    let t = transport(&clock, quick());
    let url = format!("{}/x", server.uri());
    let answer = t.send(true, || t.http().get(&url)).await.unwrap();
    assert_eq!((answer.status.as_u16(), answer.attempts), (200, 3));
    assert_eq!(clock.waits(), vec![Duration::from_secs(7); 2]);
    assert_eq!((t.stats().requests, t.stats().retries), (3, 2));
}

#[tokio::test]
async fn a_post_is_retried_after_429_but_not_after_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/throttled"))
        .respond_with(ResponseTemplate::new(429))
        .expect(4)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/down"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let clock = RecordingClock::default();
    let t = transport(&clock, quick());
    let throttles = Mutex::new(0);
    let url = format!("{}/throttled", server.uri());
    let answer = t
        .send_observed(false, || t.http().post(&url), |_| *throttles.lock().unwrap() += 1)
        .await
        .unwrap();
    assert_eq!((answer.status.as_u16(), answer.attempts), (429, 4), "the last answer is kept");
    assert_eq!(*throttles.lock().unwrap(), 4);
    // Backoff without Retry-After grows from the base delay, within the cap.
    let waits = clock.waits();
    assert_eq!(waits.len(), 3);
    assert!(waits.iter().all(|w| *w >= Duration::from_millis(50) && *w <= Duration::from_secs(1)));
    let url = format!("{}/down", server.uri());
    let answer = t.send(false, || t.http().post(&url)).await.unwrap();
    assert_eq!(answer.status.as_u16(), 503);
}

#[tokio::test]
async fn a_retry_after_beyond_the_total_wait_is_not_waited() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = RecordingClock::default();
    let t = transport(&clock, quick());
    let url = format!("{}/x", server.uri());
    let answer = t.send(true, || t.http().get(&url)).await.unwrap();
    assert_eq!(answer.retry_after, Some(Duration::from_secs(3600)));
    assert!(clock.waits().is_empty());
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let server = MockServer::start().await;
    Mock::given(path("/moved"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/elsewhere"))
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let clock = RecordingClock::default();
    let t = transport(&clock, quick());
    let url = format!("{}/moved", server.uri());
    let answer = t.send(true, || t.http().get(&url)).await.unwrap();
    assert_eq!(answer.status.as_u16(), 302);
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported_with_its_cause() {
    // A port nothing listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let clock = RecordingClock::default();
    let t = transport(&clock, quick());
    let url = format!("http://127.0.0.1:{port}/x");
    let err = t.send(false, || t.http().post(&url)).await.unwrap_err();
    assert_eq!(err.attempts, 4);
    assert_eq!(clock.waits().len(), 3);
    assert!(err.unresolved_host().is_none(), "the host was found: {err:?}");
    assert!(std::error::Error::source(&err).is_some());
    assert!(!err.to_string().contains(&err.source.to_string()), "the cause is not repeated");
}

#[tokio::test]
async fn a_host_name_that_cannot_be_found_is_tried_once_more_then_named() {
    let clock = RecordingClock::default();
    let t = transport(&clock, quick());
    // `.invalid` never resolves (RFC 6761), whatever the machine's DNS says about other names.
    let url = "http://dirsync-no-such-host.invalid/x";
    let err = t.send(true, || t.http().get(url)).await.unwrap_err();
    assert_eq!(err.attempts, 2, "not the policy's 4: {err:?}");
    assert_eq!(clock.waits().len(), 1);
    let unresolved = err.unresolved_host().expect("a name that was not found");
    assert_eq!(unresolved.host, "dirsync-no-such-host.invalid");
    let mut chain = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = Some(&err);
    while let Some(error) = cause {
        chain.push(error.to_string());
        cause = error.source();
    }
    let said = chain.join(": ");
    assert!(said.contains("dirsync-no-such-host.invalid could not be found (DNS)"), "{said}");
}

/// A server that holds each request a while and counts how many it holds at once.
async fn counting_server() -> (String, Arc<Mutex<(usize, usize)>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/x", listener.local_addr().unwrap());
    let counts: Arc<Mutex<(usize, usize)>> = Arc::default(); // (now, most)
    let held = counts.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let held = held.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                {
                    let mut c = held.lock().unwrap();
                    c.0 += 1;
                    c.1 = c.1.max(c.0);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                held.lock().unwrap().0 -= 1;
                let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                let _ = socket.write_all(answer).await;
            });
        }
    });
    (url, counts)
}

#[tokio::test]
async fn requests_in_flight_never_exceed_the_limit() {
    let (url, counts) = counting_server().await;
    let t = Transport::new(&settings(&RecordingClock::default(), RetryPolicy::none(), 3)).unwrap();
    assert_eq!(t.max_concurrency(), 3);
    let sends = (0..12).map(|_| t.send(true, || t.http().get(&url)));
    for answer in futures::future::join_all(sends).await {
        assert_eq!(answer.unwrap().status.as_u16(), 200);
    }
    let most = counts.lock().unwrap().1;
    assert!((1..=3).contains(&most), "{most} requests held at once");
    assert_eq!(t.stats().requests, 12);
}

//! The wiremock plumbing both fakes share: one catch-all responder over shared state, a matcher that
//! drops connections, counters, faults and latency.

use crate::counters::Counters;
use crate::faults::{Fault, FaultEngine};
use crate::{FaultRule, Route};
use serde_json::Value;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use wiremock::matchers::any;
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

/// Locks a mutex, carrying on if a holder panicked (the state stays usable for inspection).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An answer before it becomes a wiremock [`ResponseTemplate`].
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Value>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Self {
        Reply { status, headers: Vec::new(), body: Some(body) }
    }

    pub(crate) fn empty(status: u16) -> Self {
        Reply { status, headers: Vec::new(), body: None }
    }

    #[must_use]
    pub(crate) fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn into_template(self) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(self.status);
        if let Some(body) = &self.body {
            let bytes = serde_json::to_vec(body).unwrap_or_default();
            template = template.set_body_raw(bytes, "application/json");
        }
        for (name, value) in self.headers {
            template = template.insert_header(name.as_str(), value.as_str());
        }
        template
    }
}

/// What every fake has besides its own state.
#[derive(Debug, Default)]
pub(crate) struct Common {
    pub(crate) counters: Counters,
    pub(crate) faults: Mutex<FaultEngine>,
    latency_nanos: AtomicU64,
}

impl Common {
    pub(crate) fn new(faults: Vec<FaultRule>, seed: u64, latency: Duration) -> Self {
        let common =
            Common { faults: Mutex::new(FaultEngine::new(faults, seed)), ..Common::default() };
        common.set_latency(latency);
        common
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        self.latency_nanos.store(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX), Relaxed);
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_nanos(self.latency_nanos.load(Relaxed))
    }
}

/// One fake service: tells routes apart, answers faults its own way, and handles requests.
pub(crate) trait Service: Send + Sync + 'static {
    fn common(&self) -> &Common;
    fn route(&self, request: &Request) -> Route;
    fn fault_reply(&self, route: Route, fault: &Fault, request: &Request) -> Reply;
    fn handle(&self, route: Route, request: &Request) -> Reply;
}

/// A running wiremock server, stopped on a thread of its own when dropped.
///
/// wiremock's `MockServer` checks its expectations when dropped by blocking on a tokio lock. In
/// a test's runtime whose task has spent its cooperative budget, that lock answers "not yet"
/// for ever, and the drop spins (seen as a test that passed, then hung): a plain thread has no
/// budget to spend.
pub(crate) struct Server(Option<MockServer>);

impl Server {
    /// The server's base URI.
    pub(crate) fn uri(&self) -> String {
        self.0.as_ref().map(MockServer::uri).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(server) = self.0.take() {
            let _ = std::thread::spawn(move || drop(server)).join();
        }
    }
}

/// Starts a wiremock server (request recording off, so memory stays flat under load) that sends
/// every request to `service`.
pub(crate) async fn start<S: Service>(service: Arc<S>) -> Server {
    let server = MockServer::builder().disable_request_recording().start().await;
    Mock::given(DropGate(service.clone()))
        .respond_with_err(|_: &Request| ConnectionDropped)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(Responder(service)).with_priority(2).mount(&server).await;
    Server(Some(server))
}

/// Matches the requests whose connection is to be dropped; its mock answers with an error, which
/// makes the HTTP server close the connection without a response.
struct DropGate<S>(Arc<S>);

impl<S: Service> Match for DropGate<S> {
    fn matches(&self, request: &Request) -> bool {
        let common = self.0.common();
        let route = self.0.route(request);
        let apply = {
            let mut faults = lock(&common.faults);
            let apply = match faults.peek(route) {
                Some(Fault::DropConnection) => false,
                Some(Fault::DropAfterApply) => true,
                _ => return false,
            };
            // wiremock runs matchers and the responder of one request under one lock, so the peek
            // above and this count cannot be split by another request.
            faults.next(route);
            apply
        };
        common.counters.http(route);
        common.counters.fault();
        common.counters.dropped();
        if apply {
            let service = &self.0;
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                service.handle(route, request)
            }));
        }
        true
    }
}

#[derive(Debug)]
struct ConnectionDropped;

impl fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("injected fault: connection dropped")
    }
}

impl std::error::Error for ConnectionDropped {}

struct Responder<S>(Arc<S>);

impl<S: Service> Respond for Responder<S> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let service = &self.0;
        let common = service.common();
        let route = service.route(request);
        common.counters.http(route);
        if !carries_length(request) {
            common.counters.length_required();
            return ResponseTemplate::new(411)
                .set_body_raw(LENGTH_REQUIRED, "text/html; charset=us-ascii");
        }
        let fault = lock(&common.faults).next(route);
        let reply = match fault {
            Some(fault) => {
                common.counters.fault();
                service.fault_reply(route, &fault, request)
            }
            // A bug in a fake must not take the server down: it answers a bare 500 instead.
            None => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                service.handle(route, request)
            }))
            .unwrap_or_else(|_| Reply::empty(500)),
        };
        let latency = common.latency();
        let template = reply.into_template();
        if latency.is_zero() { template } else { template.set_delay(latency) }
    }
}

/// What Microsoft's front ends (HTTP.sys) answer a write that says nothing of its length.
const LENGTH_REQUIRED: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Length Required</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n<BODY><h2>Length Required</h2>\r\n<hr><p>HTTP Error 411. The request must be chunked or have a content length.</p>\r\n</BODY></HTML>\r\n";

/// Whether a request that carries data (`POST`, `PUT`, `PATCH`) says how long it is, with
/// `Content-Length` or chunked `Transfer-Encoding`; other requests need not.
fn carries_length(request: &Request) -> bool {
    let write = matches!(request.method.as_str(), "POST" | "PUT" | "PATCH");
    let chunked = request
        .headers
        .get("transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    !write || chunked || request.headers.contains_key("content-length")
}

/// A fresh id in UUID form, unique within the process (ids for errors and traces).
pub(crate) fn trace_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Relaxed);
    format!("7e5a1c00-0000-4000-8000-{n:012x}")
}

/// A random UUID (version 4 form) from a seeded generator.
pub(crate) fn uuid(rng: &mut impl rand::Rng) -> String {
    let n: u128 = rng.random();
    let n = (n & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// Percent-decoded query pairs of a request.
pub(crate) fn query(request: &Request) -> Vec<(String, String)> {
    request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The path's segments, percent-decoded, without empty ones.
pub(crate) fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect()
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The bearer token of a request, if it has one.
pub(crate) fn bearer(headers: &wiremock::http::HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .then(|| token.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn uuids_look_like_v4() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let id = uuid(&mut rng);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    }
}

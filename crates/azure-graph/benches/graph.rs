//! Listing 100k users (pages of 999) and patching 10k users through `$batch`, against a local
//! mock: requests per user, the ratio to the ideal request count, and throughput.
//!
//! `cargo bench -p azure-graph -- --quick`
#![allow(missing_docs, clippy::unwrap_used)]

use azure_graph::{GraphClient, GraphUserId, PhoneProperty, UserPatch, select};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const USERS: usize = 100_000;
const PAGE: usize = 999;
const PATCHES: usize = 10_000;
const BATCH: usize = 20;

/// Serves precomputed pages by `$skiptoken`.
struct Pages {
    bodies: Vec<Arc<Vec<u8>>>,
    served: Arc<AtomicU64>,
}

impl Respond for Pages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.served.fetch_add(1, Ordering::Relaxed);
        let index = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "$skiptoken")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(0);
        match self.bodies.get(index) {
            Some(body) => {
                ResponseTemplate::new(200).set_body_raw(body.as_ref().clone(), "application/json")
            }
            None => ResponseTemplate::new(400),
        }
    }
}

/// Answers every inner request of a batch with 204.
struct Batches {
    served: Arc<AtomicU64>,
}

impl Respond for Batches {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.served.fetch_add(1, Ordering::Relaxed);
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let responses: Vec<Value> = body["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| json!({"id": r["id"], "status": 204, "headers": {}}))
            .collect();
        ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
    }
}

fn user(i: usize) -> Value {
    json!({
        "id": format!("00000000-0000-0000-0000-{i:012}"),
        "accountEnabled": !i.is_multiple_of(50),
        "mail": format!("user{i}@contoso.com"),
        "userPrincipalName": format!("user{i}@contoso.com"),
        "employeeId": format!("E{i}"),
        "givenName": format!("Given{i}"),
        "surname": format!("Family{i}"),
        "mobilePhone": format!("+47 {i:08}"),
        "streetAddress": "Main Street 1\nFlat 2",
        "postalCode": "0150",
        "city": "Oslo",
        "country": if i.is_multiple_of(10) { "Norway" } else { "NO" },
        "jobTitle": "Engineer",
        "employeeHireDate": "2024-03-01T00:00:00Z",
        "onPremisesSyncEnabled": null
    })
}

struct Fixture {
    server: MockServer,
    pages: Arc<AtomicU64>,
    batches: Arc<AtomicU64>,
}

async fn fixture() -> Fixture {
    let server = MockServer::builder().disable_request_recording().start().await;
    let pages = Arc::new(AtomicU64::new(0));
    let batches = Arc::new(AtomicU64::new(0));
    let page_count = USERS.div_ceil(PAGE);
    let bodies = (0..page_count)
        .map(|p| {
            let users: Vec<Value> = (p * PAGE..((p + 1) * PAGE).min(USERS)).map(user).collect();
            let mut body = json!({ "value": users });
            if p + 1 < page_count {
                body["@odata.nextLink"] =
                    json!(format!("{}/v1.0/users?$skiptoken={}", server.uri(), p + 1));
            }
            Arc::new(serde_json::to_vec(&body).unwrap())
        })
        .collect();
    Mock::given(method("POST"))
        .and(path("/t/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "bench-token"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(Pages { bodies, served: pages.clone() })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(Batches { served: batches.clone() })
        .mount(&server)
        .await;
    Fixture { server, pages, batches }
}

fn client(server: &MockServer) -> GraphClient {
    GraphClient::builder()
        .tenant("t")
        .client_credentials("bench", SecretString::from("bench-secret"))
        .graph_url(server.uri())
        .login_url(server.uri())
        // A local mock has no write budget; against Graph the default paces writes to 20/s.
        .write_budget(None)
        .build()
        .unwrap()
}

fn patches() -> Vec<(GraphUserId, UserPatch)> {
    (0..PATCHES)
        .map(|i| {
            let mut patch = UserPatch::new();
            patch.set("jobTitle", format!("Title {i}"));
            (GraphUserId::new(format!("00000000-0000-0000-0000-{i:012}")), patch)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let fx = rt.block_on(fixture());
    let graph = client(&fx.server);
    let fields = select(PhoneProperty::MobilePhone);
    let updates = patches();

    // One measured pass of each, for the request counts.
    let before = graph.stats().requests;
    let t = Instant::now();
    let listed = rt.block_on(graph.list_users(&fields)).unwrap();
    let list_time = t.elapsed();
    let list_requests = graph.stats().requests - before;
    assert_eq!(listed.len(), USERS);
    let page_requests = fx.pages.swap(0, Ordering::Relaxed);

    let before = graph.stats().requests;
    let t = Instant::now();
    let written = rt.block_on(graph.update_users(&updates));
    let patch_time = t.elapsed();
    let patch_requests = graph.stats().requests - before;
    assert!(written.iter().all(Result::is_ok));
    let batch_requests = fx.batches.swap(0, Ordering::Relaxed);

    report("list", USERS, list_requests, page_requests, USERS.div_ceil(PAGE), list_time);
    report("patch", PATCHES, patch_requests, batch_requests, PATCHES.div_ceil(BATCH), patch_time);

    let mut group = c.benchmark_group("graph");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(USERS as u64));
    group.bench_function("list_100k_users_pages_of_999", |b| {
        b.iter(|| rt.block_on(graph.list_users(&fields)).unwrap().len())
    });
    group.throughput(Throughput::Elements(PATCHES as u64));
    group.bench_function("patch_10k_users_in_batches_of_20", |b| {
        b.iter(|| rt.block_on(graph.update_users(&updates)).len())
    });
    group.finish();
}

fn report(
    what: &str,
    users: usize,
    client_requests: u64,
    served: u64,
    ideal: usize,
    time: Duration,
) {
    println!(
        "{what}: {users} users, {client_requests} requests sent by the client ({served} served by \
         the mock), ideal {ideal}: {:.5} requests per user, ratio to ideal {:.3}, {:.0} users/s \
         in one pass ({:.2?})",
        client_requests as f64 / users as f64,
        client_requests as f64 / ideal as f64,
        users as f64 / time.as_secs_f64(),
        time,
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

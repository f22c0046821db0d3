//! What the integration tests share: a wiremock Huma with a token endpoint, a fast client, and
//! builders for Huma's JSON.
#![allow(dead_code, unused_imports, unreachable_pub)] // each test file uses a different part

use huma_api::HumaClient;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// An error with its causes, each once.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    dirsync::directory::ErrorChain(err).to_string()
}

pub const CLIENT_ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";
pub const CLIENT_SECRET: &str = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
pub const TOKEN: &str = "access-token-1";

pub fn client(server: &MockServer) -> HumaClient {
    HumaClient::builder()
        .base_url(server.uri())
        .credentials(CLIENT_ID, CLIENT_SECRET.into())
        .retry(testkit::fast_retry())
        .build()
        .expect("a loopback base URL is accepted")
}

pub fn token_answer(token: &str, expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": expires_in,
        "refresh_token": "refresh-1",
        "organizationId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "userId": "9b2f1c7e-0000-4000-8000-000000000001"
    }))
}

/// A server whose token endpoint answers `TOKEN`, valid for an hour, any number of times.
pub async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth/oauth/token"))
        .respond_with(token_answer(TOKEN, 3600))
        .mount(&server)
        .await;
    server
}

pub fn field(value: Value) -> Value {
    json!({ "value": value, "editable": true, "integrations": {} })
}

pub fn locked(value: Value) -> Value {
    json!({ "value": value, "editable": false, "integrations": { "azure": { "warning": "locked_disconnect" } } })
}

/// `UserDetails` for `id`, with a current position (job title "Engineer", start 2021-03-01).
pub fn details(id: &str) -> Value {
    json!({
        "id": id,
        "givenName": field(json!(format!("Given {id}"))),
        "familyName": field(json!("Family")),
        "preferredName": field(json!("")),
        "email": { "value": format!("{id}@example.com"), "editable": true },
        "phone": field(json!("+47 400 00 000")),
        "employmentId": field(json!(format!("E-{id}"))),
        "homeAddress": field(json!({
            "line1": "Storgata 1", "line2": "Leilighet 2", "line3": "",
            "postalCode": "0150", "city": "Oslo", "country": "NO"
        })),
        "jobTitle": field(json!({ "id": "11111111-1111-4111-8111-111111111111", "name": "Old Title" })),
        "employmentStartDate": { "value": "2010-01-01", "editable": true },
        "status": { "active": true },
        "type": "user",
        "subordinatesCount": 0,
        "currentPositions": [{
            "id": format!("pos-{id}"),
            "title": { "id": "22222222-2222-4222-8222-222222222222", "name": "Engineer" },
            "contractStartDate": "2021-03-01",
            "contractType": "Permanent",
            "status": "CURRENT"
        }],
        "someFutureField": { "value": 1 }
    })
}

/// A `User` list item.
pub fn summary(id: &str) -> Value {
    json!({
        "id": id, "givenName": "G", "familyName": "F", "email": format!("{id}@example.com"),
        "jobTitles": [], "status": { "active": true }, "type": "user"
    })
}

/// Answers `GET /users/{id}` with [`details`] for that id.
pub struct DetailsById;

impl Respond for DetailsById {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = request.url.path().rsplit('/').next().unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(details(id))
    }
}

pub fn user_ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("u{i:03}")).collect()
}

pub fn page(ids: &[String], total: Option<usize>) -> ResponseTemplate {
    let items: Vec<Value> = ids.iter().map(|id| summary(id)).collect();
    let mut body = json!({ "items": items, "filters": {}, "meta": {} });
    if let Some(total) = total {
        body["total"] = json!(total);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// Mounts `method route` answering `answer`, expected exactly `times` times.
pub async fn mock(
    server: &MockServer,
    verb: &str,
    route: impl Into<String>,
    answer: ResponseTemplate,
    times: u64,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(answer)
        .expect(times)
        .mount(server)
        .await;
}

/// Mounts the list page at `offset` (50 a page), expected exactly once.
pub async fn mount_page(server: &MockServer, offset: usize, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/users"))
        .and(query_param("limit", "50"))
        .and(query_param("offset", offset.to_string()))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

/// Mounts the list of `ids` in pages of 50, each expected once; page `n` states `totals[n]`, or
/// the last of `totals` when there are fewer (none when `totals` is empty).
pub async fn mount_list(server: &MockServer, ids: &[String], totals: &[Option<usize>]) {
    for (n, chunk) in ids.chunks(50).enumerate() {
        let total = totals.get(n).or(totals.last()).copied().flatten();
        mount_page(server, n * 50, page(chunk, total)).await;
    }
}

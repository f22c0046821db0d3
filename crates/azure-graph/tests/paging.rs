//! Listing every user: `$select` and `$top`, following nextLinks, and never a partial listing.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::GraphError;
use common::*;
use dirsync::{
    directory::{Directory, ErrorKind},
    model::Field,
};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn page(server: &MockServer, skip: &str, users: Vec<serde_json::Value>, next: Option<&str>) {
    let mut body = json!({"value": users});
    if let Some(next) = next {
        body["@odata.nextLink"] = json!(format!("{}/v1.0/users?$skiptoken={next}", server.uri()));
    }
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", skip))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

async fn first_page(server: &MockServer, users: Vec<serde_json::Value>, next: &str) {
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$select", SELECT))
        .and(query_param("$top", "999"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": users,
            "@odata.nextLink": format!("{}/v1.0/users?$skiptoken={next}", server.uri()),
        })))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_three_page_listing_is_read_to_the_end() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    first_page(&server, vec![user("a"), user("b")], "p2").await;
    page(&server, "p2", vec![user("c"), user("d")], Some("p3")).await;
    page(&server, "p3", vec![user("e")], None).await;
    let (dir, _) = directory(&server);
    let records = dir.snapshot().await.unwrap();
    let ids: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    assert_eq!(records[0].person.given_name(), Some("Given a"));
    assert_eq!(dir.client().stats().requests, 4, "one token request and three pages");
}

#[tokio::test]
async fn a_repeated_next_link_is_an_error_not_a_loop() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    first_page(&server, vec![user("a")], "p2").await;
    page(&server, "p2", vec![user("b")], Some("p3")).await;
    page(&server, "p3", vec![user("c")], Some("p2")).await;
    let (dir, _) = directory(&server);
    let err = dir.snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse);
    assert!(err.to_string().contains("same next page link twice"), "{err}");
}

#[tokio::test]
async fn a_token_that_expires_mid_listing_is_refreshed_once_and_the_listing_continues() {
    let server = MockServer::start().await;
    mount_token(&server, 2).await;
    first_page(&server, vec![user("a")], "p2").await;
    // Page 2 refuses the token once, then answers.
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(401).set_body_json(graph_error(
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        )))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    page(&server, "p2", vec![user("b")], Some("p3")).await;
    page(&server, "p3", vec![user("c")], None).await;
    let (dir, _) = directory(&server);
    let records = dir.snapshot().await.unwrap();
    assert_eq!(records.len(), 3);
}

#[tokio::test]
async fn a_token_refused_twice_is_an_authentication_error() {
    let server = MockServer::start().await;
    mount_token(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(graph_error("InvalidAuthenticationToken", "x")),
        )
        .expect(2)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let err = dir.snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
}

#[tokio::test]
async fn a_failed_page_fails_the_whole_snapshot() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    first_page(&server, vec![user("a")], "p2").await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .expect(4)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let err = dir.snapshot().await.unwrap_err();
    // A 500 on a read is retried like 503 (four attempts here), then fails the read as
    // "unavailable".
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [user("a")],
            "@odata.nextLink": "https://evil.example/v1.0/users?$skiptoken=x",
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let err = client.list_users(&["id"]).await.unwrap_err();
    assert!(matches!(err, GraphError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("leads away"), "{err}");
}

#[tokio::test]
async fn records_map_disabled_accounts_and_invalid_countries() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "u1", "accountEnabled": false, "mail": "ada@contoso.com", "city": "Oslo",
             "country": "Norway", "onPremisesSyncEnabled": true},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let records = dir.snapshot().await.unwrap();
    let r = &records[0];
    assert!(!r.active);
    assert_eq!(r.person.email(), Some("ada@contoso.com"));
    assert_eq!(r.person.address().unwrap().country(), None);
    assert_eq!(r.invalid_value(Field::Address).unwrap().value, "Norway");
    // Synced from on-premises AD: nothing of it can be written from the cloud.
    assert_eq!(r.read_only, dirsync::model::FieldSet::all());
}

#[tokio::test]
async fn find_matching_filters_on_employee_id_and_emails_with_eventual_consistency() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(header("consistencylevel", "eventual"))
        .and(query_param("$count", "true"))
        .and(query_param(
            "$filter",
            "employeeId eq 'E''1' or mail eq 'ada@contoso.com' or userPrincipalName eq 'ada@contoso.com'",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "u1", "employeeId": "E'1"},
            {"id": "u2", "mail": "someone@else.com"},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let person =
        dirsync::model::Person::new().with_employment_id("E'1").with_email("ada@contoso.com");
    let found = dir.find_matching(&person).await.unwrap();
    assert_eq!(found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["u1"]);
}

#[tokio::test]
async fn get_answers_none_for_a_missing_user() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/gone"))
        .and(query_param("$select", SELECT))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(graph_error("Request_ResourceNotFound", "x")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    assert_eq!(dir.get(&"gone".into()).await.unwrap(), None);
}

#[tokio::test]
async fn find_matching_reads_everyone_when_the_filter_is_refused() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$count", "true"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(graph_error("Request_UnsupportedQuery", "Unsupported query.")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$top", "999"))
        .and(wiremock::matchers::query_param_is_missing("$filter"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [
            {"id": "u1", "mail": "Ada@Contoso.com"},
            {"id": "u2", "mail": "bob@contoso.com"},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let found = dir
        .find_matching(&dirsync::model::Person::new().with_email("ada@contoso.com"))
        .await
        .unwrap();
    assert_eq!(found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["u1"]);
}

/// Answers every page with `users` users and a link to a page never seen before.
struct EndlessPages {
    base: String,
    users: usize,
    served: std::sync::atomic::AtomicUsize,
}

impl wiremock::Respond for EndlessPages {
    fn respond(&self, _: &wiremock::Request) -> ResponseTemplate {
        let n = self.served.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let users: Vec<_> = (0..self.users).map(|i| user(&format!("u{n}-{i}"))).collect();
        ResponseTemplate::new(200).set_body_json(json!({
            "value": users,
            "@odata.nextLink": format!("{}/v1.0/users?$skiptoken=p{n}", self.base),
        }))
    }
}

#[tokio::test]
async fn empty_pages_that_keep_linking_on_stop_the_listing() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let endless = EndlessPages { base: server.uri(), users: 0, served: Default::default() };
    Mock::given(method("GET")).and(path("/v1.0/users")).respond_with(endless).mount(&server).await;
    let (client, _) = client(&server);
    let err = client.list_users(&["id"]).await.unwrap_err();
    assert!(matches!(err, GraphError::InvalidResponse { .. }), "{err:?}");
    assert!(err.to_string().contains("pages holding only 0 users"), "{err}");
    // The token, the first page and one more: no more pages than the users seen allow plus one.
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

//! Reading everyone: pages, details, read-only fields, positions, inactive users, failures.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it should do

mod common;

use chrono::NaiveDate;
use common::*;
use dirsync::{
    directory::{Directory, ErrorKind, RecordId},
    model::Field,
};
use huma_api::{HumaDirectory, HumaDirectoryConfig};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn directory(server: &MockServer) -> HumaDirectory {
    HumaDirectory::new(client(server), HumaDirectoryConfig::default())
}

async fn mount_details(server: &MockServer, expected: u64) {
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/[^/]+$"))
        .respond_with(DetailsById)
        .expect(expected)
        .mount(server)
        .await;
}

async fn mount_one(server: &MockServer, id: &str, body: serde_json::Value) {
    mock(server, "GET", format!("/users/{id}"), ResponseTemplate::new(200).set_body_json(body), 1)
        .await;
}

#[tokio::test]
async fn three_pages_of_users_are_read_with_every_users_details() {
    let server = server().await;
    let ids = user_ids(0..120);
    mount_list(&server, &ids, &[Some(120)]).await;
    mount_details(&server, 120).await;

    let mut records = directory(&server).snapshot().await.unwrap();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    let read: Vec<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(read, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let r = &records[7];
    assert_eq!(r.person.email(), Some("u007@example.com"));
    assert_eq!(r.person.employment_id(), Some("E-u007"));
    assert_eq!(r.person.given_name(), Some("Given u007"));
    let address = r.person.address().unwrap();
    assert_eq!(address.street(), Some("Storgata 1\nLeilighet 2"));
    assert_eq!((address.postal_code(), address.city()), (Some("0150"), Some("Oslo")));
    assert_eq!(address.country().map(|c| c.as_str()), Some("NO"));
    assert!(r.active && r.read_only.is_empty() && r.invalid.is_empty());
}

#[tokio::test]
async fn a_full_last_page_ends_at_the_total_without_another_request() {
    let server = server().await;
    let ids = user_ids(0..100);
    mount_list(&server, &ids, &[Some(100)]).await;
    mount_details(&server, 100).await;
    assert_eq!(directory(&server).snapshot().await.unwrap().len(), 100);
}

#[tokio::test]
async fn without_a_total_a_short_page_ends_the_list() {
    let server = server().await;
    let ids = user_ids(0..80);
    mount_list(&server, &ids, &[]).await;
    Mock::given(method("GET"))
        .and(path("/users"))
        .and(query_param("offset", "100"))
        .respond_with(page(&[], None))
        .expect(0)
        .mount(&server)
        .await;
    mount_details(&server, 80).await;
    assert_eq!(directory(&server).snapshot().await.unwrap().len(), 80);
}

#[tokio::test]
async fn a_user_listed_twice_is_read_once() {
    let server = server().await;
    let ids = user_ids(0..50);
    let mut second = user_ids(49..50);
    second.extend(user_ids(50..52));
    mount_page(&server, 0, page(&ids, Some(52))).await;
    mount_page(&server, 50, page(&second, Some(52))).await;
    mount_details(&server, 52).await;
    assert_eq!(directory(&server).snapshot().await.unwrap().len(), 52);
}

#[tokio::test]
async fn a_failed_detail_fails_the_whole_snapshot() {
    let server = server().await;
    let ids = user_ids(0..3);
    mount_page(&server, 0, page(&ids, Some(3))).await;
    Mock::given(method("GET"))
        .and(path("/users/u001"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "timestamp": "2024-01-01T00:00:00Z", "status": 500,
            "error": "Internal Server Error", "message": "database unavailable", "path": "/users/u001"
        })))
        // The first attempt and the two retries of the fast policy.
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/u00[02]$"))
        .respond_with(DetailsById)
        .mount(&server)
        .await;

    let err = directory(&server).snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(err.message().contains("database unavailable"), "{err}");
}

#[tokio::test]
async fn a_missing_user_between_list_and_detail_fails_the_snapshot() {
    let server = server().await;
    mount_page(&server, 0, page(&user_ids(0..2), Some(2))).await;
    mock(
        &server,
        "GET",
        "/users/u001",
        ResponseTemplate::new(404).set_body_json(json!({
            "errorCode": "object:not-found", "errorMessage": "Object not found",
            "interpolations": { "type": "User", "id": "u001" }
        })),
        1,
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/users/u000"))
        .respond_with(DetailsById)
        .mount(&server)
        .await;
    let err = directory(&server).snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_failed_page_fails_the_snapshot() {
    let server = server().await;
    let ids = user_ids(0..60);
    mount_page(&server, 0, page(&ids[0..50], Some(60))).await;
    Mock::given(method("GET"))
        .and(path("/users"))
        .and(query_param("offset", "50"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "errorCode": "field:invalid-format", "errorMessage": "Invalid field Format", "fields": ["offset"]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/[^/]+$"))
        .respond_with(DetailsById)
        .mount(&server)
        .await;
    let err = directory(&server).snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.message().contains("offset"), "{err}");
}

#[tokio::test]
async fn a_listed_user_without_an_id_is_kept_unreadable_and_no_detail_is_read_for_it() {
    let server = server().await;
    let mut ids = user_ids(0..3);
    ids[1] = "  ".to_owned();
    mount_page(&server, 0, page(&ids, Some(3))).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/u00[02]$"))
        .respond_with(DetailsById)
        .expect(2)
        .mount(&server)
        .await;
    let mut records = directory(&server).snapshot().await.unwrap();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    let read: Vec<(&str, bool)> =
        records.iter().map(|r| (r.id.as_str(), r.is_unreadable())).collect();
    assert_eq!(
        read,
        [("(user list entry at offset 1 without an id)", true), ("u000", false), ("u002", false)]
    );
    let reason = records[0].unreadable.as_deref().unwrap();
    assert!(reason.contains("at `id`") && reason.contains("a non-blank user id"), "{reason}");
}

#[tokio::test]
async fn a_field_huma_marks_not_editable_is_read_only() {
    let server = server().await;
    let mut body = details("u1");
    body["phone"] = locked(json!("+47 999"));
    body["homeAddress"]["editable"] = json!(false);
    mount_one(&server, "u1", body).await;
    let record = directory(&server).get(&RecordId::new("u1")).await.unwrap().unwrap();
    assert_eq!(record.person.phone(), Some("+47 999"));
    assert_eq!(record.read_only.iter().collect::<Vec<_>>(), [Field::Phone, Field::Address]);
}

#[tokio::test]
async fn job_title_and_start_date_come_from_the_current_position() {
    let server = server().await;
    let mut body = details("u1");
    body["currentPositions"] = json!([
        { "id": "p-up", "title": { "id": "t3", "name": "Next Role" }, "contractStartDate": "2030-01-01", "status": "UPCOMING" },
        { "id": "p-now", "title": { "id": "t2", "name": "CTO" }, "contractStartDate": "2021-03-01", "status": "CURRENT" }
    ]);
    mount_one(&server, "u1", body).await;
    let record = directory(&server).get(&RecordId::new("u1")).await.unwrap().unwrap();
    assert_eq!(record.person.job_title(), Some("CTO"));
    assert_eq!(record.person.employment_start_date(), NaiveDate::from_ymd_opt(2021, 3, 1));
    assert!(!record.read_only.contains(Field::JobTitle));
}

#[tokio::test]
async fn without_a_current_position_the_deprecated_fields_are_read_and_not_writable() {
    let server = server().await;
    let mut body = details("u1");
    body["currentPositions"] = json!([]);
    mount_one(&server, "u1", body).await;
    let record = directory(&server).get(&RecordId::new("u1")).await.unwrap().unwrap();
    assert_eq!(record.person.job_title(), Some("Old Title"));
    assert_eq!(record.person.employment_start_date(), NaiveDate::from_ymd_opt(2010, 1, 1));
    assert!(record.read_only.contains(Field::JobTitle));
    assert!(record.read_only.contains(Field::EmploymentStartDate));
}

#[tokio::test]
async fn inactive_users_are_read_and_marked_inactive() {
    let server = server().await;
    let ids = user_ids(0..2);
    mount_page(&server, 0, page(&ids, Some(2))).await;
    let mut inactive = details("u001");
    inactive["status"] = json!({ "active": false, "deactivatedAt": "2024-05-01T10:00:00Z" });
    mount_one(&server, "u001", inactive).await;
    Mock::given(method("GET"))
        .and(path("/users/u000"))
        .respond_with(DetailsById)
        .mount(&server)
        .await;
    let mut records = directory(&server).snapshot().await.unwrap();
    records.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(records.iter().map(|r| r.active).collect::<Vec<_>>(), [true, false]);
}

#[tokio::test]
async fn a_country_that_is_not_alpha2_is_reported_and_the_rest_of_the_address_kept() {
    let server = server().await;
    let mut body = details("u1");
    body["homeAddress"]["value"]["country"] = json!("Norway");
    body["employmentStartDate"] = json!({ "value": "not a date", "editable": true });
    mount_one(&server, "u1", body).await;
    let record = directory(&server).get(&RecordId::new("u1")).await.unwrap().unwrap();
    let address = record.person.address().unwrap();
    assert_eq!((address.city(), address.country()), (Some("Oslo"), None));
    let bad = record.invalid_value(Field::Address).unwrap();
    assert_eq!(bad.value, "Norway");
    assert!(bad.reason.contains("NO"), "{}", bad.reason);
}

#[tokio::test]
async fn a_user_that_does_not_exist_is_none() {
    let server = server().await;
    mock(&server, "GET", "/users/gone", ResponseTemplate::new(404).set_body_json(json!({
            "errorCode": "object:not-found", "errorMessage": "Object not found", "interpolations": {}
        })), 1).await;
    assert!(directory(&server).get(&RecordId::new("gone")).await.unwrap().is_none());
}

#[tokio::test]
async fn detail_reads_keep_to_the_configured_concurrency() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    // A tiny Huma of its own, so the test can see how many detail reads are open at once.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (open, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (open2, peak2) = (open.clone(), peak.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let (open, peak) = (open2.clone(), peak2.clone());
            tokio::spawn(serve_one(stream, open, peak));
        }
    });
    let client = huma_api::HumaClient::builder()
        .base_url(format!("http://{addr}"))
        .credentials(CLIENT_ID, CLIENT_SECRET.into())
        .max_concurrency(3)
        .build()
        .unwrap();
    let read = client.all_user_details().await.unwrap();
    assert_eq!(read.len(), 20);
    assert_eq!(peak.load(Ordering::SeqCst), 3, "at most 3 at once, and 3 were used");

    async fn serve_one(
        stream: tokio::net::TcpStream,
        open: Arc<AtomicUsize>,
        peak: Arc<AtomicUsize>,
    ) {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
        let mut reader = BufReader::new(stream);
        loop {
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
                return;
            }
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).await.unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).await.unwrap();
            let target = request_line.split(' ').nth(1).unwrap_or_default().to_owned();
            let answer = if target.starts_with("/auth/oauth/token") {
                json!({ "access_token": "t", "expires_in": 3600 })
            } else if target.starts_with("/users?") {
                let items: Vec<_> = user_ids(0..20).iter().map(|id| summary(id)).collect();
                json!({ "total": 20, "items": items })
            } else {
                let now = open.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                open.fetch_sub(1, Ordering::SeqCst);
                details(target.rsplit('/').next().unwrap_or_default())
            };
            let body = answer.to_string();
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if reader.get_mut().write_all(response.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}

#[tokio::test]
async fn a_webhooks_users_are_read_again_and_deleted_ones_left_out() {
    let server = server().await;
    mount_one(&server, "u1", details("u1")).await;
    mock(&server, "GET", "/users/u2", ResponseTemplate::new(404).set_body_json(json!({
            "errorCode": "object:not-found", "errorMessage": "Object not found", "interpolations": {}
        })), 1).await;
    let event = huma_api::webhook::parse_event(
        br#"{"topic":"users-update","users":[{"id":"u1","email":"u1@example.com"},{"id":"u2"}]}"#,
    )
    .unwrap();
    let records = directory(&server).records_for(&event).await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].person.email(), Some("u1@example.com"));
}

/// A web server's handler must be able to await the webhook re-read.
#[allow(dead_code)]
fn records_for_is_send(dir: &huma_api::HumaDirectory, event: &huma_api::webhook::WebhookEvent) {
    fn assert_send<T: Send>(_: T) {}
    assert_send(dir.records_for(event));
}

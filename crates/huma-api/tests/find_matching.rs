//! Looking for a person before creating them: Huma's search, then the details of what it found.

mod common;

use common::*;
use dirsync::{directory::Directory, model::Person};
use huma_api::{HumaDirectory, HumaDirectoryConfig};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn a_person_is_found_by_email_through_search_and_checked_on_their_details() {
    let server = server().await;
    // The search finds two users; only u001 really has the email (search also matches names).
    Mock::given(method("GET"))
        .and(path("/users"))
        .and(query_param("search", "u001@example.com"))
        .respond_with(page(&["u001".into(), "u002".into()], Some(2)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/u001"))
        .respond_with(DetailsById)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/u002"))
        .respond_with(DetailsById)
        .expect(1)
        .mount(&server)
        .await;
    let dir = HumaDirectory::new(client(&server), HumaDirectoryConfig::default());

    let found = dir.find_matching(&Person::new().with_email("U001@example.com")).await.unwrap();
    let ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["u001"]);
}

#[tokio::test]
async fn nobody_found_reads_no_details() {
    let server = server().await;
    mock(&server, "GET", "/users", page(&[], Some(0)), 1).await;
    Mock::given(method("GET"))
        .and(path("/users/u001"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let dir = HumaDirectory::new(client(&server), HumaDirectoryConfig::default());
    let found = dir.find_matching(&Person::new().with_email("new@example.com")).await.unwrap();
    assert!(found.is_empty());
}

//! A scoped Huma: the users of some teams, locations or companies, read through the list's
//! filters (the requests of the scope only), each group checked first (one that does not exist
//! fails the read, naming it), and users read by id or found by a search marked with where
//! they stand by their groups.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use dirsync::{
    directory::{Directory, RecordId},
    model::Person,
    plan::ScopeStatus,
};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig, HumaError, HumaScope};
use huma_api::{RetryPolicy, SecretString};
use serde_json::json;
use std::time::Duration;
use testkit::{FakeHuma, HumaConfig, HumaGroupKind, HumaUser, Route};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMPANY: &str = "0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d";
const TEAM: &str = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";

fn scoped(client: HumaClient, scope: HumaScope) -> HumaDirectory {
    HumaDirectory::new(client, HumaDirectoryConfig { scope, ..HumaDirectoryConfig::default() })
}

fn company_and_team() -> HumaScope {
    HumaScope { teams: vec![TEAM.into()], companies: vec![COMPANY.into()], ..HumaScope::default() }
}

/// Answers `GET /groups/{id}`: the group, or Huma's 404.
async fn mount_group(server: &MockServer, id: &str, status: u16) {
    let body = match status {
        200 => json!({"id": id, "name": "Acme AS", "members": []}),
        _ => json!({"errorCode": "object:not-found", "errorMessage": "Group not found",
                    "interpolations": {"type": "Group", "id": id}}),
    };
    Mock::given(method("GET"))
        .and(path(format!("/groups/{id}")))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_scoped_snapshot_lists_each_kind_through_its_filter_and_reads_each_user_once() {
    let server = server().await;
    mount_group(&server, COMPANY, 200).await;
    mount_group(&server, TEAM, 200).await;
    let (company, team) = (user_ids(0..3), user_ids(2..4));
    for (kind, id, users) in [("company", COMPANY, &company), ("team", TEAM, &team)] {
        Mock::given(method("GET"))
            .and(path("/users"))
            .and(query_param(kind, id))
            .and(query_param("offset", "0"))
            .respond_with(page(users, Some(users.len())))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex("^/users/u[0-9]+$"))
        .respond_with(DetailsById)
        .expect(4)
        .mount(&server)
        .await;
    let huma = scoped(client(&server), company_and_team());
    let mut ids: Vec<String> =
        huma.snapshot().await.unwrap().into_iter().map(|r| r.id.to_string()).collect();
    ids.sort();
    assert_eq!(ids, user_ids(0..4), "u002 is in both, and read once");
    let requests = server.received_requests().await.unwrap();
    let groups = requests.iter().filter(|r| r.url.path().starts_with("/groups/")).count();
    assert_eq!(groups, 2, "each group is checked once");
    let lists: Vec<_> = requests.iter().filter(|r| r.url.path() == "/users").collect();
    assert_eq!(lists.len(), 2, "one listing per kind, no listing of everyone");
    assert!(lists.iter().all(|r| r.url.query().unwrap_or_default().contains(COMPANY)
        || r.url.query().unwrap_or_default().contains(TEAM)));
    assert_eq!(
        huma.scope().as_deref(),
        Some(
            "the people of team 5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d or company \
         0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d in Huma"
        )
    );
}

#[tokio::test]
async fn a_team_that_does_not_exist_fails_the_read_naming_it_before_any_user_is_read() {
    let server = server().await;
    mount_group(&server, COMPANY, 200).await;
    mount_group(&server, TEAM, 404).await;
    mock(&server, "GET", "/users", page(&[], Some(0)), 0).await;
    let huma = scoped(client(&server), company_and_team());
    let err = huma.check_scope().await.unwrap_err();
    assert!(matches!(&err, HumaError::GroupNotFound { kind: "team", id } if id == TEAM), "{err:?}");
    assert!(err.to_string().contains(TEAM), "{err}");
    let err = huma.snapshot().await.unwrap_err();
    assert!(chain(&err).contains(&format!("the Huma team {TEAM} of the scope does not exist")));
}

fn fake_directory(huma: &FakeHuma, scope: HumaScope) -> HumaDirectory {
    let client = HumaClient::builder()
        .base_url(huma.uri())
        .credentials(FakeHuma::CLIENT_ID, SecretString::from(FakeHuma::CLIENT_SECRET))
        .retry(RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            max_total_wait: Duration::from_secs(5),
        })
        .build()
        .unwrap();
    scoped(client, scope)
}

/// 120 people in company A and 80 in company B; returns the company ids and the user ids.
fn two_companies(huma: &FakeHuma) -> ([String; 2], Vec<String>) {
    let a = huma.insert_group("Acme AS", HumaGroupKind::Company);
    let b = huma.insert_group("Acme AB", HumaGroupKind::Company);
    let users = (0..200).map(|i| {
        let mut user = HumaUser::new(format!("p{i}@example.com"), format!("P{i}"), "Lund");
        user.groups = vec![if i < 120 { a.clone() } else { b.clone() }];
        user
    });
    let ids = huma.insert_users(users).unwrap();
    ([a, b], ids)
}

#[tokio::test]
async fn a_scoped_read_of_the_fake_costs_the_scope_not_the_organisation() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let ([a, _], _) = two_companies(&huma);
    let everyone = fake_directory(&huma, HumaScope::default());
    assert_eq!(everyone.snapshot().await.unwrap().len(), 200);
    let full = huma.counts();
    huma.reset_counts();

    let scope = HumaScope { companies: vec![a], ..HumaScope::default() };
    let records = fake_directory(&huma, scope).snapshot().await.unwrap();
    assert_eq!(records.len(), 120);
    assert!(records.iter().all(|r| r.scope.is_in()));
    let scoped = huma.counts();
    assert_eq!((full.get(Route::ListUsers), full.get(Route::GetUser)), (4, 200));
    assert_eq!(
        (scoped.get(Route::ListUsers), scoped.get(Route::GetUser), scoped.get(Route::GetGroup)),
        (3, 120, 1)
    );
}

#[tokio::test]
async fn a_user_read_by_id_or_found_by_a_search_is_marked_by_their_groups() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let ([a, b], ids) = two_companies(&huma);
    let dir = fake_directory(&huma, HumaScope { companies: vec![a], ..HumaScope::default() });
    let inside = dir.get(&RecordId::from(ids[0].as_str())).await.unwrap().unwrap();
    let outside = dir.get(&RecordId::from(ids[150].as_str())).await.unwrap().unwrap();
    assert_eq!((inside.scope, outside.scope), (ScopeStatus::In, ScopeStatus::Out));
    let found = dir.find_matching(&Person::new().with_email("p150@example.com")).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].scope, ScopeStatus::Out);

    // Moved to the scope's company: in it.
    huma.remove_from_group(&ids[150], &b);
    let [a] = [huma.groups().into_iter().find(|g| g.name == "Acme AS").unwrap().id];
    huma.add_to_group(&ids[150], &a).unwrap();
    let moved = dir.get(&RecordId::from(ids[150].as_str())).await.unwrap().unwrap();
    assert!(moved.scope.is_in());
}

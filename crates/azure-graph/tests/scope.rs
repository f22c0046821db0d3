//! A scoped Azure AD: the members of a group read with the mapped properties (paging, nested
//! groups, no read per user, no listing of the tenant), excluded groups' members marked, a group
//! that does not exist named, users read by id marked by their groups, new users added to the
//! group (a failure to add reported as the create's failure).
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{AzureDirectory, AzureDirectoryConfig, AzureScope, GraphError};
use common::*;
use dirsync::{
    directory::{Directory, ErrorKind, RecordId},
    model::Person,
    plan::ScopeStatus,
};
use serde_json::json;
use testkit::{FakeGraph, GraphConfig, GraphUser, Route};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn scoped(server: &MockServer, scope: AzureScope) -> AzureDirectory {
    let (client, _) = client(server);
    let config =
        AzureDirectoryConfig { upn_domain: "contoso.com".into(), scope, ..Default::default() };
    AzureDirectory::new(client, config)
}

fn staff_except_admins() -> AzureScope {
    AzureScope { group: Some("g-staff".into()), exclude_groups: vec!["g-admins".into()] }
}

fn members_path(group: &str) -> String {
    format!("/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user")
}

#[tokio::test]
async fn a_scoped_snapshot_reads_the_group_page_by_page_and_marks_the_excluded() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    let next = format!("{}{}?$skiptoken=p2", server.uri(), members_path("g-staff"));
    Mock::given(method("GET"))
        .and(path(members_path("g-staff")))
        .and(query_param("$select", SELECT))
        .and(query_param("$top", "999"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [user("u1"), user("u2")], "@odata.nextLink": next
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(members_path("g-staff")))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [user("u3")]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(members_path("g-admins")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "value": [user("u2"), user("root")]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let dir = scoped(&server, staff_except_admins());
    let records = dir.snapshot().await.unwrap();
    let stands: Vec<(&str, ScopeStatus)> =
        records.iter().map(|r| (r.id.as_str(), r.scope)).collect();
    assert_eq!(
        stands,
        [
            ("u1", ScopeStatus::In),
            ("u2", ScopeStatus::Excluded),
            ("u3", ScopeStatus::In),
            ("root", ScopeStatus::Excluded)
        ]
    );
    assert_eq!(records[0].person.given_name(), Some("Given u1"), "read with its properties");
    let requests = server.received_requests().await.unwrap();
    assert!(requests.iter().all(|r| r.url.path() != "/v1.0/users"), "the tenant is not listed");
    assert_eq!(
        dir.scope().as_deref(),
        Some("the members of the Azure AD group g-staff, except the members of the group g-admins")
    );
}

#[tokio::test]
async fn a_group_that_does_not_exist_fails_the_read_naming_it() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("GET"))
        .and(path(members_path("g-staff")))
        .respond_with(ResponseTemplate::new(404).set_body_json(graph_error(
            "Request_ResourceNotFound",
            "Resource 'g-staff' does not exist or one of its queried reference-property objects are not present.",
        )))
        .mount(&server)
        .await;
    let dir =
        scoped(&server, AzureScope { group: Some("g-staff".into()), ..AzureScope::default() });
    let err = dir.snapshot().await.unwrap_err();
    assert!(chain(&err).contains("the Azure AD group g-staff of the scope was not found"), "{err}");
    let err = dir.check_scope().await.unwrap_err();
    assert!(matches!(&err, GraphError::GroupNotFound { group, .. } if group == "g-staff"));
}

#[tokio::test]
async fn a_new_user_is_added_to_the_group_of_the_scope() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "new-1"})))
        .expect(1)
        .mount(&server)
        .await;
    let reference = format!("{}/v1.0/directoryObjects/new-1", server.uri());
    Mock::given(method("POST"))
        .and(path("/v1.0/groups/g-staff/members/$ref"))
        .and(body_json(json!({"@odata.id": reference})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let dir =
        scoped(&server, AzureScope { group: Some("g-staff".into()), ..AzureScope::default() });
    let ada = Person::new().with_email("ada@contoso.com").with_given_name("Ada");
    assert_eq!(dir.create(&ada).await.unwrap().id.as_str(), "new-1");
}

#[tokio::test]
async fn a_failure_to_add_the_new_user_to_the_group_fails_the_create_saying_what_was_done() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "new-1"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/groups/g-staff/members/$ref"))
        .respond_with(ResponseTemplate::new(403).set_body_json(graph_error(
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )))
        .mount(&server)
        .await;
    let dir =
        scoped(&server, AzureScope { group: Some("g-staff".into()), ..AzureScope::default() });
    let err = dir.create(&Person::new().with_email("ada@contoso.com")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let text = chain(&err);
    assert!(
        text.contains("created Azure AD user new-1, but could not add it to the group g-staff"),
        "{text}"
    );
    assert!(text.contains("GroupMember.ReadWrite.All"), "{text}");
}

fn fake_directory(graph: &FakeGraph, scope: AzureScope) -> AzureDirectory {
    let client = fake_builder(graph, &RecordingClock::default()).build().unwrap();
    let config =
        AzureDirectoryConfig { upn_domain: "contoso.com".into(), scope, ..Default::default() };
    AzureDirectory::new(client, config)
}

/// 1,500 users: 1,200 in "Staff" (1,000 directly, 200 through the nested "Sales"), 3 of them and
/// one other in "Admins".
fn tenant(graph: &FakeGraph) -> (AzureScope, Vec<String>) {
    let ids = graph
        .insert_users((0..1500).map(|i| GraphUser::new(format!("user{i}@contoso.com"))))
        .unwrap();
    let (staff, sales, admins) =
        (graph.insert_group("Staff"), graph.insert_group("Sales"), graph.insert_group("Admins"));
    for (i, id) in ids.iter().enumerate().take(1200) {
        graph.add_group_member(if i < 1000 { &staff } else { &sales }, id).unwrap();
    }
    graph.add_group_member(&staff, &sales).unwrap();
    for id in [&ids[0], &ids[1], &ids[1100], &ids[1400]] {
        graph.add_group_member(&admins, id).unwrap();
    }
    (AzureScope { group: Some(staff), exclude_groups: vec![admins] }, ids)
}

#[tokio::test]
async fn a_scoped_read_of_the_fake_costs_the_group_not_the_tenant() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let (scope, _) = tenant(&graph);
    let records = fake_directory(&graph, scope).snapshot().await.unwrap();
    let count = |status| records.iter().filter(|r| r.scope == status).count();
    assert_eq!((count(ScopeStatus::In), count(ScopeStatus::Excluded)), (1197, 4));
    let counts = graph.counts();
    assert_eq!(counts.get(Route::ListUsers), 0);
    assert_eq!(counts.get(Route::GetUser), 0, "no read per user");
    assert_eq!(counts.get(Route::ListGroupMembers), 3, "two pages of Staff, one of Admins");
}

#[tokio::test]
async fn a_user_read_by_id_is_marked_by_its_groups_and_a_new_one_joins_the_group() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let (scope, ids) = tenant(&graph);
    let group = scope.group.clone().unwrap();
    let dir = fake_directory(&graph, scope);
    let stand = |i: usize| {
        let dir = &dir;
        let id = RecordId::from(ids[i].as_str());
        async move { dir.get(&id).await.unwrap().unwrap().scope }
    };
    assert_eq!(stand(5).await, ScopeStatus::In);
    assert_eq!(stand(1100).await, ScopeStatus::Excluded, "excluded wins over the group");
    assert_eq!(stand(1300).await, ScopeStatus::Out);
    assert_eq!(graph.counts().get(Route::CheckMemberGroups), 3);

    let ada = Person::new().with_email("ada@contoso.com").with_given_name("Ada");
    let created = dir.create(&ada).await.unwrap();
    assert!(graph.is_group_member(&group, created.id.as_str()));
    let found = dir.find_matching(&ada).await.unwrap();
    assert_eq!(found[0].scope, ScopeStatus::In);
}

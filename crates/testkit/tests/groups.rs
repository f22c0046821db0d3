//! The fakes' groups behave as the services document them: Graph's transitive members (nested
//! groups, paging, the cast to users, a group that does not exist), adding a member and checking
//! memberships; Huma's teams, locations and companies, its list filters and `GET /groups/{id}`.
#![allow(clippy::unwrap_used)]

mod common;

use common::{get, graph_token, huma_token, send};
use reqwest::StatusCode;
use serde_json::{Value, json};
use testkit::{FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, HumaGroupKind, HumaUser};
use testkit::{Route, SeedError};

async fn post(url: &str, token: &str, body: Value) -> (StatusCode, Value) {
    let response =
        reqwest::Client::new().post(url).bearer_auth(token).json(&body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A group "Staff" with users 0..5 and the nested group "Sales" (users 5..8); user 8 in neither.
fn staff(graph: &FakeGraph) -> (String, String, Vec<String>) {
    let ids =
        graph.insert_users((0..9).map(|i| GraphUser::new(format!("user{i}@example.com")))).unwrap();
    let (staff, sales) = (graph.insert_group("Staff"), graph.insert_group("Sales"));
    for id in &ids[..5] {
        graph.add_group_member(&staff, id).unwrap();
    }
    for id in &ids[5..8] {
        graph.add_group_member(&sales, id).unwrap();
    }
    graph.add_group_member(&staff, &sales).unwrap();
    // A cycle ends where it starts.
    graph.add_group_member(&sales, &staff).unwrap();
    (staff, sales, ids)
}

#[tokio::test]
async fn transitive_members_follow_nested_groups_page_by_page() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let (staff, _, ids) = staff(&graph);
    let token = graph_token(&graph).await;
    let mut url = format!(
        "{}/groups/{staff}/transitiveMembers/microsoft.graph.user?$select=id,mail&$top=3",
        graph.api_url()
    );
    let (mut seen, mut pages) = (Vec::new(), 0);
    loop {
        let (status, page) = get(&url, &token).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for user in page["value"].as_array().unwrap() {
            assert_eq!(user["@odata.type"], "#microsoft.graph.user");
            assert!(user["mail"].is_string() && user.get("jobTitle").is_none(), "{user}");
            seen.push(user["id"].as_str().unwrap().to_owned());
        }
        match page["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    let mut expected = ids[..8].to_vec();
    expected.sort();
    assert_eq!(seen, expected, "users of Staff and of Sales within it, once each, in id order");
    assert_eq!(pages, 3);
    assert_eq!(graph.counts().get(Route::ListGroupMembers), 3);
    assert!(graph.is_group_member(&staff, &ids[6]) && !graph.is_group_member(&staff, &ids[8]));
}

#[tokio::test]
async fn without_the_cast_nested_groups_are_listed_too() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let (staff, sales, _) = staff(&graph);
    let token = graph_token(&graph).await;
    let url = format!("{}/groups/{staff}/transitiveMembers?$top=999", graph.api_url());
    let (status, page) = get(&url, &token).await;
    assert_eq!(status, 200);
    let groups: Vec<&Value> = page["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["@odata.type"] == "#microsoft.graph.group")
        .collect();
    let ids: Vec<&str> = groups.iter().map(|g| g["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&sales.as_str()) && ids.contains(&staff.as_str()), "{ids:?}");
}

#[tokio::test]
async fn a_group_that_does_not_exist_is_a_404_resource_not_found() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let token = graph_token(&graph).await;
    let url = format!(
        "{}/groups/00000000-0000-4000-8000-000000000000/transitiveMembers/microsoft.graph.user",
        graph.api_url()
    );
    let (status, body) = get(&url, &token).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "Request_ResourceNotFound");
    assert_eq!(
        graph.add_group_member("nope", "x"),
        Err(SeedError::NotFound("user or group x".into()))
    );
}

#[tokio::test]
async fn adding_a_member_by_reference_is_a_write_and_refuses_one_already_there() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let user = graph.insert_user(GraphUser::new("ada@example.com")).unwrap();
    let group = graph.insert_group("Staff");
    let token = graph_token(&graph).await;
    let url = format!("{}/groups/{group}/members/$ref", graph.api_url());
    let reference =
        json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{user}")});
    let (status, _) = post(&url, &token, reference.clone()).await;
    assert_eq!(status, 204);
    assert!(graph.is_group_member(&group, &user));
    let (status, body) = post(&url, &token, reference).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("already exist"), "{body}");
    let nobody = json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/nobody"});
    assert_eq!(post(&url, &token, nobody).await.0, 404);
    assert_eq!(graph.counts().get(Route::AddGroupMember), 3);
    assert!(Route::AddGroupMember.is_write());
}

#[tokio::test]
async fn check_member_groups_answers_the_transitive_memberships_among_those_asked() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let (staff, sales, ids) = staff(&graph);
    let other = graph.insert_group("Other");
    let token = graph_token(&graph).await;
    let url = format!("{}/users/{}/checkMemberGroups", graph.api_url(), ids[6]);
    let (status, body) = post(&url, &token, json!({"groupIds": [staff, sales, other]})).await;
    assert_eq!(status, 200);
    assert_eq!(body["value"], json!([staff, sales]));
    let too_many: Vec<String> = (0..21).map(|i| format!("g{i}")).collect();
    assert_eq!(post(&url, &token, json!({"groupIds": too_many})).await.0, 400);
    let unknown = format!("{}/users/nobody/checkMemberGroups", graph.api_url());
    assert_eq!(post(&unknown, &token, json!({"groupIds": [staff]})).await.0, 404);
}

/// Users 0..6: 0..3 in company A, 3..6 in company B; 1 and 4 in team T; 5 in location L.
fn companies(huma: &FakeHuma) -> ([String; 4], Vec<String>) {
    let ids = huma
        .insert_users((0..6).map(|i| HumaUser::new(format!("p{i}@example.com"), "P", "L")))
        .unwrap();
    let a = huma.insert_group("Acme AS", HumaGroupKind::Company);
    let b = huma.insert_group("Acme AB", HumaGroupKind::Company);
    let t = huma.insert_group("Platform", HumaGroupKind::Team);
    let l = huma.insert_group("Oslo", HumaGroupKind::Location);
    for (i, id) in ids.iter().enumerate() {
        huma.add_to_group(id, if i < 3 { &a } else { &b }).unwrap();
    }
    huma.add_to_group(&ids[1], &t).unwrap();
    huma.add_to_group(&ids[4], &t).unwrap();
    huma.add_to_group(&ids[5], &l).unwrap();
    ([a, b, t, l], ids)
}

fn listed(page: &Value) -> Vec<String> {
    page["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_user_list_filters_by_team_location_and_company() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let ([a, b, t, l], ids) = companies(&huma);
    let token = huma_token(&huma).await;
    let list = |query: String| {
        let (huma, token) = (&huma, &token);
        async move {
            let (status, page) =
                send(huma, token, reqwest::Method::GET, &format!("/users?limit=50&{query}"), None)
                    .await;
            assert_eq!(status, 200, "{page}");
            (listed(&page), page["total"].as_u64().unwrap())
        }
    };
    assert_eq!(list(format!("company={a}")).await, (ids[..3].to_vec(), 3));
    assert_eq!(list(format!("company={a}&company={b}")).await.1, 6, "any of them");
    assert_eq!(list(format!("company={a},{b}")).await.1, 6, "comma-separated too");
    assert_eq!(list(format!("team={t}")).await.0, [ids[1].clone(), ids[4].clone()]);
    assert_eq!(list(format!("team={t}&company={b}")).await.0, [ids[4].clone()], "all filters");
    assert_eq!(list(format!("location={l}")).await.0, [ids[5].clone()]);
    let (status, body) =
        send(&huma, &token, reqwest::Method::GET, "/users?company=acme", None).await;
    assert_eq!(status, 400);
    assert_eq!(body["fields"], json!(["company"]));
}

#[tokio::test]
async fn users_show_their_groups_and_a_group_is_found_by_id_or_not_at_all() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let ([a, _, t, _], ids) = companies(&huma);
    let token = huma_token(&huma).await;
    let path = format!("/users/{}", ids[1]);
    let (_, details) = send(&huma, &token, reqwest::Method::GET, &path, None).await;
    assert_eq!(details["companies"]["value"][0]["id"], json!(a));
    assert_eq!(details["companies"]["value"][0]["type"], "company");
    assert_eq!(details["teams"]["value"][0]["id"], json!(t));
    let (_, page) = send(&huma, &token, reqwest::Method::GET, "/users?limit=1", None).await;
    assert_eq!(page["items"][0]["companies"][0]["id"], json!(a));

    let (status, group) =
        send(&huma, &token, reqwest::Method::GET, &format!("/groups/{a}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(group["name"], "Acme AS");
    assert_eq!(group["members"].as_array().unwrap().len(), 3);
    let missing = "/groups/00000000-0000-4000-8000-000000000000";
    let (status, body) = send(&huma, &token, reqwest::Method::GET, missing, None).await;
    assert_eq!(status, 404);
    assert_eq!(body["errorCode"], "object:not-found");
    assert_eq!(huma.counts().get(Route::GetGroup), 2);
    assert!(huma.remove_from_group(&ids[1], &t) && !huma.remove_from_group(&ids[1], &t));
}

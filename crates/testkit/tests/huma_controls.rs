//! What a test can make the fake Huma do to one user, as real Huma would show it: raw values of
//! any type, an inactive account, a deleted user, and writes it refuses.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use common::{huma_token, send};
use reqwest::Method;
use serde_json::{Value, json};
use testkit::{FakeHuma, HumaConfig, HumaPosition, HumaUser, HumaView, JobTitle, SeedError};

/// A fake with Ada (with a current position) and Grace; their ids and a token.
async fn two_users() -> (FakeHuma, String, String, String) {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let mut ada = HumaUser::new("ada@example.com", "Ada", "Lovelace");
    let start = NaiveDate::from_ymd_opt(2021, 4, 1).unwrap();
    ada.positions.push(HumaPosition::new(JobTitle::named("Engineer"), start));
    let ada = huma.insert_user(ada).unwrap();
    let grace = huma.insert_user(HumaUser::new("grace@example.com", "Grace", "Hopper")).unwrap();
    let token = huma_token(&huma).await;
    (huma, ada, grace, token)
}

async fn list(huma: &FakeHuma, token: &str) -> Value {
    let (status, page) = send(huma, token, Method::GET, "/users?limit=50", None).await;
    assert_eq!(status, 200);
    page
}

async fn details(huma: &FakeHuma, token: &str, id: &str) -> Value {
    let (status, details) = send(huma, token, Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(status, 200);
    details
}

#[tokio::test]
async fn a_raw_value_is_answered_as_it_is_where_it_was_set_and_nowhere_else() {
    let (huma, ada, grace, token) = two_users().await;
    huma.set_raw_property(&ada, HumaView::ListEntry, "status.active", json!("yes")).unwrap();
    huma.set_raw_property(&ada, HumaView::Details, "givenName", json!(42)).unwrap();
    huma.set_raw_property(&ada, HumaView::Details, "currentPositions.0.title.name", json!(7))
        .unwrap();
    huma.set_raw_property(&ada, HumaView::Details, "homeAddress.value", json!("Storgata 1"))
        .unwrap();

    let page = list(&huma, &token).await;
    assert_eq!(page["items"][0]["status"], json!({"active": "yes"}));
    assert_eq!(page["items"][0]["givenName"], "Ada", "a value for the details stays there");
    assert_eq!(page["items"][1], list_entry_of(&huma, &grace), "other users are untouched");

    let shown = details(&huma, &token, &ada).await;
    assert_eq!(shown["givenName"], json!(42));
    assert_eq!(shown["currentPositions"][0]["title"]["name"], json!(7));
    assert_eq!(shown["homeAddress"]["value"], "Storgata 1");
    assert_eq!(shown["status"], json!({"active": true}), "a value for the list stays there");
    assert_eq!(huma.user(&ada).unwrap().given_name, "Ada", "the stored user is unchanged");

    // A write goes through, and its answer shows the raw values too, until they are cleared.
    let path = format!("/users/{ada}");
    let (status, answer) =
        send(&huma, &token, Method::PATCH, &path, Some(json!({"familyName": "Byron"}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        (answer["givenName"].clone(), answer["familyName"]["value"].clone()),
        (json!(42), json!("Byron"))
    );
    huma.clear_raw_properties(&ada);
    let shown = details(&huma, &token, &ada).await;
    assert_eq!(shown["givenName"]["value"], "Ada");
    assert_eq!(shown["currentPositions"][0]["title"]["name"], "Engineer");
    assert_eq!(list(&huma, &token).await["items"][0]["status"], json!({"active": true}));
}

#[tokio::test]
async fn a_property_can_be_left_out_or_the_whole_entry_replaced() {
    let (huma, ada, grace, token) = two_users().await;
    huma.remove_raw_property(&ada, HumaView::ListEntry, "id").unwrap();
    huma.set_raw_property(&grace, HumaView::ListEntry, "", json!("not a user")).unwrap();
    huma.remove_raw_property(&grace, HumaView::Details, "email").unwrap();
    let page = list(&huma, &token).await;
    assert_eq!(page["total"], 2);
    assert!(page["items"][0].get("id").is_none());
    assert_eq!(page["items"][0]["email"], "ada@example.com");
    assert_eq!(page["items"][1], json!("not a user"));
    assert!(details(&huma, &token, &grace).await.get("email").is_none());
    // A later value for the same path wins.
    huma.set_raw_property(&grace, HumaView::Details, "email", json!({"value": 5})).unwrap();
    assert_eq!(details(&huma, &token, &grace).await["email"], json!({"value": 5}));
}

#[tokio::test]
async fn raw_values_and_other_controls_need_a_user() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let nobody = "8c0a4f3e-0000-4000-8000-000000000000";
    let not_found = Err(SeedError::NotFound(nobody.to_owned()));
    assert_eq!(huma.set_raw_property(nobody, HumaView::Details, "id", json!(1)), not_found);
    assert_eq!(huma.remove_raw_property(nobody, HumaView::Details, "id"), not_found);
    assert_eq!(huma.set_active(nobody, false), not_found);
    assert_eq!(huma.fail_writes(nobody, 400, json!({})), not_found);
    assert_eq!(huma.delete_user(nobody).map(|_| ()), not_found);
}

#[tokio::test]
async fn an_inactive_user_is_shown_inactive_and_filtered_as_such() {
    let (huma, ada, grace, token) = two_users().await;
    huma.set_active(&ada, false).unwrap();
    assert_eq!(list(&huma, &token).await["items"][0]["status"], json!({"active": false}));
    assert_eq!(details(&huma, &token, &ada).await["status"], json!({"active": false}));
    let (_, active) = send(&huma, &token, Method::GET, "/users?isActive=true", None).await;
    assert_eq!(active["total"], 1);
    assert_eq!(active["items"][0]["id"], grace.as_str());
    huma.set_active(&ada, true).unwrap();
    assert!(huma.user(&ada).unwrap().active);
}

#[tokio::test]
async fn a_deleted_user_is_gone_from_the_list_and_answers_404() {
    let (huma, ada, grace, token) = two_users().await;
    huma.set_raw_property(&ada, HumaView::Details, "givenName", json!(1)).unwrap();
    let deleted = huma.delete_user(&ada).unwrap();
    assert_eq!(deleted.email, "ada@example.com");
    assert_eq!(huma.user(&ada), None);

    let page = list(&huma, &token).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], grace.as_str());
    let (_, found) = send(&huma, &token, Method::GET, "/users?search=ada", None).await;
    assert_eq!(found["items"], json!([]));

    let not_found = json!({
        "errorCode": "object:not-found",
        "errorMessage": "User not found",
        "interpolations": {"type": "User", "id": ada},
    });
    for (method, path, body) in [
        (Method::GET, format!("/users/{ada}"), None),
        (Method::PATCH, format!("/users/{ada}"), Some(json!({"givenName": "Ada"}))),
        (Method::GET, format!("/users/{ada}/positions"), None),
    ] {
        let (status, answer) = send(&huma, &token, method.clone(), &path, body).await;
        assert_eq!((status.as_u16(), &answer), (404, &not_found), "{method} {path}");
    }
    assert_eq!(huma.delete_user(&ada).map(|_| ()), Err(SeedError::NotFound(ada.clone())));

    // The email is free again, and a new user with it has a new id, without the old raw value.
    let input =
        json!({"email": "ada@example.com", "givenName": "Ada", "familyName": "L", "groups": []});
    let (status, created) = send(&huma, &token, Method::POST, "/users", Some(input)).await;
    assert_eq!(status, 200);
    let new_id = created["id"].as_str().unwrap();
    assert_ne!(new_id, ada);
    assert_eq!(details(&huma, &token, new_id).await["givenName"]["value"], "Ada");
}

#[tokio::test]
async fn writes_to_one_user_answer_the_given_failure_until_taken_back() {
    let (huma, ada, grace, token) = two_users().await;
    let refused = json!({
        "errorCode": "field:invalid-format",
        "errorMessage": "Invalid field format",
        "fields": ["phone"],
    });
    huma.fail_writes(&ada, 400, refused.clone()).unwrap();
    let patch = |id: &str| format!("/users/{id}");
    let phone = json!({"phone": "+47 400 00 000"});

    let (status, answer) =
        send(&huma, &token, Method::PATCH, &patch(&ada), Some(phone.clone())).await;
    assert_eq!((status.as_u16(), answer), (400, refused.clone()));
    assert_eq!(huma.user(&ada).unwrap().phone, None, "the refused write changed nothing");
    let position = huma.user(&ada).unwrap().positions[0].id.clone();
    let (status, answer) = send(
        &huma,
        &token,
        Method::PATCH,
        &format!("/users/{ada}/positions/{position}"),
        Some(json!({"contractStartDate": "2020-01-01"})),
    )
    .await;
    assert_eq!((status.as_u16(), answer), (400, refused));
    assert_eq!(
        huma.user(&ada).unwrap().positions[0].contract_start_date,
        NaiveDate::from_ymd_opt(2021, 4, 1)
    );
    // Reads still work, and other users' writes go through.
    assert_eq!(details(&huma, &token, &ada).await["givenName"]["value"], "Ada");
    let (status, _) = send(&huma, &token, Method::PATCH, &patch(&grace), Some(phone.clone())).await;
    assert_eq!(status, 200);

    // Any status and body, e.g. a server error.
    huma.fail_writes(&ada, 503, json!({"status": 503, "error": "Service Unavailable"})).unwrap();
    let (status, _) = send(&huma, &token, Method::PATCH, &patch(&ada), Some(phone.clone())).await;
    assert_eq!(status, 503);

    huma.stop_failing_writes(&ada);
    let (status, answer) = send(&huma, &token, Method::PATCH, &patch(&ada), Some(phone)).await;
    assert_eq!(status, 200);
    assert_eq!(answer["phone"]["value"], "+47 400 00 000");
    assert_eq!(huma.user(&ada).unwrap().phone.as_deref(), Some("+47 400 00 000"));
}

/// A user's list entry as the fake shows it without raw values.
fn list_entry_of(huma: &FakeHuma, id: &str) -> Value {
    let user = huma.user(id).unwrap();
    json!({
        "id": user.id, "givenName": user.given_name, "familyName": user.family_name,
        "email": user.email, "jobTitles": [], "teams": [], "locations": [], "companies": [],
        "groups": [], "type": "user", "status": {"active": user.active},
    })
}

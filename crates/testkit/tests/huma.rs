//! The fake Huma behaves as Huma's OpenAPI spec says: auth, paging, wrapped details, writes.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::NaiveDate;
use common::{huma_token, send};
use serde_json::{Value, json};
use testkit::{FakeHuma, HumaConfig, HumaPosition, HumaUser, JobTitle, Route};

fn seed(huma: &FakeHuma, n: usize) -> Vec<String> {
    huma.insert_users(
        (0..n).map(|i| HumaUser::new(format!("p{i}@example.com"), format!("Given{i}"), "Family")),
    )
    .unwrap()
}

#[tokio::test]
async fn token_accepts_form_and_json_and_refuses_a_wrong_client() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    huma_token(&huma).await;
    let client = reqwest::Client::new();
    let json_answer = client
        .post(huma.token_endpoint())
        .json(&json!({"grant_type": "client_credentials", "client_id": FakeHuma::CLIENT_ID,
                      "client_secret": FakeHuma::CLIENT_SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(json_answer.status(), 200);
    let wrong = client
        .post(huma.token_endpoint())
        .form(&[("grant_type", "client_credentials"), ("client_id", "x"), ("client_secret", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: Value = wrong.json().await.unwrap();
    assert!(body["error"].is_string() && body["error_description"].is_string());

    let (status, body) = send(&huma, "nonsense", reqwest::Method::GET, "/users", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test]
async fn pages_by_offset_up_to_50_and_refuses_more() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let ids = seed(&huma, 120);
    let token = huma_token(&huma).await;
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let (status, page) = send(
            &huma,
            &token,
            reqwest::Method::GET,
            &format!("/users?limit=50&offset={offset}"),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(page["total"], 120);
        let items = page["items"].as_array().unwrap();
        seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        if items.len() < 50 {
            break;
        }
        offset += 50;
    }
    assert_eq!(seen, ids);
    assert_eq!(huma.counts().get(Route::ListUsers), 3);

    let (_, page) = send(&huma, &token, reqwest::Method::GET, "/users", None).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 25, "default limit");
    let (status, body) = send(&huma, &token, reqwest::Method::GET, "/users?limit=51", None).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"errorCode": "field:invalid-format", "errorMessage": "limit must be between 0 and 50", "fields": ["limit"]})
    );
    let (_, page) = send(&huma, &token, reqwest::Method::GET, "/users?offset=500", None).await;
    assert_eq!(page["items"], json!([]));
}

#[tokio::test]
async fn details_wrap_every_field_and_show_the_current_position() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let start = NaiveDate::from_ymd_opt(2021, 4, 1).unwrap();
    let mut user = HumaUser::new("ada@example.com", "Ada", "Lovelace").with_locked("employmentId");
    user.employment_id = Some("E-1".into());
    user.positions.push(HumaPosition::new(JobTitle::named("Engineer"), start));
    let id = huma.insert_user(user).unwrap();
    let token = huma_token(&huma).await;
    let (status, details) =
        send(&huma, &token, reqwest::Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(details["givenName"]["value"], "Ada");
    assert_eq!(details["givenName"]["editable"], true);
    assert_eq!(details["employmentId"]["value"], "E-1");
    assert_eq!(details["employmentId"]["editable"], false);
    assert_eq!(details["employmentId"]["integrations"]["payroll"]["warning"], "locked_disconnect");
    let current = &details["currentPositions"][0];
    assert_eq!(current["status"], "CURRENT");
    assert_eq!(current["title"]["name"], "Engineer");
    assert_eq!(current["contractStartDate"], "2021-04-01");
    assert_eq!(details["jobTitle"]["value"]["name"], "Engineer");
    assert_eq!(details["employmentStartDate"]["value"], "2021-04-01");

    let (status, body) = send(
        &huma,
        &token,
        reqwest::Method::GET,
        "/users/8c0a4f3e-0000-4000-8000-000000000000",
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["errorCode"], "object:not-found");
}

#[tokio::test]
async fn patch_refuses_locked_fields_and_bad_countries() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let id = huma.insert_user(HumaUser::new("ada@example.com", "Ada", "Lovelace")).unwrap();
    huma.lock_field(&id, "phone").unwrap();
    let token = huma_token(&huma).await;
    let path = format!("/users/{id}");
    let address = |country: &str| {
        json!({"homeAddress": {"line1": "1 Main St", "line2": "", "line3": "", "postalCode": "0150",
                               "city": "Oslo", "country": country}})
    };
    let (status, details) =
        send(&huma, &token, reqwest::Method::PATCH, &path, Some(address("NO"))).await;
    assert_eq!(status, 200);
    assert_eq!(details["homeAddress"]["value"]["country"], "NO");
    assert_eq!(huma.user(&id).unwrap().home_address.unwrap().city, "Oslo");

    let (status, body) =
        send(&huma, &token, reqwest::Method::PATCH, &path, Some(address("Norway"))).await;
    assert_eq!(status, 400);
    assert_eq!(body["errorCode"], "field:invalid-format");
    assert_eq!(body["fields"], json!(["homeAddress.country"]));

    let incomplete =
        json!({"homeAddress": {"line1": "x", "postalCode": "1", "city": "c", "country": "SE"}});
    let (status, body) = send(&huma, &token, reqwest::Method::PATCH, &path, Some(incomplete)).await;
    assert_eq!(status, 400);
    assert_eq!(body["fields"], json!(["homeAddress.line2", "homeAddress.line3"]));

    let (status, body) =
        send(&huma, &token, reqwest::Method::PATCH, &path, Some(json!({"phone": "+47 1"}))).await;
    assert_eq!(status, 400);
    assert_eq!(body["fields"], json!(["phone"]));
    assert_eq!(huma.user(&id).unwrap().phone, None);
}

#[tokio::test]
async fn post_creates_users_with_unique_emails() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let token = huma_token(&huma).await;
    let input = json!({"email": "new@example.com", "givenName": "New", "familyName": "Person", "groups": []});
    let (status, user) =
        send(&huma, &token, reqwest::Method::POST, "/users", Some(input.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(user["email"], "new@example.com");
    assert_eq!(user["status"]["active"], true);
    assert!(huma.user(user["id"].as_str().unwrap()).is_some());

    let (status, body) = send(&huma, &token, reqwest::Method::POST, "/users", Some(input)).await;
    assert_eq!(status, 400);
    assert_eq!(body["fields"], json!(["email"]));
    let (status, body) = send(
        &huma,
        &token,
        reqwest::Method::POST,
        "/users",
        Some(json!({"email": "x@example.com", "givenName": "X"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["fields"], json!(["familyName", "groups"]));
    assert_eq!(huma.user_count(), 1);
}

#[tokio::test]
async fn positions_and_job_titles() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let id = huma.insert_user(HumaUser::new("ada@example.com", "Ada", "Lovelace")).unwrap();
    let token = huma_token(&huma).await;
    let (status, title) =
        send(&huma, &token, reqwest::Method::POST, "/job-titles", Some(json!({"name": "Chef"})))
            .await;
    assert_eq!(status, 200);
    let (_, found) =
        send(&huma, &token, reqwest::Method::GET, "/job-titles?search=che", None).await;
    assert_eq!(found, json!([{"id": title["id"], "name": "Chef"}]));
    let (status, _) =
        send(&huma, &token, reqwest::Method::POST, "/job-titles", Some(json!({"name": "chef"})))
            .await;
    assert_eq!(status, 400);

    let positions = format!("/users/{id}/positions");
    let (status, body) = send(
        &huma,
        &token,
        reqwest::Method::POST,
        &positions,
        Some(json!({"contractType": "Permanent"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["fields"], json!(["contractStartDate", "titleId"]));
    let create = json!({"contractStartDate": "2020-01-01", "contractType": "Permanent", "titleId": title["id"]});
    let (status, position) =
        send(&huma, &token, reqwest::Method::POST, &positions, Some(create)).await;
    assert_eq!(status, 200);
    assert_eq!(position["title"]["value"]["name"], "Chef");
    assert_eq!(position["status"], "CURRENT");

    let other = huma.insert_job_title("Head Chef");
    let (status, position) = send(
        &huma,
        &token,
        reqwest::Method::PATCH,
        &format!("{positions}/{}", position["id"].as_str().unwrap()),
        Some(json!({"titleId": other.id, "contractStartDate": "2019-05-02"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(position["contractStartDate"]["value"], "2019-05-02");
    let (_, details) =
        send(&huma, &token, reqwest::Method::GET, &format!("/users/{id}"), None).await;
    assert_eq!(details["currentPositions"][0]["title"]["name"], "Head Chef");
    let (_, page) = send(&huma, &token, reqwest::Method::GET, &positions, None).await;
    assert_eq!(page["total"], 1);
    let counts = huma.counts();
    assert_eq!((counts.get(Route::CreatePosition), counts.get(Route::UpdatePosition)), (2, 1));
}

#[tokio::test]
async fn refresh_tokens_give_new_tokens_once() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let client = reqwest::Client::new();
    let first: Value = client
        .post(huma.token_endpoint())
        .json(&json!({"grant_type": "client_credentials", "client_id": FakeHuma::CLIENT_ID,
                      "client_secret": FakeHuma::CLIENT_SECRET}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let second = client.post(huma.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.unwrap();
    assert_ne!(second["access_token"], first["access_token"]);
    let again = client.post(huma.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!(again.status(), 401);
    let missing =
        client.post(huma.token_endpoint()).form(&[("client_id", "x")]).send().await.unwrap();
    assert_eq!(missing.status(), 400);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["fields"], json!(["grant_type"]));
}

#[tokio::test]
async fn seeding_from_a_person_builds_address_and_position() {
    use dirsync::model::{Address, CountryCode, Person};
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let person = Person::new()
        .with_email("ada@example.com")
        .with_given_name("Ada")
        .with_family_name("Lovelace")
        .with_job_title("Engineer")
        .with_employment_start_date(NaiveDate::from_ymd_opt(2020, 2, 3).unwrap())
        .with_address(Address::new(
            "1 Main St\nFlat 2",
            "0150",
            "Oslo",
            Some(CountryCode::parse("NO").unwrap()),
        ));
    let id = huma.insert_person(&person).unwrap();
    let user = huma.user(&id).unwrap();
    let address = user.home_address.clone().unwrap();
    assert_eq!((address.line1.as_str(), address.line2.as_str()), ("1 Main St", "Flat 2"));
    assert_eq!(address.country, "NO");
    let position = user.current_position().unwrap();
    assert_eq!(position.title.as_ref().unwrap().name, "Engineer");
    assert!(!position.title.as_ref().unwrap().id.is_empty());
    assert_eq!(huma.job_titles().len(), 1);
}

#[tokio::test]
async fn filters_active_users() {
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let ids = seed(&huma, 4);
    assert!(huma.update_user(&ids[2], |u| u.active = false));
    let token = huma_token(&huma).await;
    let (_, page) = send(&huma, &token, reqwest::Method::GET, "/users?isActive=false", None).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], ids[2].as_str());
    assert_eq!(page["items"][0]["status"]["active"], false);
    let (_, page) =
        send(&huma, &token, reqwest::Method::GET, "/users?limit=2&offset=1", None).await;
    assert_eq!(page["total"], 4);
    assert_eq!(page["items"][0]["id"], ids[1].as_str());
}

//! Single writes: PATCH only what changed, create with the required properties.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;
use dirsync::{
    directory::{Directory, ErrorKind, FieldChange},
    model::{Address, CountryCode, Field, FieldValue, Person},
};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn update_patches_only_the_changed_properties() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u1"))
        .and(body_json(json!({
            "jobTitle": "CTO",
            "employeeHireDate": "2024-03-01T00:00:00Z",
            "streetAddress": "Main 1\nFlat 2", "postalCode": "0150", "city": "Oslo", "country": "NO"
        })))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let changes = [
        FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) },
        FieldChange {
            field: Field::EmploymentStartDate,
            value: FieldValue::Date(chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap()),
        },
        FieldChange {
            field: Field::Address,
            value: FieldValue::Address(Address::new(
                "Main 1\nFlat 2",
                "0150",
                "Oslo",
                CountryCode::parse("no").ok(),
            )),
        },
    ];
    dir.update(&"u1".into(), &changes).await.unwrap();
}

#[tokio::test]
async fn an_empty_update_sends_nothing() {
    let server = MockServer::start().await;
    mount_token(&server, 0).await;
    let (dir, _) = directory(&server);
    dir.update(&"u1".into(), &[]).await.unwrap();
    assert_eq!(dir.client().stats().requests, 0);
}

#[tokio::test]
async fn a_403_on_a_write_says_the_user_holds_an_admin_role() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/admin"))
        .respond_with(ResponseTemplate::new(403).set_body_json(graph_error(
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let change = [FieldChange { field: Field::Phone, value: FieldValue::Text("+47 1".into()) }];
    let err = dir.update(&"admin".into(), &change).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("admin role"), "{err}");
}

#[tokio::test]
async fn a_404_on_update_is_not_found() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/gone"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(graph_error("Request_ResourceNotFound", "x")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let change = [FieldChange { field: Field::GivenName, value: FieldValue::Text("A".into()) }];
    assert_eq!(dir.update(&"gone".into(), &change).await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn create_sends_the_required_properties_and_a_strong_password() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "new-1", "userPrincipalName": "ada.lovelace@contoso.com"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, _) = directory(&server);
    let person = Person::new()
        .with_email("Ada.Lovelace@hr.example")
        .with_given_name("Ada")
        .with_family_name("Lovelace")
        .with_employment_id("E1")
        .with_phone("+47 1")
        .with_job_title("CTO")
        .with_address(Address::new("Main 1", "0150", "Oslo", CountryCode::parse("NO").ok()));
    let record = dir.create(&person).await.unwrap();
    assert_eq!(record.id.as_str(), "new-1");
    assert_eq!(record.person.given_name(), Some("Ada"));
    assert!(record.active);

    let requests = server.received_requests().await.unwrap();
    let post = requests
        .iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path() == "/v1.0/users")
        .unwrap();
    let mut body: Value = serde_json::from_slice(&post.body).unwrap();
    let password = body["passwordProfile"]["password"].take();
    let password = password.as_str().unwrap();
    assert!(password.len() >= 16, "a strong password");
    assert!(
        password.chars().any(|c| c.is_ascii_uppercase())
            && password.chars().any(|c| c.is_ascii_digit())
    );
    assert!(!format!("{record:?}").contains(password), "the password is not returned");
    assert_eq!(
        body,
        json!({
            "accountEnabled": true,
            "displayName": "Ada Lovelace",
            "mailNickname": "ada.lovelace",
            "userPrincipalName": "ada.lovelace@contoso.com",
            "passwordProfile": {"password": null, "forceChangePasswordNextSignIn": true},
            "mail": "Ada.Lovelace@hr.example",
            "employeeId": "E1",
            "givenName": "Ada",
            "surname": "Lovelace",
            "mobilePhone": "+47 1",
            "streetAddress": "Main 1", "postalCode": "0150", "city": "Oslo", "country": "NO",
            "usageLocation": "NO",
            "jobTitle": "CTO"
        })
    );
}

#[tokio::test]
async fn create_without_an_email_or_a_name_says_so_and_sends_nothing() {
    let server = MockServer::start().await;
    mount_token(&server, 0).await;
    let (dir, _) = directory(&server);
    let err = dir.create(&Person::new().with_employment_id("E1")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.to_string().contains("no email and no given or family name"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn create_is_not_repeated_after_a_network_fault() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(201).set_delay(std::time::Duration::from_millis(400)))
        .expect(1)
        .mount(&server)
        .await;
    let sleep = RecordingClock::default();
    let client =
        builder(&server, &sleep).timeout(std::time::Duration::from_millis(100)).build().unwrap();
    client.authenticate().await.unwrap();
    let dir = azure_graph::AzureDirectory::new(
        client,
        azure_graph::AzureDirectoryConfig {
            upn_domain: "contoso.com".into(),
            ..Default::default()
        },
    );
    let err = dir.create(&Person::new().with_given_name("Ada")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
}

#[tokio::test]
async fn capabilities_publish_graphs_limits() {
    let server = MockServer::start().await;
    let (dir, _) = directory(&server);
    let caps = dir.capabilities();
    let l = caps.limits;
    assert_eq!(
        (l.employment_id, l.given_name, l.family_name, l.phone, l.job_title),
        (Some(16), Some(64), Some(64), Some(64), Some(128))
    );
    assert_eq!((l.street, l.postal_code, l.city), (Some(1024), Some(40), Some(128)));
    assert_eq!(caps.writable, dirsync::model::FieldSet::all());
    assert!(caps.can_create && caps.required_on_create.is_empty());
}

#[tokio::test]
async fn the_phone_can_go_to_business_phones() {
    let server = MockServer::start().await;
    mount_token(&server, 1).await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u1"))
        .and(body_json(json!({"businessPhones": ["+47 2"]})))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let (client, _) = client(&server);
    let dir = azure_graph::AzureDirectory::new(
        client,
        azure_graph::AzureDirectoryConfig {
            upn_domain: "contoso.com".into(),
            phone_property: azure_graph::PhoneProperty::BusinessPhones,
            ..Default::default()
        },
    );
    let change = [FieldChange { field: Field::Phone, value: FieldValue::Text("+47 2".into()) }];
    dir.update(&"u1".into(), &change).await.unwrap();
}

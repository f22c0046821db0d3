//! The receiver's Router, driven request by request (`ServiceExt::oneshot`) over directories in
//! memory: what each kind of request is answered, byte for byte, and what it writes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dirsync::{
    directory::{Directory, ErrorKind, InMemoryDirectory, Record, RecordId},
    model::Person,
    policy::Leavers,
    realtime::{AutoProvisioning, PushSettings},
    store::{MemoryStore, StateStore, SyncState},
};
use dirsync_webhook::{MAX_BODY, PATH, PushAction, PushSummary, Receiver, sign};
use huma_api::SecretString;
use huma_api::webhook::WebhookVerifier;
use std::sync::Arc;
use tower::ServiceExt as _;

const SECRET: &str = "router-test-secret";

fn ada() -> Person {
    Person::new()
        .with_email("ada@example.com")
        .with_employment_id("E1")
        .with_given_name("Ada")
        .with_family_name("Lund")
        .with_job_title("Engineer")
}

/// Ada in both, promoted in Huma since.
struct Setup {
    huma: Arc<InMemoryDirectory>,
    azure: Arc<InMemoryDirectory>,
}

fn setup() -> Setup {
    let promoted = ada().with_job_title("Lead Engineer");
    let huma = InMemoryDirectory::new([Record::new("h1", promoted)]).with_name("Huma");
    let azure = InMemoryDirectory::new([Record::new("a1", ada())]).with_name("Azure AD");
    Setup { huma: Arc::new(huma), azure: Arc::new(azure) }
}

fn receiver(s: &Setup) -> Receiver {
    let verifier = WebhookVerifier::new(Some(SecretString::from(SECRET)), None);
    Receiver::new(s.huma.clone(), s.azure.clone(), verifier)
}

fn body(topic: &str, ids: &[&str]) -> Vec<u8> {
    let users: Vec<_> = ids.iter().map(|id| serde_json::json!({ "id": id })).collect();
    serde_json::to_vec(&serde_json::json!({ "topic": topic, "users": users })).unwrap()
}

/// A POST of `body` signed with `secret`, as Huma sends it.
fn signed(secret: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(PATH)
        .header("content-type", "application/json")
        .header("huma-hmac-sha256", sign(secret, &body))
        .body(Body::from(body))
        .unwrap()
}

/// The answer of `receiver`'s Router to `request`: its status and body.
async fn answered(receiver: &Receiver, request: Request<Body>) -> (StatusCode, String) {
    let response = receiver.router().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn job_title(dir: &InMemoryDirectory, id: &str) -> Option<String> {
    let record = dir.records().into_iter().find(|r| r.id == RecordId::new(id)).unwrap();
    record.person.job_title().map(str::to_owned)
}

#[tokio::test]
async fn an_update_is_pushed_and_answered_200_with_the_summary() {
    let s = setup();
    let (status, answer) =
        answered(&receiver(&s), signed(SECRET, body("users-update", &["h1"]))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        r#"{"topic":"users-update","users":[{"action":"updated","azure_id":"a1","fields":["Job title"],"huma_id":"h1"}]}"#
    );
    assert_eq!(job_title(&s.azure, "a1").as_deref(), Some("Lead Engineer"));
}

#[tokio::test]
async fn a_bad_signature_is_refused_with_401_and_no_detail() {
    let s = setup();
    let receiver = receiver(&s);
    let forged = signed("not-the-secret", body("users-update", &["h1"]));
    let unsigned = Request::post(PATH).body(Body::from(body("users-update", &["h1"]))).unwrap();
    for request in [forged, unsigned] {
        let (status, answer) = answered(&receiver, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer, r#"{"error":"unauthorized"}"#);
    }
    assert_eq!(job_title(&s.azure, "a1").as_deref(), Some("Engineer"), "nothing written");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let s = setup();
    let huge = vec![b' '; MAX_BODY + 1];
    let (status, _) = answered(&receiver(&s), signed(SECRET, huge)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(job_title(&s.azure, "a1").as_deref(), Some("Engineer"), "nothing written");
}

#[tokio::test]
async fn a_verified_body_that_is_not_an_object_is_refused_with_400() {
    let s = setup();
    let (status, answer) = answered(&receiver(&s), signed(SECRET, b"[1, 2]".to_vec())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer, r#"{"error":"malformed"}"#);
}

#[tokio::test]
async fn a_failing_write_is_answered_502_with_the_summary() {
    let s = setup();
    s.azure.refuse(&RecordId::new("a1"), ErrorKind::Unavailable, "down for maintenance");
    let (status, answer) =
        answered(&receiver(&s), signed(SECRET, body("users-update", &["h1"]))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{answer}");
    let summary: PushSummary = serde_json::from_str(&answer).unwrap();
    assert_eq!(summary.topic, "users-update");
    assert_eq!(summary.users[0].action, PushAction::Failed, "{answer}");
    assert_eq!(summary.users[0].azure_id.as_deref(), Some("a1"));
    assert!(summary.users[0].detail.as_deref().unwrap().contains("refused"), "{answer}");
}

#[tokio::test]
async fn topics_that_need_no_push_are_answered_202() {
    let s = setup();
    let receiver = receiver(&s);
    for topic in ["teams-update", "users-export", "users-delete"] {
        let (status, answer) = answered(&receiver, signed(SECRET, body(topic, &["h1"]))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{topic}");
        assert_eq!(answer, format!(r#"{{"ignored":true,"topic":"{topic}"}}"#));
    }
    assert_eq!(job_title(&s.azure, "a1").as_deref(), Some("Engineer"), "nothing written");
}

#[tokio::test]
async fn a_person_outside_the_scope_is_answered_and_left_alone() {
    let s = setup();
    let elsewhere = Record::new("h1", ada().with_job_title("Lead Engineer")).out_of_scope();
    let huma = InMemoryDirectory::new([elsewhere]).with_name("Huma").with_scope("company A");
    let s = Setup { huma: Arc::new(huma), ..s };
    let (status, answer) =
        answered(&receiver(&s), signed(SECRET, body("users-update", &["h1"]))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let summary: PushSummary = serde_json::from_str(&answer).unwrap();
    assert_eq!(summary.users[0].action, PushAction::OutOfScope, "{answer}");
    let detail = summary.users[0].detail.as_deref().unwrap();
    assert!(detail.contains("outside the scope"), "{answer}");
    assert_eq!(job_title(&s.azure, "a1").as_deref(), Some("Engineer"), "nothing written");
}

#[tokio::test]
async fn a_new_hire_is_created_with_auto_provisioning_and_linked_in_the_store() {
    let s = setup();
    s.huma.put(Record::new(
        "h2",
        Person::new()
            .with_email("cleo@example.com")
            .with_given_name("Cleo")
            .with_family_name("Dahl"),
    ));
    let store = Arc::new(MemoryStore::new());
    let create = PushSettings { provisioning: AutoProvisioning::On, ..PushSettings::default() };
    let receiver = receiver(&s).with_store(store.clone()).with_settings(create);
    let (status, answer) = answered(&receiver, signed(SECRET, body("users-create", &["h2"]))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let summary: PushSummary = serde_json::from_str(&answer).unwrap();
    assert_eq!(summary.users[0].action, PushAction::Created, "{answer}");
    let created = summary.users[0].azure_id.clone().expect("the new user's id");
    let state: SyncState = store.load().await.unwrap();
    let link = state.links.get(&RecordId::new("h2")).expect("linked");
    assert_eq!(link.idp.as_str(), created);

    // The same webhook again, through another Router of the same receiver: nothing to do.
    let (status, answer) = answered(&receiver, signed(SECRET, body("users-create", &["h2"]))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer.contains(r#""action":"unchanged""#), "{answer}");
    assert_eq!(s.azure.records().len(), 2, "Ada and one Cleo");
}

#[tokio::test]
async fn a_users_delete_disables_the_linked_account_with_leavers_on() {
    let s = setup();
    let mut state = SyncState::new();
    state.link("h1".into(), "a1".into(), ada());
    let store = Arc::new(MemoryStore::with_state(state));
    s.huma.remove(&RecordId::new("h1"));
    let receiver = receiver(&s).with_store(store.clone()).with_settings(PushSettings {
        leavers: Leavers { disable: true, revoke_sessions: false },
        ..PushSettings::default()
    });
    let (status, answer) = answered(&receiver, signed(SECRET, body("users-delete", &["h1"]))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let summary: PushSummary = serde_json::from_str(&answer).unwrap();
    assert_eq!(summary.users[0].action, PushAction::Disabled, "{answer}");
    let account = s.azure.get(&RecordId::new("a1")).await.unwrap().expect("never deleted");
    assert!(!account.active, "disabled: {account:?}");
}

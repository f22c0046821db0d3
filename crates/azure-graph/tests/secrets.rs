//! Secrets, tokens and generated passwords never appear in Debug output or in logs.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{AuthorizationCodeFlow, GraphClient, PkceVerifier};
use common::*;
use dirsync::{
    directory::{Directory, FieldChange},
    model::{Field, FieldValue, Person},
};
use secrecy::SecretString;
use serde_json::{Value, json};
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tracing::field::{Field as TraceField, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn debug_of_the_client_does_not_contain_the_secret() {
    let builder = GraphClient::builder()
        .tenant(TENANT)
        .client_credentials(CLIENT_ID, SecretString::from(SECRET));
    let shown = format!("{builder:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    let client = builder.build().unwrap();
    let shown = format!("{client:?} {client:#?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains(CLIENT_ID) && shown.contains("***"), "{shown}");

    let user = GraphClient::builder()
        .tenant(TENANT)
        .user_account(CLIENT_ID, SecretString::from(SECRET), SecretString::from("refresh-xyz"))
        .build()
        .unwrap();
    let shown = format!("{user:#?}");
    assert!(!shown.contains(SECRET) && !shown.contains("refresh-xyz"), "{shown}");

    let flow = AuthorizationCodeFlow::new(
        TENANT,
        CLIENT_ID,
        SecretString::from(SECRET),
        "https://auth.hu.ma/oauth",
    )
    .unwrap();
    assert!(!format!("{flow:?}").contains(SECRET));
    let request = flow.authorize_url();
    let verifier = secrecy::ExposeSecret::expose_secret(request.verifier.secret()).to_owned();
    assert!(!format!("{request:?}").contains(&verifier));
    assert!(!format!("{:?}", PkceVerifier::generate()).contains(&verifier));
}

/// Records every field of every span and event from this crate and the runtime.
#[derive(Clone, Default)]
struct Recorder {
    text: Arc<Mutex<String>>,
    next: Arc<AtomicU64>,
}

struct Writer(Arc<Mutex<String>>);

impl Visit for Writer {
    fn record_debug(&mut self, field: &TraceField, value: &dyn Debug) {
        self.0.lock().unwrap().push_str(&format!("{}={:?}\n", field.name(), value));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // The client's own logs, and those of the runtime that sends its requests.
        ["azure_graph", "dirsync_runtime"].iter().any(|t| metadata.target().starts_with(t))
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        span.record(&mut Writer(self.text.clone()));
        Id::from_u64(self.next.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Writer(self.text.clone()));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        event.record(&mut Writer(self.text.clone()));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn logs_of_a_whole_session_hold_no_secret_token_or_password() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(recorder.clone());

    let server = MockServer::start().await;
    mount_token(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(graph_error("InvalidAuthenticationToken", "x")),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"value": [user("u1")]})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1.0/users/u1"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": "new"})))
        .mount(&server)
        .await;

    let (dir, _) = directory(&server);
    dir.snapshot().await.unwrap();
    let change = [FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) }];
    dir.update(&"u1".into(), &change).await.unwrap();
    let created = dir.create(&Person::new().with_given_name("Ada")).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let post = requests
        .iter()
        .find(|r| r.method.as_str() == "POST" && r.url.path() == "/v1.0/users")
        .unwrap();
    let body: Value = serde_json::from_slice(&post.body).unwrap();
    let password = body["passwordProfile"]["password"].as_str().unwrap().to_owned();

    let logs = recorder.text.lock().unwrap().clone();
    assert!(logs.contains("access token refused"), "the session was logged:\n{logs}");
    for secret in [SECRET, ACCESS_TOKEN, password.as_str()] {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs:\n{logs}");
    }
    assert!(!format!("{created:?} {dir:?}").contains(&password));
    assert!(!format!("{dir:?}").contains(SECRET));
}

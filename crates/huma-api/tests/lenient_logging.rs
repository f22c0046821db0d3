//! Each unreadable user is logged once, as a warning naming the user and the reason. On its own
//! in this file: tracing caches which call sites a subscriber wants, and tests running beside it
//! on other threads could settle that cache before this one's subscriber is set.
#![allow(clippy::unwrap_used)] // a test that unwraps fails loudly, which is what it should do

mod common;

use common::*;
use dirsync::directory::{Directory, RecordId};
use huma_api::{HumaDirectory, HumaDirectoryConfig};
use serde_json::json;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn each_unreadable_user_is_logged_once_as_a_warning() {
    let warnings = Warnings::default();
    let _guard = tracing::subscriber::set_default(warnings.clone());
    let server = server().await;
    mount_list(&server, &user_ids(0..4), &[Some(4)]).await;
    let mut bad = details("u001");
    bad["phone"] = json!("+47");
    mock(&server, "GET", "/users/u001", ResponseTemplate::new(200).set_body_json(bad), 1).await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/users/[^/]+$"))
        .respond_with(DetailsById)
        .mount(&server)
        .await;
    let huma = HumaDirectory::new(client(&server), HumaDirectoryConfig::default());
    huma.snapshot().await.unwrap();
    huma.get(&RecordId::new("u000")).await.unwrap();

    let logged = warnings.0.lock().unwrap().clone();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].contains("user=u001"), "{}", logged[0]);
    assert!(logged[0].contains("could not be read at `phone`"), "{}", logged[0]);
}

/// The warnings `huma_api` logs, each as `field=value` pairs.
#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.push_str(&format!("{}={} ", field.name(), value));
    }
}

impl tracing::Subscriber for Warnings {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target().starts_with("huma_api")
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

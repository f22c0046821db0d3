//! End to end against testkit's stateful fake Graph: what the client writes, it reads back.
#![allow(clippy::unwrap_used)]

mod common;

use azure_graph::{AzureDirectory, AzureDirectoryConfig};
use common::{RecordingClock, fake_builder};
use dirsync::{
    directory::{Directory, ErrorKind, FieldChange, IncrementalDirectory, RecordId},
    model::{Field, FieldValue, Person},
};
use std::time::Duration;
use testkit::{FakeGraph, FaultRule, GraphConfig, GraphUser, Route};

fn directory(graph: &FakeGraph, sleep: &RecordingClock) -> AzureDirectory {
    let client = fake_builder(graph, sleep).build().unwrap();
    AzureDirectory::new(
        client,
        AzureDirectoryConfig { upn_domain: "contoso.com".into(), ..Default::default() },
    )
}

fn seed(graph: &FakeGraph, n: usize) {
    for i in 0..n {
        let mut u = GraphUser::new(format!("user{i}@contoso.com"));
        u.country = Some(if i % 3 == 0 { "Norway".into() } else { "NO".into() });
        u.employee_id = Some(format!("E{i}"));
        graph.insert_user(u).unwrap();
    }
}

fn text(field: Field, value: &str) -> FieldChange {
    FieldChange { field, value: FieldValue::Text(value.into()) }
}

#[tokio::test]
async fn reads_writes_and_delta_rounds_agree_with_the_fake_graph() {
    // Tokens that die every 7 requests: the client refreshes and carries on.
    let graph = FakeGraph::start(GraphConfig {
        token_max_uses: Some(7),
        delta_page_size: 50,
        ..GraphConfig::default()
    })
    .await;
    seed(&graph, 2500);
    let sleep = RecordingClock::default();
    let dir = directory(&graph, &sleep);

    let all = dir.snapshot().await.unwrap();
    assert_eq!(all.len(), 2500);
    assert_eq!(all.iter().filter(|r| r.invalid_value(Field::Address).is_some()).count(), 834);
    let first = dir.changes_since(None).await.unwrap();
    assert_eq!(first.changed.len(), 2500);
    assert!(first.full_read.is_some());

    dir.update(&all[5].id, &[text(Field::JobTitle, "CTO")]).await.unwrap();
    let updates: Vec<(RecordId, Vec<FieldChange>)> = all
        .iter()
        .take(45)
        .map(|r| (r.id.clone(), vec![text(Field::GivenName, "Batch")]))
        .collect();
    let results = dir.update_many(&updates).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let created = dir
        .create(
            &Person::new()
                .with_given_name("Åsa")
                .with_family_name("Berg")
                .with_email("asa@contoso.com"),
        )
        .await
        .unwrap();
    let read_back = dir.get(&created.id).await.unwrap().unwrap();
    assert_eq!(read_back.person.given_name(), Some("Åsa"));
    assert_eq!(
        graph.user(created.id.as_str()).unwrap().user_principal_name.as_deref(),
        Some("asa@contoso.com")
    );
    let six = dir.get(&all[5].id).await.unwrap().unwrap();
    assert_eq!((six.person.job_title(), six.person.given_name()), (Some("CTO"), Some("Batch")));

    let found = dir.find_matching(&Person::new().with_email("USER7@contoso.com")).await.unwrap();
    assert_eq!(found.len(), 1);

    let next = dir.changes_since(Some(&first.cursor)).await.unwrap();
    assert_eq!(next.full_read, None);
    assert_eq!(
        next.changed.len(),
        46,
        "45 batched updates (one also patched alone) and one creation"
    );

    graph.expire_delta_tokens();
    let again = dir.changes_since(Some(&next.cursor)).await.unwrap();
    assert!(again.full_read.unwrap().contains("expired"));
    assert_eq!(again.changed.len(), 2501);
    // Three batches of 20, 20 and 5 (one may be sent twice when its token dies on the way).
    assert_eq!(graph.counts().batched, 45);
    assert!((3..=4).contains(&graph.counts().get(Route::Batch)));
}

#[tokio::test]
async fn a_throttled_page_waits_the_fakes_retry_after() {
    let graph = FakeGraph::start(GraphConfig {
        faults: vec![FaultRule::throttle(2).on_requests([2]).on_routes([Route::ListUsers])],
        ..GraphConfig::default()
    })
    .await;
    seed(&graph, 1500);
    let sleep = RecordingClock::default();
    let dir = directory(&graph, &sleep);
    assert_eq!(dir.snapshot().await.unwrap().len(), 1500);
    assert_eq!(sleep.waits(), [Duration::from_secs(2)]);
}

#[tokio::test]
async fn an_expired_secret_at_the_fake_says_what_to_do() {
    let graph =
        FakeGraph::start(GraphConfig { secret_expired: true, ..GraphConfig::default() }).await;
    let dir = directory(&graph, &RecordingClock::default());
    let err = dir.snapshot().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Authentication);
    assert!(err.to_string().contains("create a new client secret"), "{err}");
}

#[tokio::test]
async fn accounts_are_disabled_enabled_and_signed_out_at_the_fake_except_administrators() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let ada_id = graph.insert_user(GraphUser::new("ada@contoso.com")).unwrap();
    let boss_id = graph.insert_user(GraphUser::new("boss@contoso.com")).unwrap();
    graph.set_admin(&boss_id, true);
    let dir = directory(&graph, &RecordingClock::default());
    let (ada, boss) = (RecordId::new(ada_id.as_str()), RecordId::new(boss_id.as_str()));

    dir.set_enabled(&ada, false).await.unwrap();
    assert_eq!(graph.user(&ada_id).unwrap().account_enabled, Some(false));
    assert!(!dir.get(&ada).await.unwrap().unwrap().active, "read back as inactive");
    dir.revoke_sessions(&ada).await.unwrap();
    assert_eq!(graph.revocations(&ada_id), 1);
    dir.set_enabled(&ada, true).await.unwrap();
    assert!(dir.get(&ada).await.unwrap().unwrap().active);

    let err = dir.set_enabled(&boss, false).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("Azure AD refused to disable the account of {boss_id}: ")),
        "{message}"
    );
    assert!(message.contains("Privileged Authentication Administrator"), "{message}");
    let err = dir.revoke_sessions(&boss).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("revoke the sign-in sessions of"), "{err}");
    assert_eq!(graph.user(&boss_id).unwrap().account_enabled, Some(true));
    assert_eq!(graph.revocations(&boss_id), 0);

    // A value Graph refuses for one user fails that user's write only.
    graph.refuse_writes(&ada_id, 400, "Request_BadRequest", "Invalid value.").unwrap();
    let err = dir.set_enabled(&ada, false).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.to_string().contains("Invalid value."), "{err}");
    graph.accept_writes(&ada_id);
    dir.set_enabled(&ada, false).await.unwrap();
    let counts = graph.counts();
    assert_eq!((counts.get(Route::UpdateUser), counts.get(Route::RevokeSessions)), (5, 2));
}

#[tokio::test]
async fn a_user_of_the_wrong_shape_at_the_fake_is_read_as_unreadable_everywhere() {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    seed(&graph, 30);
    let mut odd = GraphUser::new("odd@contoso.com");
    odd.employee_id = Some("E-odd".into());
    odd.job_title = Some("CTO".into());
    let odd_id = graph.insert_user(odd).unwrap();
    let dir = directory(&graph, &RecordingClock::default());
    let first = dir.changes_since(None).await.unwrap();
    assert!(first.changed.iter().all(|r| !r.is_unreadable()));

    graph.set_raw_property(&odd_id, "jobTitle", serde_json::json!(42)).unwrap();
    let expected = Person::new().with_employment_id("E-odd").with_email("odd@contoso.com");
    let reason = "jobTitle: invalid type: integer `42`, expected a string";
    let check = |record: &dirsync::directory::Record| {
        assert_eq!(record.id.as_str(), odd_id);
        assert_eq!(record.unreadable.as_deref(), Some(reason));
        assert_eq!(record.person, expected);
    };

    let all = dir.snapshot().await.unwrap();
    assert_eq!(all.len(), 31);
    let unreadable: Vec<&dirsync::directory::Record> =
        all.iter().filter(|r| r.is_unreadable()).collect();
    assert_eq!(unreadable.len(), 1);
    check(unreadable[0]);
    check(&dir.get(&RecordId::new(odd_id.as_str())).await.unwrap().unwrap());
    let next = dir.changes_since(Some(&first.cursor)).await.unwrap();
    assert_eq!(next.changed.len(), 1);
    check(&next.changed[0]);
    let found = dir.find_matching(&Person::new().with_employment_id("E-odd")).await.unwrap();
    assert_eq!(found.len(), 1);
    check(&found[0]);
    // The core's read goes on: one unreadable user of 31 is not a changed format.
    assert_eq!(dirsync::directory::Snapshot::read(&dir).await.unwrap().records.len(), 31);

    // Fixed in the portal, it reads as a user again.
    assert!(graph.update_user(&odd_id, |u| u.job_title = Some("CEO".into())));
    let fixed = dir.get(&RecordId::new(odd_id.as_str())).await.unwrap().unwrap();
    assert!(!fixed.is_unreadable());
    assert_eq!(fixed.person.job_title(), Some("CEO"));
}

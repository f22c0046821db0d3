//! The webhook server against the fakes: a signed event changes Azure AD; a bad signature is
//! refused with 401 and changes nothing; with leavers on, a `users-delete` disables the linked
//! account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use dirsync::{
    model::Person,
    policy::Leavers,
    realtime::{AutoProvisioning, PushSettings},
    store::{JsonFileStore, StateStore, SyncState},
};
use dirsync_connect::Directories;
use dirsync_examples::demo;
use dirsync_examples::webhook_server::{MAX_BODY, PATH, PushAction, PushSummary, Receiver, sign};
use huma_api::SecretString;
use huma_api::webhook::WebhookVerifier;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use testkit::{
    FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, HumaUser, HumaWebhook, JobTitle,
};

const SECRET: &str = "test-webhook-secret";

struct Setup {
    graph: FakeGraph,
    huma: FakeHuma,
    /// Ada: (Huma id, Azure AD id), the same on both sides at first.
    ada: (String, String),
    http: reqwest::Client,
}

fn ada() -> Person {
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 6).unwrap();
    Person::new()
        .with_email("ada@nordlys.example")
        .with_given_name("Ada")
        .with_family_name("Lund")
        .with_employment_id("E1")
        .with_phone("+47 900 00 001")
        .with_job_title("Engineer")
        .with_employment_start_date(start)
}

async fn setup() -> Setup {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    let huma = FakeHuma::start(HumaConfig::default()).await;
    let h = huma.insert_user(HumaUser::from_person(&ada())).unwrap();
    let a = graph.insert_user(GraphUser::from_person(&ada())).unwrap();
    Setup { graph, huma, ada: (h, a), http: reqwest::Client::new() }
}

fn receiver(s: &Setup, auto_provision: bool, state: Option<PathBuf>) -> Receiver {
    let (huma, azure) = Directories::for_fakes(&s.graph, &s.huma, &demo::new_people()).shared();
    let verifier = WebhookVerifier::new(Some(SecretString::from(SECRET)), None);
    let provisioning = if auto_provision { AutoProvisioning::On } else { AutoProvisioning::Off };
    let settings = PushSettings { provisioning, ..PushSettings::default() };
    let receiver = Receiver::new(huma, azure, verifier).with_settings(settings);
    match state {
        Some(path) => receiver.with_store(Arc::new(JsonFileStore::new(path))),
        None => receiver,
    }
}

async fn serve_with(receiver: Receiver) -> String {
    let (addr, _task) = receiver.spawn(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    format!("http://{addr}{PATH}")
}

async fn server(s: &Setup, auto_provision: bool, state: Option<PathBuf>) -> String {
    serve_with(receiver(s, auto_provision, state)).await
}

fn promote(s: &Setup) {
    let changed = s.huma.update_user(&s.ada.0, |u| {
        u.phone = Some("+47 900 99 999".into());
        u.positions[0].title = Some(JobTitle::named("Lead Engineer"));
    });
    assert!(changed);
}

#[tokio::test]
async fn a_signed_update_pushes_only_the_changed_fields_to_azure() {
    let s = setup().await;
    let url = server(&s, false, None).await;
    promote(&s);
    let before = s.graph.user(&s.ada.1).unwrap();

    let (status, body) = HumaWebhook::new(&url, SECRET)
        .deliver("users-update", &[(&s.ada.0, "ada@nordlys.example")])
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert_eq!(summary.topic, "users-update");
    assert_eq!(summary.users.len(), 1);
    let pushed = &summary.users[0];
    assert_eq!(pushed.action, PushAction::Updated);
    assert_eq!(pushed.azure_id.as_deref(), Some(s.ada.1.as_str()));
    assert_eq!(pushed.fields, ["Phone number", "Job title"]);

    let after = s.graph.user(&s.ada.1).unwrap();
    assert_eq!(after.mobile_phone.as_deref(), Some("+47 900 99 999"));
    assert_eq!(after.job_title.as_deref(), Some("Lead Engineer"));
    // Everything else is as it was.
    assert_eq!(after.given_name, before.given_name);
    assert_eq!(after.surname, before.surname);
    assert_eq!(after.employee_id, before.employee_id);
    assert_eq!(after.employee_hire_date, before.employee_hire_date);

    // Sent again, nothing differs and nothing is written.
    let (status, body) = HumaWebhook::new(&url, SECRET)
        .deliver("users-update", &[(&s.ada.0, "ada@nordlys.example")])
        .await
        .unwrap();
    assert_eq!(status, 200, "{body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert_eq!(summary.users[0].action, PushAction::Unchanged);
}

/// As a sync with the default scope, the push leaves inactive people alone: inactive in Huma or
/// disabled in Azure AD. `include_inactive` pushes them too.
#[tokio::test]
async fn inactive_people_are_left_alone_unless_included() {
    let s = setup().await;
    let url = server(&s, true, None).await;
    promote(&s);
    let before = s.graph.user(&s.ada.1).unwrap();
    let users = [(s.ada.0.as_str(), "ada@nordlys.example")];
    let push = |url: String| async move {
        let webhook = HumaWebhook::new(url, SECRET);
        let (status, body) = webhook.deliver("users-update", &users).await.unwrap();
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<PushSummary>(&body).unwrap().users.remove(0)
    };

    assert!(s.huma.update_user(&s.ada.0, |u| u.active = false));
    let pushed = push(url.clone()).await;
    assert_eq!(pushed.action, PushAction::Inactive);
    assert_eq!(
        pushed.detail.as_deref(),
        Some("inactive in Huma: left alone, as a sync leaves them")
    );

    assert!(s.huma.update_user(&s.ada.0, |u| u.active = true));
    assert!(s.graph.update_user(&s.ada.1, |u| u.account_enabled = Some(false)));
    let pushed = push(url).await;
    assert_eq!(pushed.action, PushAction::Inactive);
    assert_eq!(
        pushed.detail.as_deref(),
        Some("disabled in Azure AD: left alone, as a sync leaves them")
    );
    assert_eq!(s.graph.user(&s.ada.1).unwrap().job_title, before.job_title, "nothing written");

    let everyone = dirsync::policy::Scope { include_inactive: true, ..Default::default() };
    let provisioning = AutoProvisioning::On;
    let settings = PushSettings { provisioning, scope: everyone, ..PushSettings::default() };
    let including = serve_with(receiver(&s, true, None).with_settings(settings)).await;
    assert_eq!(push(including).await.action, PushAction::Updated);
    assert_eq!(s.graph.user(&s.ada.1).unwrap().job_title.as_deref(), Some("Lead Engineer"));
}

#[tokio::test]
async fn a_bad_signature_is_refused_with_401_and_changes_nothing() {
    let s = setup().await;
    let url = server(&s, true, None).await;
    promote(&s);
    let before = s.graph.users();

    let (status, body) = HumaWebhook::new(&url, "not-the-secret")
        .deliver("users-update", &[(&s.ada.0, "ada@nordlys.example")])
        .await
        .unwrap();
    assert_eq!(status, 401);
    assert!(!body.contains("signature") && !body.contains(SECRET), "reveals nothing: {body}");

    // No signature at all, and a signature of another body.
    let payload = br#"{"topic":"users-update","users":[]}"#;
    let unsigned = s.http.post(&url).body(payload.to_vec()).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let other = s
        .http
        .post(&url)
        .header("huma-hmac-sha256", sign(SECRET, b"{}"))
        .body(payload.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 401);
    assert_eq!(s.graph.users(), before, "nothing changed in Azure AD");
}

#[tokio::test]
async fn a_new_person_is_created_only_with_auto_provisioning_and_linked_in_the_state() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let cleo = HumaUser::new("cleo@nordlys.example", "Cleo", "Dahl");
    let cleo = s.huma.insert_user(cleo).unwrap();
    let users = [(cleo.as_str(), "cleo@nordlys.example")];

    let off = server(&s, false, Some(state.clone())).await;
    let (status, body) =
        HumaWebhook::new(&off, SECRET).deliver("users-create", &users).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert_eq!(summary.users[0].action, PushAction::NotInAzure);
    assert!(s.graph.user("cleo@nordlys.example").is_none());

    let on = server(&s, true, Some(state.clone())).await;
    let (status, body) =
        HumaWebhook::new(&on, SECRET).deliver("users-create", &users).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert_eq!(summary.users[0].action, PushAction::Created);
    let created = s.graph.user("cleo@nordlys.example").expect("created in Azure AD");
    assert_eq!(created.given_name.as_deref(), Some("Cleo"));
    assert_eq!(created.surname.as_deref(), Some("Dahl"));
    let saved: SyncState = JsonFileStore::new(&state).load().await.unwrap();
    let link = saved.links.get(&dirsync::directory::RecordId::new(cleo.as_str())).expect("linked");
    assert_eq!(link.idp.as_str(), created.id);

    // A second users-create finds the twin through the link: nothing is created twice.
    let (_, body) = HumaWebhook::new(&on, SECRET).deliver("users-create", &users).await.unwrap();
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert_eq!(summary.users[0].action, PushAction::Unchanged, "{body}");
    assert_eq!(s.graph.user_count(), 2);
}

/// A state file in `dir` that links Ada's Huma record to her Azure AD user, and that state.
async fn ada_linked(s: &Setup, dir: &std::path::Path) -> (std::path::PathBuf, SyncState) {
    let state = dir.join("state.json");
    let mut linked = SyncState::new();
    linked.link(s.ada.0.as_str().into(), s.ada.1.as_str().into(), ada());
    JsonFileStore::new(&state).save(&linked).await.unwrap();
    (state, linked)
}

#[tokio::test]
async fn a_person_deleted_in_azure_is_not_created_again_by_auto_provisioning() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, linked) = ada_linked(&s, dir.path()).await;
    assert!(s.graph.delete_user(&s.ada.1));
    promote(&s);

    let on = server(&s, true, Some(state.clone())).await;
    let users = [(s.ada.0.as_str(), "ada@nordlys.example")];
    let (status, body) =
        HumaWebhook::new(&on, SECRET).deliver("users-update", &users).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert_eq!(summary.users[0].action, PushAction::DeletedInAzure, "{body}");
    assert!(summary.users[0].detail.as_deref().unwrap().contains(&s.ada.1), "{body}");
    assert_eq!(s.graph.user_count(), 0, "nobody created");
    let saved: SyncState = JsonFileStore::new(&state).load().await.unwrap();
    assert_eq!(saved, linked, "the state is left as it was");
}

/// With leavers on, `users-delete` disables the Azure AD account the state links to the deleted
/// person (signing them out with `revoke_sessions`), and remembers it in the state.
#[tokio::test]
async fn a_users_delete_disables_the_linked_account_with_leavers_on() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = ada_linked(&s, dir.path()).await;
    s.huma.delete_user(&s.ada.0).unwrap();
    let users = [(s.ada.0.as_str(), "ada@nordlys.example")];

    // Without leavers, nothing is done.
    let off = server(&s, false, Some(state.clone())).await;
    let (status, body) =
        HumaWebhook::new(&off, SECRET).deliver("users-delete", &users).await.unwrap();
    assert_eq!(status, 202, "{body}");
    assert_ne!(s.graph.user(&s.ada.1).unwrap().account_enabled, Some(false));

    let leavers = Leavers { disable: true, revoke_sessions: true };
    let settings = PushSettings { leavers, ..PushSettings::default() };
    let on = serve_with(receiver(&s, false, Some(state.clone())).with_settings(settings)).await;
    let (status, body) =
        HumaWebhook::new(&on, SECRET).deliver("users-delete", &users).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["users"][0]["action"], "disabled", "{body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    let pushed = &summary.users[0];
    assert_eq!(pushed.action, PushAction::Disabled);
    assert_eq!(pushed.azure_id.as_deref(), Some(s.ada.1.as_str()));
    assert!(pushed.detail.as_deref().unwrap().contains("no longer in Huma"), "{body}");
    let user = s.graph.user(&s.ada.1).expect("disabled, never deleted");
    assert_eq!(user.account_enabled, Some(false));
    assert_eq!(s.graph.revocations(&s.ada.1), 1);
    let saved: SyncState = JsonFileStore::new(&state).load().await.unwrap();
    assert!(
        saved.disabled.contains_key(&dirsync::directory::RecordId::new(s.ada.1.as_str())),
        "{saved:?}"
    );
}

/// `--max-disables`: an event that would disable more linked accounts disables nobody, and the
/// answer says why with 502.
#[tokio::test]
async fn a_users_delete_over_max_disables_disables_nobody() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = ada_linked(&s, dir.path()).await;
    s.huma.delete_user(&s.ada.0).unwrap();

    let leavers = Leavers { disable: true, revoke_sessions: false };
    let settings = PushSettings { leavers, max_disables: Some(0), ..PushSettings::default() };
    let receiver = receiver(&s, false, Some(state)).with_settings(settings);
    let url = serve_with(receiver).await;
    let users = [(s.ada.0.as_str(), "ada@nordlys.example")];
    let (status, body) =
        HumaWebhook::new(&url, SECRET).deliver("users-delete", &users).await.unwrap();
    assert_eq!(status, 502, "{body}");
    assert!(body.contains("nobody was disabled"), "{body}");
    assert_ne!(s.graph.user(&s.ada.1).unwrap().account_enabled, Some(false));
}

#[tokio::test]
async fn other_topics_are_accepted_and_ignored_and_huge_bodies_refused() {
    let s = setup().await;
    let url = server(&s, true, None).await;
    let before = s.graph.users();
    for topic in ["users-delete", "users-export", "teams-update"] {
        let (status, body) = HumaWebhook::new(&url, SECRET)
            .deliver(topic, &[(&s.ada.0, "ada@nordlys.example")])
            .await
            .unwrap();
        assert_eq!(status, 202, "{topic}: {body}");
    }
    let huge = vec![b' '; MAX_BODY + 1];
    let response = s
        .http
        .post(&url)
        .header("huma-hmac-sha256", sign(SECRET, &huge))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert_eq!(s.graph.users(), before);
}

#[tokio::test]
async fn the_webhook_demo_runs_to_the_end() {
    let (mut console, output) = dirsync_examples::run::Console::captured();
    let outcome = dirsync_examples::webhook_server::demo(&mut console).await;
    let text = output.text();
    assert_eq!(outcome, dirsync_examples::run::Outcome::Done, "{text}");
    assert!(text.contains("pushed: Phone number, Job title"), "{text}");
    assert!(text.contains("← 401"), "{text}");
    assert!(text.contains("Created"), "{text}");
    assert!(text.contains("Disabled"), "{text}");
    assert!(text.contains("account enabled false"), "{text}");
}

#[tokio::test]
async fn serve_refuses_to_run_unverified_and_bad_arguments_are_usage_errors() {
    use dirsync_examples::run::{Console, Outcome};
    use dirsync_examples::webhook_server::main_with;
    let (mut console, output) = Console::captured();
    let outcome = main_with(["webhook", "serve", "--no-such-flag"], &mut console).await;
    assert_eq!(outcome, Outcome::Usage, "{}", output.text());
    let outcome = main_with(
        ["webhook", "serve", "--auto-provision", "--listen", "127.0.0.1:0"],
        &mut console,
    )
    .await;
    assert_eq!(outcome, Outcome::Usage, "--auto-provision needs --upn-domain: {}", output.text());
    if std::env::var_os("HUMA_WEBHOOK_SECRET").is_none()
        && std::env::var_os("HUMA_WEBHOOK_TOKEN").is_none()
    {
        let outcome =
            main_with(["webhook", "serve", "--listen", "127.0.0.1:0"], &mut console).await;
        assert_eq!(outcome, Outcome::CouldNotRun, "{}", output.text());
        assert!(output.text().contains("HUMA_WEBHOOK_SECRET"));
    }
}

#[tokio::test]
async fn serve_takes_the_concurrency_and_leavers_flags() {
    use dirsync_examples::run::Console;
    use dirsync_examples::webhook_server::main_with;
    let (mut console, output) = Console::captured();
    main_with(["webhook", "serve", "--help"], &mut console).await;
    let help = output.text();
    assert!(help.contains("--huma-concurrency"), "{help}");
    assert!(help.contains("--graph-concurrency"), "{help}");
    for flag in ["--disable-leavers", "--revoke-sessions", "--max-disables"] {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    let (mut console, output) = Console::captured();
    let outcome = main_with(["webhook", "serve", "--revoke-sessions"], &mut console).await;
    assert_eq!(outcome, dirsync_examples::run::Outcome::Usage, "{}", output.text());
    assert!(output.text().contains("--disable-leavers"), "{}", output.text());
}

/// Two copies of one users-create arrive at once (senders retry, and copies overlap): both are
/// answered 200, one person is created, and the second copy finds nothing left to do.
#[tokio::test]
async fn a_new_hire_delivered_twice_at_once_is_created_once_and_answered_200_twice() {
    let s = setup().await;
    s.graph.set_latency(std::time::Duration::from_millis(30));
    let dir = tempfile::tempdir().unwrap();
    let url = server(&s, true, Some(dir.path().join("state.json"))).await;
    let cleo = s.huma.insert_user(HumaUser::new("cleo@nordlys.example", "Cleo", "Dahl")).unwrap();
    let users = [(cleo.as_str(), "cleo@nordlys.example")];

    let webhook = HumaWebhook::new(url, SECRET);
    let (first, second) = tokio::join!(
        webhook.deliver("users-create", &users),
        webhook.deliver("users-create", &users)
    );
    let mut actions = Vec::new();
    for (status, body) in [first.unwrap(), second.unwrap()] {
        assert_eq!(status, 200, "{body}");
        let summary: PushSummary = serde_json::from_str(&body).unwrap();
        actions.push(summary.users[0].action);
    }
    actions.sort_by_key(|a| format!("{a:?}"));
    assert_eq!(actions, [PushAction::Created, PushAction::Unchanged]);
    assert_eq!(s.graph.user_count(), 2, "Ada and one Cleo");
}

/// A phone Azure AD refused for good in a sync (Ada is an administrator there) is held back by
/// the receiver too: not sent on every webhook, until its value changes.
#[tokio::test]
async fn a_write_a_sync_held_back_is_not_sent_by_the_receiver() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let (state, _) = ada_linked(&s, dir.path()).await;
    s.graph.set_admin(&s.ada.1, true);
    promote(&s);
    let directories = Directories::for_fakes(&s.graph, &s.huma, &demo::new_people());
    let store = JsonFileStore::new(&state);
    let policy = dirsync::policy::Policy {
        conflicts: dirsync::policy::ConflictRule::PreferHr,
        ..Default::default()
    };
    let sync =
        dirsync::sync::Synchronizer::new(&directories.huma, directories.idp.directory(), &store)
            .with_policy(policy);
    let synced = sync.plan().await.unwrap().apply().await.unwrap();
    assert_eq!(synced.report.held.len(), 0, "refused for the first time: a failure");
    // Graph does not say which field of a refused update it objects to: both are held back.
    let held = store.load().await.unwrap().held;
    assert_eq!(held.len(), 2, "and held back from now on: {held:?}");

    let url = server(&s, false, Some(state)).await;
    let writes = s.graph.counts().get(testkit::Route::UpdateUser);
    let (status, body) = HumaWebhook::new(&url, SECRET)
        .deliver("users-update", &[(&s.ada.0, "ada@nordlys.example")])
        .await
        .unwrap();
    assert_eq!(status, 200, "a held-back write is no failure: {body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert_eq!(summary.users[0].action, PushAction::Unchanged, "{body}");
    assert_eq!(s.graph.counts().get(testkit::Route::UpdateUser), writes, "nothing was sent");
    assert_eq!(s.graph.user(&s.ada.1).unwrap().mobile_phone.as_deref(), Some("+47 900 00 001"));
}

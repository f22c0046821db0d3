//! `sync plan|apply|release|history --state postgres://… --org KEY` through the `sync` program as
//! a process of its own, against the fakes seeded with the demo company and a throwaway
//! PostgreSQL: an apply, then nothing left to do, and the history of both by person; a second
//! apply while one runs refused with who holds the organisation; the real-time receiver linking
//! people while a sync of the same organisation runs; the state's usage errors, a wrong password
//! and bad organisation keys, with nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use common::pg::{Db, Ran, SETTLED, run, sync, sync_org, wait};
use dirsync::{
    directory::RecordId,
    model::Person,
    realtime::{AutoProvisioning, PushSettings},
    store::{HistoryQuery, RunEntry, RunHistory, RunOutcome, StateStore},
};
use dirsync_connect::Directories;
use dirsync_connect::OpenStore;
use dirsync_examples::demo::{self, DemoOrg};
use dirsync_examples::webhook_server::{PushAction, PushSummary, Receiver};
use huma_api::SecretString;
use huma_api::webhook::WebhookVerifier;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};
use testkit::{HumaUser, HumaWebhook, Route};

/// Everything that can change in the fakes, to tell that nothing was written.
fn fingerprint(org: &DemoOrg) -> String {
    format!("{:?}{:?}", org.huma.users(), org.graph.users())
}

/// `sync apply` of organisation acme, settled; it succeeds.
fn applied(db: &Db, org: &DemoOrg) {
    let first = run(&mut sync_org(db, org, "acme", "apply", &SETTLED));
    assert_eq!(first.code, Some(0), "{first}");
}

/// `sync history --state URL [--org KEY] EXTRA...`.
fn history(db: &Db, org: &str, extra: &[&str]) -> Ran {
    let mut args = vec!["history".to_owned()];
    args.extend(db.state(org));
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    run(&mut sync(args))
}

/// The plan `sync plan --json` prints, settled as an apply would settle it.
fn plan(db: &Db, org: &DemoOrg, key: &str) -> dirsync::plan::Plan {
    let mut extra = vec!["--json"];
    extra.extend(SETTLED);
    let ran = run(&mut sync_org(db, org, key, "plan", &extra));
    assert_eq!(ran.code, Some(0), "{}", ran);
    serde_json::from_str(&ran.out).unwrap_or_else(|e| panic!("{e}: {}", ran))
}

/// Every user principal name and mail of the fake Graph is held by one user only.
fn no_duplicates_in_azure(org: &DemoOrg) {
    let mut seen = BTreeSet::new();
    for user in org.graph.users() {
        let keys = [("upn", user.user_principal_name), ("mail", user.mail)];
        for (kind, key) in keys.into_iter().filter_map(|(kind, key)| Some((kind, key?))) {
            assert!(seen.insert((kind, key.to_lowercase())), "{key} is held twice in Azure AD");
        }
    }
}

/// Waits until `counted` says the fakes have seen what a process was waited for.
fn wait_for(what: &str, child: &mut std::process::Child, counted: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !counted() {
        assert!(child.try_wait().unwrap().is_none(), "the sync ended before {what}");
        assert!(Instant::now() < deadline, "never {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_then_nothing_left_and_the_history_shows_both_runs_and_each_persons_writes() {
    let Some(db) = Db::new() else { return };
    let org = DemoOrg::start().await;
    applied(&db, &org);
    let again = run(&mut sync_org(&db, &org, "acme", "apply", &SETTLED));
    assert_eq!(again.code, Some(0), "{}", again);
    assert!(again.out.contains("Applying: 0 write(s)"), "{}", again);
    assert!(plan(&db, &org, "acme").operations().unwrap().operations.is_empty());
    no_duplicates_in_azure(&org);

    let text = history(&db, "acme", &[]);
    assert_eq!(text.code, Some(0), "{}", text);
    let (newest, oldest) =
        (text.out.find("Run 2 of acme").unwrap(), text.out.find("Run 1 of acme"));
    assert!(oldest.is_some_and(|oldest| newest < oldest), "newest first: {}", text.out);
    assert!(text.out.contains("synced: Huma"), "{}", text.out);
    assert!(text.out.contains("sync apply on"), "the holder: {}", text.out);
    assert!(
        text.out.contains("Emma Solberg") && text.out.contains("create in the identity directory")
    );

    // Kari's title changed in Azure AD on the first run only; either side's id finds it.
    let (kari_huma, kari_azure) = &org.cast.conflicting_title;
    let kari = history(&db, "acme", &["--person", kari_huma]);
    assert_eq!(kari.code, Some(0), "{}", kari);
    assert!(kari.out.contains("Run 1 of acme") && !kari.out.contains("Run 2"), "{}", kari.out);
    let lines: Vec<&str> = kari.out.lines().filter(|l| l.starts_with("  - ")).collect();
    assert!(!lines.is_empty() && lines.iter().all(|l| l.contains("Kari Nordmann")), "{}", kari.out);
    assert!(kari.out.contains("update in the identity directory: done"), "{}", kari.out);
    assert!(kari.out.contains("Job title: \"Finance Manager\" → \"Head of Finance\""));

    let json = history(&db, "acme", &["--json"]);
    let runs: Vec<RunEntry> = serde_json::from_str(&json.out).expect("--json prints only JSON");
    assert_eq!(runs.len(), 2);
    assert!(runs[0].id > runs[1].id && runs[0].run.writes.is_empty());
    assert_eq!((runs[1].run.outcome, runs[1].run.counts.created_in_idp), (RunOutcome::Synced, 3));
    let by_azure_id = history(&db, "acme", &["--json", "--person", kari_azure]);
    let runs: Vec<RunEntry> = serde_json::from_str(&by_azure_id.out).unwrap();
    assert_eq!(runs.len(), 1);
    assert!(runs[0].run.writes.iter().all(|w| w.concerns(&RecordId::new(kari_azure.as_str()))));

    let later = history(&db, "acme", &["--since", "2999-01-01"]);
    assert_eq!(later.code, Some(0), "{}", later);
    assert!(later.out.contains("No runs recorded for organisation acme"), "{}", later.out);
    assert_eq!(history(&db, "acme", &["--since", "2999-01-01", "--json"]).out.trim(), "[]");
    let bad = history(&db, "acme", &["--since", "last week"]);
    assert_eq!(bad.code, Some(2), "{}", bad);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json").display().to_string();
    let none = run(&mut sync(["history", "--state", &file]));
    assert_eq!(none.code, Some(1), "{}", none);
    assert!(none.err.contains("keeps no history"), "{}", none);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_apply_while_one_runs_is_refused_with_exit_1_naming_the_holder() {
    let Some(db) = Db::new() else { return };
    let org = DemoOrg::start().await;
    let people = org.graph.user_count();
    org.huma.set_latency(Duration::from_millis(150));
    org.graph.set_latency(Duration::from_millis(150));

    let mut first = sync_org(&db, &org, "acme", "apply", &SETTLED).spawn().unwrap();
    // The lease is taken before anything is read: once the fakes hear from it, it holds it.
    wait_for("reading", &mut first, || org.huma.counts().http_requests > 0);
    let second = run(&mut sync_org(&db, &org, "acme", "apply", &SETTLED));
    assert_eq!(second.code, Some(1), "{}", second);
    assert!(second.err.contains("another sync of organisation acme in 127.0.0.1:"), "{}", second);
    let holder = format!("(process {}) since", first.id());
    assert!(second.err.contains("sync apply on") && second.err.contains(&holder), "{}", second);
    assert!(second.err.contains("wrote nothing"), "{}", second);

    let first = wait(first);
    assert_eq!(first.code, Some(0), "{}", first);
    assert_eq!(org.graph.user_count(), people + 3, "the three new people created once");
    no_duplicates_in_azure(&org);
    let runs = db.open().await.history(None, &HistoryQuery::default()).await.unwrap();
    assert_eq!(runs.len(), 1, "only the first ran: {runs:#?}");
}

/// A new hire in Huma only.
fn hire(name: &str) -> HumaUser {
    HumaUser::from_person(
        &Person::new()
            .with_email(format!("{name}@{}", demo::DOMAIN))
            .with_given_name(name)
            .with_family_name("Hire")
            .with_job_title("Engineer"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_links_people_while_a_sync_of_the_organisation_runs_and_no_link_is_lost() {
    let Some(db) = Db::new() else { return };
    let org = DemoOrg::start().await;
    applied(&db, &org);
    // Sixty join in Huma: the next sync creates them in Azure AD, a few at a time, slowly.
    let hires = org.huma.insert_users((0..60).map(|i| hire(&format!("hire{i}")))).unwrap();
    org.huma.set_latency(Duration::from_millis(150));
    org.graph.set_latency(Duration::from_millis(150));
    org.graph.reset_counts();
    let mut syncing = sync_org(&db, &org, "acme", "apply", &SETTLED).spawn().unwrap();
    wait_for("creating", &mut syncing, || org.graph.counts().get(Route::CreateUser) > 0);

    // While it creates them, two more join and the receiver (this process) creates and links them.
    let pushed_from = Utc::now();
    let late = org.huma.insert_users([hire("late0"), hire("late1")]).unwrap();
    let store = db.open().await.organisation("acme").await.unwrap();
    let secret = "test-webhook-secret";
    let (huma, azure) = Directories::for_fakes(&org.graph, &org.huma, &demo::new_people()).shared();
    let verifier = WebhookVerifier::new(Some(SecretString::from(secret)), None);
    let receiver = Receiver::new(huma, azure, verifier)
        .with_settings(PushSettings {
            provisioning: AutoProvisioning::On,
            ..PushSettings::default()
        })
        .with_store(OpenStore::Postgres(store.clone()).shared());
    let (addr, _server) = receiver.spawn(([127, 0, 0, 1], 0).into()).await.unwrap();
    let users: Vec<(&str, String)> = late
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), format!("late{i}@{}", demo::DOMAIN)))
        .collect();
    let users: Vec<(&str, &str)> = users.iter().map(|(id, mail)| (*id, mail.as_str())).collect();
    let url = format!("http://{addr}{}", dirsync_examples::webhook_server::PATH);
    let (status, body) =
        HumaWebhook::new(url, secret).deliver("users-create", &users).await.unwrap();
    let pushed_until = Utc::now();
    assert_eq!(status, 200, "{body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert!(summary.users.iter().all(|u| u.action == PushAction::Created), "{body}");

    let synced = tokio::task::spawn_blocking(move || wait(syncing)).await.unwrap();
    assert_eq!(synced.code, Some(0), "{}", synced);
    let runs = store.query(&HistoryQuery::default()).await.unwrap();
    let sync_run = &runs[0].run;
    assert!(
        sync_run.started_at < pushed_from && pushed_until < sync_run.finished_at,
        "the receiver pushed ({pushed_from} to {pushed_until}) while the sync ran ({} to {})",
        sync_run.started_at,
        sync_run.finished_at
    );

    let links = store.load().await.unwrap().links;
    for id in hires.iter().chain(&late) {
        assert!(links.contains_key(&RecordId::new(id.as_str())), "{id}'s link was lost");
    }
    no_duplicates_in_azure(&org);
    org.huma.set_latency(Duration::ZERO);
    org.graph.set_latency(Duration::ZERO);
    assert!(plan(&db, &org, "acme").operations().unwrap().operations.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pgpassword_is_exit_1_in_the_databases_words_and_nothing_is_written() {
    let Some(db) = Db::new() else { return };
    let org = DemoOrg::start().await;
    let before = fingerprint(&org);
    let mut apply = sync_org(&db, &org, "acme", "apply", &SETTLED);
    let ran = run(apply.env("PGPASSWORD", "not-the-password"));
    assert_eq!(ran.code, Some(1), "{}", ran);
    assert!(ran.err.contains("password authentication failed"), "{}", ran);
    assert!(ran.err.contains("PGPASSWORD"), "what to do: {}", ran);
    assert!(!ran.err.contains("not-the-password") && !ran.out.contains("not-the-password"));
    assert_eq!(fingerprint(&org), before, "nothing was written");
    assert!(db.organisations().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_without_an_organisation_or_with_a_bad_key_is_exit_2_and_nothing_is_written() {
    let Some(db) = Db::new() else { return };
    let org = DemoOrg::start().await;
    let before = fingerprint(&org);
    let mut args = vec!["apply".to_owned()];
    args.extend(common::connection(&org));
    args.extend(["--state".to_owned(), db.url.clone()]);
    let ran = run(&mut sync(&args));
    assert_eq!(ran.code, Some(2), "{}", ran);
    assert!(ran.err.contains("--org KEY"), "{}", ran);

    let long = "k".repeat(10_000);
    for (key, rule) in [
        ("acme\"; DROP TABLE dirsync_links; --", "holds a character other than those allowed"),
        ("'acme'", "does not start with a letter or a digit"),
        (long.as_str(), "is too long"),
    ] {
        let ran = run(&mut sync_org(&db, &org, key, "apply", &SETTLED));
        assert_eq!(ran.code, Some(2), "{}", ran);
        assert!(ran.err.contains(rule) && ran.err.contains("letters, digits"), "{}", ran);
        assert!(ran.err.len() < 1_000, "a long key is not echoed whole");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state.json").display().to_string();
    for command in ["apply", "plan", "release"] {
        let mut args = vec![command.to_owned()];
        if command == "release" {
            args.push("held-0123".to_owned());
        } else {
            args.extend(common::connection(&org));
        }
        args.extend(["--state".to_owned(), file.clone(), "--org".to_owned(), "acme".to_owned()]);
        let ran = run(&mut sync(&args));
        assert_eq!(ran.code, Some(2), "{command}: {}", ran);
        assert!(ran.err.contains("leave --org"), "{}", ran);
    }
    assert_eq!(fingerprint(&org), before, "nothing was written");
    let tables = db.psql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'dirsync%'");
    assert_eq!(tables, "0", "the database was never even connected to");
    assert!(!dir.path().join("state.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_state_comes_from_dirsync_state_and_dirsync_org_and_plan_and_release_add_no_organisation()
 {
    let Some(db) = Db::new() else { return };
    let org = DemoOrg::start().await;
    let with_env = |args: Vec<String>| {
        let mut command = sync(args);
        command.env("DIRSYNC_STATE", &db.url).env("DIRSYNC_ORG", "acme");
        command
    };
    let mut args = vec!["plan".to_owned()];
    args.extend(common::connection(&org));
    let planned = run(&mut with_env(args));
    assert_eq!(planned.code, Some(0), "{}", planned);
    assert!(planned.out.contains("This was a plan only"), "{}", planned);
    let released = run(&mut with_env(vec!["release".to_owned(), "held-0123".to_owned()]));
    assert_eq!(released.code, Some(1), "{}", released);
    assert!(released.err.contains("there is no state for organisation acme"), "{}", released);
    assert!(db.organisations().is_empty(), "neither added the organisation");

    let mut args = vec!["apply".to_owned()];
    args.extend(common::connection(&org));
    args.extend(SETTLED.map(str::to_owned));
    let applied = run(&mut with_env(args));
    assert_eq!(applied.code, Some(0), "{}", applied);
    assert_eq!(db.organisations(), ["acme"]);
    let released = run(&mut with_env(vec!["release".to_owned(), "held-0123".to_owned()]));
    assert_eq!(released.code, Some(1), "{}", released);
    assert!(released.err.contains("nothing is held back in organisation acme"), "{}", released);
}

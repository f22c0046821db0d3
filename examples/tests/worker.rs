//! `sync worker` through the `sync` program as processes of their own, over a throwaway
//! PostgreSQL and organisations each with a fake Huma and a fake Graph of their own (the demo
//! company): two workers started together sync each of twelve organisations exactly once; a
//! worker killed in the middle of a sync leaves its organisation to the next run at once, which
//! converges; decisions left pending fail that organisation's run (exit 5) while the others sync
//! and email their report; a bad organisations file is exit 2 naming the table and the key;
//! SIGTERM stops the worker taking up organisations, and a second signal stops it at once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pg::{
    Db, HUMA_SECRET, SETTLED, organisation_table as table, run, settled_keys as settled, sync_org,
    wait, worker,
};
use dirsync::store::{HistoryQuery, RunEntry, RunOutcome};
use dirsync_examples::demo::{DOMAIN, DemoOrg};
use dirsync_postgres::{OrgKey, PostgresDatabase};
use std::path::Path;
use std::time::{Duration, Instant};
use testkit::Route;

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let file = dir.join("orgs.toml");
    std::fs::write(&file, text).unwrap();
    file
}

async fn runs(db: &PostgresDatabase, key: &str) -> Vec<RunEntry> {
    let key = OrgKey::new(key).unwrap();
    db.history(Some(&key), &HistoryQuery::default()).await.unwrap()
}

/// The lines a worker logged about organisation `key`.
fn lines<'a>(out: &'a str, key: &str) -> Vec<&'a str> {
    let marker = format!(" {key}: ");
    out.lines().filter(|line| line.contains(&marker)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_started_together_sync_each_of_twelve_organisations_exactly_once() {
    let Some(db) = Db::new() else { return };
    let mut orgs = Vec::new();
    for _ in 0..12 {
        orgs.push(DemoOrg::start().await);
    }
    let people: Vec<usize> = orgs.iter().map(|org| org.graph.user_count()).collect();
    let keys: Vec<String> = (1..=12).map(|i| format!("org{i:02}")).collect();
    let mut file = String::new();
    for (key, org) in keys.iter().zip(&orgs) {
        org.huma.set_latency(Duration::from_millis(20));
        org.graph.set_latency(Duration::from_millis(20));
        file.push_str(&table(key, org, &settled()));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), &file);

    let a = worker(&db.url, &file, &["--concurrency", "3"]).spawn().unwrap();
    let b = worker(&db.url, &file, &["--concurrency", "3"]).spawn().unwrap();
    let pids = [a.id(), b.id()];
    let (a, b) = (wait(a), wait(b));
    assert_eq!(a.code, Some(0), "{}", a);
    assert_eq!(b.code, Some(0), "{}", b);
    assert!(a.out.contains("12 organisation(s): "), "{}", a);

    let pg = db.open().await;
    for ((key, org), people) in keys.iter().zip(&orgs).zip(people) {
        let runs = runs(&pg, key).await;
        assert_eq!(runs.len(), 1, "{key} was synced exactly once: {runs:#?}");
        let run = &runs[0].run;
        assert_eq!(run.outcome, RunOutcome::Synced, "{key}: {run:#?}");
        assert!(
            pids.iter().any(|pid| run.holder.ends_with(&format!("(process {pid})"))),
            "{key} was synced by one of the two: {}",
            run.holder
        );
        let synced: Vec<&str> = [&a.out, &b.out]
            .iter()
            .flat_map(|out| lines(out, key))
            .filter(|line| line.contains(": synced in "))
            .collect();
        assert_eq!(synced.len(), 1, "{key}: {synced:?}");
        for out in [&a.out, &b.out] {
            assert_eq!(lines(out, key).len(), 1, "one line per organisation: {out}");
        }
        assert_eq!(org.graph.user_count(), people + 3, "{key}: its three new people, once");
    }
    let shared = |out: &str| out.lines().filter(|l| l.contains(": synced in ")).count();
    println!("worker a synced {}, worker b {}", shared(&a.out), shared(&b.out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_in_a_sync_leaves_the_organisation_to_the_next_run_at_once() {
    let Some(db) = Db::new() else { return };
    let org = DemoOrg::start().await;
    let people = org.graph.user_count();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), &table("acme", &org, &settled()));
    org.huma.set_latency(Duration::from_millis(200));
    org.graph.set_latency(Duration::from_millis(200));

    let mut killed = worker(&db.url, &file, &[]).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let writing = || {
        let counts = org.graph.counts();
        counts.get(Route::CreateUser) + counts.get(Route::Batch) > 0
    };
    while !writing() {
        assert!(killed.try_wait().unwrap().is_none(), "the worker ended before it wrote");
        assert!(Instant::now() < deadline, "the worker never wrote");
        std::thread::sleep(Duration::from_millis(5));
    }
    killed.kill().unwrap(); // SIGKILL: no destructor, no goodbye to the database.
    killed.wait().unwrap();

    org.huma.set_latency(Duration::ZERO);
    org.graph.set_latency(Duration::ZERO);
    let next = run(&mut sync_org(&db, &org, "acme", "apply", &SETTLED));
    assert_eq!(next.code, Some(0), "not kept waiting by the killed worker: {}", next);
    let mut extra = vec!["--json"];
    extra.extend(SETTLED);
    let plan = run(&mut sync_org(&db, &org, "acme", "plan", &extra));
    let plan: dirsync::plan::Plan = serde_json::from_str(&plan.out).unwrap();
    assert!(plan.operations().unwrap().operations.is_empty(), "converged: {:#?}", plan.summary());
    assert_eq!(org.graph.user_count(), people + 3, "nobody created twice");
    let runs = runs(&db.open().await, "acme").await;
    assert!(runs[0].run.holder.starts_with("sync apply"), "{runs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_decisions_fail_their_organisation_only_and_the_others_email_their_report() {
    let Some(db) = Db::new() else { return };
    let (good, undecided) = (DemoOrg::start().await, DemoOrg::start().await);
    let sender = good.graph.users()[0].user_principal_name.clone().unwrap();
    let email = format!(
        "email-to = [\"it@good.example\"]\nemail-via = \"graph\"\nemail-from = \"{sender}\"\n"
    );
    let before = format!("{:?}{:?}", undecided.huma.users(), undecided.graph.users());
    let dir = tempfile::tempdir().unwrap();
    let no_prefer = format!("create-in-azure = \"all\"\nupn-domain = \"{DOMAIN}\"");
    let text =
        table("good", &good, &(settled() + &email)) + &table("undecided", &undecided, &no_prefer);
    let file = write(dir.path(), &text);

    let ran = run(&mut worker(&db.url, &file, &[]));
    assert_eq!(ran.code, Some(5), "{}", ran);
    assert!(lines(&ran.out, "good")[0].contains("good: synced in "), "{}", ran);
    let failed = lines(&ran.out, "undecided")[0];
    assert!(
        failed.contains("undecided: failed in ") && failed.contains("3 decision(s) pending"),
        "{failed}"
    );
    assert!(failed.contains("never asked for in the worker"), "{failed}");
    assert!(ran.out.contains("1 synced, 1 failed"), "{}", ran);

    let pg = db.open().await;
    let refused = runs(&pg, "undecided").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].run.outcome, RunOutcome::Refused, "{refused:#?}");
    assert_eq!(format!("{:?}{:?}", undecided.huma.users(), undecided.graph.users()), before);
    let sent = good.graph.sent_mail();
    assert_eq!(sent.len(), 1, "{}", ran);
    assert!(sent[0].subject.contains("for good"), "names the organisation: {}", sent[0].subject);
    assert!(ran.err.contains("good: Report emailed to it@good.example"), "{}", ran);
    assert!(undecided.graph.sent_mail().is_empty());
}

/// Sends `signal` to process `pid` with kill(1), which needs no unsafe code.
#[cfg(unix)]
fn kill(signal: &str, pid: u32) {
    let sent = std::process::Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal} {pid}");
}

/// Waits until the worker has asked `org`'s Huma something: its round is under way, so it
/// listens for signals.
#[cfg(unix)]
fn wait_for_the_round(org: &DemoOrg, worker: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while org.huma.counts().http_requests == 0 {
        assert!(worker.try_wait().unwrap().is_none(), "the worker ended before its round");
        assert!(Instant::now() < deadline, "the worker never started its round");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_sync_under_way_finish_and_takes_up_no_further_organisation() {
    let Some(db) = Db::new() else { return };
    let (first, second) = (DemoOrg::start().await, DemoOrg::start().await);
    first.huma.set_latency(Duration::from_millis(20));
    first.graph.set_latency(Duration::from_millis(20));
    let dir = tempfile::tempdir().unwrap();
    let text = table("first", &first, &settled()) + &table("second", &second, &settled());
    let file = write(dir.path(), &text);

    let mut running = worker(&db.url, &file, &["--concurrency", "1"]).spawn().unwrap();
    wait_for_the_round(&first, &mut running);
    kill("TERM", running.id());
    let ran = wait(running);
    assert_eq!(ran.code, Some(0), "{}", ran);
    assert!(lines(&ran.out, "first")[0].contains("first: synced in "), "{}", ran);
    assert!(lines(&ran.out, "second").is_empty(), "{}", ran);
    assert!(
        ran.out.contains(
            "\n2 organisation(s): 1 synced, 0 failed, 0 not due, 0 busy, 0 could not run, \
             1 not started (stopped)\n"
        ),
        "{}",
        ran
    );
    assert!(
        ran.err.contains(
            "stopping: no further organisation is taken up, those under way finish (signal \
             again to stop at once)"
        ),
        "{}",
        ran
    );
    assert_eq!(second.huma.counts().http_requests, 0, "the second was not taken up");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_stops_the_worker_at_once() {
    let Some(db) = Db::new() else { return };
    let org = DemoOrg::start().await;
    org.huma.set_latency(Duration::from_millis(300));
    org.graph.set_latency(Duration::from_millis(300));
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), &table("acme", &org, &settled()));

    let mut running = worker(&db.url, &file, &[]).spawn().unwrap();
    wait_for_the_round(&org, &mut running);
    kill("TERM", running.id());
    std::thread::sleep(Duration::from_millis(100));
    kill("INT", running.id());
    let ran = wait(running);
    assert_eq!(ran.code, Some(1), "{}", ran);
    assert!(lines(&ran.out, "acme").is_empty(), "cut short, so no line: {}", ran);
    assert!(ran.err.contains("stopping at once"), "{}", ran);
    assert!(
        ran.err.contains(
            "error: stopped at once: the runs under way were cut short; their organisations are \
             free for the next run at once"
        ),
        "{}",
        ran
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_organisations_file_is_exit_2_naming_the_table_and_the_key() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    let good = table("acme", &org, &settled());
    // Nothing is connected to: a closed port would be exit 1, not 2.
    let url = "postgres://postgres@127.0.0.1:1/none";
    for (text, words) in [
        ("[[organisation]\nkey = ", vec!["not TOML"]),
        ("# nothing yet\n", vec!["lists no organisation"]),
        ("[[organisation]]\nprefer = \"huma\"\n", vec!["[[organisation]] number 1, key: missing"]),
        (&format!("{good}{good}"), vec!["[[organisation]] number 2, key:", "already the key"]),
        (&good.replace("\"acme\"", "\"ac\\\"me\""), vec!["number 1, key:", "letters, digits"]),
        (&format!("{good}prefered = \"huma\"\n"), vec!["\"acme\", prefered: unknown"]),
        (&format!("{good}max-changes = \"lots\"\n"), vec!["\"acme\", max-changes: invalid value"]),
        (&format!("{good}disable-leavers = \"yes\"\n"), vec!["\"acme\", disable-leavers:"]),
        (&format!("{good}state = \"{url}\"\n"), vec!["\"acme\", state: is not for a table"]),
        (
            &good.replace(HUMA_SECRET, "NOT_SET_ANYWHERE"),
            vec!["huma-client-secret-env:", "NOT_SET_ANYWHERE is not set"],
        ),
        (
            &good.replace("upn-domain", "# upn-domain"),
            vec!["\"acme\":", "--create-in-azure needs --upn-domain"],
        ),
    ] {
        let file = write(dir.path(), text);
        let ran = run(&mut worker(url, &file, &[]));
        assert_eq!(ran.code, Some(2), "{text}\n{}", ran);
        for word in words {
            assert!(ran.err.contains(word), "{word:?} for {text}\n{}", ran);
        }
        assert!(ran.err.contains("orgs.toml"), "names the file: {}", ran);
    }
    let file = write(dir.path(), &good);
    let ran = run(&mut worker("dirsync-state.json", &file, &[]));
    assert_eq!(ran.code, Some(2), "{}", ran);
    assert!(ran.err.contains("--state postgres://"), "{}", ran);
    let unreachable = run(&mut worker(url, &file, &[]));
    assert_eq!(unreachable.code, Some(1), "no database, nothing could run: {}", unreachable);
    assert!(unreachable.err.contains("could not connect to PostgreSQL"), "{}", unreachable);
    let missing = run(&mut worker(url, &dir.path().join("none.toml"), &[]));
    assert_eq!(missing.code, Some(1), "{}", missing);
}

//! Scope through the `sync` program and the webhook receiver: a group of two companies, one
//! synced (`--huma-company`, `--azure-group`), administrators excluded
//! (`--azure-exclude-group`). The plan says which scope it read and reads only that; an
//! administrator who is also a Huma person is never written nor duplicated; a person moved to
//! the other company left the scope, and is disabled only with `--disable-out-of-scope`; a
//! group that does not exist stops the run, naming it; the webhook leaves people outside alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use clap::Parser as _;
use common::{argv_for, run};
use dirsync::{
    model::Person,
    plan::FindingKind,
    store::{JsonFileStore, StateStore},
};
use dirsync_connect::Secrets;
use dirsync_examples::run::{Console, Outcome};
use dirsync_examples::webhook_server::{
    PushAction, PushSummary, WebhookArgs, WebhookCommand, ready,
};
use huma_api::SecretString;
use huma_api::webhook::WebhookVerifier;
use std::net::SocketAddr;
use std::path::Path;
use testkit::{FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, HumaGroupKind, HumaUser};
use testkit::{HumaPosition, HumaWebhook, JobTitle, Route};

const DOMAIN: &str = "acme.example";
const NOWHERE: &str = "00000000-0000-4000-8000-00000000dead";

/// Acme AS (synced) and Acme AB in one Huma; one Azure AD tenant for both, with the group
/// "Acme AS staff" and the group "Admins".
struct Tenant {
    huma: FakeHuma,
    graph: FakeGraph,
    /// Huma's companies: Acme AS, Acme AB.
    companies: [String; 2],
    /// Azure AD's groups: Acme AS staff, Admins.
    groups: [String; 2],
    /// (Huma id, Azure AD id) of Ada, Kari, Olav (an administrator) and Per, all of Acme AS.
    ada: (String, String),
    kari: (String, String),
    olav: (String, String),
    /// A person of Acme AB: (Huma id, Azure AD id).
    other: (String, String),
}

fn person(name: &str, family: &str, id: &str) -> Person {
    let start = chrono::NaiveDate::from_ymd_opt(2021, 3, 1).unwrap();
    Person::new()
        .with_email(format!("{}@{DOMAIN}", name.to_lowercase()))
        .with_given_name(name)
        .with_family_name(family)
        .with_employment_id(id)
        .with_phone("+47 400 00 000")
        .with_job_title("Engineer")
        .with_employment_start_date(start)
}

/// The person in both systems, in the Huma company `company`; their (Huma id, Azure AD id).
fn both(t: &(FakeHuma, FakeGraph), p: &Person, company: &str) -> (String, String) {
    let mut user = HumaUser::from_person(p);
    user.groups = vec![company.to_owned()];
    (t.0.insert_user(user).unwrap(), t.1.insert_user(GraphUser::from_person(p)).unwrap())
}

async fn tenant() -> Tenant {
    let (graph, huma) = tokio::join!(
        FakeGraph::start(GraphConfig::default()),
        FakeHuma::start(HumaConfig::default())
    );
    let t = (huma, graph);
    let a = t.0.insert_group("Acme AS", HumaGroupKind::Company);
    let b = t.0.insert_group("Acme AB", HumaGroupKind::Company);
    let (staff, admins) = (t.1.insert_group("Acme AS staff"), t.1.insert_group("Admins"));
    let ada = both(&t, &person("Ada", "Lund", "E1"), &a);
    t.0.update_user(&ada.0, |u| u.positions[0].title = Some(JobTitle::named("Lead Engineer")));
    let kari = both(&t, &person("Kari", "Nordmann", "E2"), &a);
    let olav = both(&t, &person("Olav", "Berg", "E3"), &a);
    t.1.update_user(&olav.1, |u| u.mobile_phone = Some("+47 999 99 999".into()));
    let per = both(&t, &person("Per", "Hansen", "E4"), &a);
    // Nina is new in Huma: not in Azure AD yet.
    let mut nina = HumaUser::from_person(&person("Nina", "Ny", "E5"));
    nina.groups = vec![a.clone()];
    nina.positions =
        vec![HumaPosition::new(JobTitle::named("Designer"), chrono::Utc::now().date_naive())];
    t.0.insert_user(nina).unwrap();
    for (_, azure) in [&ada, &kari, &olav, &per] {
        t.1.add_group_member(&staff, azure).unwrap();
    }
    t.1.add_group_member(&admins, &olav.1).unwrap();
    let glass = t.1.insert_user(GraphUser::new(format!("break.glass@{DOMAIN}"))).unwrap();
    t.1.add_group_member(&admins, &glass).unwrap();
    let others: Vec<(String, String)> = (0..60)
        .map(|i| both(&t, &person(&format!("Other{i}"), "Ab", &format!("B{i}")), &b))
        .collect();
    let (huma, graph) = t;
    Tenant {
        huma,
        graph,
        companies: [a, b],
        groups: [staff, admins],
        ada,
        kari,
        olav,
        other: others[0].clone(),
    }
}

impl Tenant {
    /// The scope flags of Acme AS, administrators excluded.
    fn scope(&self) -> Vec<String> {
        let [a, _] = &self.companies;
        let [staff, admins] = &self.groups;
        ["--huma-company", a, "--azure-group", staff, "--azure-exclude-group", admins]
            .map(str::to_owned)
            .to_vec()
    }

    async fn sync(&self, dir: &Path, command: &str, extra: &[&str]) -> (Outcome, String) {
        let mut flags = self.scope();
        flags.extend(extra.iter().map(|s| (*s).to_owned()));
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let args = argv_for(&self.huma, &self.graph, &dir.join("state.json"), command, &flags);
        run(args, Secrets::for_fakes()).await
    }

    fn reset_counts(&self) {
        self.huma.reset_counts();
        self.graph.reset_counts();
    }

    fn move_kari_to(&self, company: usize) {
        let [a, b] = &self.companies;
        let (from, to) = if company == 1 { (a, b) } else { (b, a) };
        assert!(self.huma.remove_from_group(&self.kari.0, from));
        self.huma.add_to_group(&self.kari.0, to).unwrap();
        self.huma.update_user(&self.kari.0, |u| u.phone = Some("+47 412 34 567".into()));
    }
}

const APPLY: [&str; 5] = ["--prefer", "huma", "--create-in-azure", "all", "--upn-domain"];

fn apply_flags<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut flags = APPLY.to_vec();
    flags.push(DOMAIN);
    flags.extend(extra);
    flags
}

#[tokio::test]
async fn a_plan_says_which_scope_it_read_and_reads_only_the_scope() {
    let t = tenant().await;
    let dir = tempfile::tempdir().unwrap();
    let [a, _] = &t.companies;
    let [staff, admins] = &t.groups;
    t.reset_counts();
    let (outcome, text) = t.sync(dir.path(), "plan", &[]).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(
        text.starts_with(&format!(
            "Scope\n  Huma: the people of company {a} in Huma: 5 people in it\n  Azure AD: the \
             members of the Azure AD group {staff}, except the members of the group {admins}: 3 \
             people in it, 2 excluded\n"
        )),
        "{text}"
    );
    let (huma, graph) = (t.huma.counts(), t.graph.counts());
    let scoped = [huma.get(Route::GetGroup), huma.get(Route::ListUsers), huma.get(Route::GetUser)];
    assert_eq!(scoped, [1, 1, 5], "the company checked, one page of it, its five people");
    let scoped_graph = [graph.get(Route::ListUsers), graph.get(Route::ListGroupMembers)];
    assert_eq!(scoped_graph, [0, 2], "the staff group and the admins, never the tenant");
    assert_eq!(graph.get(Route::GetUser), 0, "no read per user");

    // The same plan of everyone reads the whole organisation and the whole tenant.
    t.reset_counts();
    let args = argv_for(&t.huma, &t.graph, &dir.path().join("state.json"), "plan", &[]);
    let (outcome, text) = run(args, Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.starts_with("Plan\n"), "no scope, nothing said of one: {text}");
    let (huma, graph) = (t.huma.counts(), t.graph.counts());
    assert_eq!([huma.get(Route::ListUsers), huma.get(Route::GetUser)], [2, 65]);
    assert_eq!([graph.get(Route::ListUsers), graph.get(Route::ListGroupMembers)], [1, 0]);
}

#[tokio::test]
async fn an_administrator_who_is_a_huma_person_is_never_written_nor_duplicated() {
    let t = tenant().await;
    let dir = tempfile::tempdir().unwrap();
    let users_before = t.graph.user_count();
    let report = dir.path().join("report.json");
    let report_arg = report.to_str().unwrap();
    let (outcome, text) =
        t.sync(dir.path(), "apply", &apply_flags(&["--report-json", report_arg])).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let olav = t.graph.user(&t.olav.1).unwrap();
    assert_eq!(olav.mobile_phone.as_deref(), Some("+47 999 99 999"), "never written");
    assert!(text.contains("which is excluded from the sync"), "{text}");
    assert_eq!(t.graph.user_count(), users_before + 1, "Nina only, no second Olav");
    let nina = t.graph.user(&format!("nina@{DOMAIN}")).expect("Nina was created");
    assert!(t.graph.is_group_member(&t.groups[0], &nina.id), "created into the staff group");
    let ada = t.graph.user(&t.ada.1).unwrap();
    assert_eq!(ada.job_title.as_deref(), Some("Lead Engineer"), "in scope: synced");
    let report: dirsync::report::Report =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(report.findings.iter().any(|f| f.kind == FindingKind::Excluded));
    let other = t.graph.user(&t.other.1).unwrap();
    assert_eq!(other.job_title.as_deref(), Some("Engineer"), "the other company untouched");
}

#[tokio::test]
async fn a_person_moved_to_the_other_company_left_the_scope_and_is_disabled_only_when_asked() {
    let t = tenant().await;
    let dir = tempfile::tempdir().unwrap();
    let (outcome, text) = t.sync(dir.path(), "apply", &apply_flags(&[])).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    t.move_kari_to(1);

    let (outcome, text) = t.sync(dir.path(), "plan", &["--disable-leavers"]).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("of them left the scope:     1 (left alone)"), "{text}");
    assert!(text.contains("Kari Nordmann left the scope of the sync"), "{text}");
    assert!(text.contains("1 linked outside it"), "{text}");
    assert!(!text.contains("Accounts to disable"), "not a leaver: {text}");
    let (outcome, text) = t.sync(dir.path(), "apply", &apply_flags(&["--disable-leavers"])).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let kari = t.graph.user(&t.kari.1).unwrap();
    assert_eq!(kari.mobile_phone.as_deref(), Some("+47 400 00 000"), "nothing written");
    assert_eq!(kari.account_enabled, Some(true));
    let state = JsonFileStore::new(dir.path().join("state.json")).load().await.unwrap();
    assert_eq!(state.links[&t.kari.0.as_str().into()].idp.as_str(), t.kari.1, "the link stays");

    let disable = apply_flags(&["--disable-leavers", "--disable-out-of-scope"]);
    let (outcome, text) = t.sync(dir.path(), "apply", &disable).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!(t.graph.user(&t.kari.1).unwrap().account_enabled, Some(false), "{text}");
    assert!(text.contains("left the scope of the sync"), "{text}");

    t.move_kari_to(0);
    let (outcome, text) = t.sync(dir.path(), "apply", &disable).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert_eq!(t.graph.user(&t.kari.1).unwrap().account_enabled, Some(true), "{text}");
    // Enabled, the account is synced again from the next run on, as a returner's is.
    let (outcome, text) = t.sync(dir.path(), "apply", &disable).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let kari = t.graph.user(&t.kari.1).unwrap();
    assert_eq!(kari.mobile_phone.as_deref(), Some("+47 412 34 567"), "{text}");
}

#[tokio::test]
async fn a_group_or_company_that_does_not_exist_stops_the_run_naming_it() {
    let t = tenant().await;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    for flags in [["--azure-group", NOWHERE], ["--huma-company", NOWHERE]] {
        let args = argv_for(&t.huma, &t.graph, &state, "apply", &flags);
        let (outcome, text) = run(args, Secrets::for_fakes()).await;
        assert_eq!(outcome, Outcome::CouldNotRun, "{text}");
        assert!(text.contains(NOWHERE), "{text}");
        assert!(!state.exists(), "nothing written, not even the state");
    }
    let args = argv_for(&t.huma, &t.graph, &state, "plan", &["--scim-filter", "x eq 1"]);
    let (outcome, text) = run(args, Secrets::for_fakes()).await;
    assert_eq!(outcome, Outcome::Usage, "--scim-filter is for --idp scim: {text}");
}

fn serve_args(
    t: &Tenant,
    dir: &Path,
    extra: &[&str],
) -> dirsync_examples::webhook_server::ServeArgs {
    let mut argv: Vec<String> = vec!["webhook".into(), "serve".into()];
    argv.extend(common::connection_to(&t.huma, &t.graph));
    argv.extend(["--state".into(), dir.join("state.json").display().to_string()]);
    argv.extend(extra.iter().map(|s| (*s).to_owned()));
    match WebhookArgs::try_parse_from(argv) {
        Ok(WebhookArgs { command: Some(WebhookCommand::Serve(args)) }) => args,
        other => panic!("webhook serve parses: {other:?}"),
    }
}

#[tokio::test]
async fn the_webhook_leaves_people_outside_the_scope_alone_and_refuses_a_missing_group() {
    let t = tenant().await;
    let dir = tempfile::tempdir().unwrap();
    let secret = "scope-webhook-secret";
    let verifier = || WebhookVerifier::new(Some(SecretString::from(secret)), None);
    let mut scope = t.scope();
    scope.push("--upn-domain".into());
    scope.push(DOMAIN.into());
    scope.push("--auto-provision".into());
    let scope: Vec<&str> = scope.iter().map(String::as_str).collect();
    let (mut console, output) = Console::captured();
    let receiver =
        ready(&serve_args(&t, dir.path(), &scope), &Secrets::for_fakes(), verifier(), &mut console)
            .await
            .unwrap_or_else(|_| panic!("ready: {}", output.text()));
    let (addr, _task) = receiver.spawn(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let url = format!("http://{addr}{}", dirsync_examples::webhook_server::PATH);

    t.huma.update_user(&t.other.0, |u| u.phone = Some("+46 70 000 00 00".into()));
    let email = format!("other0@{DOMAIN}");
    let webhook = HumaWebhook::new(url, secret);
    let (status, body) = webhook.deliver("users-update", &[(&t.other.0, &email)]).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let summary: PushSummary = serde_json::from_str(&body).unwrap();
    assert_eq!(summary.users[0].action, PushAction::OutOfScope, "{body}");
    assert!(summary.users[0].detail.as_deref().unwrap_or_default().contains("outside the scope"));
    let other = t.graph.user(&t.other.1).unwrap();
    assert_eq!(other.mobile_phone.as_deref(), Some("+47 400 00 000"), "not written");

    let missing = serve_args(&t, dir.path(), &["--azure-group", NOWHERE]);
    let (mut console, output) = Console::captured();
    let refused = ready(&missing, &Secrets::for_fakes(), verifier(), &mut console).await;
    assert_eq!(refused.err(), Some(Outcome::CouldNotRun));
    assert!(output.text().contains(NOWHERE), "{}", output.text());
}

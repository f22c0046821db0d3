//! What the program tests share: the `sync` command line against the fakes, and a run of it.
#![allow(dead_code, unreachable_pub)] // each test file uses a different part

use dirsync_connect::Secrets;
use dirsync_examples::demo::DemoOrg;
use dirsync_examples::run::{Console, Outcome, main_with};
use std::path::Path;
use testkit::{FakeGraph, FakeHuma};

pub mod browser;
pub mod pg;

/// `sync <command> <connection to the fakes> --state <dir>/state.json <extra>`.
pub fn argv(org: &DemoOrg, dir: &Path, command: &str, extra: &[&str]) -> Vec<String> {
    argv_for(&org.huma, &org.graph, &dir.join("state.json"), command, extra)
}

/// `sync <command> <connection to these fakes> --state <state> <extra>`.
pub fn argv_for(
    huma: &FakeHuma,
    graph: &FakeGraph,
    state: &Path,
    command: &str,
    extra: &[&str],
) -> Vec<String> {
    let mut args: Vec<String> = vec!["sync".into(), command.into()];
    args.extend(connection_to(huma, graph));
    args.extend(["--state".into(), state.display().to_string()]);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    args
}

/// The flags that connect `sync plan|apply` to the fakes of `org`.
pub fn connection(org: &DemoOrg) -> Vec<String> {
    connection_to(&org.huma, &org.graph)
}

/// The flags that connect `sync plan|apply` to these fakes.
pub fn connection_to(huma: &FakeHuma, graph: &FakeGraph) -> Vec<String> {
    vec![
        "--huma-url".into(),
        huma.base_url(),
        "--huma-client-id".into(),
        FakeHuma::CLIENT_ID.into(),
        "--azure-tenant".into(),
        FakeGraph::TENANT_ID.into(),
        "--azure-client-id".into(),
        FakeGraph::CLIENT_ID.into(),
        "--graph-url".into(),
        graph.graph_url(),
        "--login-url".into(),
        graph.login_url(),
    ]
}

pub async fn run(args: Vec<String>, secrets: Secrets) -> (Outcome, String) {
    let (mut console, output) = Console::captured();
    let outcome = main_with(args, secrets, &mut console).await;
    (outcome, output.text())
}

/// `sync apply --prefer huma --report-json <dir>/report.json <extra>`: the outcome, the text, and
/// the report it wrote.
pub async fn apply_with_report(
    org: &DemoOrg,
    dir: &Path,
    extra: &[&str],
) -> (Outcome, String, dirsync::report::Report) {
    let report = dir.join("report.json");
    let path = report.to_str().unwrap_or_else(|| panic!("a UTF-8 path: {report:?}"));
    let mut args = vec!["--prefer", "huma", "--report-json", path];
    args.extend(extra);
    let (outcome, text) = run(argv(org, dir, "apply", &args), Secrets::for_fakes()).await;
    let json = std::fs::read_to_string(&report).unwrap_or_else(|e| panic!("{e}: {text}"));
    std::fs::remove_file(&report).unwrap_or_else(|e| panic!("{e}"));
    let parsed = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    (outcome, text, parsed)
}

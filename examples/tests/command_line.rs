//! The `sync` program's command line: each command's flags, their defaults, what they refuse,
//! and the core's policy they make.

use clap::Parser as _;
use dirsync::policy::{ConflictRule, CreationRule, Leavers, MissingRule};
use dirsync_connect::{DEFAULT_STATE_FILE, EmailVia, EmailWhen, IdpKind, ScopeSettings};
use dirsync_examples::cli::{Args, Command, parse_duration, parse_since};
use std::path::PathBuf;
use std::time::Duration;

fn parse(args: &[&str]) -> Result<Args, clap::Error> {
    Args::try_parse_from(std::iter::once("sync").chain(args.iter().copied()))
}

#[test]
fn no_arguments_means_the_demo() {
    assert!(parse(&[]).is_ok_and(|a| a.command.is_none()));
}

#[test]
fn prefer_and_creation_flags_map_to_the_core_policy() {
    let args = parse(&[
        "apply",
        "--prefer",
        "azure",
        "--no-fill-missing",
        "--create-in-azure",
        "all",
        "--max-changes",
        "7",
    ]);
    let Ok(Args { command: Some(Command::Apply(sync)), .. }) = args else {
        panic!("apply parses: {args:?}")
    };
    let policy = sync.policy.policy();
    assert_eq!(policy.conflicts, ConflictRule::PreferIdp);
    assert_eq!(policy.missing, MissingRule::Skip);
    assert_eq!(policy.create_in_idp, CreationRule::All);
    assert_eq!(policy.create_in_hr, CreationRule::None);
    assert_eq!(sync.policy.max_changes, Some(7));
}

#[test]
fn fill_missing_is_on_by_default_and_the_last_flag_wins() {
    let Ok(Args { command: Some(Command::Plan(plan)), .. }) =
        parse(&["plan", "--no-fill-missing", "--fill-missing"])
    else {
        panic!("plan parses")
    };
    assert_eq!(plan.sync.policy.policy().missing, MissingRule::Fill);
}

#[test]
fn login_azure_needs_a_redirect_uri_and_saves_to_the_default_file() {
    let args = parse(&["login-azure", "--redirect-uri", "https://sync.example.com/callback"]);
    let Ok(Args { command: Some(Command::LoginAzure(login)) }) = args else {
        panic!("login-azure parses: {args:?}")
    };
    assert_eq!(login.azure_token_file, PathBuf::from("dirsync-azure-token"));
    assert!(parse(&["login-azure"]).is_err(), "--redirect-uri is required");
}

#[test]
fn the_token_file_is_optional_for_plan_and_apply() {
    let Ok(Args { command: Some(Command::Plan(plan)) }) = parse(&["plan"]) else {
        panic!("plan parses")
    };
    assert_eq!(plan.sync.connection.azure_token_file, None);
    let Ok(Args { command: Some(Command::Apply(apply)) }) =
        parse(&["apply", "--azure-token-file", "t"])
    else {
        panic!("apply parses")
    };
    assert_eq!(apply.connection.azure_token_file, Some(PathBuf::from("t")));
}

#[test]
fn concurrency_flags_default_to_the_clients_and_refuse_zero() {
    let Ok(Args { command: Some(Command::Plan(plan)) }) = parse(&["plan"]) else {
        panic!("plan parses")
    };
    let connection = &plan.sync.connection;
    assert_eq!(connection.huma_concurrency, huma_api::DEFAULT_HUMA_CONCURRENCY);
    assert_eq!(connection.graph_concurrency, azure_graph::DEFAULT_GRAPH_CONCURRENCY);
    let Ok(Args { command: Some(Command::Apply(apply)) }) =
        parse(&["apply", "--huma-concurrency", "32", "--graph-concurrency", "8"])
    else {
        panic!("apply parses")
    };
    assert_eq!((apply.connection.huma_concurrency, apply.connection.graph_concurrency), (32, 8));
    assert!(parse(&["apply", "--huma-concurrency", "0"]).is_err());
    assert!(parse(&["apply", "--graph-concurrency", "100000"]).is_err());
}

#[test]
fn the_side_neutral_flags_mean_the_identity_directory() {
    let args = parse(&["apply", "--prefer", "idp", "--create-in-idp", "all"]);
    let Ok(Args { command: Some(Command::Apply(sync)) }) = args else {
        panic!("apply parses: {args:?}")
    };
    let policy = sync.policy.policy();
    assert_eq!(policy.conflicts, ConflictRule::PreferIdp);
    assert_eq!(policy.create_in_idp, CreationRule::All);
    assert!(parse(&["apply", "--create-in-idp", "all", "--create-in-azure", "none"]).is_err());
}

#[test]
fn the_identity_directory_is_azure_unless_scim_is_chosen() {
    let Ok(Args { command: Some(Command::Plan(plan)) }) = parse(&["plan"]) else {
        panic!("plan parses")
    };
    assert_eq!(plan.sync.connection.idp, IdpKind::Azure);
    let args = parse(&[
        "plan",
        "--idp",
        "scim",
        "--scim-url",
        "https://api.example.com/scim/v2",
        "--scim-name",
        "Slack",
    ]);
    let Ok(Args { command: Some(Command::Plan(plan)) }) = args else {
        panic!("plan parses: {args:?}")
    };
    let connection = &plan.sync.connection;
    assert_eq!(connection.idp, IdpKind::Scim);
    assert_eq!(connection.scim_url.as_deref(), Some("https://api.example.com/scim/v2"));
    assert_eq!(connection.scim_name, "Slack");
    assert!(parse(&["plan", "--idp", "okta"]).is_err());
}

#[test]
fn email_flags_take_several_recipients_and_default_to_smtp_always() {
    let Ok(Args { command: Some(Command::Apply(apply)) }) = parse(&[
        "apply",
        "--email-to",
        "hr@example.com,it@example.com",
        "--email-from",
        "sync@example.com",
    ]) else {
        panic!("apply parses")
    };
    assert_eq!(apply.email.email_to, ["hr@example.com", "it@example.com"]);
    assert_eq!(apply.email.email_from.as_deref(), Some("sync@example.com"));
    assert_eq!((apply.email.email_via, apply.email.email_on), (EmailVia::Smtp, EmailWhen::Always));
    let Ok(Args { command: Some(Command::Apply(apply)) }) =
        parse(&["apply", "--email-via", "graph", "--email-on", "problems"])
    else {
        panic!("apply parses")
    };
    assert_eq!(
        (apply.email.email_via, apply.email.email_on),
        (EmailVia::Graph, EmailWhen::Problems)
    );
    assert!(parse(&["apply", "--email-via", "pigeon"]).is_err());
}

#[test]
fn leavers_are_left_alone_unless_asked_and_sessions_need_disable_leavers() {
    let Ok(Args { command: Some(Command::Apply(apply)) }) = parse(&["apply"]) else {
        panic!("apply parses")
    };
    assert_eq!(apply.policy.policy().leavers, Leavers::default());
    assert_eq!((apply.policy.max_disables, apply.policy.retry_held), (None, false));

    let args = parse(&[
        "apply",
        "--disable-leavers",
        "--revoke-sessions",
        "--max-disables",
        "3",
        "--retry-held",
    ]);
    let Ok(Args { command: Some(Command::Apply(apply)) }) = args else {
        panic!("apply parses: {args:?}")
    };
    let leavers = apply.policy.policy().leavers;
    assert!(leavers.disable && leavers.revoke_sessions);
    assert_eq!((apply.policy.max_disables, apply.policy.retry_held), (Some(3), true));

    let alone = parse(&["plan", "--revoke-sessions"]).expect_err("needs --disable-leavers");
    assert!(alone.to_string().contains("--disable-leavers"), "{alone}");
    assert!(parse(&["apply", "--max-disables", "some"]).is_err());
}

#[test]
fn release_takes_an_id_and_the_state_file() {
    let Ok(Args { command: Some(Command::Release(release)) }) =
        parse(&["release", "held-0123456789abcdef"])
    else {
        panic!("release parses")
    };
    assert_eq!(release.id, "held-0123456789abcdef");
    assert_eq!(release.store.state, PathBuf::from(DEFAULT_STATE_FILE));
    let Ok(Args { command: Some(Command::Release(release)) }) =
        parse(&["release", "--state", "/var/lib/dirsync/state.json", "a1"])
    else {
        panic!("release parses")
    };
    assert_eq!(release.store.state, PathBuf::from("/var/lib/dirsync/state.json"));
    assert!(parse(&["release"]).is_err(), "the id is required");
}

#[test]
fn durations_are_numbers_with_units_of_at_least_a_second() {
    let secs = |text| parse_duration(text).map(|d| d.as_secs());
    assert_eq!(secs("30s"), Ok(30));
    assert_eq!(secs("15m"), Ok(900));
    assert_eq!(secs("1h"), Ok(3600));
    assert_eq!(secs("1h30m"), Ok(5400));
    assert_eq!(secs("2d"), Ok(172_800));
    assert_eq!(secs(" 1d2h3m4s "), Ok(93_784));
    // humantime's grammar takes more: parts apart or in any order (summed), long unit names,
    // weeks, fractions.
    for same in ["1h 30m", "30m1h", "90min", "1.5h", "1hour 30minutes"] {
        assert_eq!(secs(same), Ok(5400), "{same:?}");
    }
    assert_eq!(secs("1h1h"), Ok(7200));
    assert_eq!(secs("1w"), Ok(604_800));
    assert_eq!(secs("1500ms"), Ok(1), "a second and a half");
    for bad in ["", "30", "h", "1x", "1H", "-5m", "0s", "0h0m", "500ms", "99999999999999999999d"] {
        assert!(parse_duration(bad).is_err(), "{bad:?} is refused");
    }
    assert!(parse_duration("30").unwrap_err().contains("1h30m"), "the error shows the form");
    assert!(parse_duration("1x").unwrap_err().contains(r#"unknown time unit "x""#));
    assert!(parse_duration("0s").unwrap_err().contains("no time at all: use at least 1s"));
    assert!(parse_duration("500ms").unwrap_err().contains("less than a second"));
}

#[test]
fn since_takes_a_date_or_an_rfc_3339_time() {
    assert_eq!(
        parse_since("2026-11-01").map(|t| t.to_rfc3339()),
        Ok("2026-11-01T00:00:00+00:00".to_owned())
    );
    assert_eq!(
        parse_since("2026-11-01T08:00:00+01:00").map(|t| t.to_rfc3339()),
        Ok("2026-11-01T07:00:00+00:00".to_owned())
    );
    for bad in ["yesterday", "2026-13-01", "01.11.2026", "2026-11-01 08:00"] {
        assert!(parse_since(bad).is_err(), "{bad:?} is refused");
    }
}

#[test]
fn the_worker_defaults_to_hourly_four_at_a_time_forever() {
    let args = parse(&["worker", "--state", "postgres://u@h/db", "--orgs", "orgs.toml"]);
    let Ok(Args { command: Some(Command::Worker(worker)) }) = args else {
        panic!("worker parses: {args:?}")
    };
    assert_eq!(
        (worker.every, worker.concurrency, worker.once),
        (Duration::from_secs(3600), 4, false)
    );
    let args = parse(&[
        "worker",
        "--state",
        "postgres://u@h/db",
        "--orgs",
        "o.toml",
        "--every",
        "15m",
        "--concurrency",
        "9",
        "--once",
    ]);
    let Ok(Args { command: Some(Command::Worker(worker)) }) = args else {
        panic!("worker parses: {args:?}")
    };
    assert_eq!(
        (worker.every, worker.concurrency, worker.once),
        (Duration::from_secs(900), 9, true)
    );
    assert!(
        parse(&["worker", "--state", "postgres://u@h/db", "--orgs", "o", "--every", "1"]).is_err()
    );
    assert!(
        parse(&["worker", "--state", "postgres://u@h/db", "--orgs", "o", "--concurrency", "0"])
            .is_err()
    );
}

#[test]
fn huma_groups_must_be_uuids() {
    assert!(parse(&["apply", "--huma-groups", "0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d"]).is_ok());
    assert!(parse(&["apply", "--huma-groups", "admins"]).is_err());
}

const A: &str = "0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d";
const B: &str = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d";

#[test]
fn no_scope_flag_is_everyone_and_the_scope_flags_reach_both_sides() {
    let Ok(Args { command: Some(Command::Plan(plan)) }) = parse(&["plan"]) else {
        panic!("plan parses")
    };
    let scope = &plan.sync.connection.scope;
    assert_eq!(scope, &ScopeSettings::default());
    assert!(scope.huma().is_everyone() && scope.azure().is_everyone());
    assert_eq!(plan.sync.policy.policy().scope, dirsync::policy::Scope::default());

    let args = parse(&[
        "apply",
        "--huma-company",
        &format!("{A},{B}"),
        "--huma-team",
        A,
        "--azure-group",
        B,
        "--azure-exclude-group",
        &format!("{A},{B}"),
        "--disable-leavers",
        "--disable-out-of-scope",
    ]);
    let Ok(Args { command: Some(Command::Apply(apply)) }) = args else {
        panic!("apply parses: {args:?}")
    };
    let scope = &apply.connection.scope;
    assert_eq!(scope.huma().companies, [A, B]);
    assert_eq!(scope.huma().teams, [A]);
    assert_eq!(scope.azure().group.as_deref(), Some(B));
    assert_eq!(scope.azure().exclude_groups, [A, B]);
    assert!(apply.policy.policy().scope.disable_out_of_scope);
    assert!(scope.check(IdpKind::Azure).is_ok());
    assert!(scope.check(IdpKind::Scim).is_err(), "Azure AD's groups are not SCIM's");
}

#[test]
fn scope_ids_must_be_uuids_and_out_of_scope_disables_need_disable_leavers() {
    assert!(parse(&["plan", "--huma-company", "acme"]).is_err());
    assert!(parse(&["plan", "--azure-group", "staff"]).is_err());
    let alone = parse(&["apply", "--disable-out-of-scope"]).expect_err("needs leavers");
    assert!(alone.to_string().contains("--disable-leavers"), "{alone}");
    let Ok(Args { command: Some(Command::Plan(plan)) }) =
        parse(&["plan", "--idp", "scim", "--scim-filter", "userType eq \"Employee\""])
    else {
        panic!("plan parses")
    };
    let scope = &plan.sync.connection.scope;
    assert_eq!(scope.scim_filter.as_deref(), Some("userType eq \"Employee\""));
    assert!(scope.check(IdpKind::Scim).is_ok() && scope.check(IdpKind::Azure).is_err());
}

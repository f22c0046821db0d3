//! The report email after a run: when it is sent, through what, and what a failure says.

use azure_graph::GraphClient;
use dirsync::report::Report;
use dirsync_connect::{
    EmailOutcome, EmailSettings, EmailVia, EmailWhen, SecretString, SmtpEnv, send_report_with,
};
use dirsync_report::ReportEmail;
use testkit::{FakeGraph, GraphConfig, GraphUser};

fn args(to: &[&str], via: EmailVia, on: EmailWhen) -> EmailSettings {
    EmailSettings {
        email_to: to.iter().map(|s| (*s).to_owned()).collect(),
        email_from: Some("dirsync@nordlys.example".to_owned()),
        email_via: via,
        email_on: on,
    }
}

fn failed_report() -> Report {
    let mut report = Report::default();
    report.counts.failed = 1;
    report
}

async fn graph() -> (FakeGraph, GraphClient) {
    let graph = FakeGraph::start(GraphConfig::default()).await;
    graph.insert_user(GraphUser::new("dirsync@nordlys.example")).expect("seeded");
    let client = GraphClient::builder()
        .tenant(FakeGraph::TENANT_ID)
        .client_credentials(FakeGraph::CLIENT_ID, SecretString::from(FakeGraph::CLIENT_SECRET))
        .graph_url(graph.graph_url())
        .login_url(graph.login_url())
        .build()
        .expect("a client");
    (graph, client)
}

/// [`send_report_with`] of `report`, naming no organisation, without SMTP settings.
async fn send(args: &EmailSettings, report: &Report, graph: Option<&GraphClient>) -> EmailOutcome {
    send_report_with(args, ReportEmail::new(report), graph, &SmtpEnv::default()).await
}

#[tokio::test]
async fn the_report_goes_through_graph_when_asked() {
    let (fake, client) = graph().await;
    let args = args(&["hr@nordlys.example"], EmailVia::Graph, EmailWhen::Always);
    let outcome = send(&args, &failed_report(), Some(&client)).await;
    assert_eq!(
        outcome,
        EmailOutcome::Sent {
            to: vec!["hr@nordlys.example".into()],
            via: "Microsoft Graph (sendMail)".into()
        }
    );
    assert_eq!(fake.sent_mail()[0].to, ["hr@nordlys.example"]);
}

#[tokio::test]
async fn nothing_is_sent_without_recipients_or_problems_when_problems_only() {
    let (fake, client) = graph().await;
    let none = args(&[], EmailVia::Graph, EmailWhen::Always);
    let clean = Report::default();
    assert_eq!(send(&none, &clean, Some(&client)).await, EmailOutcome::NotAsked);
    let problems = args(&["hr@nordlys.example"], EmailVia::Graph, EmailWhen::Problems);
    assert_eq!(send(&problems, &clean, Some(&client)).await, EmailOutcome::NotNeeded);
    assert!(fake.sent_mail().is_empty());
}

#[tokio::test]
async fn a_failure_to_send_is_a_warning_that_says_what_to_do() {
    let (fake, client) = graph().await;
    let smtp = args(&["hr@nordlys.example"], EmailVia::Smtp, EmailWhen::Always);
    let outcome = send(&smtp, &failed_report(), Some(&client)).await;
    assert!(outcome.is_failure());
    assert!(outcome.to_string().contains("SMTP_URL"), "{outcome}");
    assert!(outcome.to_string().contains("The sync is not affected"), "{outcome}");

    fake.set_mail_send_permission(false);
    let graph = args(&["hr@nordlys.example"], EmailVia::Graph, EmailWhen::Always);
    let outcome = send(&graph, &failed_report(), Some(&client)).await;
    assert!(outcome.to_string().contains("Mail.Send"), "{outcome}");

    let no_azure = send(&graph, &failed_report(), None).await;
    assert!(no_azure.to_string().contains("use --email-via smtp"), "{no_azure}");

    let mut no_sender = graph.clone();
    no_sender.email_from = None;
    let outcome = send(&no_sender, &failed_report(), Some(&client)).await;
    assert!(outcome.to_string().contains("--email-from"), "{outcome}");
}

#[tokio::test]
async fn refused_smtp_settings_name_the_variables_that_hold_them() {
    let smtp = args(&["hr@nordlys.example"], EmailVia::Smtp, EmailWhen::Always);
    let send = |url: String| {
        let (smtp, env) = (smtp.clone(), SmtpEnv { url: Some(url), password: None });
        async move {
            let report = failed_report();
            send_report_with(&smtp, ReportEmail::new(&report), None, &env).await.to_string()
        }
    };
    let in_the_url = send("smtp://u:hunter2@mail.example.com".into()).await;
    assert!(in_the_url.contains("the password in SMTP_PASSWORD"), "{in_the_url}");
    assert!(!in_the_url.contains("hunter2"), "{in_the_url}");
    let without = send("smtp://u@mail.example.com".into()).await;
    assert!(without.contains("the password in SMTP_PASSWORD"), "{without}");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let closed = send(format!("smtp://127.0.0.1:{port}?tls=none")).await;
    assert!(closed.contains("host and port are in SMTP_URL"), "{closed}");
}

#[tokio::test]
async fn an_unknown_graph_sender_names_the_flag_that_gave_it() {
    let (fake, client) = graph().await;
    let mut graph = args(&["hr@nordlys.example"], EmailVia::Graph, EmailWhen::Always);
    graph.email_from = Some("nobody@nordlys.example".to_owned());
    let report = failed_report();
    let composer = ReportEmail::new(&report);
    let outcome = send_report_with(&graph, composer, Some(&client), &SmtpEnv::default()).await;
    let said = outcome.to_string();
    assert!(said.contains("no mailbox \"nobody@nordlys.example\""), "{said}");
    assert!(said.contains("give that address with --email-from"), "{said}");
    assert!(fake.sent_mail().is_empty());
}

#[test]
fn the_smtp_password_never_shows() {
    let env = SmtpEnv {
        url: Some("smtp://u@mail.example.com".into()),
        password: Some(SecretString::from("hunter2")),
    };
    assert!(!format!("{env:?}").contains("hunter2"));
}

//! `sync apply --email-on problems` against the demo company, on an hourly schedule: the first
//! run mails its findings; a run with nothing new mails nothing; a refused write is mailed, and
//! held back after that without a mail; what stands comes back in a weekly reminder.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{argv, run};
use dirsync::store::{JsonFileStore, StateStore};
use dirsync_connect::Secrets;
use dirsync_examples::demo::DemoOrg;
use dirsync_examples::run::Outcome;
use std::path::Path;

/// `sync apply --prefer huma`, mailing the report through Graph on problems only.
async fn apply(org: &DemoOrg, dir: &Path) -> (Outcome, String) {
    let sender = org.graph.users()[0].user_principal_name.clone().unwrap();
    let extra = [
        "--prefer",
        "huma",
        "--email-to",
        "it@example.com",
        "--email-via",
        "graph",
        "--email-from",
        sender.as_str(),
        "--email-on",
        "problems",
    ];
    run(argv(org, dir, "apply", &extra), Secrets::for_fakes()).await
}

#[tokio::test]
async fn only_news_is_mailed_on_problems_and_what_stands_once_a_week() {
    let org = DemoOrg::start().await;
    let dir = tempfile::tempdir().unwrap();
    const NOT_SENT: &str = "Report email not sent: the run had no problems (--email-on problems).";

    // 1. The first run has findings (a country that is not a code): all new, so it is mailed.
    let (outcome, text) = apply(&org, dir.path()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let sent = org.graph.sent_mail();
    assert_eq!(sent.len(), 1, "{text}");
    assert!(sent[0].subject.contains("finding"), "{}", sent[0].subject);
    assert!(!text.contains("cannot be created"), "nobody is created in Huma: {text}");

    // 2. An hour later nothing is new: the same findings stand, and nothing is mailed.
    let (outcome, text) = apply(&org, dir.path()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains(NOT_SENT), "{text}");
    assert_eq!(org.graph.sent_mail().len(), 1);

    // 3. Lars's new phone is refused in Azure AD (he is an administrator there): mailed.
    let (hl, al) = &org.cast.conflicting_phone;
    org.graph.set_admin(al, true);
    assert!(org.huma.update_user(hl, |lars| lars.phone = Some("+46 70 111 22 33".into())));
    let (outcome, text) = apply(&org, dir.path()).await;
    assert_eq!(outcome, Outcome::SomeFailed, "{text}");
    let sent = org.graph.sent_mail();
    assert_eq!(sent.len(), 2, "{text}");
    assert!(sent[1].subject.contains("1 failed"), "{}", sent[1].subject);

    // 4. Held back from then on: reported already, so nothing is mailed.
    let (outcome, text) = apply(&org, dir.path()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    assert!(text.contains("held back"), "{text}");
    assert!(text.contains(NOT_SENT), "{text}");
    assert_eq!(org.graph.sent_mail().len(), 2);

    // 5. A week after they were last mailed, what stands is mailed once as a reminder.
    let store = JsonFileStore::new(dir.path().join("state.json"));
    let week_ago = |state: &mut dirsync::store::SyncState| {
        for seen in state.reported.values_mut() {
            seen.shown -= chrono::Duration::days(7);
        }
    };
    let aged = store.update(&mut |state| week_ago(state)).await.unwrap();
    assert!(!aged.reported.is_empty());
    let (outcome, text) = apply(&org, dir.path()).await;
    assert_eq!(outcome, Outcome::Done, "{text}");
    let sent = org.graph.sent_mail();
    assert_eq!(sent.len(), 3, "{text}");
    assert!(sent[2].subject.contains("weekly reminder"), "{}", sent[2].subject);
    let (_, text) = apply(&org, dir.path()).await;
    assert!(text.contains(NOT_SENT), "{text}");
    assert_eq!(org.graph.sent_mail().len(), 3);
}

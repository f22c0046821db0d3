//! Leavers, unreadable records and held-back writes end to end: the real Huma and Graph clients
//! against the stateful fakes, through the library's Synchronizer.
#![allow(clippy::unwrap_used)]

use dirsync::{
    apply::ApplyOptions,
    directory::Directory,
    held::Write,
    model::Person,
    plan::FindingKind,
    policy::{Leavers, Policy},
    report::Action,
    store::{MemoryStore, StateStore},
    sync::{Synced, Synchronizer},
};
use dirsync_e2e::fakes::{FakeSettings, Fakes};
use dirsync_e2e::flow::{self, Clients, Tuning};
use serde_json::json;
use testkit::HumaView;

fn person(i: usize) -> Person {
    Person::new()
        .with_email(format!("p{i}@contoso.com"))
        .with_employment_id(format!("E-{i}"))
        .with_given_name(format!("Given{i}"))
        .with_family_name(format!("Family{i}"))
        .with_job_title("Engineer")
}

/// `n` people in both fakes, with the same values; the clients connected.
async fn organisation(n: usize) -> (Fakes, Clients) {
    let fakes = Fakes::start(&FakeSettings::default()).await;
    for i in 0..n {
        fakes.huma.insert_person(&person(i)).unwrap();
        fakes.graph.insert_person(&person(i)).unwrap();
    }
    let clients = flow::connect(&fakes.endpoints(), &Tuning::default()).unwrap();
    (fakes, clients)
}

fn huma_id(fakes: &Fakes, i: usize) -> String {
    fakes.huma.user_by_email(&format!("p{i}@contoso.com")).unwrap().id
}

fn graph_id(fakes: &Fakes, i: usize) -> String {
    fakes.graph.user(&format!("p{i}@contoso.com")).unwrap().id
}

fn enabled(fakes: &Fakes, i: usize) -> Option<bool> {
    fakes.graph.user(&format!("p{i}@contoso.com")).unwrap().account_enabled
}

async fn run(sync: &Synchronizer<'_>) -> Synced {
    let planned = sync.plan().await.unwrap_or_else(|e| panic!("the plan: {e}"));
    planned.apply().await.unwrap_or_else(|e| panic!("the apply: {e}"))
}

fn leavers_policy() -> Policy {
    Policy { leavers: Leavers { disable: true, revoke_sessions: true }, ..flow::policy() }
}

#[tokio::test]
async fn leavers_are_disabled_and_signed_out_in_azure_ad_and_an_admin_is_reported() {
    let (fakes, clients) = organisation(12).await;
    let store = MemoryStore::new();
    let sync =
        Synchronizer::new(&clients.huma, &clients.azure, &store).with_policy(leavers_policy());
    run(&sync).await;

    // p1 becomes inactive, p2 is deleted from Huma, p3 (an administrator) becomes inactive.
    fakes.huma.set_active(&huma_id(&fakes, 1), false).unwrap();
    fakes.huma.delete_user(&huma_id(&fakes, 2)).unwrap();
    fakes.huma.set_active(&huma_id(&fakes, 3), false).unwrap();
    fakes.graph.set_admin(&graph_id(&fakes, 3), true);

    let synced = run(&sync).await;
    let report = &synced.report;
    assert_eq!(report.counts.disabled_in_idp, 2, "{report:#?}");
    assert_eq!((enabled(&fakes, 1), enabled(&fakes, 2)), (Some(false), Some(false)));
    assert_eq!(enabled(&fakes, 3), Some(true), "the administrator's account is unchanged");
    assert_eq!(fakes.graph.users().len(), 12, "nobody deleted");
    assert_eq!(fakes.graph.revocations(&graph_id(&fakes, 1)), 1);
    assert_eq!(fakes.graph.revocations(&graph_id(&fakes, 2)), 1);
    let refused = report
        .failures()
        .find(|op| op.action == Action::Disable)
        .unwrap_or_else(|| panic!("the administrator's disable is reported: {report:#?}"));
    assert_eq!(refused.name, "Given3 Family3");
    let markdown = dirsync_report::markdown(report);
    assert!(markdown.contains("## Accounts disabled: 2"), "{markdown}");
    assert!(markdown.contains("administrator"), "the message says why and what to do: {markdown}");

    // The next run holds the refused disable back and succeeds.
    let synced = run(&sync).await;
    assert!(synced.report.is_success(), "{:#?}", synced.report);
    assert_eq!(synced.report.held.len(), 1);
    assert_eq!(synced.report.held[0].write, Write::Account(dirsync::plan::AccountAction::Disable));

    // p1 returns: the account the sync disabled is enabled again.
    fakes.huma.set_active(&huma_id(&fakes, 1), true).unwrap();
    let synced = run(&sync).await;
    assert_eq!(synced.report.counts.enabled_in_idp, 1);
    assert_eq!(enabled(&fakes, 1), Some(true));
    assert!(!store.load().await.unwrap().disabled.contains_key(&graph_id(&fakes, 1).into()));
}

#[tokio::test]
async fn records_of_the_wrong_shape_on_either_side_block_nobody_else() {
    let (fakes, clients) = organisation(40).await;
    // Two people only in Huma, to be created in Azure AD.
    fakes.huma.insert_person(&person(100)).unwrap();
    fakes.huma.insert_person(&person(101)).unwrap();
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&clients.huma, &clients.azure, &store).with_policy(flow::policy());
    run(&sync).await;

    // p0's Azure user and p1's Huma details turn to the wrong shape; p5 and p6 change phone in
    // Huma.
    fakes.graph.set_raw_property(&graph_id(&fakes, 0), "jobTitle", json!(42)).unwrap();
    fakes
        .huma
        .set_raw_property(&huma_id(&fakes, 1), HumaView::Details, "status", json!("yes"))
        .unwrap();
    for i in [5, 6] {
        fakes.huma.update_user(&huma_id(&fakes, i), |u| u.phone = Some(format!("+47 5000 000{i}")));
    }
    let synced = run(&sync).await;
    let report = &synced.report;
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(report.counts.updated_in_idp, 2, "p5 and p6 still sync: {report:#?}");
    let unreadable: Vec<&str> = synced
        .plan
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Unreadable)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(unreadable.len(), 2, "{unreadable:?}");
    assert!(unreadable.iter().any(|m| m.contains("jobTitle")), "{unreadable:?}");
    assert!(unreadable.iter().any(|m| m.contains("status")), "{unreadable:?}");
    assert_eq!(fakes.graph.users().len(), 42, "nobody created twice");
    // The links of the unreadable records are kept for when they are readable again.
    let state = store.load().await.unwrap();
    assert!(state.links.contains_key(&huma_id(&fakes, 1).into()));
    assert!(state.links.values().any(|l| l.idp.as_str() == graph_id(&fakes, 0)));

    // Most of Azure AD of the wrong shape: the format changed, nothing is written at all.
    for i in 2..10 {
        fakes.graph.set_raw_property(&graph_id(&fakes, i), "jobTitle", json!(["x"])).unwrap();
    }
    fakes.huma.update_user(&huma_id(&fakes, 20), |u| u.phone = Some("+47 5000 0020".into()));
    let Err(err) = sync.plan().await else { panic!("9 of 42 unreadable is more than 5 %") };
    assert!(err.to_string().contains("Azure AD"), "{err}");
}

#[tokio::test]
async fn a_value_graph_refuses_is_held_back_then_released() {
    let (fakes, clients) = organisation(3).await;
    let store = MemoryStore::new();
    let sync = Synchronizer::new(&clients.huma, &clients.azure, &store).with_policy(flow::policy());
    run(&sync).await;
    fakes.huma.update_user(&huma_id(&fakes, 1), |u| u.phone = Some("+47 5000 0001".into()));
    let refusal = "Invalid value specified for property 'businessPhones' of resource 'User'.";
    fakes.graph.refuse_writes(&graph_id(&fakes, 1), 400, "Request_BadRequest", refusal).unwrap();

    let first = run(&sync).await;
    assert_eq!(first.report.counts.failed, 1);
    assert!(!first.report.is_success());
    let second = run(&sync).await;
    assert!(second.report.is_success(), "held back: {:#?}", second.report);
    assert!(dirsync_report::markdown(&second.report).contains("held back since"));
    assert_eq!(second.report.operations.len(), 0);

    // Fixed in Azure AD's settings, released by a person: the next run writes it.
    fakes.graph.accept_writes(&graph_id(&fakes, 1));
    let held = store.load().await.unwrap().held;
    assert_eq!(held.len(), 1);
    let released = sync.release(held[0].id.as_str()).await.unwrap();
    assert_eq!(released.len(), 1);
    let third = run(&sync).await;
    assert_eq!(third.report.counts.updated_in_idp, 1, "{:#?}", third.report);
    let written = clients.azure.get(&graph_id(&fakes, 1).into()).await.unwrap().unwrap();
    assert_eq!(written.person.phone(), Some("+47 5000 0001"));

    // --retry-held tries a held write at once.
    fakes.huma.update_user(&huma_id(&fakes, 2), |u| u.phone = Some("+47 5000 0002".into()));
    fakes
        .graph
        .refuse_writes(
            &graph_id(&fakes, 2),
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
        .unwrap();
    run(&sync).await;
    let retry = sync.clone().with_apply_options(ApplyOptions::default().with_retry_held(true));
    let retried = run(&retry).await;
    assert!(retried.report.held[0].tried_again, "{:#?}", retried.report);
}

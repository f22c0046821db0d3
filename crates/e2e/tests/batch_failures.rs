//! A `$batch` where some inner requests fail for good (Graph refuses to change the phone of users
//! who hold admin roles): those people are reported failed, the rest of the batch is done, later
//! runs hold those writes back, and once released they are the only ones tried again.
#![allow(clippy::unwrap_used)]

mod common;

use common::seeded;
use dirsync::{
    model::Side,
    report::{Action, Outcome},
    store::SyncState,
};
use dirsync_e2e::fakes::FakeSettings;
use dirsync_e2e::flow::{self, SyncOptions, Tuning};
use dirsync_e2e::world::{Kind, World, email};
use std::collections::BTreeSet;
use testkit::Route;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inner_requests_that_fail_for_good_fail_only_their_people_and_only_they_are_retried() {
    let world = World::generate(1_000);
    let tuning = Tuning::default();
    let (fakes, clients) = seeded(&world, &FakeSettings::default(), &tuning).await;
    // Everyone whose Azure AD phone is to be written holds an admin role: 403 on those PATCHes.
    let admins: BTreeSet<String> = (0..world.size)
        .filter(|&i| matches!(Kind::of(i), Kind::PhoneConflict | Kind::IdpMissingPhone))
        .map(|i| fakes.graph.user(&email(i)).unwrap().id)
        .collect();
    assert_eq!(admins.len(), 10);
    for id in &admins {
        fakes.graph.set_admin(id, true);
    }
    let options = SyncOptions::default().tuned(&tuning);
    let mut state = SyncState::new();

    let first = flow::full_sync(&clients, &mut state, &options).await.unwrap();

    let failed: BTreeSet<String> = first
        .report
        .failures()
        .map(|op| {
            assert_eq!((op.action, op.target), (Action::Update, Side::Idp), "{op:?}");
            let Outcome::Failed { message, .. } = &op.outcome else { panic!("{op:?}") };
            assert!(
                message.contains("Authorization_RequestDenied") || message.contains("403"),
                "{message}"
            );
            op.idp.as_ref().unwrap().as_str().to_owned()
        })
        .collect();
    assert_eq!(failed, admins, "exactly the admins failed");
    let counts = first.report.counts;
    assert_eq!(counts.failed, admins.len());
    assert_eq!(counts.updated_in_idp, world.expected.update_idp - admins.len(), "the rest is done");
    assert_eq!(counts.updated_in_hr, world.expected.update_hr);
    assert_eq!(counts.created_in_idp, world.expected.create_idp);
    // The failures shared batches with writes that succeeded.
    assert!(
        fakes.graph.counts().get(Route::Batch) < (world.expected.update_idp as u64).div_ceil(10)
    );

    // The next run holds the refused writes back, writes nothing, and succeeds.
    fakes.reset_counts();
    let held = flow::full_sync(&clients, &mut state, &options).await.unwrap();
    assert!(held.report.is_success(), "{:?}", held.report.counts);
    assert_eq!(held.report.held.len(), admins.len());
    assert_eq!(fakes.counts().1.get(Route::UpdateUser) + fakes.counts().1.get(Route::Batch), 0);

    // The admin roles are sorted out and the held writes released: the next run writes those ten
    // people and nobody else.
    for id in &admins {
        fakes.graph.set_admin(id, false);
    }
    fakes.reset_counts();
    let retry = SyncOptions { retry_held: true, ..options.clone() };
    let second = flow::full_sync(&clients, &mut state, &retry).await.unwrap();
    let retried: BTreeSet<String> = second
        .report
        .operations
        .iter()
        .map(|op| {
            assert_eq!(op.outcome, Outcome::Done, "{op:?}");
            op.idp.as_ref().unwrap().as_str().to_owned()
        })
        .collect();
    assert_eq!(retried, admins);
    let (huma, graph) = fakes.counts();
    assert_eq!(graph.get(Route::UpdateUser), admins.len() as u64);
    assert_eq!(graph.get(Route::CreateUser) + huma.get(Route::UpdateUser), 0);
    let phones: BTreeSet<Option<String>> =
        admins.iter().map(|id| fakes.graph.user(id).unwrap().mobile_phone).collect();
    assert!(phones.iter().all(Option::is_some));
}

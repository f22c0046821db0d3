//! "Email on problems": a report says what it shows that the last run's did not, by what the
//! state remembers of it, so a run with nothing new is not mailed and a standing finding comes
//! back once a week at most.

use chrono::{DateTime, Duration, Utc};
use dirsync::{
    apply::ApplyOptions,
    directory::{ErrorKind, InMemoryDirectory, Record},
    mail::EmailOn,
    model::Person,
    plan::FindingKind,
    policy::{ConflictRule, Policy},
    report::Report,
    store::MemoryStore,
    sync::Synchronizer,
};

fn ada(title: &str) -> Person {
    Person::new().with_email("ada@example.com").with_employment_id("E1").with_job_title(title)
}

/// Huma: Ada, and two people sharing the employment id E7 (a finding that stands).
fn huma() -> InMemoryDirectory {
    InMemoryDirectory::new([
        Record::new("h1", ada("CTO")),
        Record::new("h2", Person::new().with_email("bo@example.com").with_employment_id("E7")),
        Record::new("h3", Person::new().with_email("cy@example.com").with_employment_id("E7")),
    ])
    .with_name("Huma")
}

fn azure() -> InMemoryDirectory {
    InMemoryDirectory::new([
        Record::new("a1", ada("Engineer")),
        Record::new("a7", Person::new().with_email("e7@example.com").with_employment_id("E7")),
    ])
    .with_name("Azure AD")
}

fn start() -> DateTime<Utc> {
    "2026-03-02T06:00:00Z".parse().expect("a time")
}

/// One sync at `at`, settled by the policy (Huma wins, nobody created).
async fn run(
    hr: &InMemoryDirectory,
    idp: &InMemoryDirectory,
    store: &MemoryStore,
    at: DateTime<Utc>,
) -> Report {
    let policy = Policy { conflicts: ConflictRule::PreferHr, ..Policy::default() };
    let sync = Synchronizer::new(hr, idp, store)
        .with_policy(policy)
        .with_apply_options(ApplyOptions::default().with_now(at));
    let planned = sync.plan().await.expect("planned");
    planned.apply().await.expect("applied").report
}

#[tokio::test]
async fn a_run_with_nothing_new_is_not_mailed_on_problems_and_a_standing_finding_comes_back_weekly()
{
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let hour = Duration::hours(1);

    let first = run(&hr, &idp, &store, start()).await;
    assert_eq!(first.findings[0].kind, FindingKind::Ambiguous);
    let news = first.news.clone().expect("a sync's report has news");
    assert_eq!(news.findings, [first.findings[0].id.clone()], "the finding is new");
    assert!(EmailOn::Problems.wants(&first));

    let again = run(&hr, &idp, &store, start() + hour).await;
    assert_eq!(again.findings, first.findings, "the finding stands");
    assert!(again.news.as_ref().is_some_and(|n| n.is_empty()), "{:?}", again.news);
    assert!(!EmailOn::Problems.wants(&again), "nothing new: no email");
    assert!(EmailOn::Always.wants(&again));

    // Azure AD refuses Ada's new job title for good: a failure, mailed with the finding in it.
    idp.refuse(&"a1".into(), ErrorKind::InvalidValue, "jobTitle is not allowed");
    hr.put(Record::new("h1", ada("Chief Technology Officer")));
    let refused = run(&hr, &idp, &store, start() + hour * 2).await;
    assert_eq!(refused.counts.failed, 1);
    assert!(EmailOn::Problems.wants(&refused));
    assert_eq!(refused.findings, first.findings, "the standing finding is repeated in it");

    // Held back from now on: no news, since the failure was reported.
    let held = run(&hr, &idp, &store, start() + hour * 2 + Duration::minutes(30)).await;
    assert_eq!(held.held.len(), 1, "{held:#?}");
    assert!(!EmailOn::Problems.wants(&held), "{:?}", held.news);

    // A week after the last email that showed them, they are mailed again, once.
    let week = start() + hour * 2 + Duration::days(7);
    let early = run(&hr, &idp, &store, week - hour).await;
    assert!(!EmailOn::Problems.wants(&early), "{:?}", early.news);
    let reminder = run(&hr, &idp, &store, week).await;
    assert!(reminder.news.as_ref().is_some_and(|n| n.reminder), "{:?}", reminder.news);
    assert!(EmailOn::Problems.wants(&reminder));
    let after = run(&hr, &idp, &store, week + hour).await;
    assert!(!EmailOn::Problems.wants(&after), "{:?}", after.news);

    let state = store.state();
    assert_eq!(state.reported.len(), 2, "the finding and the held-back write: {state:#?}");
    assert!(state.reported.values().all(|seen| seen.shown == week));
}

#[tokio::test]
async fn a_finding_new_beside_standing_ones_is_mailed_and_names_only_itself_as_new() {
    let (hr, idp, store) = (huma(), azure(), MemoryStore::new());
    let first = run(&hr, &idp, &store, start()).await;
    // A second pair sharing an employment id appears.
    hr.put(Record::new("h8", Person::new().with_email("di@example.com").with_employment_id("E8")));
    hr.put(Record::new("h9", Person::new().with_email("ed@example.com").with_employment_id("E8")));
    idp.put(Record::new("a8", Person::new().with_email("e8@example.com").with_employment_id("E8")));
    let second = run(&hr, &idp, &store, start() + Duration::hours(1)).await;
    assert_eq!(second.findings.len(), 2);
    let news = second.news.clone().expect("news");
    let new: Vec<_> = second.findings.iter().filter(|f| news.is_new(&f.id)).collect();
    assert_eq!(new.len(), 1);
    assert_ne!(new[0].id, first.findings[0].id);
    assert!(EmailOn::Problems.wants(&second));
}

//! Pairing rules: links first, then employment id, then email; ambiguity pairs nobody.

mod common;

use common::{person, plan};
use dirsync::{
    directory::Record,
    model::{Person, Side},
    plan::{FindingKind, MatchedBy, RecordRef, reconcile},
    policy::{CreationRule, Policy},
    store::SyncState,
};

fn create_everyone() -> Policy {
    Policy {
        create_in_hr: CreationRule::All,
        create_in_idp: CreationRule::All,
        ..Policy::default()
    }
}

#[test]
fn a_remembered_link_pairs_even_when_keys_differ() {
    let hr = vec![Record::new("h1", person("old@example.com").with_employment_id("E1"))];
    let idp = vec![Record::new("a1", person("new@example.com").with_employment_id("E9"))];
    let mut state = SyncState::new();
    state.link("h1".into(), "a1".into(), Person::new());
    let plan = reconcile(&common::snap(hr), &common::snap(idp), &state, &create_everyone());
    assert_eq!(plan.pairs.len(), 1);
    assert_eq!(plan.pairs[0].matched_by, MatchedBy::Link);
    assert!(plan.creations.is_empty());
}

#[test]
fn employment_id_pairs_before_email() {
    // h1 shares an email with a2 but an employment id with a1: the employment id wins.
    let hr = vec![Record::new("h1", person("ada@example.com").with_employment_id("E1"))];
    let idp = vec![
        Record::new("a1", person("other@example.com").with_employment_id("E1")),
        Record::new("a2", person("ada@example.com")),
    ];
    let plan = plan(hr, idp, &Policy::default());
    assert_eq!(plan.pairs.len(), 1);
    assert_eq!(
        (plan.pairs[0].idp.as_str(), plan.pairs[0].matched_by),
        ("a1", MatchedBy::EmploymentId)
    );
}

#[test]
fn email_pairs_ignoring_case_and_padding() {
    let hr = vec![Record::new("h1", person(" Ada@Example.com"))];
    let idp = vec![Record::new("a1", person("ada@EXAMPLE.com "))];
    let plan = plan(hr, idp, &Policy::default());
    assert_eq!(plan.pairs.len(), 1);
    assert_eq!(plan.pairs[0].matched_by, MatchedBy::Email);
}

#[test]
fn two_hr_people_with_one_employment_id_are_neither_paired_nor_created() {
    let hr = vec![
        Record::new("h1", person("a@example.com").with_employment_id("E1")),
        Record::new("h2", person("b@example.com").with_employment_id("E1")),
    ];
    let idp = vec![Record::new("a1", person("c@example.com").with_employment_id("E1"))];
    let plan = plan(hr, idp, &create_everyone());
    assert!(plan.pairs.is_empty());
    assert!(plan.creations.is_empty(), "{:?}", plan.creations);
    let finding = plan.findings.iter().find(|f| f.kind == FindingKind::Ambiguous).unwrap();
    let ids: Vec<&str> = finding.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["h1", "h2", "a1"]);
    assert!(finding.message.contains("\"E1\""), "{}", finding.message);
}

#[test]
fn duplicate_employment_ids_on_one_side_alone_are_not_created_on_the_other() {
    let hr = vec![
        Record::new("h1", person("a@example.com").with_employment_id("E1")),
        Record::new("h2", person("b@example.com").with_employment_id("E1")),
    ];
    let plan = plan(hr, vec![], &create_everyone());
    assert!(plan.creations.is_empty());
    assert_eq!(plan.findings.len(), 1);
    assert_eq!(plan.findings[0].kind, FindingKind::Ambiguous);
}

#[test]
fn one_email_on_two_directory_users_pairs_none_and_names_them_all() {
    let hr = vec![Record::new("h1", person("ada@example.com"))];
    let idp = vec![
        Record::new("a1", person("ada@example.com")),
        Record::new("a2", person("ADA@example.com")),
    ];
    let plan = plan(hr, idp, &create_everyone());
    assert!(plan.pairs.is_empty());
    assert!(plan.creations.is_empty());
    assert_eq!(plan.findings.len(), 1);
    let refs = &plan.findings[0].records;
    assert_eq!(refs.len(), 3);
    assert!(refs.contains(&RecordRef { side: Side::Idp, id: "a2".into() }));
}

#[test]
fn a_record_claimed_by_two_links_is_paired_once_and_reported() {
    let hr = vec![
        Record::new("h1", person("a@example.com")),
        Record::new("h2", person("b@example.com")),
    ];
    let idp = vec![Record::new("a1", person("a@example.com"))];
    let mut state = SyncState::new();
    state.link("h1".into(), "a1".into(), Person::new());
    state.link("h2".into(), "a1".into(), Person::new());
    let plan = reconcile(&common::snap(hr), &common::snap(idp), &state, &Policy::default());
    assert_eq!(plan.pairs.len(), 1);
    assert_eq!(plan.pairs[0].hr.as_str(), "h1");
    assert!(plan.findings.iter().any(
        |f| f.kind == FindingKind::Ambiguous && f.records.iter().any(|r| r.id.as_str() == "h2")
    ));
}

#[test]
fn a_link_to_a_vanished_record_is_reported() {
    let hr = vec![Record::new("h1", person("a@example.com"))];
    let mut state = SyncState::new();
    state.link("h1".into(), "gone".into(), Person::new());
    let plan = reconcile(&common::snap(hr), &common::snap(vec![]), &state, &Policy::default());
    let finding = plan.findings.iter().find(|f| f.kind == FindingKind::LinkBroken).unwrap();
    assert!(finding.message.contains("gone"));
    assert_eq!(plan.creations.len(), 1, "the person is treated as found in HR only");
}

#[test]
fn an_out_of_scope_person_still_pairs_so_their_twin_is_not_created_again() {
    let hr = vec![Record::new("h1", person("a@example.com").with_job_title("CTO")).inactive()];
    let idp = vec![Record::new("a1", person("a@example.com").with_job_title("Engineer"))];
    let plan = plan(hr, idp, &create_everyone());
    assert_eq!(plan.pairs.len(), 1);
    assert!(!plan.pairs[0].in_scope);
    assert!(plan.changes.is_empty(), "an out-of-scope pair is left alone");
    assert!(plan.creations.is_empty(), "the twin is not mistaken for someone missing");
}

#[test]
fn creating_someone_whose_key_is_taken_on_the_other_side_is_a_finding() {
    // h1 pairs with a1 by employment id; a2 carries h1's email but cannot be created in HR.
    let hr = vec![Record::new("h1", person("ada@example.com").with_employment_id("E1"))];
    let idp = vec![
        Record::new("a1", person("other@example.com").with_employment_id("E1")),
        Record::new("a2", person("ada@example.com")),
    ];
    let plan = plan(hr, idp, &create_everyone());
    assert!(plan.creations.is_empty());
    let finding = plan.findings.iter().find(|f| f.kind == FindingKind::WouldDuplicate).unwrap();
    let ids: Vec<&str> = finding.records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, ["h1", "a2"]);
}

#[test]
fn a_repeated_record_id_is_used_once_and_reported() {
    let hr = vec![
        Record::new("h1", person("a@example.com")),
        Record::new("h1", person("b@example.com")),
    ];
    let idp = vec![Record::new("a1", person("b@example.com"))];
    let plan = plan(hr, idp, &create_everyone());
    assert!(plan.pairs.is_empty(), "the repeat is held back, not paired by its email");
    assert!(plan.findings.iter().any(|f| f.kind == FindingKind::DuplicateRecordId));
}

#[test]
fn a_shared_placeholder_email_pairs_nobody_and_creates_nobody() {
    // "n/a" on one record of each side: the same string, but not an email address.
    let hr = vec![Record::new("h1", person("n/a").with_given_name("Ada"))];
    let idp = vec![Record::new("a1", person("N/A").with_given_name("Alan"))];
    let plan = plan(hr, idp, &create_everyone());
    assert!(plan.pairs.is_empty());
    assert!(plan.creations.is_empty());

    let malformed: Vec<_> =
        plan.findings.iter().filter(|f| f.kind == FindingKind::MalformedEmail).collect();
    assert_eq!(malformed.len(), 1, "{:?}", plan.findings);
    assert_eq!(
        malformed[0].records,
        [
            RecordRef { side: Side::Hr, id: "h1".into() },
            RecordRef { side: Side::Idp, id: "a1".into() }
        ]
    );
    assert!(malformed[0].message.contains("\"n/a\", which is not an email address (it has no @)"));
    // Each is found on one side only, and refused creation for the same reason.
    let refused: Vec<&str> = plan
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::CannotCreate)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|m| m.contains("is malformed: it has no @")), "{refused:?}");
}

#[test]
fn a_malformed_email_on_one_side_only_blocks_the_creation_with_the_reason() {
    let hr = vec![Record::new("h1", person("ada@example").with_given_name("Ada"))];
    let plan = plan(hr, Vec::new(), &create_everyone());
    assert!(plan.creations.is_empty());
    assert_eq!(plan.findings.len(), 1);
    assert_eq!(plan.findings[0].kind, FindingKind::CannotCreate);
    assert_eq!(
        plan.findings[0].message,
        "Ada exists only in the HR system and cannot be created: the email \"ada@example\" is \
         malformed: the domain after the @ is not a domain name like example.com; correct it in \
         the HR system"
    );
}

#[test]
fn findings_name_the_directories_not_the_sides() {
    let hr = dirsync::directory::Snapshot::new(vec![
        Record::new("h1", person("ada@example.com")),
        Record::new("h2", person("ada@example.com")),
        Record::new("h3", person("n/a")),
    ])
    .with_name("Huma");
    let idp = dirsync::directory::Snapshot::new(vec![
        Record::new("a1", person("ada@example.com")),
        Record::new("a3", person("n/a")),
    ])
    .with_name("Azure AD");
    let plan = reconcile(&hr, &idp, &SyncState::new(), &Policy::default());
    let messages: Vec<&str> = plan.findings.iter().map(|f| f.message.as_str()).collect();
    let shared = messages.iter().find(|m| m.contains("share the email")).expect("ambiguous");
    assert!(shared.contains("Huma h1, Huma h2, Azure AD a1"), "{shared}");
    let malformed = messages.iter().find(|m| m.contains("not an email")).expect("malformed");
    assert!(malformed.starts_with("Huma h3 and Azure AD a3"), "{malformed}");
    assert!(messages.iter().all(|m| !m.contains("HR system") && !m.contains("identity directory")));
}

//! Real-time push: the minimal identity-directory write for one HR person.

use chrono::NaiveDate;
use dirsync::{
    Address, AutoProvisioning, BlockReason, Capabilities, CountryCode, CreateRefusal, Directory,
    Field, FieldChange, FieldSet, FieldValue, InMemoryDirectory, Limits, Person, RealtimeOp,
    Record, realtime_push,
};

fn no() -> Option<CountryCode> {
    Some(CountryCode::parse("NO").expect("NO is alpha-2"))
}

fn ada() -> Person {
    Person::new()
        .with_email("ada@example.com")
        .with_employment_id("E1")
        .with_given_name("Ada")
        .with_family_name("Lovelace")
        .with_job_title("CTO")
        .with_employment_start_date(NaiveDate::from_ymd_opt(2024, 3, 1).expect("a date"))
}

fn text(field: Field, value: &str) -> FieldChange {
    FieldChange { field, value: FieldValue::Text(value.to_owned()) }
}

fn caps() -> Capabilities {
    Capabilities::default()
}

#[test]
fn nothing_is_pushed_when_nothing_differs() {
    let linked = Record::new("a1", ada());
    assert_eq!(realtime_push(&ada(), Some(&linked), &caps(), AutoProvisioning::On), None);
}

#[test]
fn only_the_fields_that_differ_are_pushed() {
    let linked = Record::new("a1", ada().with_job_title("Engineer").with_given_name("A."));
    let op = realtime_push(&ada(), Some(&linked), &caps(), AutoProvisioning::Off);
    assert_eq!(
        op,
        Some(RealtimeOp::Update {
            id: "a1".into(),
            changes: vec![text(Field::GivenName, "Ada"), text(Field::JobTitle, "CTO")],
            skipped: vec![],
        })
    );
}

#[test]
fn a_value_the_hr_person_lacks_is_never_cleared_nor_pulled_back() {
    // The directory has a phone HR lacks: nothing is pushed, and nothing flows back to HR.
    let linked = Record::new("a1", ada().with_phone("+47 100"));
    assert_eq!(realtime_push(&ada(), Some(&linked), &caps(), AutoProvisioning::On), None);
}

#[test]
fn the_address_is_merged_so_no_known_part_is_lost() {
    let hr = ada().with_address(Address::new("Storgata 1", "", "Oslo", no()));
    let linked =
        Record::new("a1", ada().with_address(Address::new("Old street 9", "0150", "", None)));
    let op = realtime_push(&hr, Some(&linked), &caps(), AutoProvisioning::Off);
    assert_eq!(
        op,
        Some(RealtimeOp::Update {
            id: "a1".into(),
            changes: vec![FieldChange {
                field: Field::Address,
                value: FieldValue::Address(Address::new("Storgata 1", "0150", "Oslo", no())),
            }],
            skipped: vec![],
        })
    );

    // An HR address that is part of the directory's is no difference.
    let partial = ada().with_address(Address::new("", "0150", "", None));
    assert_eq!(realtime_push(&partial, Some(&linked), &caps(), AutoProvisioning::Off), None);
}

#[test]
fn read_only_unwritable_and_too_long_fields_are_skipped_with_why() {
    let caps = Capabilities {
        writable: FieldSet::all().iter().filter(|f| *f != Field::EmploymentStartDate).collect(),
        limits: Limits { job_title: Some(3), ..Limits::default() },
        ..Capabilities::default()
    };
    let hr = ada().with_phone("+47 100").with_job_title("Chief Technology Officer");
    let linked =
        Record::new("a1", Person::new().with_email("ada@example.com").with_given_name("Ada"))
            .read_only(Field::Phone);
    let Some(RealtimeOp::Update { id, changes, skipped }) =
        realtime_push(&hr, Some(&linked), &caps, AutoProvisioning::Off)
    else {
        panic!("expected an update");
    };
    assert_eq!(id.as_str(), "a1");
    assert_eq!(changes, vec![text(Field::EmploymentId, "E1"), text(Field::FamilyName, "Lovelace")]);
    let skipped: Vec<(Field, String)> =
        skipped.into_iter().map(|(f, reason)| (f, reason.to_string())).collect();
    assert_eq!(
        skipped,
        vec![
            (Field::Phone, "the field is read-only for this person there".to_owned()),
            (
                Field::JobTitle,
                "Job title is 24 characters long, over the limit of 3: shorten it at the source"
                    .to_owned()
            ),
            (Field::EmploymentStartDate, "that system cannot write this field".to_owned()),
        ]
    );
}

#[test]
fn a_difference_that_cannot_be_written_is_reported_not_written() {
    let linked = Record::new("a1", ada().with_job_title("Engineer")).read_only(Field::JobTitle);
    let op =
        realtime_push(&ada(), Some(&linked), &caps(), AutoProvisioning::Off).expect("a difference");
    assert!(!op.writes());
    assert_eq!(
        op,
        RealtimeOp::Update {
            id: "a1".into(),
            changes: vec![],
            skipped: vec![(Field::JobTitle, BlockReason::ReadOnly)],
        }
    );
}

#[test]
fn an_unlinked_person_is_created_only_with_auto_provisioning() {
    assert_eq!(realtime_push(&ada(), None, &caps(), AutoProvisioning::Off), None);
    let op = realtime_push(&ada(), None, &caps(), AutoProvisioning::On);
    assert_eq!(op, Some(RealtimeOp::Create { person: ada(), left_out: vec![] }));
}

#[test]
fn a_created_person_leaves_out_what_the_directory_cannot_take() {
    let caps = Capabilities {
        writable: FieldSet::all().iter().filter(|f| *f != Field::EmploymentStartDate).collect(),
        limits: Limits { employment_id: Some(1), ..Limits::default() },
        ..Capabilities::default()
    };
    let Some(RealtimeOp::Create { person, left_out }) =
        realtime_push(&ada(), None, &caps, AutoProvisioning::On)
    else {
        panic!("expected a create");
    };
    assert_eq!(person.employment_id(), None);
    assert_eq!(person.employment_start_date(), None);
    assert_eq!(person.given_name(), Some("Ada"));
    let fields: Vec<Field> = left_out.iter().map(|(f, _)| *f).collect();
    assert_eq!(fields, [Field::EmploymentId, Field::EmploymentStartDate]);
}

#[test]
fn a_person_who_cannot_be_created_is_said_so() {
    let no_create = Capabilities { can_create: false, ..Capabilities::default() };
    assert_eq!(
        realtime_push(&ada(), None, &no_create, AutoProvisioning::On),
        Some(RealtimeOp::CannotCreate { reason: CreateRefusal::NotAllowed })
    );
    let needs = Capabilities {
        email_required: true,
        required_on_create: FieldSet::empty().with(Field::Phone),
        ..Capabilities::default()
    };
    assert_eq!(
        realtime_push(&Person::new().with_given_name("Ada"), None, &needs, AutoProvisioning::On),
        Some(RealtimeOp::CannotCreate {
            reason: CreateRefusal::Missing { fields: vec!["Phone number".into(), "Email".into()] }
        })
    );
    let names = dirsync::Names::new("Huma", "Azure AD");
    let reason = CreateRefusal::Missing { fields: vec!["Phone number".into(), "Email".into()] };
    assert_eq!(
        reason.explain(&names),
        "Azure AD requires Phone number, Email and it is missing or cannot be written; fill it \
         in Huma"
    );
}

#[test]
fn a_person_with_a_malformed_email_is_not_created_and_the_reason_says_why() {
    let caps = Capabilities::default();
    let typo = ada().with_email("ada.lovelace@example");
    assert_eq!(
        realtime_push(&typo, None, &caps, AutoProvisioning::On),
        Some(RealtimeOp::CannotCreate {
            reason: CreateRefusal::Email {
                problem: "the email \"ada.lovelace@example\" is malformed: the domain after the \
                          @ is not a domain name like example.com"
                    .to_owned()
            }
        })
    );
    let fine = ada().with_email("ada.lovelace@example.com");
    assert!(matches!(
        realtime_push(&fine, None, &caps, AutoProvisioning::On),
        Some(RealtimeOp::Create { .. })
    ));
}

#[tokio::test]
async fn pushing_the_update_leaves_nothing_to_push() {
    let dir = InMemoryDirectory::new([Record::new(
        "a1",
        ada().with_job_title("Engineer").with_address(Address::new("", "0150", "", None)),
    )]);
    let hr = ada().with_address(Address::new("Storgata 1", "", "Oslo", no())).with_phone("+47 1");
    let linked = dir.get(&"a1".into()).await.expect("read").expect("exists");
    let Some(RealtimeOp::Update { id, changes, .. }) =
        realtime_push(&hr, Some(&linked), &dir.capabilities(), AutoProvisioning::Off)
    else {
        panic!("expected an update");
    };
    dir.update(&id, &changes).await.expect("written");
    let after = dir.get(&id).await.expect("read").expect("exists");
    assert_eq!(after.person.address(), Some(&Address::new("Storgata 1", "0150", "Oslo", no())));
    assert_eq!(realtime_push(&hr, Some(&after), &dir.capabilities(), AutoProvisioning::Off), None);
}

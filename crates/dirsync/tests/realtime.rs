//! Real-time push: what one HR person's push writes to the identity directory, through the
//! sync's engine.

use chrono::NaiveDate;
use dirsync::{
    directory::{Capabilities, InMemoryDirectory, Limits, Record},
    model::{Address, CountryCode, Field, FieldSet, Person},
    plan::BlockReason,
    realtime::{AutoProvisioning, PersonPush, PushAction, RealtimePush},
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

/// Huma holding `hr` as h1, and Azure AD (with `caps`) holding `twin`, if any.
fn directories(
    hr: Person,
    twin: Option<Record>,
    caps: Capabilities,
) -> (InMemoryDirectory, InMemoryDirectory) {
    let huma = InMemoryDirectory::new([Record::new("h1", hr)]).with_name("Huma");
    let azure = InMemoryDirectory::with_capabilities(caps, twin).with_name("Azure AD");
    (huma, azure)
}

/// Pushes h1 (no state: the twin is found by employment id or email).
async fn push(
    huma: &InMemoryDirectory,
    azure: &InMemoryDirectory,
    provisioning: AutoProvisioning,
) -> PersonPush {
    let push = RealtimePush::new(huma, azure).with_provisioning(provisioning);
    let mut summary = push.push(&["h1".into()]).await;
    assert_eq!(summary.people.len(), 1);
    summary.people.remove(0)
}

fn person_in(dir: &InMemoryDirectory) -> Person {
    dir.records().into_iter().next().expect("one record").person
}

#[tokio::test]
async fn nothing_is_pushed_when_nothing_differs() {
    let (huma, azure) = directories(ada(), Some(Record::new("a1", ada())), Capabilities::default());
    let pushed = push(&huma, &azure, AutoProvisioning::On).await;
    assert_eq!(pushed.action, PushAction::Unchanged, "{pushed:?}");
    assert_eq!(person_in(&azure), ada());
}

#[tokio::test]
async fn only_the_fields_that_differ_are_pushed() {
    let twin = Record::new("a1", ada().with_job_title("Engineer").with_given_name("A."));
    let (huma, azure) = directories(ada(), Some(twin), Capabilities::default());
    let pushed = push(&huma, &azure, AutoProvisioning::Off).await;
    assert_eq!(pushed.action, PushAction::Updated, "{pushed:?}");
    assert_eq!(pushed.fields, [Field::GivenName, Field::JobTitle]);
    assert_eq!(person_in(&azure), ada());
}

#[tokio::test]
async fn a_value_the_hr_person_lacks_is_never_cleared_nor_pulled_back() {
    // The directory has a phone Huma lacks: nothing is pushed, and nothing flows back to Huma.
    let twin = Record::new("a1", ada().with_phone("+47 100"));
    let (huma, azure) = directories(ada(), Some(twin), Capabilities::default());
    let pushed = push(&huma, &azure, AutoProvisioning::On).await;
    assert_eq!(pushed.action, PushAction::Unchanged, "{pushed:?}");
    assert_eq!(person_in(&azure).phone(), Some("+47 100"));
    assert_eq!(person_in(&huma), ada());
}

#[tokio::test]
async fn the_address_is_merged_so_no_known_part_is_lost() {
    let hr = ada().with_address(Address::new("Storgata 1", "", "Oslo", no()));
    let twin =
        Record::new("a1", ada().with_address(Address::new("Old street 9", "0150", "", None)));
    let (huma, azure) = directories(hr, Some(twin.clone()), Capabilities::default());
    let pushed = push(&huma, &azure, AutoProvisioning::Off).await;
    assert_eq!(
        (pushed.action, pushed.fields.as_slice()),
        (PushAction::Updated, &[Field::Address][..])
    );
    let merged = Address::new("Storgata 1", "0150", "Oslo", no());
    assert_eq!(person_in(&azure).address(), Some(&merged));

    // A Huma address that is part of the directory's is no difference.
    let partial = ada().with_address(Address::new("", "0150", "", None));
    let (huma, azure) = directories(partial, Some(twin), Capabilities::default());
    assert_eq!(push(&huma, &azure, AutoProvisioning::Off).await.action, PushAction::Unchanged);
}

#[tokio::test]
async fn read_only_unwritable_and_too_long_fields_are_skipped_with_why() {
    let caps = Capabilities {
        writable: FieldSet::all().iter().filter(|f| *f != Field::EmploymentStartDate).collect(),
        limits: Limits { job_title: Some(3), ..Limits::default() },
        ..Capabilities::default()
    };
    let hr = ada().with_phone("+47 100").with_job_title("Chief Technology Officer");
    let twin =
        Record::new("a1", Person::new().with_email("ada@example.com").with_given_name("Ada"))
            .read_only(Field::Phone);
    let (huma, azure) = directories(hr, Some(twin), caps);
    let pushed = push(&huma, &azure, AutoProvisioning::Off).await;
    assert_eq!(pushed.action, PushAction::Updated, "{pushed:?}");
    assert_eq!(pushed.fields, [Field::EmploymentId, Field::FamilyName]);
    let skipped: Vec<(Field, String)> =
        pushed.skipped.iter().map(|(f, reason)| (*f, reason.to_string())).collect();
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

#[tokio::test]
async fn a_difference_that_cannot_be_written_is_reported_not_written() {
    let twin = Record::new("a1", ada().with_job_title("Engineer")).read_only(Field::JobTitle);
    let (huma, azure) = directories(ada(), Some(twin), Capabilities::default());
    let pushed = push(&huma, &azure, AutoProvisioning::Off).await;
    assert_eq!(pushed.action, PushAction::Unchanged, "{pushed:?}");
    assert_eq!(pushed.skipped, [(Field::JobTitle, BlockReason::ReadOnly)]);
    assert_eq!(person_in(&azure).job_title(), Some("Engineer"));
}

#[tokio::test]
async fn an_unlinked_person_is_created_only_with_auto_provisioning() {
    let (huma, azure) = directories(ada(), None, Capabilities::default());
    assert_eq!(push(&huma, &azure, AutoProvisioning::Off).await.action, PushAction::NotInIdp);
    assert!(azure.records().is_empty());
    let pushed = push(&huma, &azure, AutoProvisioning::On).await;
    assert_eq!(pushed.action, PushAction::Created, "{pushed:?}");
    assert_eq!(person_in(&azure), ada());
}

#[tokio::test]
async fn a_created_person_leaves_out_what_the_directory_cannot_take() {
    let caps = Capabilities {
        writable: FieldSet::all().iter().filter(|f| *f != Field::EmploymentStartDate).collect(),
        limits: Limits { employment_id: Some(1), ..Limits::default() },
        ..Capabilities::default()
    };
    let (huma, azure) = directories(ada(), None, caps);
    let pushed = push(&huma, &azure, AutoProvisioning::On).await;
    assert_eq!(pushed.action, PushAction::Created, "{pushed:?}");
    let created = person_in(&azure);
    assert_eq!((created.employment_id(), created.employment_start_date()), (None, None));
    assert_eq!(created.given_name(), Some("Ada"));
    let left_out: Vec<Field> = pushed.skipped.iter().map(|(f, _)| *f).collect();
    assert_eq!(left_out, [Field::EmploymentId, Field::EmploymentStartDate]);
}

#[tokio::test]
async fn a_person_who_cannot_be_created_is_said_so() {
    let no_create = Capabilities { can_create: false, ..Capabilities::default() };
    let (huma, azure) = directories(ada(), None, no_create);
    let pushed = push(&huma, &azure, AutoProvisioning::On).await;
    assert_eq!(pushed.action, PushAction::CannotCreate, "{pushed:?}");
    let detail = pushed.detail.unwrap_or_default();
    assert!(detail.contains("Azure AD does not allow creating people"), "{detail}");

    let needs = Capabilities {
        email_required: true,
        required_on_create: FieldSet::empty().with(Field::Phone),
        ..Capabilities::default()
    };
    let (huma, azure) = directories(Person::new().with_given_name("Ada"), None, needs);
    let pushed = push(&huma, &azure, AutoProvisioning::On).await;
    assert_eq!(pushed.action, PushAction::CannotCreate, "{pushed:?}");
    let detail = pushed.detail.unwrap_or_default();
    assert!(detail.contains("requires Phone number, Email"), "{detail}");
    assert!(azure.records().is_empty());
}

#[tokio::test]
async fn a_person_with_a_malformed_email_is_not_created_and_the_reason_says_why() {
    let typo = ada().with_email("ada.lovelace@example");
    let (huma, azure) = directories(typo, None, Capabilities::default());
    let pushed = push(&huma, &azure, AutoProvisioning::On).await;
    assert_eq!(pushed.action, PushAction::CannotCreate, "{pushed:?}");
    let detail = pushed.detail.unwrap_or_default();
    assert!(detail.contains("the domain after the @ is not a domain name"), "{detail}");
    assert!(azure.records().is_empty());
}

#[tokio::test]
async fn pushing_the_update_leaves_nothing_to_push() {
    let hr = ada().with_address(Address::new("Storgata 1", "", "Oslo", no())).with_phone("+47 1");
    let twin = Record::new(
        "a1",
        ada().with_job_title("Engineer").with_address(Address::new("", "0150", "", None)),
    );
    let (huma, azure) = directories(hr, Some(twin), Capabilities::default());
    assert_eq!(push(&huma, &azure, AutoProvisioning::Off).await.action, PushAction::Updated);
    let after = person_in(&azure);
    assert_eq!(after.address(), Some(&Address::new("Storgata 1", "0150", "Oslo", no())));
    assert_eq!(push(&huma, &azure, AutoProvisioning::Off).await.action, PushAction::Unchanged);
    assert_eq!(person_in(&azure), after);
}

//! Hostile input on both sides: odd countries, over-long values, control characters and NULs,
//! invalid dates, emails that differ only in case or padding, and keys that several records share.
//!
//! Each hostile value must give its own finding or skipped write with the right reason; nothing
//! may panic; and no planned write may break the target's limits or carry a control character.

use chrono::NaiveDate;
use dirsync::{
    apply::{ApplyOptions, DirectoryPair, apply},
    directory::{Capabilities, InMemoryDirectory, InvalidValue, Limits, Record, Snapshot},
    model::{Address, CountryCode, Field, FieldRef, FieldSet, FieldValue, Person, Side},
    plan::{
        BlockReason, FindingKind, MatchedBy, Operation, Operations, Plan, RecordRef, reconcile,
    },
    policy::{ConflictRule, CreationRule, MissingRule, Policy},
    store::SyncState,
};
use futures::executor::block_on;

/// Azure AD's limits, as Graph documents them.
fn graph_like() -> Capabilities {
    Capabilities {
        writable: FieldSet::all(),
        required_on_create: FieldSet::empty(),
        email_required: false,
        can_create: true,
        can_disable: false,
        can_revoke_sessions: false,
        limits: Limits {
            employment_id: Some(16),
            given_name: Some(64),
            family_name: Some(64),
            phone: Some(64),
            job_title: Some(128),
            street: Some(1024),
            street_line: None,
            street_lines: None,
            postal_code: Some(40),
            city: Some(128),
        },
    }
}

/// Huma's limits: 255 a field, names and email needed to create someone.
fn huma_like() -> Capabilities {
    Capabilities {
        writable: FieldSet::all(),
        required_on_create: FieldSet::empty().with(Field::GivenName).with(Field::FamilyName),
        email_required: true,
        can_create: true,
        can_disable: false,
        can_revoke_sessions: false,
        limits: Limits {
            employment_id: Some(255),
            given_name: Some(255),
            family_name: Some(255),
            phone: Some(255),
            job_title: Some(255),
            street: None,
            street_line: Some(255),
            street_lines: Some(3),
            postal_code: Some(255),
            city: Some(255),
        },
    }
}

/// A policy that settles everything: HR wins conflicts, missing values are filled, everyone found
/// on one side only is created on the other.
fn settle_everything() -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        missing: MissingRule::Fill,
        create_in_idp: CreationRule::All,
        create_in_hr: CreationRule::All,
        ..Policy::default()
    }
}

fn country(code: &str) -> Option<CountryCode> {
    Some(CountryCode::parse(code).expect("a valid code in the test"))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date in the test")
}

/// A record with an address whose country is given as the directory holds it, read the way both
/// adapters read it: blank is absent, an alpha-2 code in any case is kept, anything else is left
/// out of the address and noted as an invalid value.
fn with_raw_address(id: &str, person: Person, city: &str, raw_country: &str) -> Record {
    let mut invalid = None;
    let code = match raw_country.trim() {
        "" => None,
        raw => match CountryCode::parse(raw) {
            Ok(code) => Some(code),
            Err(err) => {
                invalid = Some(InvalidValue::new(Field::Address, raw, err));
                None
            }
        },
    };
    let mut record = Record::new(id, person.with_address(Address::new("", "", city, code)));
    record.invalid.extend(invalid);
    record
}

/// A record with a start date given as Graph's `employeeHireDate` text, read the way the adapter
/// reads it: a date-time or a date, else an invalid value.
fn with_raw_date(id: &str, person: Person, raw: &str) -> Record {
    let parsed = chrono::DateTime::parse_from_rfc3339(raw)
        .map(|at| at.date_naive())
        .or_else(|_| NaiveDate::parse_from_str(raw, "%Y-%m-%d"));
    match parsed {
        Ok(day) => Record::new(id, person.with_employment_start_date(day)),
        Err(_) => Record::new(id, person).with_invalid(InvalidValue::new(
            Field::EmploymentStartDate,
            raw,
            format!("employeeHireDate {raw:?} is not a date such as 2024-03-01T00:00:00Z"),
        )),
    }
}

fn p(employment_id: &str) -> Person {
    Person::new().with_employment_id(employment_id)
}

fn hr_records() -> Vec<Record> {
    let mut records = vec![
        // Countries: the directory's value is hostile, HR has no address or a good one.
        Record::new("h-norway", p("E-NORWAY")),
        Record::new("h-nor", p("E-NOR")),
        Record::new("h-no", p("E-NO")),
        Record::new(
            "h-xk",
            p("E-XK").with_address(Address::new("Main 1", "0150", "Oslo", country("NO"))),
        ),
        Record::new("h-blank", p("E-BLANK")),
        Record::new("h-cyrillic", p("E-CYRILLIC")),
        Record::new("h-fullwidth", p("E-FULLWIDTH")),
        // A country HR holds that is not alpha-2 (as the Huma adapter notes it).
        with_raw_address("h-hr-norway", p("E-HR-NORWAY"), "Bergen", "Norway"),
        // Over-long values, paired by email since the employment id is one of them.
        Record::new(
            "h-long",
            Person::new()
                .with_email("long@example.com")
                .with_employment_id("E-000000000000017")
                .with_given_name("G".repeat(65))
                .with_family_name("Lovelace")
                .with_phone("1".repeat(65))
                .with_job_title("T".repeat(129)),
        ),
        Record::new(
            "h-long-street",
            p("E-LSTREET").with_address(Address::new("s".repeat(1025), "0150", "Oslo", None)),
        ),
        Record::new(
            "h-long-postal",
            p("E-LPOSTAL").with_address(Address::new("Main 1", "9".repeat(41), "Oslo", None)),
        ),
        Record::new(
            "h-long-city",
            p("E-LCITY").with_address(Address::new("Main 1", "0150", "c".repeat(129), None)),
        ),
        // Exactly at the limits, counted in characters (Å is two bytes): written.
        Record::new(
            "h-edge",
            p("E-0000000000EDGE")
                .with_given_name("Å".repeat(64))
                .with_job_title("T".repeat(128))
                .with_address(Address::new(
                    "s".repeat(1024),
                    "9".repeat(40),
                    "c".repeat(128),
                    None,
                )),
        ),
    ];
    records.extend(hostile_hr_records());
    records
}

/// HR records with control characters, huge ids, bad dates, and keys several share.
fn hostile_hr_records() -> Vec<Record> {
    let long_id = format!("h-{}", "x".repeat(10_000));
    vec![
        // Control characters and NULs.
        Record::new(
            "h-nul",
            p("E-NUL")
                .with_given_name("Ada\u{0}")
                .with_family_name("Love\u{1b}[31mlace")
                .with_address(Address::new("Main\t1", "", "", None)),
        ),
        Record::new("h-ctl", p("E-CTL").with_phone("+47 1")),
        Record::new(
            "h-lines",
            p("E-LINES").with_address(Address::new("Main 1\r\nFlat 2", "", "", None)),
        ),
        // Found in HR only: a NUL in a name is left out of the creation; one in the email stops it.
        Record::new(
            long_id,
            Person::new().with_email("huge-id@example.com").with_given_name("Huge"),
        ),
        Record::new(
            "h-new-nul",
            Person::new()
                .with_email("new@example.com")
                .with_given_name("Nu")
                .with_family_name("Ek\u{0}"),
        ),
        Record::new(
            "h-new-mail",
            Person::new().with_email("new\u{0}@example.com").with_given_name("Nm"),
        ),
        // Invalid dates.
        Record::new("h-date", p("E-DATE").with_employment_start_date(date(2024, 3, 1))),
        Record::new("h-baddate", p("E-BADDATE")).with_invalid(InvalidValue::new(
            Field::EmploymentStartDate,
            "31.12.2020",
            "\"31.12.2020\" is not a date in the form YYYY-MM-DD",
        )),
        Record::new("h-nodate", p("E-NODATE")),
        // Emails differing in case and padding pair.
        Record::new("h-case", Person::new().with_email(" Ada@Example.COM ").with_job_title("CTO")),
        // Keys shared by several records.
        Record::new("h-dup1", p("E-DUP").with_given_name("One")),
        Record::new("h-dup2", p("E-DUP").with_given_name("Two")),
        Record::new("h-bo", Person::new().with_email("bo@example.com").with_given_name("Bo")),
    ]
}

fn idp_records() -> Vec<Record> {
    vec![
        with_raw_address("a-norway", p("E-NORWAY"), "Oslo", "Norway"),
        with_raw_address("a-nor", p("E-NOR"), "Oslo", "NOR"),
        with_raw_address("a-no", p("E-NO"), "Oslo", "no"),
        with_raw_address("a-xk", p("E-XK"), "Oslo", "XK"),
        with_raw_address("a-blank", p("E-BLANK"), "Oslo", "  "),
        with_raw_address("a-cyrillic", p("E-CYRILLIC"), "Oslo", "НО"),
        with_raw_address("a-fullwidth", p("E-FULLWIDTH"), "Oslo", "ＮＯ"),
        Record::new("a-hr-norway", p("E-HR-NORWAY")),
        Record::new(
            "a-long",
            Person::new()
                .with_email("long@example.com")
                .with_given_name("Ada")
                .with_family_name("Lovelace"),
        ),
        Record::new("a-long-street", p("E-LSTREET")),
        Record::new("a-long-postal", p("E-LPOSTAL")),
        Record::new("a-long-city", p("E-LCITY")),
        Record::new("a-edge", p("E-0000000000EDGE")),
        Record::new("a-nul", p("E-NUL").with_given_name("Ada")),
        Record::new("a-ctl", p("E-CTL").with_phone("+47\u{0}1").with_job_title("CTO\u{7}")),
        Record::new("a-lines", p("E-LINES")),
        // Found in the directory only: HR needs both names, so a NUL in one stops the creation.
        Record::new(
            "a-new-ctl",
            Person::new()
                .with_email("dev@example.com")
                .with_given_name("Dev")
                .with_family_name("Ops")
                .with_job_title("Dev\u{8}"),
        ),
        Record::new(
            "a-new-nul",
            Person::new()
                .with_email("nul@example.com")
                .with_given_name("Nul")
                .with_family_name("E\u{0}k"),
        ),
        with_raw_date("a-date", p("E-DATE"), "2024-02-30T00:00:00Z"),
        with_raw_date("a-baddate", p("E-BADDATE"), "2021-01-04T00:00:00Z"),
        with_raw_date("a-nodate", p("E-NODATE"), "not a date"),
        Record::new("a-case", Person::new().with_email("ada@example.com\t").with_job_title("CTO")),
        Record::new("a-dup", p("E-DUP").with_given_name("Dup")),
        Record::new("a-bo1", Person::new().with_email("bo@example.com")),
        Record::new("a-bo2", Person::new().with_email("BO@Example.com ")),
    ]
}

fn the_plan() -> Plan {
    let hr = Snapshot { capabilities: huma_like(), records: hr_records(), ..Snapshot::default() };
    let idp =
        Snapshot { capabilities: graph_like(), records: idp_records(), ..Snapshot::default() };
    reconcile(&hr, &idp, &SyncState::new(), &settle_everything())
}

fn the_operations(plan: &Plan) -> Operations {
    plan.operations().expect("the policy settles everything")
}

/// Every value every operation writes keeps the target's limits and holds no control character.
fn assert_every_write_is_allowed(plan: &Plan, ops: &Operations) {
    for op in &ops.operations {
        let caps = plan.capabilities(op.target());
        let check = |field: Field, value: FieldRef<'_>| {
            assert!(
                caps.check(field, value).is_ok(),
                "{} to the {}: {field} {value} breaks a limit",
                op.name(),
                op.target()
            );
            assert_eq!(caps.refusal(field, value), None, "{} to the {}", op.name(), op.target());
            assert!(caps.writable.contains(field));
        };
        match op {
            Operation::Update(update) => {
                for change in &update.changes {
                    check(change.field, change.to.as_ref());
                }
            }
            Operation::Create(create) => {
                for field in Field::ALL {
                    if let Some(value) = create.person.get(field) {
                        check(field, value);
                    }
                }
                let email = create.person.email().unwrap_or_default();
                assert!(!email.chars().any(char::is_control), "{email:?}");
            }
            // Leavers are off in these plans.
            Operation::Account(account) => panic!("no account change was asked for: {account:?}"),
        }
    }
}

/// What a block reason says, in short, for exact comparison.
fn reason(reason: &BlockReason) -> String {
    match reason {
        BlockReason::ReadOnly => "read-only".into(),
        BlockReason::NotWritable => "not writable".into(),
        BlockReason::TooLong(t) => format!("too long: {} {} > {}", t.part, t.len, t.max),
        BlockReason::InvalidSource(v) => format!("invalid source: {:?}", v.value),
        BlockReason::InvalidCharacters(c) => {
            format!(
                "control character: {} U+{:04X} at {}",
                c.part,
                u32::from(c.character),
                c.position
            )
        }
    }
}

#[test]
fn every_skipped_write_names_its_value_and_reason() {
    let plan = the_plan();
    let ops = the_operations(&plan);
    let mut skipped: Vec<(Side, String, Field, String)> = ops
        .skipped
        .iter()
        .map(|s| (s.target, s.record.to_string(), s.field, reason(&s.reason)))
        .collect();
    skipped.sort();
    let s = |side, record: &str, field, why: &str| (side, record.to_owned(), field, why.to_owned());
    let mut expected = vec![
        // The directory's country cannot flow to HR, whatever it is.
        s(Side::Hr, "h-norway", Field::Address, "invalid source: \"Norway\""),
        s(Side::Hr, "h-nor", Field::Address, "invalid source: \"NOR\""),
        s(Side::Hr, "h-cyrillic", Field::Address, "invalid source: \"НО\""),
        s(Side::Hr, "h-fullwidth", Field::Address, "invalid source: \"ＮＯ\""),
        // Nor HR's to the directory.
        s(Side::Idp, "a-hr-norway", Field::Address, "invalid source: \"Norway\""),
        // Each over-long value, each address part against its own limit.
        s(Side::Idp, "a-long", Field::EmploymentId, "too long:  17 > 16"),
        s(Side::Idp, "a-long", Field::GivenName, "too long:  65 > 64"),
        s(Side::Idp, "a-long", Field::Phone, "too long:  65 > 64"),
        s(Side::Idp, "a-long", Field::JobTitle, "too long:  129 > 128"),
        s(Side::Idp, "a-long-street", Field::Address, "too long: street 1025 > 1024"),
        s(Side::Idp, "a-long-postal", Field::Address, "too long: postal code 41 > 40"),
        s(Side::Idp, "a-long-city", Field::Address, "too long: city 129 > 128"),
        // Control characters, on either side; the street's line breaks are not among them.
        s(Side::Idp, "a-nul", Field::GivenName, "control character:  U+0000 at 4"),
        s(Side::Idp, "a-nul", Field::FamilyName, "control character:  U+001B at 5"),
        s(Side::Idp, "a-nul", Field::Address, "control character: street U+0009 at 5"),
        s(Side::Hr, "h-ctl", Field::JobTitle, "control character:  U+0007 at 4"),
    ];
    expected.sort();
    assert_eq!(skipped, expected);
}

#[test]
fn every_hostile_value_gives_its_finding() {
    let plan = the_plan();
    let findings: Vec<(FindingKind, Vec<(Side, String)>)> = plan
        .findings
        .iter()
        .map(|f| (f.kind, f.records.iter().map(|r| (r.side, r.id.to_string())).collect()))
        .collect();
    let one = |kind, side, id: &str| (kind, vec![(side, id.to_owned())]);
    let expected = vec![
        // Both keys shared by several records: none of them paired or created.
        (
            FindingKind::Ambiguous,
            vec![
                (Side::Hr, "h-bo".to_owned()),
                (Side::Idp, "a-bo1".to_owned()),
                (Side::Idp, "a-bo2".to_owned()),
            ],
        ),
        (
            FindingKind::Ambiguous,
            vec![
                (Side::Hr, "h-dup1".to_owned()),
                (Side::Hr, "h-dup2".to_owned()),
                (Side::Idp, "a-dup".to_owned()),
            ],
        ),
        // A NUL in the email, or in a name HR needs, stops a creation.
        one(FindingKind::CannotCreate, Side::Hr, "h-new-mail"),
        one(FindingKind::CannotCreate, Side::Idp, "a-new-nul"),
        // Values that are not valid for their field.
        one(FindingKind::InvalidValue, Side::Hr, "h-baddate"),
        one(FindingKind::InvalidValue, Side::Hr, "h-hr-norway"),
        one(FindingKind::InvalidValue, Side::Idp, "a-cyrillic"),
        one(FindingKind::InvalidValue, Side::Idp, "a-date"),
        one(FindingKind::InvalidValue, Side::Idp, "a-fullwidth"),
        one(FindingKind::InvalidValue, Side::Idp, "a-nodate"),
        one(FindingKind::InvalidValue, Side::Idp, "a-nor"),
        one(FindingKind::InvalidValue, Side::Idp, "a-norway"),
        one(FindingKind::InvalidValue, Side::Idp, "a-xk"),
    ];
    let mut sorted = findings.clone();
    sorted.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(sorted, expected_sorted);

    let message = |side, id: &str| {
        let wanted = RecordRef { side, id: id.into() };
        let found = plan.findings.iter().find(|f| f.records.contains(&wanted));
        found.map(|f| f.message.clone()).unwrap_or_else(|| panic!("no finding for {id}"))
    };
    assert!(message(Side::Idp, "a-norway").contains("did you mean NO?"));
    assert!(message(Side::Idp, "a-nor").contains("did you mean NO?"));
    for no_suggestion in ["a-xk", "a-cyrillic", "a-fullwidth"] {
        let text = message(Side::Idp, no_suggestion);
        assert!(text.contains("not an ISO 3166-1 alpha-2 code"), "{text}");
        assert!(!text.contains("did you mean"), "{text}");
    }
    assert!(message(Side::Idp, "a-date").contains("2024-02-30T00:00:00Z"));
    assert!(message(Side::Hr, "h-new-mail").contains("U+0000"));
    assert!(message(Side::Idp, "a-new-nul").contains("Family name"));
    assert!(message(Side::Hr, "h-dup1").contains("\"E-DUP\""));
    assert!(message(Side::Hr, "h-bo").contains("\"bo@example.com\""));
}

#[test]
fn good_values_still_flow_around_the_hostile_ones() {
    let plan = the_plan();
    let ops = the_operations(&plan);
    let mut updates: Vec<(Side, String, Field, FieldValue)> = Vec::new();
    for op in &ops.operations {
        if let Operation::Update(u) = op {
            for c in &u.changes {
                updates.push((u.target, u.record().to_string(), c.field, c.to.clone()));
            }
        }
    }
    updates.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
    let text = |t: &str| FieldValue::Text(t.to_owned());
    let address = |street: &str, postal: &str, city: &str, code: &str| {
        let code = if code.is_empty() { None } else { country(code) };
        FieldValue::Address(Address::new(street, postal, city, code))
    };
    let u = |side, id: &str, field, value| (side, id.to_owned(), field, value);
    let mut expected = vec![
        // "no" is NO; a blank country is no country.
        u(Side::Hr, "h-no", Field::Address, address("", "", "Oslo", "NO")),
        u(Side::Hr, "h-blank", Field::Address, address("", "", "Oslo", "")),
        // An invalid hire date in HR is replaced by the directory's valid one.
        u(Side::Hr, "h-baddate", Field::EmploymentStartDate, FieldValue::Date(date(2021, 1, 4))),
        // HR's valid address replaces the directory's one with "XK".
        u(Side::Idp, "a-xk", Field::Address, address("Main 1", "0150", "Oslo", "NO")),
        // ... and HR's valid date the directory's invalid one.
        u(Side::Idp, "a-date", Field::EmploymentStartDate, FieldValue::Date(date(2024, 3, 1))),
        // HR's clean phone replaces the directory's one with a NUL.
        u(Side::Idp, "a-ctl", Field::Phone, text("+47 1")),
        // Street lines are fine.
        u(Side::Idp, "a-lines", Field::Address, address("Main 1\nFlat 2", "", "", "")),
        // Exactly at the limits.
        u(Side::Idp, "a-edge", Field::GivenName, text(&"Å".repeat(64))),
        u(Side::Idp, "a-edge", Field::JobTitle, text(&"T".repeat(128))),
        u(
            Side::Idp,
            "a-edge",
            Field::Address,
            address(&"s".repeat(1024), &"9".repeat(40), &"c".repeat(128), ""),
        ),
    ];
    expected.sort_by(|a, b| (a.0, &a.1, a.2).cmp(&(b.0, &b.1, b.2)));
    assert_eq!(updates, expected);
}

#[test]
fn creations_leave_out_what_cannot_be_written_and_nothing_held_back_is_created() {
    let plan = the_plan();
    let ops = the_operations(&plan);
    let mut created: Vec<(Side, String)> = ops
        .operations
        .iter()
        .filter_map(|op| match op {
            Operation::Create(c) => Some((c.target, c.source.to_string())),
            Operation::Update(_) | Operation::Account(_) => None,
        })
        .collect();
    created.sort();
    let long_id = format!("h-{}", "x".repeat(10_000));
    assert_eq!(
        created,
        [
            (Side::Hr, "a-new-ctl".to_owned()),
            (Side::Idp, "h-new-nul".to_owned()),
            (Side::Idp, long_id.clone()),
        ]
    );
    let creation = |source, id: &str| {
        plan.creations
            .iter()
            .find(|c| c.source == source && c.record.as_str() == id)
            .unwrap_or_else(|| panic!("no creation for {id}"))
    };
    let nul = creation(Side::Hr, "h-new-nul");
    assert_eq!(nul.person.family_name(), None);
    assert_eq!(nul.person.given_name(), Some("Nu"));
    let left: Vec<(Field, String)> = nul.left_out.iter().map(|(f, r)| (*f, reason(r))).collect();
    assert_eq!(left, [(Field::FamilyName, "control character:  U+0000 at 3".to_owned())]);
    let ctl = creation(Side::Idp, "a-new-ctl");
    assert_eq!(ctl.person.job_title(), None);
    let left: Vec<(Field, String)> = ctl.left_out.iter().map(|(f, r)| (*f, reason(r))).collect();
    assert_eq!(left, [(Field::JobTitle, "control character:  U+0008 at 4".to_owned())]);
    assert_eq!(creation(Side::Hr, &long_id).person.given_name(), Some("Huge"));
}

#[test]
fn emails_differing_in_case_and_padding_pair() {
    let plan = the_plan();
    let pair = plan.pairs.iter().find(|p| p.hr.as_str() == "h-case").expect("h-case is paired");
    assert_eq!((pair.idp.as_str(), pair.matched_by), ("a-case", MatchedBy::Email));
    assert!(plan.changes.iter().all(|c| c.hr.as_str() != "h-case"), "nothing differs");
    for held in ["h-dup1", "h-dup2", "h-bo"] {
        assert!(plan.pairs.iter().all(|p| p.hr.as_str() != held), "{held} must not be paired");
    }
    for held in ["a-dup", "a-bo1", "a-bo2"] {
        assert!(plan.pairs.iter().all(|p| p.idp.as_str() != held), "{held} must not be paired");
    }
}

#[test]
fn no_planned_write_breaks_a_limit_or_carries_a_control_character() {
    let plan = the_plan();
    let ops = the_operations(&plan);
    assert!(!ops.operations.is_empty());
    assert_every_write_is_allowed(&plan, &ops);
    // The same holds with the sides' roles swapped.
    let hr = Snapshot { capabilities: huma_like(), records: hr_records(), ..Snapshot::default() };
    let idp =
        Snapshot { capabilities: graph_like(), records: idp_records(), ..Snapshot::default() };
    let mirrored = reconcile(&idp, &hr, &SyncState::new(), &settle_everything().mirrored());
    assert_every_write_is_allowed(&mirrored, &the_operations(&mirrored));
}

#[test]
fn applying_the_plan_fails_no_write() {
    let plan = the_plan();
    let hr = InMemoryDirectory::with_capabilities(huma_like(), hr_records());
    let idp = InMemoryDirectory::with_capabilities(graph_like(), idp_records());
    let mut state = SyncState::new();
    let report =
        block_on(apply(&plan, DirectoryPair::new(&hr, &idp), &mut state, &ApplyOptions::default()))
            .expect("the plan applies");
    assert_eq!(report.counts.failed, 0, "{:#?}", report.operations);
    assert_eq!(report.counts.created_in_idp, 2);
    assert_eq!(report.counts.created_in_hr, 1);
    // Every skipped write is reported, and so is every value a creation left out.
    let left_out: usize = plan.creations.iter().map(|c| c.left_out.len()).sum();
    assert_eq!(report.counts.skipped, the_operations(&plan).skipped.len() + left_out);
}

#[test]
fn a_plan_with_hostile_values_survives_json() {
    let plan = the_plan();
    let json = serde_json::to_string(&plan).expect("a plan serialises");
    let back: Plan = serde_json::from_str(&json).expect("and reads back");
    assert_eq!(back, plan);
}

#[tokio::test]
async fn a_real_time_push_refuses_control_characters_too() {
    use dirsync::realtime::{AutoProvisioning, PushAction, RealtimePush};
    let hr_person = Person::new().with_given_name("Ada\u{0}").with_job_title("CTO");
    let huma = InMemoryDirectory::new([
        Record::new("h1", hr_person.clone().with_email("ada@example.com")),
        Record::new("h2", Person::new().with_email("a\u{0}@example.com").with_given_name("Ada")),
        Record::new("h3", hr_person.with_email("grace@example.com")),
    ]);
    let twin =
        Record::new("a1", Person::new().with_email("ada@example.com").with_given_name("Ada"));
    let azure = InMemoryDirectory::with_capabilities(graph_like(), [twin]);
    let push = RealtimePush::new(&huma, &azure).with_provisioning(AutoProvisioning::On);
    let summary = push.push(&["h1".into(), "h2".into(), "h3".into()]).await;
    let [ada, bad_email, grace] = &summary.people[..] else { panic!("{summary:?}") };

    assert_eq!((ada.action, ada.fields.as_slice()), (PushAction::Updated, &[Field::JobTitle][..]));
    let skipped: Vec<(Field, String)> = ada.skipped.iter().map(|(f, r)| (*f, reason(r))).collect();
    assert_eq!(skipped, [(Field::GivenName, "control character:  U+0000 at 4".to_owned())]);

    assert_eq!(bad_email.action, PushAction::CannotCreate, "{bad_email:?}");
    assert!(bad_email.detail.as_deref().unwrap_or_default().contains("U+0000"), "{bad_email:?}");

    assert_eq!(grace.action, PushAction::Created, "{grace:?}");
    assert!(matches!(grace.skipped[..], [(Field::GivenName, BlockReason::InvalidCharacters(_))]));
    let created = azure.records().into_iter().find(|r| r.id.as_str() != "a1").expect("created");
    assert_eq!(created.person.given_name(), None);
}

#[test]
fn the_in_memory_directory_refuses_control_characters() {
    use dirsync::directory::{Directory, ErrorKind, FieldChange};
    let dir = InMemoryDirectory::new([Record::new("u1", Person::new())]);
    let change = FieldChange { field: Field::GivenName, value: FieldValue::Text("A\u{0}".into()) };
    let err = block_on(dir.update(&"u1".into(), &[change])).expect_err("a NUL is refused");
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert!(err.to_string().contains("U+0000"), "{err}");
}

#[test]
fn a_street_of_more_lines_than_huma_keeps_is_skipped_with_its_reason_on_every_run() {
    // Huma keeps three street lines; a fourth would come back joined into the third, differ, and
    // be written again on every sync.
    let street = "Storgata 1\nBygg B\nInngang 3\nLeilighet 4";
    let address = Address::new(street, "0150", "Oslo", country("NO"));
    let hr = Snapshot {
        capabilities: huma_like(),
        records: vec![Record::new("h1", p("E1"))],
        ..Snapshot::default()
    };
    let idp = Snapshot {
        capabilities: graph_like(),
        records: vec![Record::new("a1", p("E1").with_address(address))],
        ..Snapshot::default()
    };
    let mut state = SyncState::new();
    for run in 0..2 {
        let plan = reconcile(&hr, &idp, &state, &settle_everything());
        let ops = the_operations(&plan);
        assert!(ops.operations.is_empty(), "run {run}: {:?}", ops.operations);
        let skipped: Vec<(Side, Field, String)> =
            ops.skipped.iter().map(|s| (s.target, s.field, reason(&s.reason))).collect();
        assert_eq!(skipped, [(Side::Hr, Field::Address, "too long: street 4 > 3".to_owned())]);
        assert!(ops.skipped[0].reason.to_string().contains("4 lines long, over the limit of 3"));
        state = SyncState::new();
        state.link("h1".into(), "a1".into(), plan.pairs[0].agreed.clone());
    }
}

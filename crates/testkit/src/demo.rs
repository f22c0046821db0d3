//! The demonstration company, "Nordlys AS": about 50 people seeded into [`FakeHuma`] and
//! [`FakeGraph`] with every case a real sync meets, for demos, examples and tests.
//!
//! The cases, each with one or more people ([`Cast`] says who):
//! - most people are the same on both sides: nothing to do for them;
//! - conflicts: both sides hold a different value (job title, phone, family name);
//! - missing values: one side lacks a value the other has (phone and start date missing in
//!   Azure AD, an address missing in Huma);
//! - a country in Azure AD that is not ISO 3166-1 alpha-2 ("Norway"): the address is not synced to
//!   Huma, the rest of that person is;
//! - a read-only field: an employment id locked in Huma by its payroll integration;
//! - people only in Huma (new hires), one with an employment id too long for Azure AD;
//! - people only in Azure AD (a contractor, a service account).

use crate::{FakeGraph, FakeHuma, GraphConfig, GraphUser, HumaConfig, HumaUser};
use chrono::NaiveDate;
use dirsync::model::{Address, CountryCode, Person};
use dirsync::policy::{ConflictRule, CreationRule, MissingRule, Policy};

/// The demo company's email and sign-in domain.
pub const DOMAIN: &str = "nordlys.example";

/// The ids of the people the demo's cases are about: `(Huma id, Azure AD id)` for pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cast {
    /// Kari Nordmann: job title differs (Huma "Head of Finance", Azure AD "Finance Manager").
    pub conflicting_title: (String, String),
    /// Lars Eriksson: phone differs.
    pub conflicting_phone: (String, String),
    /// Aino Virtanen-Korhonen: family name differs (a new married name in Huma).
    pub conflicting_name: (String, String),
    /// Ingrid Hansen: phone missing in Azure AD.
    pub missing_phone: (String, String),
    /// Mikko Lahtinen: address missing in Huma.
    pub missing_address: (String, String),
    /// Sofia Lindqvist: employment start date missing in Azure AD.
    pub missing_start_date: (String, String),
    /// Ola Berg: Azure AD's country is "Norway"; Huma has no address; phone missing in Azure AD.
    pub bad_country: (String, String),
    /// Per Johansen: employment id missing in Huma, where payroll locks it.
    pub read_only: (String, String),
    /// Emma Solberg, Jonas Holm, Elin Strand: only in Huma (Huma ids).
    pub only_in_huma: Vec<String>,
    /// Hedda Moe (contractor) and the backup service account: only in Azure AD (Azure AD ids).
    pub only_in_azure: Vec<String>,
}

/// The fakes, seeded with the demo company.
#[derive(Debug)]
pub struct DemoOrg {
    /// The fake Microsoft Graph.
    pub graph: FakeGraph,
    /// The fake Huma.
    pub huma: FakeHuma,
    /// Who is who.
    pub cast: Cast,
}

impl DemoOrg {
    /// Starts both fakes and seeds them.
    ///
    /// # Panics
    /// If the fakes refuse the seed (a bug in this module: every email is unique).
    pub async fn start() -> DemoOrg {
        let (graph, huma) = tokio::join!(
            FakeGraph::start(GraphConfig::default()),
            FakeHuma::start(HumaConfig::default())
        );
        let cast = seed(&graph, &huma);
        DemoOrg { graph, huma, cast }
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn country(code: &str) -> Option<CountryCode> {
    CountryCode::parse(code).ok()
}

/// A person with every field.
#[allow(clippy::too_many_arguments)]
fn person(
    given: &str,
    family: &str,
    employment_id: &str,
    phone: &str,
    street: &str,
    postal: &str,
    city: &str,
    code: &str,
    title: &str,
    start: NaiveDate,
) -> Person {
    let email = format!("{}.{}@{DOMAIN}", ascii(given), ascii(family));
    Person::new()
        .with_email(email)
        .with_given_name(given)
        .with_family_name(family)
        .with_employment_id(employment_id)
        .with_phone(phone)
        .with_address(Address::new(street, postal, city, country(code)))
        .with_job_title(title)
        .with_employment_start_date(start)
}

/// Someone the demo company has just hired, as HR first records them: names, a work email in
/// [`DOMAIN`], employment id, job title and start date (2021-04-01), no phone or address yet. For
/// demos and tests that add people of their own to the company, such as a new hire whose
/// webhook arrives before any sync.
pub fn new_hire(given: &str, family: &str, employment_id: &str, title: &str) -> Person {
    Person::new()
        .with_email(format!("{}.{}@{DOMAIN}", ascii(given), ascii(family)))
        .with_given_name(given)
        .with_family_name(family)
        .with_employment_id(employment_id)
        .with_job_title(title)
        .with_employment_start_date(date(2021, 4, 1))
}

/// Someone of the demo company with every field: a [`new_hire`] who is a software engineer, with
/// a phone and an address in Oslo. The same phone and address for everyone: a demo tells its
/// people apart by name.
///
/// ```
/// let ada = testkit::demo::employee("Ada", "Lund", "E2001");
/// assert_eq!(ada.email(), Some("ada.lund@nordlys.example"));
/// assert_eq!(ada.job_title(), Some("Software Engineer"));
/// ```
pub fn employee(given: &str, family: &str, employment_id: &str) -> Person {
    new_hire(given, family, employment_id, "Software Engineer")
        .with_phone("+47 911 00 001")
        .with_address(Address::new("Storgata 1", "0150", "Oslo", country("NO")))
}

/// An email-safe form of a name.
fn ascii(name: &str) -> String {
    azure_graph::mail_nickname(name).unwrap_or_else(|| "x".to_owned())
}

/// The given names of the people in step.
const GIVEN: [&str; 38] = [
    "Anders", "Astrid", "Bjørn", "Camilla", "Dag", "Eirik", "Frida", "Gunnar", "Hanna", "Ivar",
    "Johanna", "Kristian", "Linnea", "Magnus", "Nora", "Oskar", "Pia", "Rasmus", "Sigrid",
    "Tobias", "Ulla", "Vilde", "Erik", "Maja", "Henrik", "Selma", "Joakim", "Tuva", "Petter",
    "Liv", "Onni", "Eveliina", "Juho", "Kaisa", "Mette", "Søren", "Freja", "Ida",
];
/// Their family names.
const FAMILY: [&str; 38] = [
    "Aas",
    "Bakke",
    "Dahl",
    "Ek",
    "Fjeld",
    "Granli",
    "Haugen",
    "Isaksen",
    "Jensen",
    "Karlsson",
    "Lund",
    "Moen",
    "Nyberg",
    "Olsen",
    "Pedersen",
    "Quist",
    "Rønning",
    "Sandvik",
    "Thorsen",
    "Ulvestad",
    "Vik",
    "Wold",
    "Åberg",
    "Østby",
    "Sundberg",
    "Holmberg",
    "Nilsson",
    "Berglund",
    "Lie",
    "Myhre",
    "Mäkinen",
    "Nieminen",
    "Koskinen",
    "Heikkinen",
    "Andersen",
    "Kristensen",
    "Madsen",
    "Larsen",
];
/// Where they live, in turn: postal code, city, country.
const PLACES: [(&str, &str, &str); 8] = [
    ("0150", "Oslo", "NO"),
    ("5003", "Bergen", "NO"),
    ("7011", "Trondheim", "NO"),
    ("111 22", "Stockholm", "SE"),
    ("411 05", "Göteborg", "SE"),
    ("00100", "Helsinki", "FI"),
    ("33100", "Tampere", "FI"),
    ("1050", "København", "DK"),
];
/// Their job titles, in turn.
const TITLES: [&str; 8] = [
    "Software Engineer",
    "Product Manager",
    "Designer",
    "Sales Executive",
    "Accountant",
    "HR Partner",
    "Support Specialist",
    "Data Analyst",
];
/// The 38 people who are the same on both sides.
fn in_step() -> Vec<Person> {
    (0..38)
        .map(|i| {
            let (postal, city, code) = PLACES[i % PLACES.len()];
            // Every fifth person has a two-line street: Huma's line1 and line2, one string with a
            // line break in Azure AD. They are equal, so nothing is written.
            let street = if i % 5 == 0 {
                format!("Storgata {}\nLeilighet {}", i + 1, i % 3 + 1)
            } else {
                format!("Storgata {}", i + 1)
            };
            person(
                GIVEN[i],
                FAMILY[i],
                &format!("E{}", 1001 + i),
                &format!("+47 4{:02} 00 {:03}", i, 100 + i),
                &street,
                postal,
                city,
                code,
                TITLES[i % TITLES.len()],
                date(2015 + (i as i32 % 9), (i as u32 % 12) + 1, (i as u32 % 27) + 1),
            )
        })
        .collect()
}

/// The policy the demo company is synchronised with, as Huma's own setup would be filled in:
/// Huma wins conflicts, missing values are filled, people only in Huma are created in Azure AD,
/// and people only in Azure AD are listed for a person to choose.
pub fn policy() -> Policy {
    Policy {
        conflicts: ConflictRule::PreferHr,
        missing: MissingRule::Fill,
        create_in_idp: CreationRule::All,
        create_in_hr: CreationRule::None,
        ..Policy::default()
    }
}

/// Seeds both fakes with the demo company and returns who is who.
///
/// # Panics
/// If a fake refuses a seed (every email is unique, so it does not).
pub fn seed(graph: &FakeGraph, huma: &FakeHuma) -> Cast {
    let both = |hr: &HumaUser, idp: &GraphUser| -> (String, String) {
        let h = huma.insert_user(hr.clone()).expect("unique Huma email");
        let a = graph.insert_user(idp.clone()).expect("unique Azure AD sign-in name");
        (h, a)
    };
    let same = |p: &Person| both(&HumaUser::from_person(p), &GraphUser::from_person(p));

    // Most of the company: the same on both sides.
    for p in in_step() {
        same(&p);
    }

    let (conflicting_title, conflicting_phone, conflicting_name) = seed_conflicts(&both);
    let (missing_phone, missing_address, missing_start_date) = seed_missing(&both);
    let (bad_country, read_only) = seed_unsyncable(&both);
    let (only_in_huma, only_in_azure) = seed_one_sided(graph, huma);
    Cast {
        conflicting_title,
        conflicting_phone,
        conflicting_name,
        missing_phone,
        missing_address,
        missing_start_date,
        bad_country,
        read_only,
        only_in_huma,
        only_in_azure,
    }
}

/// Seeds one person on both sides: their Huma user and their Azure AD user, and their ids.
type Both<'a> = dyn Fn(&HumaUser, &GraphUser) -> (String, String) + 'a;

/// Three conflicts: a job title, a phone, a family name.
fn seed_conflicts(both: &Both<'_>) -> ((String, String), (String, String), (String, String)) {
    // Conflict: the job title differs. Huma has the new title after a promotion.
    let kari = person(
        "Kari",
        "Nordmann",
        "E1101",
        "+47 912 34 567",
        "Kirkegata 5",
        "0153",
        "Oslo",
        "NO",
        "Head of Finance",
        date(2016, 8, 15),
    );
    let mut azure = GraphUser::from_person(&kari);
    azure.job_title = Some("Finance Manager".into());
    let conflicting_title = both(&HumaUser::from_person(&kari), &azure);

    // Conflict: the phone differs.
    let lars = person(
        "Lars",
        "Eriksson",
        "E1102",
        "+46 70 123 45 67",
        "Drottninggatan 12",
        "111 51",
        "Stockholm",
        "SE",
        "Sales Executive",
        date(2019, 2, 1),
    );
    let mut azure = GraphUser::from_person(&lars);
    azure.mobile_phone = Some("+46 70 765 43 21".into());
    let conflicting_phone = both(&HumaUser::from_person(&lars), &azure);

    // Conflict: the family name differs (a new married name, entered in Huma).
    let aino = person(
        "Aino",
        "Virtanen-Korhonen",
        "E1103",
        "+358 40 123 4567",
        "Mannerheimintie 3",
        "00100",
        "Helsinki",
        "FI",
        "Designer",
        date(2020, 5, 4),
    )
    .with_email(format!("aino.virtanen@{DOMAIN}"));
    let mut azure = GraphUser::from_person(&aino);
    azure.surname = Some("Virtanen".into());
    let conflicting_name = both(&HumaUser::from_person(&aino), &azure);

    (conflicting_title, conflicting_phone, conflicting_name)
}

/// Three missing values: a phone in Azure AD, an address in Huma, a start date in Azure AD.
fn seed_missing(both: &Both<'_>) -> ((String, String), (String, String), (String, String)) {
    // Missing value: no phone in Azure AD.
    let ingrid = person(
        "Ingrid",
        "Hansen",
        "E1104",
        "+47 934 56 789",
        "Bryggen 7",
        "5003",
        "Bergen",
        "NO",
        "Software Engineer",
        date(2018, 1, 8),
    );
    let mut azure = GraphUser::from_person(&ingrid);
    azure.mobile_phone = None;
    let missing_phone = both(&HumaUser::from_person(&ingrid), &azure);

    // Missing value: no address in Huma.
    let mikko = person(
        "Mikko",
        "Lahtinen",
        "E1105",
        "+358 50 765 4321",
        "Hämeenkatu 10",
        "33100",
        "Tampere",
        "FI",
        "Support Specialist",
        date(2021, 9, 1),
    );
    let mut hr = HumaUser::from_person(&mikko);
    hr.home_address = None;
    let missing_address = both(&hr, &GraphUser::from_person(&mikko));

    // Missing value: no employment start date in Azure AD.
    let sofia = person(
        "Sofia",
        "Lindqvist",
        "E1106",
        "+46 73 555 01 02",
        "Avenyn 2",
        "411 36",
        "Göteborg",
        "SE",
        "Data Analyst",
        date(2022, 3, 14),
    );
    let mut azure = GraphUser::from_person(&sofia);
    azure.employee_hire_date = None;
    let missing_start_date = both(&HumaUser::from_person(&sofia), &azure);

    (missing_phone, missing_address, missing_start_date)
}

/// Two values that cannot be synced: a country that is not alpha-2, a field Huma locks.
fn seed_unsyncable(both: &Both<'_>) -> ((String, String), (String, String)) {
    // A country that is not ISO 3166-1 alpha-2 in Azure AD, and no address in Huma: the address
    // is not synced to Huma (reported with the reason); the missing phone still flows to Azure AD.
    let ola = person(
        "Ola",
        "Berg",
        "E1107",
        "+47 922 11 333",
        "Torget 1",
        "7013",
        "Trondheim",
        "NO",
        "Accountant",
        date(2017, 11, 20),
    );
    let mut hr = HumaUser::from_person(&ola);
    hr.home_address = None;
    let mut azure = GraphUser::from_person(&ola);
    azure.country = Some("Norway".into());
    azure.mobile_phone = None;
    let bad_country = both(&hr, &azure);

    // A read-only field: Huma's payroll integration owns the employment id, which Huma lacks and
    // Azure AD has. It cannot be written to Huma: reported, not attempted.
    let per = person(
        "Per",
        "Johansen",
        "E1108",
        "+47 955 44 222",
        "Strandveien 9",
        "0252",
        "Oslo",
        "NO",
        "HR Partner",
        date(2014, 6, 2),
    );
    let mut hr = HumaUser::from_person(&per).with_locked("employmentId");
    hr.employment_id = None;
    let read_only = both(&hr, &GraphUser::from_person(&per));

    (bad_country, read_only)
}

/// People on one side only: new hires in Huma, a contractor and a service account in Azure AD.
fn seed_one_sided(graph: &FakeGraph, huma: &FakeHuma) -> (Vec<String>, Vec<String>) {
    // Only in Huma: new hires, to be created in Azure AD.
    let new_hires = [
        person(
            "Emma",
            "Solberg",
            "E1201",
            "+47 400 10 200",
            "Parkveien 4",
            "0350",
            "Oslo",
            "NO",
            "Software Engineer",
            date(2024, 8, 1),
        ),
        person(
            "Jonas",
            "Holm",
            "E1202",
            "+46 70 222 33 44",
            "Sveavägen 20",
            "111 57",
            "Stockholm",
            "SE",
            "Product Manager",
            date(2024, 9, 2),
        ),
        // Her employment id has 17 characters; Azure AD allows 16: created without it.
        person(
            "Elin",
            "Strand",
            "NORDLYS-2024-0117",
            "+47 401 20 300",
            "Elvegata 8",
            "7014",
            "Trondheim",
            "NO",
            "Designer",
            date(2024, 10, 1),
        ),
    ];
    let only_in_huma = new_hires
        .iter()
        .map(|p| huma.insert_user(HumaUser::from_person(p)).expect("unique Huma email"))
        .collect();

    // Only in Azure AD: a contractor and a service account. Huma's product lists them for a
    // person to choose; the demo's policy creates nobody in Huma.
    let mut hedda = GraphUser::new(format!("hedda.moe@{DOMAIN}"));
    hedda.given_name = Some("Hedda".into());
    hedda.surname = Some("Moe".into());
    hedda.display_name = Some("Hedda Moe (contractor)".into());
    hedda.job_title = Some("Consultant".into());
    let mut service = GraphUser::new(format!("svc-backup@{DOMAIN}"));
    service.display_name = Some("Backup service".into());
    let only_in_azure = [hedda, service]
        .into_iter()
        .map(|u| graph.insert_user(u).expect("unique Azure AD sign-in name"))
        .collect();

    (only_in_huma, only_in_azure)
}

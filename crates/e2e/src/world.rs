//! A deterministic population: N people, about 5% of them differing between Huma and Azure AD.
//!
//! Person `i` has email `p{i}@example.com`, employment id `E{i:07}`, names, a phone, a home
//! address in Norway, a job title and a start date. What differs is decided by `i % 200`, so the
//! differing people are spread evenly over every list page:
//!
//! | `i % 200` | kind | what a sync does (with [`crate::flow::policy`]) |
//! |---|---|---|
//! | 0 | only in Huma | creates them in Azure AD |
//! | 1 | only in Azure AD | nothing (no creation in Huma): a skipped creation |
//! | 2, 3 | another job title in Azure AD | Huma's wins: updates Azure AD |
//! | 4 | another phone in Azure AD | updates Azure AD |
//! | 5 | no phone in Azure AD | fills Azure AD |
//! | 6 | no phone in Huma | fills Huma from Azure AD |
//! | 7 | no employment id in Huma (paired by email) | fills Huma from Azure AD |
//! | 8 | no address in Azure AD | fills Azure AD |
//! | 9 | another family name in Azure AD | updates Azure AD |
//! | 10..199 | the same on both sides | nothing |

use chrono::NaiveDate;
use dirsync::model::{Address, CountryCode, Person};
use testkit::{GraphUser, HumaUser};

/// The domain of every email and user principal name.
pub const DOMAIN: &str = "example.com";

/// How person `i` differs between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// The same on both sides.
    Same,
    /// Only in Huma.
    OnlyHr,
    /// Only in Azure AD.
    OnlyIdp,
    /// Azure AD has another job title.
    TitleConflict,
    /// Azure AD has another phone number.
    PhoneConflict,
    /// Azure AD has no phone number.
    IdpMissingPhone,
    /// Huma has no phone number.
    HrMissingPhone,
    /// Huma has no employment id.
    HrMissingEmploymentId,
    /// Azure AD has no address.
    IdpMissingAddress,
    /// Azure AD has another family name.
    FamilyNameConflict,
}

impl Kind {
    /// The kind of person `i`.
    pub fn of(i: usize) -> Kind {
        match i % 200 {
            0 => Kind::OnlyHr,
            1 => Kind::OnlyIdp,
            2 | 3 => Kind::TitleConflict,
            4 => Kind::PhoneConflict,
            5 => Kind::IdpMissingPhone,
            6 => Kind::HrMissingPhone,
            7 => Kind::HrMissingEmploymentId,
            8 => Kind::IdpMissingAddress,
            9 => Kind::FamilyNameConflict,
            _ => Kind::Same,
        }
    }
}

const TITLES: [&str; 12] = [
    "Engineer",
    "Designer",
    "Accountant",
    "Sales Manager",
    "Nurse",
    "Teacher",
    "Analyst",
    "Consultant",
    "Technician",
    "Recruiter",
    "Lawyer",
    "Product Owner",
];

/// Person `i` as the HR system holds them (before any difference is applied).
pub fn person(i: usize) -> Person {
    let start = NaiveDate::from_ymd_opt(2015, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new((i % 3_000) as u64)))
        .unwrap_or_default();
    let country = CountryCode::parse("NO").ok();
    Person::new()
        .with_email(email(i))
        .with_employment_id(format!("E{i:07}"))
        .with_given_name(format!("Given{i}"))
        .with_family_name(format!("Family{}", i % 5_000))
        .with_phone(format!("+47{}", 40_000_000 + i))
        .with_job_title(TITLES[i % TITLES.len()])
        .with_address(Address::new(
            format!("Storgata {}", i % 300 + 1),
            format!("{:04}", 1_000 + i % 9_000),
            "Oslo",
            country,
        ))
        .with_employment_start_date(start)
}

/// Person `i`'s email.
pub fn email(i: usize) -> String {
    format!("p{i}@{DOMAIN}")
}

/// How many writes and creations a full sync of a world must make.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected {
    /// Updates of Azure AD users (one batched PATCH each).
    pub update_idp: usize,
    /// Updates of Huma users (one PATCH each).
    pub update_hr: usize,
    /// Creations in Azure AD.
    pub create_idp: usize,
    /// People only in Azure AD (not created in Huma).
    pub only_idp: usize,
    /// People who differ in any way.
    pub differing: usize,
}

/// Both sides of a population, ready to seed into the fakes.
#[derive(Debug, Clone)]
pub struct World {
    /// How many people.
    pub size: usize,
    /// Huma's users, in creation (list) order.
    pub hr: Vec<HumaUser>,
    /// Azure AD's users.
    pub idp: Vec<GraphUser>,
    /// What a full sync must do.
    pub expected: Expected,
}

impl World {
    /// The population of `size` people (see the module documentation).
    pub fn generate(size: usize) -> World {
        let mut hr = Vec::with_capacity(size);
        let mut idp = Vec::with_capacity(size);
        let mut expected = Expected::default();
        for i in 0..size {
            let kind = Kind::of(i);
            let person = person(i);
            let mut h = HumaUser::from_person(&person);
            let mut g = GraphUser::from_person(&person);
            match kind {
                Kind::Same => {}
                Kind::OnlyHr => expected.create_idp += 1,
                Kind::OnlyIdp => expected.only_idp += 1,
                Kind::TitleConflict => {
                    g.job_title = Some(format!("Senior {}", TITLES[i % TITLES.len()]));
                    expected.update_idp += 1;
                }
                Kind::PhoneConflict => {
                    g.mobile_phone = Some(format!("+47{}", 90_000_000 + i));
                    expected.update_idp += 1;
                }
                Kind::IdpMissingPhone => {
                    g.mobile_phone = None;
                    expected.update_idp += 1;
                }
                Kind::HrMissingPhone => {
                    h.phone = None;
                    expected.update_hr += 1;
                }
                Kind::HrMissingEmploymentId => {
                    h.employment_id = None;
                    expected.update_hr += 1;
                }
                Kind::IdpMissingAddress => {
                    g.street_address = None;
                    g.postal_code = None;
                    g.city = None;
                    g.country = None;
                    expected.update_idp += 1;
                }
                Kind::FamilyNameConflict => {
                    g.surname = Some(format!("Changed{i}"));
                    expected.update_idp += 1;
                }
            }
            if kind != Kind::Same {
                expected.differing += 1;
            }
            if kind != Kind::OnlyIdp {
                hr.push(h);
            }
            if kind != Kind::OnlyHr {
                idp.push(g);
            }
        }
        World { size, hr, idp, expected }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_percent_differ() {
        let world = World::generate(10_000);
        assert_eq!(world.expected.differing, 500);
        assert_eq!(world.expected.create_idp, 50);
        assert_eq!(world.expected.only_idp, 50);
        assert_eq!(world.expected.update_idp, 300);
        assert_eq!(world.expected.update_hr, 100);
        assert_eq!(world.hr.len(), 9_950);
        assert_eq!(world.idp.len(), 9_950);
    }
}

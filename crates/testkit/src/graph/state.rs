//! Graph's users as the fake stores them, and the change log that delta query reads.

use crate::server::uuid;
use dirsync::model::Person;
use rand::rngs::StdRng;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A Microsoft Graph user, as seeded into and read back from [`FakeGraph`](crate::FakeGraph).
///
/// Field names follow Graph's properties in snake case (`surname`, `employee_id`, `mobile_phone`,
/// ...). An empty `id` asks the fake to assign one. Properties the fake does not model get stored in
/// `extra` under their Graph name. Build one with [`GraphUser::new`], [`GraphUser::from_person`]
/// or a struct literal ending in `..GraphUser::default()`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphUser {
    /// `id` (a GUID); empty when seeding means "assign one".
    pub id: String,
    /// `accountEnabled`.
    pub account_enabled: Option<bool>,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `givenName`.
    pub given_name: Option<String>,
    /// `surname`.
    pub surname: Option<String>,
    /// `mail`.
    pub mail: Option<String>,
    /// `mailNickname`.
    pub mail_nickname: Option<String>,
    /// `userPrincipalName`.
    pub user_principal_name: Option<String>,
    /// `employeeId`.
    pub employee_id: Option<String>,
    /// `mobilePhone`.
    pub mobile_phone: Option<String>,
    /// `businessPhones`.
    pub business_phones: Vec<String>,
    /// `streetAddress`.
    pub street_address: Option<String>,
    /// `postalCode`.
    pub postal_code: Option<String>,
    /// `city`.
    pub city: Option<String>,
    /// `state`.
    pub state: Option<String>,
    /// `country` (free text in Graph).
    pub country: Option<String>,
    /// `jobTitle`.
    pub job_title: Option<String>,
    /// `department`.
    pub department: Option<String>,
    /// `companyName`.
    pub company_name: Option<String>,
    /// `officeLocation`.
    pub office_location: Option<String>,
    /// `preferredLanguage`.
    pub preferred_language: Option<String>,
    /// `usageLocation`.
    pub usage_location: Option<String>,
    /// `employeeHireDate`, as Graph writes it (`2024-03-01T00:00:00Z`).
    pub employee_hire_date: Option<String>,
    /// Other Graph properties by name.
    pub extra: BTreeMap<String, Value>,
}

impl GraphUser {
    /// A user with this user principal name (also its mail, display name and mail nickname), enabled.
    pub fn new(user_principal_name: impl Into<String>) -> Self {
        let upn = user_principal_name.into();
        let nickname = upn.split('@').next().unwrap_or_default().to_owned();
        GraphUser {
            account_enabled: Some(true),
            display_name: Some(nickname.clone()),
            mail_nickname: Some(nickname),
            mail: Some(upn.clone()),
            user_principal_name: Some(upn),
            ..GraphUser::default()
        }
    }

    /// The user Azure AD would hold for this person: UPN and mail from the email, names, employee
    /// id, mobile phone, address parts (country as its alpha-2 code), job title and hire date.
    pub fn from_person(person: &Person) -> Self {
        let email = person.email().unwrap_or("unknown@example.com");
        let mut user = GraphUser::new(email);
        if let Some(name) = person.display_name() {
            user.display_name = Some(name);
        }
        user.given_name = person.given_name().map(str::to_owned);
        user.surname = person.family_name().map(str::to_owned);
        user.employee_id = person.employment_id().map(str::to_owned);
        user.mobile_phone = person.phone().map(str::to_owned);
        user.job_title = person.job_title().map(str::to_owned);
        if let Some(address) = person.address() {
            user.street_address = address.street().map(str::to_owned);
            user.postal_code = address.postal_code().map(str::to_owned);
            user.city = address.city().map(str::to_owned);
            user.country = address.country().map(|c| c.as_str().to_owned());
        }
        user.employee_hire_date =
            person.employment_start_date().map(|d| format!("{}T00:00:00Z", d.format("%Y-%m-%d")));
        user
    }

    /// The value of one property by its Graph name (JSON `null` when unset).
    pub fn property(&self, name: &str) -> Value {
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::String);
        match name {
            "id" => Value::String(self.id.clone()),
            "accountEnabled" => self.account_enabled.map_or(Value::Null, Value::Bool),
            "displayName" => text(&self.display_name),
            "givenName" => text(&self.given_name),
            "surname" => text(&self.surname),
            "mail" => text(&self.mail),
            "mailNickname" => text(&self.mail_nickname),
            "userPrincipalName" => text(&self.user_principal_name),
            "employeeId" => text(&self.employee_id),
            "mobilePhone" => text(&self.mobile_phone),
            "businessPhones" => {
                Value::Array(self.business_phones.iter().cloned().map(Value::String).collect())
            }
            "streetAddress" => text(&self.street_address),
            "postalCode" => text(&self.postal_code),
            "city" => text(&self.city),
            "state" => text(&self.state),
            "country" => text(&self.country),
            "jobTitle" => text(&self.job_title),
            "department" => text(&self.department),
            "companyName" => text(&self.company_name),
            "officeLocation" => text(&self.office_location),
            "preferredLanguage" => text(&self.preferred_language),
            "usageLocation" => text(&self.usage_location),
            "employeeHireDate" => text(&self.employee_hire_date),
            other => self.extra.get(other).cloned().unwrap_or(Value::Null),
        }
    }

    /// Sets one property from a value already validated for it.
    pub(crate) fn set_property(&mut self, name: &str, value: Value) {
        let text = |v: Value| match v {
            Value::String(s) => Some(s),
            _ => None,
        };
        match name {
            "accountEnabled" => self.account_enabled = value.as_bool(),
            "displayName" => self.display_name = text(value),
            "givenName" => self.given_name = text(value),
            "surname" => self.surname = text(value),
            "mail" => self.mail = text(value),
            "mailNickname" => self.mail_nickname = text(value),
            "userPrincipalName" => self.user_principal_name = text(value),
            "employeeId" => self.employee_id = text(value),
            "mobilePhone" => self.mobile_phone = text(value),
            "businessPhones" => {
                self.business_phones = match value {
                    Value::Array(items) => items.into_iter().filter_map(text).collect(),
                    _ => Vec::new(),
                }
            }
            "streetAddress" => self.street_address = text(value),
            "postalCode" => self.postal_code = text(value),
            "city" => self.city = text(value),
            "state" => self.state = text(value),
            "country" => self.country = text(value),
            "jobTitle" => self.job_title = text(value),
            "department" => self.department = text(value),
            "companyName" => self.company_name = text(value),
            "officeLocation" => self.office_location = text(value),
            "preferredLanguage" => self.preferred_language = text(value),
            "usageLocation" => self.usage_location = text(value),
            "employeeHireDate" => self.employee_hire_date = text(value),
            "id" | "passwordProfile" => {}
            other => {
                if value.is_null() {
                    self.extra.remove(other);
                } else {
                    self.extra.insert(other.to_owned(), value);
                }
            }
        }
    }

    /// The JSON Graph answers for this user: the selected properties and `id`, or Graph's default
    /// set when nothing was selected.
    pub(crate) fn to_json(&self, select: Option<&[&'static str]>) -> Value {
        let names = select.unwrap_or(DEFAULT_SELECT);
        let mut object = Map::with_capacity(names.len() + 1);
        object.insert("id".to_owned(), Value::String(self.id.clone()));
        for name in names {
            object.insert((*name).to_owned(), self.property(name));
        }
        Value::Object(object)
    }
}

/// Reads one text property of a user, borrowed.
pub(crate) type TextAccessor = fn(&GraphUser) -> Option<&str>;

/// The text properties the fake models, each with a borrowing accessor (for filters, which scan
/// every user).
pub(crate) const TEXT_PROPERTIES: [(&str, TextAccessor); 20] = [
    ("displayName", |u| u.display_name.as_deref()),
    ("givenName", |u| u.given_name.as_deref()),
    ("surname", |u| u.surname.as_deref()),
    ("mail", |u| u.mail.as_deref()),
    ("mailNickname", |u| u.mail_nickname.as_deref()),
    ("userPrincipalName", |u| u.user_principal_name.as_deref()),
    ("employeeId", |u| u.employee_id.as_deref()),
    ("mobilePhone", |u| u.mobile_phone.as_deref()),
    ("streetAddress", |u| u.street_address.as_deref()),
    ("postalCode", |u| u.postal_code.as_deref()),
    ("city", |u| u.city.as_deref()),
    ("state", |u| u.state.as_deref()),
    ("country", |u| u.country.as_deref()),
    ("jobTitle", |u| u.job_title.as_deref()),
    ("department", |u| u.department.as_deref()),
    ("companyName", |u| u.company_name.as_deref()),
    ("officeLocation", |u| u.office_location.as_deref()),
    ("preferredLanguage", |u| u.preferred_language.as_deref()),
    ("usageLocation", |u| u.usage_location.as_deref()),
    ("employeeHireDate", |u| u.employee_hire_date.as_deref()),
];

/// What Graph answers for a user when no `$select` is given.
pub(crate) const DEFAULT_SELECT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

/// How a property may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A string (or `null` to clear) of at most this many characters.
    Text(usize),
    /// A boolean.
    Bool,
    /// A collection of strings holding at most this many items.
    Phones(usize),
    /// A date and time (`DateTimeOffset`).
    DateTime,
    /// The write-only password profile.
    Password,
    /// Any JSON value, stored as given.
    Any,
    /// Cannot be written.
    ReadOnly,
}

/// The user properties the fake knows, with how they may be written.
pub(crate) const PROPERTIES: &[(&str, Kind)] = &[
    ("id", Kind::ReadOnly),
    ("accountEnabled", Kind::Bool),
    ("displayName", Kind::Text(256)),
    ("givenName", Kind::Text(64)),
    ("surname", Kind::Text(64)),
    ("mail", Kind::Text(256)),
    ("mailNickname", Kind::Text(64)),
    ("userPrincipalName", Kind::Text(113)),
    ("employeeId", Kind::Text(16)),
    ("mobilePhone", Kind::Text(64)),
    ("businessPhones", Kind::Phones(1)),
    ("streetAddress", Kind::Text(1024)),
    ("postalCode", Kind::Text(40)),
    ("city", Kind::Text(128)),
    ("state", Kind::Text(128)),
    ("country", Kind::Text(128)),
    ("jobTitle", Kind::Text(128)),
    ("department", Kind::Text(64)),
    ("companyName", Kind::Text(64)),
    ("officeLocation", Kind::Text(128)),
    ("preferredLanguage", Kind::Text(64)),
    ("usageLocation", Kind::Text(2)),
    ("employeeHireDate", Kind::DateTime),
    ("passwordProfile", Kind::Password),
    ("otherMails", Kind::Any),
    ("employeeType", Kind::Any),
    ("faxNumber", Kind::Any),
    ("ageGroup", Kind::Any),
    ("userType", Kind::Any),
    ("passwordPolicies", Kind::Any),
    ("showInAddressList", Kind::Any),
    ("consentProvidedForMinor", Kind::Any),
    ("employeeOrgData", Kind::Any),
    ("employeeLeaveDateTime", Kind::Any),
    ("aboutMe", Kind::Any),
    ("birthday", Kind::Any),
    ("interests", Kind::Any),
    ("mySite", Kind::Any),
    ("pastProjects", Kind::Any),
    ("preferredName", Kind::Any),
    ("responsibilities", Kind::Any),
    ("schools", Kind::Any),
    ("skills", Kind::Any),
    ("imAddresses", Kind::ReadOnly),
    ("createdDateTime", Kind::ReadOnly),
    ("deletedDateTime", Kind::ReadOnly),
    ("creationType", Kind::ReadOnly),
    ("externalUserState", Kind::ReadOnly),
    ("identities", Kind::Any),
    ("onPremisesSyncEnabled", Kind::ReadOnly),
    ("onPremisesImmutableId", Kind::Any),
    ("onPremisesSamAccountName", Kind::ReadOnly),
    ("onPremisesUserPrincipalName", Kind::ReadOnly),
    ("onPremisesDistinguishedName", Kind::ReadOnly),
    ("onPremisesDomainName", Kind::ReadOnly),
    ("onPremisesSecurityIdentifier", Kind::ReadOnly),
    ("onPremisesLastSyncDateTime", Kind::ReadOnly),
    ("onPremisesExtensionAttributes", Kind::Any),
    ("proxyAddresses", Kind::ReadOnly),
    ("securityIdentifier", Kind::ReadOnly),
    ("signInSessionsValidFromDateTime", Kind::ReadOnly),
    ("assignedLicenses", Kind::ReadOnly),
    ("assignedPlans", Kind::ReadOnly),
    ("provisionedPlans", Kind::ReadOnly),
    ("licenseAssignmentStates", Kind::ReadOnly),
    ("legalAgeGroupClassification", Kind::ReadOnly),
    ("isResourceAccount", Kind::ReadOnly),
];

/// A property by name, as Graph matches names in `$select` (ignoring case).
pub(crate) fn property_named(name: &str) -> Option<(&'static str, Kind)> {
    PROPERTIES.iter().find(|(known, _)| known.eq_ignore_ascii_case(name)).copied()
}

/// The properties that need a higher admin role to change on users who hold admin roles.
pub(crate) const SENSITIVE: &[&str] = &[
    "accountEnabled",
    "businessPhones",
    "mobilePhone",
    "otherMails",
    "passwordProfile",
    "userPrincipalName",
];

/// One change in the log that delta query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    Updated(String),
    Deleted(String),
}

#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) user: GraphUser,
    pub(crate) version: u64,
    /// When each property last changed (change numbers), for `Prefer: return=minimal`.
    pub(crate) changed: HashMap<String, u64>,
    /// Values answered instead of the user's own, by property name, as given: values of the wrong
    /// shape that tests set ([`FakeGraph::set_raw_property`](crate::FakeGraph::set_raw_property)).
    pub(crate) raw: BTreeMap<String, Value>,
}

impl Stored {
    /// One property as answered: a raw value if one is set, else the user's own.
    fn answered(&self, name: &str) -> Value {
        self.raw.get(name).cloned().unwrap_or_else(|| self.user.property(name))
    }

    /// The JSON Graph answers for this user (see [`GraphUser::to_json`]), raw values included.
    pub(crate) fn to_json(&self, select: Option<&[&'static str]>) -> Value {
        if self.raw.is_empty() {
            return self.user.to_json(select);
        }
        let names = select.unwrap_or(DEFAULT_SELECT);
        let mut object = Map::with_capacity(names.len() + 1);
        object.insert("id".to_owned(), self.answered("id"));
        for name in names {
            object.insert((*name).to_owned(), self.answered(name));
        }
        Value::Object(object)
    }

    /// The user with `id` and only the selected properties changed after change number `since`.
    pub(crate) fn changed_since(&self, since: u64, select: Option<&[&'static str]>) -> Value {
        let mut object = Map::new();
        object.insert("id".to_owned(), self.answered("id"));
        for name in select.unwrap_or(DEFAULT_SELECT) {
            if self.changed.get(*name).is_some_and(|at| *at > since) {
                object.insert((*name).to_owned(), self.answered(name));
            }
        }
        Value::Object(object)
    }
}

/// Every property name a user may hold a value for.
fn property_names(user: &GraphUser) -> impl Iterator<Item = &str> {
    PROPERTIES
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !matches!(*name, "id" | "passwordProfile"))
        .chain(user.extra.keys().map(String::as_str))
}

/// The users, indexed by id (paging order) and by UPN, with a change log ordered by sequence number.
#[derive(Debug)]
pub(crate) struct Users {
    pub(crate) by_id: BTreeMap<String, Stored>,
    upns: HashMap<String, String>,
    /// Ids by ASCII-lower-case `mail`, `userPrincipalName` and `employeeId`, for `eq` filters.
    pub(crate) lookup: HashMap<(usize, String), HashSet<String>>,
    pub(crate) changes: BTreeMap<u64, Change>,
    pub(crate) seq: u64,
    pub(crate) admins: HashSet<String>,
    pub(crate) rng: StdRng,
}

/// Why a user could not be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UpnTaken;

impl Users {
    pub(crate) fn new(rng: StdRng) -> Self {
        Users {
            by_id: BTreeMap::new(),
            upns: HashMap::new(),
            lookup: HashMap::new(),
            changes: BTreeMap::new(),
            seq: 0,
            admins: HashSet::new(),
            rng,
        }
    }

    /// The accessor indexes of the properties `lookup` indexes.
    pub(crate) fn indexed() -> [usize; 3] {
        let at = |name: &str| TEXT_PROPERTIES.iter().position(|(n, _)| *n == name).unwrap_or(0);
        [at("mail"), at("userPrincipalName"), at("employeeId")]
    }

    fn unindex(&mut self, user: &GraphUser) {
        for index in Self::indexed() {
            if let Some(value) = (TEXT_PROPERTIES[index].1)(user) {
                let key = (index, value.to_ascii_lowercase());
                if let Some(ids) = self.lookup.get_mut(&key) {
                    ids.remove(&user.id);
                    if ids.is_empty() {
                        self.lookup.remove(&key);
                    }
                }
            }
        }
    }

    fn index(&mut self, user: &GraphUser) {
        for index in Self::indexed() {
            if let Some(value) = (TEXT_PROPERTIES[index].1)(user) {
                let key = (index, value.to_ascii_lowercase());
                self.lookup.entry(key).or_default().insert(user.id.clone());
            }
        }
    }

    pub(crate) fn new_id(&mut self) -> String {
        loop {
            let id = uuid(&mut self.rng);
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    /// The id of the user with this id or user principal name.
    pub(crate) fn resolve(&self, key: &str) -> Option<String> {
        if self.by_id.contains_key(key) {
            return Some(key.to_owned());
        }
        self.upns.get(&key.to_lowercase()).cloned()
    }

    /// Whether another user than `id` holds this UPN.
    pub(crate) fn upn_taken(&self, upn: &str, id: &str) -> bool {
        self.upns.get(&upn.to_lowercase()).is_some_and(|holder| holder != id)
    }

    /// Stores a user (new or replacing the one with its id) and logs the change.
    pub(crate) fn put(&mut self, mut user: GraphUser) -> Result<String, UpnTaken> {
        if user.id.is_empty() {
            user.id = self.new_id();
        }
        if let Some(upn) = &user.user_principal_name
            && self.upn_taken(upn, &user.id)
        {
            return Err(UpnTaken);
        }
        let id = user.id.clone();
        let seq = self.seq + 1;
        let mut changed = HashMap::new();
        let mut raw = BTreeMap::new();
        if let Some(old) = self.by_id.get(&id) {
            raw = old.raw.clone();
            self.changes.remove(&old.version);
            if let Some(upn) = &old.user.user_principal_name {
                self.upns.remove(&upn.to_lowercase());
            }
            changed = old.changed.clone();
            let names: Vec<String> =
                property_names(&user).chain(property_names(&old.user)).map(str::to_owned).collect();
            for name in names {
                if user.property(&name) != old.user.property(&name) {
                    // A new value of its own replaces a raw one.
                    raw.remove(&name);
                    changed.insert(name, seq);
                }
            }
        } else {
            for name in property_names(&user) {
                let value = user.property(name);
                if !value.is_null() && value != Value::Array(Vec::new()) {
                    changed.insert(name.to_owned(), seq);
                }
            }
        }
        if let Some(upn) = &user.user_principal_name {
            self.upns.insert(upn.to_lowercase(), id.clone());
        }
        if let Some(old) = self.by_id.get(&id).map(|s| s.user.clone()) {
            self.unindex(&old);
        }
        self.index(&user);
        self.seq += 1;
        self.changes.insert(self.seq, Change::Updated(id.clone()));
        self.by_id.insert(id.clone(), Stored { user, version: self.seq, changed, raw });
        Ok(id)
    }

    /// Answers `value` for one property of the user `id` from now on (or its own value again, for
    /// `None`), and logs the change so delta query reports it; false when there is no such user.
    pub(crate) fn set_raw(&mut self, id: &str, property: &str, value: Option<Value>) -> bool {
        let seq = self.seq + 1;
        let Some(stored) = self.by_id.get_mut(id) else { return false };
        match value {
            Some(value) => stored.raw.insert(property.to_owned(), value),
            None => stored.raw.remove(property),
        };
        stored.changed.insert(property.to_owned(), seq);
        self.changes.remove(&stored.version);
        stored.version = seq;
        self.seq = seq;
        self.changes.insert(seq, Change::Updated(id.to_owned()));
        true
    }

    /// Stops answering raw values for the user `id`'s properties named in `written` (a write
    /// replaced them).
    pub(crate) fn clear_raw(&mut self, id: &str, written: &[String]) {
        if let Some(stored) = self.by_id.get_mut(id) {
            stored.raw.retain(|name, _| !written.contains(name));
        }
    }

    /// Removes a user and logs the deletion; false when there was none.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        let Some(old) = self.by_id.remove(id) else { return false };
        self.unindex(&old.user);
        self.changes.remove(&old.version);
        if let Some(upn) = &old.user.user_principal_name {
            self.upns.remove(&upn.to_lowercase());
        }
        self.seq += 1;
        self.changes.insert(self.seq, Change::Deleted(id.to_owned()));
        true
    }
}

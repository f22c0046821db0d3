//! Syncs and writes against a real, independent SCIM server: `scim2-server` from PyPI, started by
//! each test on a free loopback port (see `common`).

mod common;

use common::{ScimServer, ServerFeatures, TOKEN, client_for};
use dirsync::{
    directory::{Directory, ErrorKind, FieldChange},
    model::{Address, CountryCode, Field, FieldValue, Person},
    policy::{ConflictRule, CreationRule, Policy},
    store::MemoryStore,
    sync::Synchronizer,
};
use dirsync_scim::{ENTERPRISE_USER, PatchOperation, ScimError, ServiceProviderConfig};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig, SecretString};
use serde_json::{Value, json};
use testkit::{FakeHuma, HumaConfig};

fn huma_person(i: usize) -> Person {
    Person::new()
        .with_email(format!("p{i}@example.com"))
        .with_employment_id(format!("E-{i}"))
        .with_given_name(format!("Given{i}"))
        .with_family_name(format!("Family{i}"))
        .with_phone(format!("+47 4000 00{i:02}"))
        .with_job_title("Engineer")
        .with_address(Address::new(
            format!("Storgata {i}"),
            "0150",
            "Oslo",
            CountryCode::parse("NO").ok(),
        ))
}

async fn huma_with(people: impl IntoIterator<Item = Person>) -> (FakeHuma, HumaDirectory) {
    let fake = FakeHuma::start(HumaConfig::default()).await;
    for person in people {
        if let Err(e) = fake.insert_person(&person) {
            panic!("seeding the fake Huma: {e}");
        }
    }
    let client = HumaClient::builder()
        .base_url(fake.uri())
        .credentials(FakeHuma::CLIENT_ID, SecretString::from(FakeHuma::CLIENT_SECRET))
        .build()
        .unwrap_or_else(|e| panic!("a client of the fake Huma: {e}"));
    (fake, HumaDirectory::new(client, HumaDirectoryConfig::default()))
}

async fn seed(server: &ScimServer, user: Value) -> String {
    match server.client().create_user(&user).await {
        Ok(created) => created.id,
        Err(e) => panic!("seeding the SCIM server: {e}"),
    }
}

fn core_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
        "userName": user_name,
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": true
    })
}

#[tokio::test]
async fn a_sync_pairs_updates_and_creates_people_in_a_real_scim_server() {
    let server = ScimServer::start(ServerFeatures::default()).await;
    let (_huma_fake, huma) = huma_with((0..12).map(huma_person)).await;
    // p0 is there by email, with another title and no phone; p1 by employee number only.
    let mut p0 = core_user("p0@example.com");
    p0["title"] = json!("Intern");
    p0["name"] = json!({ "givenName": "Given0", "familyName": "Family0" });
    let p0_id = seed(&server, p0).await;
    let mut p1 = core_user("someone@example.com");
    p1[ENTERPRISE_USER] = json!({ "employeeNumber": "E-1" });
    let p1_id = seed(&server, p1).await;
    seed(&server, core_user("scim.only@example.com")).await;

    let scim = server.directory();
    let store = MemoryStore::new();
    let policy = Policy {
        conflicts: ConflictRule::PreferHr,
        create_in_idp: CreationRule::All,
        ..Policy::default()
    };
    let sync = Synchronizer::new(&huma, &scim, &store).with_policy(policy);
    let planned = sync.plan().await.unwrap_or_else(|e| panic!("the plan: {e}"));
    assert_eq!(planned.plan().summary().create_in_idp, 10, "p2..p11 are only in Huma");
    let synced = planned.apply().await.unwrap_or_else(|e| panic!("the apply: {e}"));
    let counts = &synced.report.counts;
    assert_eq!((counts.created_in_idp, counts.failed), (10, 0), "{:?}", synced.report);
    assert_eq!(counts.updated_in_idp, 2, "p0 and p1 were updated");

    // Read back through pages of 5: 13 users, each once.
    let records = scim.snapshot().await.unwrap_or_else(|e| panic!("the snapshot: {e}"));
    assert_eq!(records.len(), 13);
    let p0 = records.iter().find(|r| r.id.as_str() == p0_id).map(|r| r.person.clone());
    let p0 = p0.unwrap_or_default();
    assert_eq!(p0.job_title(), Some("Engineer"), "Huma's title won the conflict");
    assert_eq!(p0.phone(), Some("+47 4000 0000"), "the missing phone was filled");
    let p1 = records.iter().find(|r| r.id.as_str() == p1_id).map(|r| r.person.clone());
    let p1 = p1.unwrap_or_default();
    assert_eq!(p1.given_name(), Some("Given1"));
    assert_eq!(p1.address().and_then(Address::city), Some("Oslo"));
    let p7 = records.iter().find(|r| r.person.email() == Some("p7@example.com"));
    let p7 = p7.map(|r| r.person.clone()).unwrap_or_default();
    assert_eq!(p7.employment_id(), Some("E-7"));
    assert_eq!(
        p7.address().and_then(Address::country).map(|c| c.as_str().to_owned()),
        Some("NO".into())
    );
    assert_eq!(p7.address().and_then(Address::street), Some("Storgata 7"));

    // Nothing is left to do.
    let again = sync.plan().await.unwrap_or_else(|e| panic!("the second plan: {e}"));
    let operations = again.plan().operations().unwrap_or_else(|e| panic!("operations: {e}"));
    assert!(operations.operations.is_empty(), "{:?}", operations.operations);
}

#[tokio::test]
async fn find_matching_searches_by_user_name_email_and_employee_number_with_quotes_escaped() {
    let server = ScimServer::start(ServerFeatures::default()).await;
    let mut quoted = core_user("quote@example.com");
    quoted[ENTERPRISE_USER] = json!({ "employeeNumber": "E\"7\\x" });
    let quoted_id = seed(&server, quoted).await;
    let mut other = core_user("other@example.com");
    other[ENTERPRISE_USER] = json!({ "employeeNumber": "E" });
    seed(&server, other).await;
    let scim = server.directory();
    assert!(scim.client().features().await.is_ok_and(|f| f.filter));

    let by_id = scim.find_matching(&Person::new().with_employment_id("E\"7\\x")).await;
    let by_id = by_id.unwrap_or_else(|e| panic!("find by employee number: {e}"));
    assert_eq!(by_id.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [quoted_id.as_str()]);
    let by_email = scim.find_matching(&Person::new().with_email("OTHER@example.com")).await;
    let by_email = by_email.unwrap_or_else(|e| panic!("find by email: {e}"));
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0].person.email(), Some("other@example.com"));
    let nobody = scim.find_matching(&Person::new().with_email("nobody\"@example.com")).await;
    assert!(nobody.is_ok_and(|found| found.is_empty()));
}

#[tokio::test]
async fn a_write_with_an_old_etag_is_refused_and_says_to_sync_again() {
    let server = ScimServer::start(ServerFeatures::default()).await;
    let client = server.client();
    let created = client.create_user(&core_user("ada@example.com")).await;
    let created = created.unwrap_or_else(|e| panic!("create: {e}"));
    let first = created.etag.clone();
    assert!(first.is_some(), "the server versions users");
    let title = |t: &str| [PatchOperation::replace("title", json!(t))];
    let ours = client.patch_user(&created.id, &title("CTO"), first.as_deref()).await;
    assert!(ours.is_ok(), "{ours:?}");
    let stale = client.patch_user(&created.id, &title("Intern"), first.as_deref()).await;
    let Err(err) = stale else { panic!("a write with an old ETag is refused") };
    assert!(matches!(err, ScimError::PreconditionFailed { .. }), "{err:?}");
    assert!(err.to_string().contains("sync again"), "{err}");
    assert_eq!(dirsync::directory::DirectoryError::from(err).kind(), ErrorKind::Other);
    let now =
        client.get_user(&created.id).await.ok().flatten().map(|u| u.resource["title"].clone());
    assert_eq!(now, Some(json!("CTO")), "the stale write changed nothing");
}

#[tokio::test]
async fn without_patch_filter_or_etags_a_change_is_a_put_and_a_search_reads_everyone() {
    let features = ServerFeatures { patch: false, etag: false, filter: false, max_results: 3 };
    let server = ScimServer::start(features).await;
    let mut ada = core_user("ada@example.com");
    ada["nickName"] = json!("Addy");
    ada["phoneNumbers"] = json!([{ "value": "+1 555", "type": "home" }]);
    let ada_id = seed(&server, ada).await;
    for i in 0..7 {
        seed(&server, core_user(&format!("u{i}@example.com"))).await;
    }
    let scim = server.directory();
    let seen = scim.client().features().await.unwrap_or_else(|e| panic!("features: {e}"));
    assert_eq!(
        seen,
        ServiceProviderConfig { max_results: Some(3), ..ServiceProviderConfig::MINIMAL }
    );

    let changes = [
        FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) },
        FieldChange { field: Field::Phone, value: FieldValue::Text("+47 400".into()) },
        FieldChange { field: Field::EmploymentId, value: FieldValue::Text("E-9".into()) },
    ];
    let written = scim.update(&ada_id.as_str().into(), &changes).await;
    assert!(written.is_ok(), "{written:?}");
    let user = scim.client().get_user(&ada_id).await.ok().flatten();
    let user = user.unwrap_or_else(|| panic!("ada is still there"));
    assert_eq!(user.resource["title"], "CTO");
    assert_eq!(user.resource["nickName"], "Addy", "what the mapping does not know is kept");
    assert_eq!(user.resource["phoneNumbers"][0]["value"], "+1 555", "the home phone is kept");
    assert_eq!(user.resource["phoneNumbers"][1]["type"], "mobile");
    assert_eq!(user.resource[ENTERPRISE_USER]["employeeNumber"], "E-9");

    let found = scim.find_matching(&Person::new().with_employment_id("E-9")).await;
    let found = found.unwrap_or_else(|e| panic!("find by reading everyone: {e}"));
    assert_eq!(found.len(), 1);
    let everyone = scim.snapshot().await.unwrap_or_else(|e| panic!("snapshot: {e}"));
    assert_eq!(everyone.len(), 8, "pages of 3 read whole");
}

#[tokio::test]
async fn the_real_servers_refusals_map_to_the_kinds_the_core_acts_on() {
    let server = ScimServer::start(ServerFeatures::default()).await;
    let scim = server.directory();
    let ada = Person::new().with_email("ada@example.com").with_given_name("Ada");
    let created = scim.create(&ada).await.unwrap_or_else(|e| panic!("create: {e}"));
    assert_eq!(created.person.given_name(), Some("Ada"));
    assert_eq!(created.person.email(), Some("ada@example.com"));

    let twin = scim.create(&ada).await;
    let Err(twin) = twin else { panic!("a second user with the same userName is refused") };
    assert_eq!(twin.kind(), ErrorKind::AlreadyExists, "{twin}");
    assert!(twin.to_string().contains("uniqueness"), "{twin}");

    assert!(scim.get(&"no-such-user".into()).await.is_ok_and(|r| r.is_none()));
    let change = [FieldChange { field: Field::JobTitle, value: FieldValue::Text("CTO".into()) }];
    let missing = scim.update(&"no-such-user".into(), &change).await;
    assert_eq!(missing.err().map(|e| e.kind()), Some(ErrorKind::NotFound));

    let wrong = dirsync_scim::ScimDirectory::new(
        client_for(&server.url, &format!("{TOKEN}-wrong")),
        dirsync_scim::ScimDirectoryConfig::default(),
    );
    let refused = wrong.snapshot().await;
    let Err(refused) = refused else { panic!("a wrong token is refused") };
    assert_eq!(refused.kind(), ErrorKind::Authentication);
    // The library says what to do in its own words; the programs name their variable.
    assert!(refused.to_string().contains("create a new token"), "{refused}");
    assert!(!refused.to_string().contains("SCIM_TOKEN"), "{refused}");
}

#[tokio::test]
async fn a_leaver_is_made_inactive_in_the_scim_server_and_active_again_when_back() {
    let server = ScimServer::start(ServerFeatures::default()).await;
    let (huma_fake, huma) = huma_with((0..3).map(huma_person)).await;
    let scim = server.directory();
    let store = MemoryStore::new();
    let policy = Policy {
        create_in_idp: CreationRule::All,
        leavers: dirsync::policy::Leavers { disable: true, revoke_sessions: true },
        ..Policy::default()
    };
    let sync = Synchronizer::new(&huma, &scim, &store).with_policy(policy);
    let run = || async {
        let planned = sync.plan().await.unwrap_or_else(|e| panic!("the plan: {e}"));
        planned.apply().await.unwrap_or_else(|e| panic!("the apply: {e}"))
    };
    run().await;
    let p1 = huma_fake.user_by_email("p1@example.com").map(|u| u.id).unwrap_or_default();
    assert!(huma_fake.update_user(&p1, |u| u.active = false));

    let synced = run().await;
    assert_eq!(synced.report.counts.disabled_in_idp, 1, "{:?}", synced.report);
    // SCIM has no sessions to revoke: only the disable is planned.
    assert_eq!(synced.plan.accounts.len(), 1);
    let active = |records: &[dirsync::directory::Record]| -> Vec<(Option<String>, bool)> {
        let mut all: Vec<_> =
            records.iter().map(|r| (r.person.email().map(str::to_owned), r.active)).collect();
        all.sort();
        all
    };
    let records = scim.snapshot().await.unwrap_or_else(|e| panic!("the snapshot: {e}"));
    assert_eq!(
        active(&records),
        [
            (Some("p0@example.com".into()), true),
            (Some("p1@example.com".into()), false),
            (Some("p2@example.com".into()), true)
        ]
    );

    assert!(huma_fake.update_user(&p1, |u| u.active = true));
    let synced = run().await;
    assert_eq!(synced.report.counts.enabled_in_idp, 1, "{:?}", synced.report);
    let records = scim.snapshot().await.unwrap_or_else(|e| panic!("the snapshot: {e}"));
    assert!(records.iter().all(|r| r.active));
}

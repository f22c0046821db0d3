//! A SCIM scope against a real SCIM server: a snapshot reads only the users matching the filter,
//! a user read by id is marked in or outside it, and a filter the provider cannot use fails the
//! read rather than read everyone.

mod common;

use common::{ScimServer, ServerFeatures};
use dirsync::{directory::Directory, plan::ScopeStatus};
use dirsync_scim::{ENTERPRISE_USER, ScimDirectory, ScimDirectoryConfig};
use serde_json::{Value, json};

fn user(user_name: &str, user_type: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
        "userName": user_name,
        "userType": user_type,
        "emails": [{ "value": user_name, "type": "work", "primary": true }],
        "active": true
    })
}

async fn seed(server: &ScimServer) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, kind) in
        ["Employee", "Contractor", "Employee", "Employee", "Contractor"].iter().enumerate()
    {
        match server.client().create_user(&user(&format!("p{i}@example.com"), kind)).await {
            Ok(created) => ids.push(created.id),
            Err(e) => panic!("seeding the SCIM server: {e}"),
        }
    }
    ids
}

fn scoped(server: &ScimServer, filter: &str) -> ScimDirectory {
    let config = ScimDirectoryConfig {
        name: "Acme SCIM".into(),
        filter: Some(filter.to_owned()),
        ..ScimDirectoryConfig::default()
    };
    ScimDirectory::new(server.client(), config)
}

#[tokio::test]
async fn a_filter_scope_reads_only_the_users_matching_it_and_marks_users_read_by_id() {
    let server = ScimServer::start(ServerFeatures::default()).await;
    let ids = seed(&server).await;
    let dir = scoped(&server, r#"userType eq "Employee""#);
    let records = dir.snapshot().await.unwrap_or_else(|e| panic!("read: {e}"));
    let mut names: Vec<&str> = records.iter().filter_map(|r| r.person.email()).collect();
    names.sort();
    assert_eq!(names, ["p0@example.com", "p2@example.com", "p3@example.com"]);
    assert_eq!(
        dir.scope().as_deref(),
        Some(r#"the users of Acme SCIM matching the filter userType eq "Employee""#)
    );

    let get = |i: usize| {
        let (dir, id) = (&dir, ids[i].clone());
        async move {
            let record = dir.get(&id.into()).await.unwrap_or_else(|e| panic!("get: {e}"));
            record.unwrap_or_else(|| panic!("user {i} exists")).scope
        }
    };
    assert_eq!(get(0).await, ScopeStatus::In);
    assert_eq!(get(1).await, ScopeStatus::Out);
}

#[tokio::test]
async fn a_filter_the_provider_cannot_use_fails_the_read_naming_it() {
    let server =
        ScimServer::start(ServerFeatures { filter: false, ..ServerFeatures::default() }).await;
    seed(&server).await;
    let dir = scoped(&server, r#"userType eq "Employee""#);
    let Err(err) = dir.snapshot().await else { panic!("a scope needs filters") };
    let text = dirsync::directory::ErrorChain(&err).to_string();
    assert!(text.contains(r#"the scope's filter "userType eq \"Employee\"""#), "{text}");
    assert!(text.contains("does not support filters"), "{text}");

    let server = ScimServer::start(ServerFeatures::default()).await;
    let dir = scoped(&server, "userType eq");
    let Err(err) = dir.snapshot().await else { panic!("a malformed filter is refused") };
    assert!(dirsync::directory::ErrorChain(&err).to_string().contains("cannot be used"), "{err}");
}

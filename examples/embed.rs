//! `cargo run --example embed`: the whole sync as a service embeds it, in one screen.
//!
//! Credentials from the environment: HUMA_CLIENT_ID, HUMA_CLIENT_SECRET, AZURE_TENANT_ID,
//! AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, and UPN_DOMAIN (the verified domain new Azure AD users
//! sign in with). The `sync` example is the same flow with a command line around it.

use azure_graph::{AzureDirectory, AzureDirectoryConfig, GraphClient, SecretString};
use dirsync::{
    apply::ApplyOptions,
    policy::{ConflictRule, CreationRule, Policy},
    store::JsonFileStore,
    sync::Synchronizer,
};
use huma_api::{HumaClient, HumaDirectory, HumaDirectoryConfig};

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("set {name} (see the comment at the top of embed.rs)"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let huma = HumaDirectory::new(
        HumaClient::builder()
            .credentials(env("HUMA_CLIENT_ID")?, SecretString::from(env("HUMA_CLIENT_SECRET")?))
            .build()?,
        HumaDirectoryConfig::default(),
    );
    let azure = AzureDirectory::new(
        GraphClient::builder()
            .tenant(env("AZURE_TENANT_ID")?)
            .client_credentials(
                env("AZURE_CLIENT_ID")?,
                SecretString::from(env("AZURE_CLIENT_SECRET")?),
            )
            .build()?,
        AzureDirectoryConfig { upn_domain: env("UPN_DOMAIN")?, ..AzureDirectoryConfig::default() },
    );
    // The state remembers links and agreed values between runs; its lease keeps two syncs of
    // one organisation (an overlapping cron job, two workers) from running at once.
    let store = JsonFileStore::new("dirsync-state.json");
    let policy = Policy {
        conflicts: ConflictRule::PreferHr, // Huma wins a conflict, as in Huma's own integration
        create_in_idp: CreationRule::All,  // people only in Huma get an Azure AD account
        ..Policy::default()
    };
    let sync = Synchronizer::new(&huma, &azure, &store)
        .with_policy(policy)
        .with_apply_options(ApplyOptions::default().with_max_people_changed(Some(200)));

    // Read both sides at once and plan; a service would show the plan, or settle by its rules.
    let planned = sync.plan().await?;
    println!("{:#?}", planned.plan().summary());
    if !planned.is_settled() {
        return Err(format!("{} decision(s) wait for a person", planned.pending().len()).into());
    }

    // Apply under the same lease, save the state, and keep the report (the email's body).
    let synced = planned.apply().await?;
    println!("{}", dirsync_report::markdown(&synced.report));
    std::fs::write("report.html", dirsync_report::html(&synced.report))?;
    Ok(())
}

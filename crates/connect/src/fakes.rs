//! The settings and secrets that reach testkit's fake Huma and Graph (with the `testkit`
//! feature): for a service's own tests and demos.

use crate::secrets::Secrets;
use crate::settings::{AzureAppSettings, ConnectionSettings};
use secrecy::SecretString;
use testkit::{FakeGraph, FakeHuma};

impl ConnectionSettings {
    /// The settings that reach running fakes, with their default credentials: Huma at `huma`,
    /// Microsoft Graph and its login service at `graph`.
    pub fn for_fakes(graph: &FakeGraph, huma: &FakeHuma) -> ConnectionSettings {
        ConnectionSettings {
            huma_url: huma.uri(),
            huma_client_id: Some(FakeHuma::CLIENT_ID.to_owned()),
            azure: AzureAppSettings {
                azure_tenant: Some(FakeGraph::TENANT_ID.to_owned()),
                azure_client_id: Some(FakeGraph::CLIENT_ID.to_owned()),
                login_url: graph.uri(),
            },
            graph_url: graph.uri(),
            ..ConnectionSettings::default()
        }
    }
}

impl Secrets {
    /// The fakes' default secrets (no SCIM token).
    pub fn for_fakes() -> Secrets {
        Secrets {
            huma_client_secret: Some(SecretString::from(FakeHuma::CLIENT_SECRET)),
            azure_client_secret: Some(SecretString::from(FakeGraph::CLIENT_SECRET)),
            scim_token: None,
        }
    }
}

impl crate::directories::Directories {
    /// Both directories pointed at running fakes, with their default credentials
    /// ([`ConnectionSettings::for_fakes`], [`Secrets::for_fakes`]).
    ///
    /// # Panics
    /// Never for fakes started with their default configuration (their URLs are loopback
    /// `http`, which the clients take); a fake configured otherwise may be refused.
    pub fn for_fakes(
        graph: &FakeGraph,
        huma: &FakeHuma,
        new_people: &crate::directories::NewPeople,
    ) -> crate::directories::Directories {
        let connection = ConnectionSettings::for_fakes(graph, huma);
        match crate::directories::connect(&connection, new_people, &Secrets::for_fakes()) {
            Ok(directories) => directories,
            Err(e) => panic!("the fakes' own settings are refused: {e}"),
        }
    }
}

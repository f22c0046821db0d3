//! Where one organisation's two directories are, who the sync is there, and which people it
//! looks after: the settings [`crate::connect`] makes the directories from.
//!
//! With the `clap` feature each settings type is also `clap::Args`: the field `huma_url` is the
//! flag `--huma-url`, its doc comment the flag's help, so a program's flags and these settings
//! are one definition.

/// The token file a user-account sign-in is saved to when no other is named.
pub const DEFAULT_TOKEN_FILE: &str = "dirsync-azure-token";

/// The connection to both services. Secrets are not settings: they come from the environment
/// ([`crate::Secrets`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ConnectionSettings {
    /// Huma's Open API base URL.
    #[cfg_attr(feature = "clap", arg(long, env = "HUMA_BASE_URL", default_value = huma_api::DEFAULT_BASE_URL))]
    pub huma_url: String,
    /// The Huma API key's Client ID (System settings → Open API in Huma).
    #[cfg_attr(feature = "clap", arg(long, env = "HUMA_CLIENT_ID", value_name = "ID"))]
    pub huma_client_id: Option<String>,
    /// The Azure app and Microsoft's login service.
    #[cfg_attr(feature = "clap", command(flatten))]
    pub azure: AzureAppSettings,
    /// Microsoft Graph's base URL.
    #[cfg_attr(feature = "clap", arg(long, env = "GRAPH_BASE_URL", default_value = azure_graph::DEFAULT_GRAPH_URL))]
    pub graph_url: String,
    /// The identity directory kept in step with Huma: Azure AD, or a SCIM 2.0 service provider
    /// (with --scim-url, and its bearer token in SCIM_TOKEN).
    #[cfg_attr(feature = "clap", arg(long, value_enum, default_value_t = IdpKind::Azure))]
    pub idp: IdpKind,
    /// The SCIM provider's base URL, the one `/Users` is under (for --idp scim).
    #[cfg_attr(feature = "clap", arg(long, value_name = "URL"))]
    pub scim_url: Option<String>,
    /// The SCIM provider's name in plans and reports, e.g. Slack (for --idp scim).
    #[cfg_attr(feature = "clap", arg(long, value_name = "NAME", default_value = "SCIM"))]
    pub scim_name: String,
    /// Connect to Azure AD with a user account, with the sign-in `sync login-azure` saved in this
    /// file (each new refresh token is written back to it); without it, service to service.
    #[cfg_attr(feature = "clap", arg(long, env = "AZURE_TOKEN_FILE", value_name = "FILE"))]
    pub azure_token_file: Option<std::path::PathBuf>,
    /// Huma requests in flight at once (user details and list pages). Huma documents no rate
    /// limit; if it answers 429, its Retry-After is honoured whatever this is.
    #[cfg_attr(feature = "clap", arg(long, env = "HUMA_CONCURRENCY", value_name = "N", default_value_t = huma_api::DEFAULT_HUMA_CONCURRENCY, value_parser = concurrency()))]
    pub huma_concurrency: usize,
    /// Microsoft Graph requests in flight at once. Writes keep to Graph's write budget (3,000 per
    /// 150 s) whatever this is.
    #[cfg_attr(feature = "clap", arg(long, env = "GRAPH_CONCURRENCY", value_name = "N", default_value_t = azure_graph::DEFAULT_GRAPH_CONCURRENCY, value_parser = concurrency()))]
    pub graph_concurrency: usize,
    /// Which people are looked after on each side.
    #[cfg_attr(feature = "clap", command(flatten))]
    pub scope: ScopeSettings,
}

impl Default for ConnectionSettings {
    /// The services' public URLs, the clients' default concurrency, Azure AD as the identity
    /// directory, everyone in scope; no client ids.
    fn default() -> Self {
        ConnectionSettings {
            huma_url: huma_api::DEFAULT_BASE_URL.to_owned(),
            huma_client_id: None,
            azure: AzureAppSettings::default(),
            graph_url: azure_graph::DEFAULT_GRAPH_URL.to_owned(),
            idp: IdpKind::Azure,
            scim_url: None,
            scim_name: "SCIM".to_owned(),
            azure_token_file: None,
            huma_concurrency: huma_api::DEFAULT_HUMA_CONCURRENCY,
            graph_concurrency: azure_graph::DEFAULT_GRAPH_CONCURRENCY,
            scope: ScopeSettings::default(),
        }
    }
}

impl ConnectionSettings {
    /// The identity directory's name, as its plans and reports use it: "Azure AD", or the SCIM
    /// provider's name ("SCIM" when it is blank).
    pub fn idp_name(&self) -> &str {
        match self.idp {
            IdpKind::Azure => "Azure AD",
            IdpKind::Scim => {
                Some(self.scim_name.trim()).filter(|n| !n.is_empty()).unwrap_or("SCIM")
            }
        }
    }
}

/// Requests in flight at once: 1 to 256.
#[cfg(feature = "clap")]
fn concurrency() -> impl clap::builder::TypedValueParser<Value = usize> {
    use clap::builder::TypedValueParser as _;
    clap::value_parser!(u16).range(1..=256).map(usize::from)
}

/// The Azure app registration and Microsoft's login service: what both ways of connecting need.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct AzureAppSettings {
    /// The Azure Directory (tenant) ID.
    #[cfg_attr(feature = "clap", arg(long, env = "AZURE_TENANT_ID", value_name = "TENANT"))]
    pub azure_tenant: Option<String>,
    /// The Azure app registration's Application (client) ID.
    #[cfg_attr(feature = "clap", arg(long, env = "AZURE_CLIENT_ID", value_name = "ID"))]
    pub azure_client_id: Option<String>,
    /// The Microsoft identity platform's base URL.
    #[cfg_attr(feature = "clap", arg(long, env = "AZURE_LOGIN_URL", default_value = azure_graph::DEFAULT_LOGIN_URL))]
    pub login_url: String,
}

impl Default for AzureAppSettings {
    /// No tenant or client id; Microsoft's public login service.
    fn default() -> Self {
        AzureAppSettings {
            azure_tenant: None,
            azure_client_id: None,
            login_url: azure_graph::DEFAULT_LOGIN_URL.to_owned(),
        }
    }
}

/// Which identity directory Huma is kept in step with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum IdpKind {
    /// Azure AD / Entra ID, through Microsoft Graph (the default).
    #[default]
    Azure,
    /// A SCIM 2.0 service provider.
    Scim,
}

/// Which people the sync looks after on each side; none of these: everyone. Outside the scope
/// nobody is written, created on the other side or disabled; excluded users are not even paired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ScopeSettings {
    /// Only the Huma people in these teams (or in the locations or companies given).
    #[cfg_attr(feature = "clap", arg(long, value_name = "UUID[,UUID]", value_delimiter = ',', value_parser = parse_group_id))]
    pub huma_team: Vec<String>,
    /// Only the Huma people in these locations (or in the teams or companies given).
    #[cfg_attr(feature = "clap", arg(long, value_name = "UUID[,UUID]", value_delimiter = ',', value_parser = parse_group_id))]
    pub huma_location: Vec<String>,
    /// Only the Huma people in these companies (or in the teams or locations given).
    #[cfg_attr(feature = "clap", arg(long, value_name = "UUID[,UUID]", value_delimiter = ',', value_parser = parse_group_id))]
    pub huma_company: Vec<String>,
    /// Only the Azure AD users in this group (its object id), directly or through nested groups;
    /// people the sync creates in Azure AD are added to it.
    #[cfg_attr(feature = "clap", arg(long, value_name = "ID", value_parser = parse_group_id))]
    pub azure_group: Option<String>,
    /// Azure AD users in these groups (object ids; directly or not), such as administrators and
    /// break-glass accounts, are never written, paired, created in Huma or disabled.
    #[cfg_attr(feature = "clap", arg(long, value_name = "ID[,ID]", value_delimiter = ',', value_parser = parse_group_id))]
    pub azure_exclude_group: Vec<String>,
    /// Only the SCIM provider's users matching this SCIM filter (with --idp scim), e.g.
    /// 'userType eq "Employee"'.
    #[cfg_attr(feature = "clap", arg(long, value_name = "EXPR"))]
    pub scim_filter: Option<String>,
}

impl ScopeSettings {
    /// Huma's scope.
    pub fn huma(&self) -> huma_api::HumaScope {
        huma_api::HumaScope {
            teams: self.huma_team.clone(),
            locations: self.huma_location.clone(),
            companies: self.huma_company.clone(),
        }
    }

    /// Azure AD's scope.
    pub fn azure(&self) -> azure_graph::AzureScope {
        azure_graph::AzureScope {
            group: self.azure_group.clone(),
            exclude_groups: self.azure_exclude_group.clone(),
        }
    }

    /// Refuses the settings of the identity directory that is not `idp`.
    ///
    /// # Errors
    /// What to use instead, for a person.
    pub fn check(&self, idp: IdpKind) -> Result<(), String> {
        let azure = self.azure_group.is_some() || !self.azure_exclude_group.is_empty();
        match idp {
            IdpKind::Scim if azure => Err("--azure-group and --azure-exclude-group are for \
                Azure AD: with --idp scim, narrow the provider's users with --scim-filter"
                .to_owned()),
            IdpKind::Azure if self.scim_filter.is_some() => Err("--scim-filter is for --idp \
                scim: narrow Azure AD's users with --azure-group and --azure-exclude-group"
                .to_owned()),
            _ => Ok(()),
        }
    }
}

/// A group id as Huma and Azure AD spell it: a UUID (8-4-4-4-12 hexadecimal digits), in lower
/// case.
///
/// # Errors
/// The text is not one, in words with an example.
///
/// ```
/// assert_eq!(
///     dirsync_connect::parse_group_id(" 0B5E6A2C-3D4F-4A1B-9C8D-7E6F5A4B3C2D "),
///     Ok("0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d".to_owned())
/// );
/// assert!(dirsync_connect::parse_group_id("admins").is_err());
/// ```
pub fn parse_group_id(text: &str) -> Result<String, String> {
    let text = text.trim();
    let parts: Vec<&str> = text.split('-').collect();
    let lengths: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    let hex = parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()));
    if lengths == [8, 4, 4, 4, 12] && hex {
        Ok(text.to_lowercase())
    } else {
        Err(format!("{text:?} is not a group UUID such as 0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2d";

    #[test]
    fn no_scope_is_everyone_and_each_side_refuses_the_others_settings() {
        let everyone = ScopeSettings::default();
        assert!(everyone.huma().is_everyone() && everyone.azure().is_everyone());
        let azure = ScopeSettings { azure_exclude_group: vec![A.to_owned()], ..everyone.clone() };
        assert!(azure.check(IdpKind::Azure).is_ok());
        assert!(azure.check(IdpKind::Scim).is_err(), "Azure AD's groups are not SCIM's");
        let scim = ScopeSettings { scim_filter: Some("active eq true".to_owned()), ..everyone };
        assert!(scim.check(IdpKind::Scim).is_ok() && scim.check(IdpKind::Azure).is_err());
    }

    #[test]
    fn group_ids_are_uuids() {
        assert_eq!(parse_group_id(A), Ok(A.to_owned()));
        for bad in
            ["admins", "0b5e6a2c3d4f4a1b9c8d7e6f5a4b3c2d", "0b5e6a2c-3d4f-4a1b-9c8d-7e6f5a4b3c2g"]
        {
            assert!(parse_group_id(bad).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "clap")]
    #[test]
    fn the_flags_defaults_are_the_settings_defaults() {
        use clap::{Args as _, FromArgMatches as _};
        let command =
            ConnectionSettings::augment_args(clap::Command::new("t")).mut_args(|arg| arg.env(None));
        let matches = command.try_get_matches_from(["t"]).expect("no flag is required");
        let parsed = ConnectionSettings::from_arg_matches(&matches).expect("settings");
        assert_eq!(parsed, ConnectionSettings::default());
    }
}

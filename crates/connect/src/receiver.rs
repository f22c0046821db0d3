//! One organisation's receiver of Huma's webhooks (with the `webhook` feature): its settings,
//! the webhook's secret or token from the environment, and a [`Receiver`] that is ready to
//! serve once the state opens, the directories are made and every group of the scope exists.

use crate::directories::{NewPeople, connect};
use crate::error::ConnectError;
use crate::policy::LeaverSwitches;
use crate::secrets::{Secrets, secret_from_env};
use crate::settings::ConnectionSettings;
use crate::state::{StateLocation, StateLocationError, StateSettings};
use dirsync::{
    directory::DirectoryError,
    realtime::{AutoProvisioning, PushSettings},
};
use dirsync_webhook::Receiver;
use huma_api::webhook::WebhookVerifier;

/// The environment variable holding the webhook's client secret (HMAC key).
pub const HUMA_WEBHOOK_SECRET: &str = "HUMA_WEBHOOK_SECRET";
/// The environment variable holding the webhook's access token.
pub const HUMA_WEBHOOK_TOKEN: &str = "HUMA_WEBHOOK_TOKEN";

/// What a receiver of one organisation's webhooks does, and where it reads and writes (the
/// flags of `webhook serve`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::Args))]
pub struct ReceiverSettings {
    /// Create people in Azure AD who are not there yet.
    #[cfg_attr(feature = "clap", arg(long))]
    pub auto_provision: bool,
    /// Also push people inactive in Huma or disabled in Azure AD.
    #[cfg_attr(feature = "clap", arg(long))]
    pub include_inactive: bool,
    /// The verified domain new Azure AD users sign in with (needed with --auto-provision).
    #[cfg_attr(feature = "clap", arg(long, value_name = "DOMAIN"))]
    pub upn_domain: Option<String>,
    /// Disable the Azure AD accounts of people who leave Huma: on users-delete (for people the
    /// state file links) and on an update that makes them inactive; accounts are never deleted.
    /// An account disabled so is enabled again when its person is active again.
    #[cfg_attr(feature = "clap", arg(long))]
    pub disable_leavers: bool,
    /// Also sign disabled leavers out everywhere (revoke their sign-in sessions); only with
    /// --disable-leavers.
    #[cfg_attr(feature = "clap", arg(long, requires = "disable_leavers"))]
    pub revoke_sessions: bool,
    /// Also disable the Azure AD account of a linked person who left the scope (see
    /// --huma-team, --azure-group and the other scope flags); only with --disable-leavers.
    #[cfg_attr(feature = "clap", arg(long, requires = "disable_leavers"))]
    pub disable_out_of_scope: bool,
    /// The most accounts one event may disable; an event over it disables nobody (502).
    /// Default: 10, or 5 % of the linked people, whichever is larger.
    #[cfg_attr(feature = "clap", arg(long, value_name = "N"))]
    pub max_disables: Option<usize>,
    /// The sync's state, for the links between Huma and Azure AD users: a file, or an
    /// organisation in PostgreSQL (--state postgres://… --org KEY).
    #[cfg_attr(feature = "clap", command(flatten))]
    pub store: StateSettings,
    /// Where the two services are.
    #[cfg_attr(feature = "clap", command(flatten))]
    pub connection: ConnectionSettings,
}

/// Why a receiver cannot serve.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiverError {
    /// Auto-provisioning without the domain of new users' sign-in names.
    #[error("--auto-provision needs --upn-domain DOMAIN")]
    NoUpnDomain,
    /// A scope setting of the other identity directory.
    #[error("{0}")]
    Scope(String),
    /// Neither the webhook's secret nor its token is set.
    #[error(
        "set {HUMA_WEBHOOK_SECRET} and/or {HUMA_WEBHOOK_TOKEN} to what the webhook in Huma is \
         configured with: unverified webhooks are never accepted"
    )]
    NotVerified,
    /// The state cannot be used.
    #[error(transparent)]
    State(#[from] StateLocationError),
    /// The directories cannot be made from the settings.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A group of the scope does not exist, or could not be checked.
    #[error(transparent)]
    Scoped(DirectoryError),
}

impl ReceiverError {
    /// Whether the settings do not fit together (rather than something missing or unusable).
    pub fn is_settings(&self) -> bool {
        match self {
            ReceiverError::NoUpnDomain | ReceiverError::Scope(_) => true,
            ReceiverError::State(state) => state.is_settings(),
            _ => false,
        }
    }
}

/// The webhook's verifier from [`HUMA_WEBHOOK_SECRET`] (header `huma-hmac-sha256`) and/or
/// [`HUMA_WEBHOOK_TOKEN`] (`Authorization: Bearer`).
///
/// # Errors
/// [`ReceiverError::NotVerified`] when neither is set: unverified webhooks are never accepted.
pub fn verifier_from_env() -> Result<WebhookVerifier, ReceiverError> {
    let secret = secret_from_env(HUMA_WEBHOOK_SECRET);
    let token = secret_from_env(HUMA_WEBHOOK_TOKEN);
    if secret.is_none() && token.is_none() {
        return Err(ReceiverError::NotVerified);
    }
    Ok(WebhookVerifier::new(secret, token))
}

/// A receiver ready to serve, and whether it can do all it was asked.
#[derive(Debug)]
#[non_exhaustive]
pub struct ReadyReceiver {
    /// The receiver.
    pub receiver: Receiver,
    /// Why nobody will be disabled, when leavers are to be disabled and the identity directory
    /// cannot disable accounts (the warning a program prints).
    pub cannot_disable: Option<String>,
}

impl ReceiverSettings {
    /// Refuses settings that do not fit together.
    ///
    /// # Errors
    /// [`ReceiverError::NoUpnDomain`], [`ReceiverError::Scope`].
    pub fn check(&self) -> Result<(), ReceiverError> {
        if self.auto_provision && self.upn_domain.as_deref().is_none_or(|d| d.trim().is_empty()) {
            return Err(ReceiverError::NoUpnDomain);
        }
        self.connection.scope.check(self.connection.idp).map_err(ReceiverError::Scope)
    }

    /// What every push of the receiver may do.
    pub fn push_settings(&self) -> PushSettings {
        let provisioning =
            if self.auto_provision { AutoProvisioning::On } else { AutoProvisioning::Off };
        let (scope, leavers) = LeaverSwitches {
            include_inactive: self.include_inactive,
            disable_leavers: self.disable_leavers,
            revoke_sessions: self.revoke_sessions,
            disable_out_of_scope: self.disable_out_of_scope,
        }
        .rules();
        PushSettings { provisioning, scope, leavers, max_disables: self.max_disables }
    }

    /// The receiver of these settings, with `secrets` and `verifier`, once everything it needs
    /// is there: the settings fit, the state opens, and every group of the scope exists (one
    /// that does not would leave everyone out of it).
    ///
    /// # Errors
    /// [`ReceiverError`]: what is wrong or missing, in that order.
    pub async fn ready(
        &self,
        secrets: &Secrets,
        verifier: WebhookVerifier,
    ) -> Result<ReadyReceiver, ReceiverError> {
        self.check()?;
        let store = StateLocation::new(&self.store)?.open().await?;
        let new_people = NewPeople {
            upn_domain: self.upn_domain.clone().unwrap_or_default(),
            ..NewPeople::default()
        };
        let directories = connect(&self.connection, &new_people, secrets)?;
        directories.check_scope().await.map_err(ReceiverError::Scoped)?;
        let idp = directories.idp.directory();
        let cannot_disable = crate::setup::cannot_disable(self.disable_leavers, idp);
        let (huma, idp) = directories.shared();
        let receiver = Receiver::new(huma, idp, verifier)
            .with_store(store.shared())
            .with_settings(self.push_settings());
        tracing::debug!(auto_provision = self.auto_provision, "webhook receiver ready");
        Ok(ReadyReceiver { receiver, cannot_disable })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_provisioning_needs_a_domain_and_leaver_settings_need_disable_leavers() {
        let settings = ReceiverSettings { auto_provision: true, ..ReceiverSettings::default() };
        assert!(matches!(settings.check(), Err(ReceiverError::NoUpnDomain)));
        let settings = ReceiverSettings { upn_domain: Some("acme.example".to_owned()), ..settings };
        assert!(settings.check().is_ok());
        assert_eq!(settings.push_settings().provisioning, AutoProvisioning::On);

        let alone = ReceiverSettings {
            revoke_sessions: true,
            disable_out_of_scope: true,
            ..ReceiverSettings::default()
        };
        let push = alone.push_settings();
        assert!(!push.leavers.revoke_sessions && !push.scope.disable_out_of_scope);
        let push = ReceiverSettings { disable_leavers: true, ..alone }.push_settings();
        assert!(push.leavers.disable && push.leavers.revoke_sessions);
        assert!(push.scope.disable_out_of_scope);
    }

    #[test]
    fn a_scope_of_the_other_directory_is_a_settings_error() {
        let mut settings = ReceiverSettings::default();
        settings.connection.scope.scim_filter = Some("active eq true".to_owned());
        let refused = settings.check().unwrap_err();
        assert!(
            refused.is_settings() && refused.to_string().contains("--scim-filter"),
            "{refused}"
        );
    }
}

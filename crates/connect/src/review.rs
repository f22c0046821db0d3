//! The review page (`dirsync-review`, with the `review` feature) made from one organisation's
//! settings: the page plans, decides and applies as `sync apply` would with them, and sends the
//! report email they ask for.

use crate::email::{EmailSettings, MailerError, SmtpEnv, mailer};
use crate::setup::SyncSetup;
use azure_graph::GraphClient;
use dirsync::{directory::Directory, store::StateStore};
use dirsync_review::{Access, Review, ReviewEmail};
use std::sync::Arc;

impl SyncSetup {
    /// The review page of this sync of `hr` and `idp` over `store`: its policy, limits, title
    /// and decisions file, the page reached through `access`.
    pub fn review(
        &self,
        hr: Arc<dyn Directory>,
        idp: Arc<dyn Directory>,
        store: Arc<dyn StateStore>,
        access: Access,
    ) -> Review {
        let decisions =
            self.decisions.iter().flat_map(|d| d.entries()).map(|e| (e.id.clone(), e.decision));
        Review::new(hr, idp, store)
            .with_policy(self.policy.clone())
            .with_apply_options(self.apply_options())
            .with_title(self.title.clone())
            .with_decisions(decisions)
            .with_access(access)
    }
}

/// The report email the review page sends once it applied, as `settings` ask; `Ok(None)` when
/// they name no recipient.
///
/// # Errors
/// [`MailerError`]: what is missing to send it (see [`mailer`]).
pub fn review_email(
    settings: &EmailSettings,
    graph: Option<&GraphClient>,
    smtp: &SmtpEnv,
) -> Result<Option<ReviewEmail>, MailerError> {
    if settings.email_to.is_empty() {
        return Ok(None);
    }
    let (mailer, from) = mailer(settings, graph, smtp)?;
    let to = settings.email_to.iter().map(|to| to.trim().to_owned());
    Ok(Some(ReviewEmail::new(mailer, from, to).on(settings.email_on.into())))
}

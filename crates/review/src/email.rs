//! The report email a review sends after the apply, when the program or service asks for one.

use dirsync::{
    mail::{EmailOn, MailError, Mailer},
    report::Report,
};
use dirsync_report::ReportEmail;
use std::fmt;
use std::sync::Arc;

/// Who the report is emailed to after the apply, through what, and when.
#[derive(Clone)]
pub struct ReviewEmail {
    mailer: Arc<dyn Mailer>,
    from: String,
    to: Vec<String>,
    on: EmailOn,
    organisation: Option<String>,
}

impl fmt::Debug for ReviewEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReviewEmail")
            .field("mailer", &self.mailer.name())
            .field("from", &self.from)
            .field("to", &self.to)
            .field("on", &self.on)
            .finish_non_exhaustive()
    }
}

impl ReviewEmail {
    /// The report emailed from `from` to `to` through `mailer`, after every run.
    pub fn new(
        mailer: Arc<dyn Mailer>,
        from: impl Into<String>,
        to: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        ReviewEmail {
            mailer,
            from: from.into(),
            to: to.into_iter().map(Into::into).collect(),
            on: EmailOn::Always,
            organisation: None,
        }
    }

    /// Only when `on` wants it ([`EmailOn::wants`]).
    #[must_use]
    pub fn on(mut self, on: EmailOn) -> Self {
        self.on = on;
        self
    }

    /// Names the organisation in the subject and the heading.
    #[must_use]
    pub fn with_organisation(mut self, name: impl Into<String>) -> Self {
        self.organisation = Some(name.into());
        self
    }

    /// The email for `report`, laid out as the page shows it.
    pub(crate) fn compose<'a>(&self, report: &'a Report) -> ReportEmail<'a> {
        let email = ReportEmail::new(report);
        match &self.organisation {
            Some(name) => email.with_organisation(name.clone()),
            None => email,
        }
    }

    /// Sends the report, when its rule wants it: to whom, or why not; `None` when not wanted.
    pub(crate) async fn send(&self, report: &Report) -> Option<Result<Vec<String>, MailError>> {
        if !self.on.wants(report) {
            return None;
        }
        let email = self.compose(report).to_email(self.from.clone(), self.to.clone());
        Some(dirsync::mail::send_email(self.mailer.as_ref(), &email).await.map(|()| email.to))
    }
}

//! A [`dirsync::mail::Email`] as a MIME message: `multipart/mixed` of a `multipart/alternative` (text,
//! then HTML) and the attachments.

use crate::SmtpError;
use dirsync::mail::Email;
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};

/// The MIME message for `email`.
pub(crate) fn to_message(email: &Email) -> Result<Message, SmtpError> {
    let mut builder = Message::builder().from(mailbox(&email.from)?).subject(&email.subject);
    for to in &email.to {
        builder = builder.to(mailbox(to)?);
    }
    let body = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    let message = if email.attachments.is_empty() {
        builder.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for attachment in &email.attachments {
            let content_type = ContentType::parse(&attachment.content_type).map_err(|_| {
                SmtpError::Message(format!(
                    "the attachment {} has the media type {:?}, which is not one",
                    attachment.name, attachment.content_type
                ))
            })?;
            mixed = mixed.singlepart(
                Attachment::new(attachment.name.clone())
                    .body(attachment.bytes.clone(), content_type),
            );
        }
        builder.multipart(mixed)
    };
    message.map_err(|e| SmtpError::Message(e.to_string()))
}

fn mailbox(address: &str) -> Result<Mailbox, SmtpError> {
    address.trim().parse().map_err(|e: lettre::address::AddressError| SmtpError::Address {
        address: address.to_owned(),
        reason: e.to_string(),
    })
}

/// The email as an `.eml` file (RFC 5322), as it would be sent: for a person to open in a mail
/// program, or to keep.
///
/// ```
/// use dirsync::report::Report;
/// use dirsync_report::ReportEmail;
/// let report = Report::default();
/// let email = ReportEmail::new(&report).to_email("sync@example.com", ["hr@example.com"]);
/// let eml = String::from_utf8(dirsync_smtp::to_eml(&email)?).expect("ASCII");
/// assert!(eml.contains("Content-Type: multipart/alternative"));
/// assert!(eml.contains("To: hr@example.com"));
/// # Ok::<(), dirsync_smtp::SmtpError>(())
/// ```
///
/// # Errors
/// [`SmtpError::Address`] or [`SmtpError::Message`].
pub fn to_eml(email: &Email) -> Result<Vec<u8>, SmtpError> {
    Ok(to_message(email)?.formatted())
}

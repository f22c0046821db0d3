//! Email syntax: enough to tell an address no directory will take from one that may be real.
//!
//! Deliberately not the whole of RFC 5322 (quoted local parts, comments, IP-literal domains):
//! neither Huma nor Entra ID accepts those for a person, so treating them as malformed is right.

/// Why an email address is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmailError {
    /// No `@` at all.
    #[error("it has no @")]
    NoAt,
    /// More than one `@`.
    #[error("it has more than one @")]
    SeveralAt,
    /// A space, a control character, or one of `"(),:;<>[\]`.
    #[error("it holds a space, a control character or one of \"(),:;<>[\\]")]
    ForbiddenCharacter,
    /// Nothing before the `@`, or the part before it starts or ends with a dot or holds `..`.
    #[error("the part before the @ is empty or has a misplaced dot")]
    BadLocalPart,
    /// The part before the `@` is longer than 64 characters.
    #[error("the part before the @ is longer than 64 characters")]
    LocalPartTooLong,
    /// The domain is empty, has no dot, or has an empty, over-long or hyphen-edged label.
    #[error("the domain after the @ is not a domain name like example.com")]
    BadDomain,
    /// Longer than 254 characters.
    #[error("it is longer than 254 characters")]
    TooLong,
}

/// Checks that `email` has the shape of an address a directory can hold: `local@domain.tld`.
///
/// ```
/// use dirsync::model::{EmailError, check_email};
/// assert_eq!(check_email("ada.lovelace@example.com"), Ok(()));
/// assert_eq!(check_email("ada.lovelace"), Err(EmailError::NoAt));
/// assert_eq!(check_email("ada@example"), Err(EmailError::BadDomain));
/// ```
///
/// # Errors
/// What is wrong with it, first problem found.
pub fn check_email(email: &str) -> Result<(), EmailError> {
    // Bytes are at least as many as characters: counting is needed only past 254 bytes.
    if email.len() > 254 && email.chars().count() > 254 {
        return Err(EmailError::TooLong);
    }
    if email.chars().any(forbidden) {
        return Err(EmailError::ForbiddenCharacter);
    }
    let (local, domain) = email.split_once('@').ok_or(EmailError::NoAt)?;
    if domain.contains('@') {
        return Err(EmailError::SeveralAt);
    }
    if local.is_empty() || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(EmailError::BadLocalPart);
    }
    if local.len() > 64 && local.chars().count() > 64 {
        return Err(EmailError::LocalPartTooLong);
    }
    let mut labels = domain.split('.');
    let several = labels.clone().nth(1).is_some();
    if !several || !labels.all(good_label) {
        return Err(EmailError::BadDomain);
    }
    Ok(())
}

fn forbidden(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c, '"' | '(' | ')' | ',' | ':' | ';' | '<' | '>' | '[' | '\\' | ']')
}

/// A domain label: letters, digits (any script) and inner hyphens, 1 to 63 characters.
fn good_label(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= 63
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}

/// Why nobody can be created with `email`, in words for a finding: a control character (named,
/// with its place) or a malformed address.
pub(crate) fn creation_refusal(email: &str) -> Option<String> {
    if let Some((position, character)) = crate::text::first_control(email, &[]) {
        return Some(format!(
            "the email holds the control character U+{:04X} at character {position}",
            u32::from(character)
        ));
    }
    check_email(email).err().map(|error| format!("the email {email:?} is malformed: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_pass() {
        for email in [
            "ada@example.com",
            "Ada.Lovelace+hr@mail.example.co.uk",
            "o'brien@example.ie",
            "x@a-b.example",
            "ærlig@eksempel.no",
            "ola@bücher.de",
        ] {
            assert_eq!(check_email(email), Ok(()), "{email}");
        }
    }

    #[test]
    fn each_kind_of_malformed_address_says_what_is_wrong() {
        let long_local = format!("{}@example.com", "a".repeat(65));
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        let cases = [
            ("ada.example.com", EmailError::NoAt),
            ("", EmailError::NoAt),
            ("ada@@example.com", EmailError::SeveralAt),
            ("ada@ex@ample.com", EmailError::SeveralAt),
            ("ada lovelace@example.com", EmailError::ForbiddenCharacter),
            ("ada\u{0}@example.com", EmailError::ForbiddenCharacter),
            ("<ada@example.com>", EmailError::ForbiddenCharacter),
            ("@example.com", EmailError::BadLocalPart),
            (".ada@example.com", EmailError::BadLocalPart),
            ("ada.@example.com", EmailError::BadLocalPart),
            ("a..da@example.com", EmailError::BadLocalPart),
            (long_local.as_str(), EmailError::LocalPartTooLong),
            ("ada@", EmailError::BadDomain),
            ("ada@localhost", EmailError::BadDomain),
            ("ada@example..com", EmailError::BadDomain),
            ("ada@-example.com", EmailError::BadDomain),
            ("ada@example.com.", EmailError::BadDomain),
            ("ada@exa_mple.com", EmailError::BadDomain),
            (long.as_str(), EmailError::TooLong),
        ];
        for (email, expected) in cases {
            assert_eq!(check_email(email), Err(expected), "{email:?}");
        }
    }

    #[test]
    fn a_creation_refusal_names_the_control_character_or_the_malformed_part() {
        assert_eq!(creation_refusal("ada@example.com"), None);
        assert_eq!(
            creation_refusal("ada\u{7}@example.com").as_deref(),
            Some("the email holds the control character U+0007 at character 4")
        );
        assert_eq!(
            creation_refusal("ada@example").as_deref(),
            Some(
                "the email \"ada@example\" is malformed: the domain after the @ is not a domain \
                 name like example.com"
            )
        );
    }
}

//! The address the browser is sent back to after a "with user account" sign-in: the code in it,
//! once its `state` is the sign-in's own, or why there is none.

use std::collections::HashMap;
use url::Url;

/// Why a redirect address gave no authorization code ([`code_from_redirect`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// The text is not an address.
    #[error(
        "that is not a web address: paste the whole address from the browser's address bar, \
         starting with https://"
    )]
    NotAnAddress,
    /// The address belongs to another sign-in, or to none (no `state`): refused, as a forged
    /// redirect would be.
    #[error(
        "the address does not belong to this sign-in (its state differs), so it was refused: use \
         the address from the sign-in started here, or sign in again"
    )]
    WrongState,
    /// Azure refused the sign-in (`error=…&error_description=…`).
    #[error("Azure refused the sign-in ({said}): {advice}", said = said(error, description))]
    Refused {
        /// The OAuth error (`consent_required`, `access_denied`, …).
        error: String,
        /// The first line of Azure's description (`AADSTS65001: …`), if any.
        description: Option<String>,
        /// What to do about it.
        advice: &'static str,
    },
    /// An address without a code: the sign-in address itself rather than where the browser was
    /// sent after it.
    #[error(
        "the address has no sign-in code: use the address the browser was sent to after signing \
         in, not the sign-in address itself"
    )]
    NoCode,
}

/// The authorization code in `redirect` (the address the browser came back to, as text), once
/// its `state` is `expected_state`, the one [`AuthorizeRequest`](crate::AuthorizeRequest) gave.
///
/// ```
/// let back = "https://app.example.com/azure/callback?code=0.AX8A&state=s1";
/// assert_eq!(azure_graph::code_from_redirect(back, "s1").as_deref(), Ok("0.AX8A"));
/// assert!(azure_graph::code_from_redirect(back, "s2").is_err());
/// ```
///
/// # Errors
/// [`RedirectError`]: not an address, another sign-in's state (checked before anything else in
/// it is believed), a refusal from Azure with what to do, no code.
pub fn code_from_redirect(redirect: &str, expected_state: &str) -> Result<String, RedirectError> {
    let url = Url::parse(redirect.trim()).map_err(|_| RedirectError::NotAnAddress)?;
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let state = query.get("state").map(String::as_str);
    if state.is_some_and(|s| s != expected_state) {
        return Err(RedirectError::WrongState);
    }
    if let Some(error) = query.get("error") {
        return Err(refusal(error, query.get("error_description").map(String::as_str)));
    }
    if state.is_none() {
        return Err(RedirectError::WrongState);
    }
    match query.get("code") {
        Some(code) if !code.trim().is_empty() => Ok(code.clone()),
        _ => Err(RedirectError::NoCode),
    }
}

/// A refusal with what to do about it, from the error and the first line of its description.
fn refusal(error: &str, description: Option<&str>) -> RedirectError {
    let description =
        description.and_then(|d| d.lines().next()).map(str::trim).filter(|d| !d.is_empty());
    let advice = match (description.and_then(aadsts_code), error) {
        (Some(65001), _) | (_, "consent_required") => {
            "the app has no consent to its permissions: an admin must open the app under App \
             registrations → API permissions and click Grant admin consent (User.ReadWrite.All, \
             offline_access, openid), or sign in as an admin and accept on behalf of the \
             organisation"
        }
        (Some(65004), _) | (_, "access_denied") => {
            "the sign-in was cancelled or consent was declined: sign in again and accept the \
             permissions the app asks for; if you may not accept them, ask an admin to grant admin \
             consent under App registrations → API permissions"
        }
        _ => "check the app registration (its redirect URI, type Web) and the description above",
    };
    RedirectError::Refused {
        error: error.to_owned(),
        description: description.map(str::to_owned),
        advice,
    }
}

fn said(error: &str, description: &Option<String>) -> String {
    match description {
        Some(description) => format!("{error}: {description}"),
        None => error.to_owned(),
    }
}

/// The number in an `AADSTS<number>:` prefix.
fn aadsts_code(description: &str) -> Option<u64> {
    let rest = description.strip_prefix("AADSTS")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BACK: &str = "https://sync.example.com/oauth/callback";

    #[test]
    fn the_code_is_taken_when_the_state_matches() {
        let code = code_from_redirect(&format!("{BACK}?code=abc&state=s1&session_state=x"), "s1");
        assert_eq!(code.as_deref(), Ok("abc"));
    }

    #[test]
    fn another_sign_ins_state_or_none_is_refused() {
        for pasted in [format!("{BACK}?code=abc&state=s2"), format!("{BACK}?code=abc")] {
            assert_eq!(code_from_redirect(&pasted, "s1"), Err(RedirectError::WrongState));
        }
        // A refusal under another sign-in's state is that sign-in's business, not this one's.
        let other = format!("{BACK}?error=access_denied&state=s2");
        assert_eq!(code_from_redirect(&other, "s1"), Err(RedirectError::WrongState));
    }

    #[test]
    fn missing_admin_consent_says_to_grant_it() {
        let pasted = format!(
            "{BACK}?error=invalid_client&error_description=AADSTS65001%3a+The+user+or+\
             administrator+has+not+consented.%0d%0aTrace+ID%3a+1&state=s1"
        );
        let e = code_from_redirect(&pasted, "s1").unwrap_err().to_string();
        assert!(e.contains("AADSTS65001: The user or administrator has not consented."), "{e}");
        assert!(e.contains("Grant admin consent"), "{e}");
        assert!(!e.contains("Trace ID"), "only the description's first line: {e}");
    }

    #[test]
    fn text_that_is_not_an_address_or_has_no_code_is_explained() {
        assert_eq!(code_from_redirect("hello", "s1"), Err(RedirectError::NotAnAddress));
        assert_eq!(
            code_from_redirect(&format!("{BACK}?state=s1"), "s1"),
            Err(RedirectError::NoCode)
        );
    }
}

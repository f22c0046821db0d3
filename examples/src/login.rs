//! `sync login-azure`: connecting to Azure AD "with user account".
//!
//! The authorization-code flow with PKCE, for a person at a terminal: the program prints the
//! sign-in address; the person signs in in a browser and pastes the address the browser was sent
//! back to; the program checks it, redeems the code and saves the refresh token in the token file
//! ([`azure_graph::RefreshTokenFile`]). The token is never printed.

use crate::cli::LoginArgs;
use crate::connect::{AzureApp, Secrets};
use crate::run::{Console, Outcome, say};

use azure_graph::{AuthorizationCodeFlow, RefreshTokenFile};
use reqwest::Url;
use std::collections::HashMap;
use std::io::Write;

/// Runs `sync login-azure`: [`Outcome::Done`] once the sign-in is saved, else
/// [`Outcome::CouldNotRun`] with the reason and what to do on the console.
pub async fn login_azure(args: &LoginArgs, secrets: &Secrets, console: &mut Console) -> Outcome {
    match login(args, secrets, console).await {
        Ok(()) => Outcome::Done,
        Err(message) => {
            say!(console.err, "error: {message}");
            Outcome::CouldNotRun
        }
    }
}

async fn login(args: &LoginArgs, secrets: &Secrets, console: &mut Console) -> Result<(), String> {
    let app = AzureApp::from_args(&args.azure, secrets).map_err(|e| e.0)?;
    let flow = AuthorizationCodeFlow::new(
        app.tenant,
        app.client_id,
        app.client_secret,
        &args.redirect_uri,
    )
    .and_then(|flow| flow.login_url(&args.azure.login_url))
    .map_err(|e| e.to_string())?;
    let request = flow.authorize_url();
    print_instructions(console, &request.url);
    let pasted = read_pasted_line(console)?;
    let code = code_from_redirect(&pasted, &request.state)?;
    let tokens = flow.redeem(&code, &request.verifier).await.map_err(|e| {
        format!(
            "Azure did not accept the sign-in: {e}; run `sync login-azure` again and paste the \
             address right away (its code works once, for a few minutes)"
        )
    })?;
    let path = &args.azure_token_file;
    RefreshTokenFile::new(path).write(&tokens.refresh_token).map_err(|e| {
        format!(
            "the sign-in worked but could not be saved to {}: {e}; check that the folder exists \
             and may be written, then run `sync login-azure` again",
            path.display()
        )
    })?;
    say!(console.out);
    say!(
        console.out,
        "Signed in. The sign-in is saved in {} (readable by you only).",
        path.display()
    );
    say!(
        console.out,
        "Connect with it: sync plan --azure-token-file {} (apply and webhook serve take it too). \
         Keep the file as safe as a password: it acts in Azure AD as you.",
        path.display()
    );
    Ok(())
}

fn print_instructions(console: &mut Console, url: &Url) {
    say!(console.out, "Connect to Azure AD with a user account:");
    say!(console.out);
    say!(
        console.out,
        "1. Open this address in a browser and sign in as a user who may administer users \
         (User Administrator or higher):"
    );
    say!(console.out);
    say!(console.out, "   {url}");
    say!(console.out);
    say!(
        console.out,
        "2. After signing in, the browser is sent to the app's redirect URI. The page may show an \
         error; that is expected. Copy the whole address from the address bar and paste it here."
    );
}

/// The first line that is not blank, after a prompt.
fn read_pasted_line(console: &mut Console) -> Result<String, String> {
    let Some(input) = console.input.as_mut() else {
        return Err("`sync login-azure` needs a person to paste the address: run it in a \
                    terminal"
            .to_owned());
    };
    loop {
        let _ = write!(console.err, "Address: ");
        let _ = console.err.flush();
        let mut line = String::new();
        match input.read_line(&mut line) {
            Ok(0) => {
                return Err("no address was pasted: run `sync login-azure` again".to_owned());
            }
            Ok(_) if line.trim().is_empty() => continue,
            Ok(_) => return Ok(line.trim().to_owned()),
            Err(e) => return Err(format!("cannot read the pasted address: {e}")),
        }
    }
}

/// The authorization code in the pasted redirect address, once its `state` is ours.
///
/// # Errors
/// What went wrong and what to do: not an address, another sign-in's state, a refusal from Azure
/// (`error=…`), no code.
pub fn code_from_redirect(pasted: &str, expected_state: &str) -> Result<String, String> {
    let url = Url::parse(pasted.trim()).map_err(|_| {
        "that is not a web address: paste the whole address from the browser's address bar, \
         starting with https://"
            .to_owned()
    })?;
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    let state = query.get("state").map(String::as_str);
    if state.is_some_and(|s| s != expected_state) {
        return Err(wrong_state());
    }
    if let Some(error) = query.get("error") {
        return Err(refusal(error, query.get("error_description").map(String::as_str)));
    }
    if state.is_none() {
        return Err(wrong_state());
    }
    match query.get("code") {
        Some(code) if !code.trim().is_empty() => Ok(code.clone()),
        _ => Err("the address has no sign-in code: paste the address the browser was sent to \
                  after signing in, not the sign-in address itself"
            .to_owned()),
    }
}

fn wrong_state() -> String {
    "the pasted address does not belong to this sign-in (its state differs), so it was refused \
     and nothing was saved: paste the address from the sign-in started by this run, or run \
     `sync login-azure` again"
        .to_owned()
}

/// A message for an `error=…&error_description=…` redirect, saying what to do.
fn refusal(error: &str, description: Option<&str>) -> String {
    let description = description.and_then(|d| d.lines().next()).map(str::trim).unwrap_or("");
    let todo = match (aadsts_code(description), error) {
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
    let said =
        if description.is_empty() { error.to_owned() } else { format!("{error}: {description}") };
    format!("Azure refused the sign-in ({said}): {todo}; then run `sync login-azure` again")
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
            let Err(e) = code_from_redirect(&pasted, "s1") else { panic!("{pasted} is refused") };
            assert!(e.contains("state differs"), "{e}");
        }
    }

    #[test]
    fn missing_admin_consent_says_to_grant_it() {
        let pasted = format!(
            "{BACK}?error=invalid_client&error_description=AADSTS65001%3a+The+user+or+\
             administrator+has+not+consented.%0d%0aTrace+ID%3a+1&state=s1"
        );
        let Err(e) = code_from_redirect(&pasted, "s1") else { panic!("refused") };
        assert!(e.contains("AADSTS65001: The user or administrator has not consented."), "{e}");
        assert!(e.contains("Grant admin consent"), "{e}");
        assert!(!e.contains("Trace ID"), "only the description's first line: {e}");
    }

    #[test]
    fn pasted_text_that_is_not_an_address_or_has_no_code_is_explained() {
        let Err(e) = code_from_redirect("hello", "s1") else { panic!("refused") };
        assert!(e.contains("not a web address"), "{e}");
        let Err(e) = code_from_redirect(&format!("{BACK}?state=s1"), "s1") else { panic!() };
        assert!(e.contains("no sign-in code"), "{e}");
    }
}

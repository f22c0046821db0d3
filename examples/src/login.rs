//! `sync login-azure`: connecting to Azure AD "with user account".
//!
//! The authorization-code flow with PKCE, for a person at a terminal: the program prints the
//! sign-in address; the person signs in in a browser and pastes the address the browser was sent
//! back to; the program checks it, redeems the code and saves the refresh token in the token file
//! ([`azure_graph::RefreshTokenFile`]). The token is never printed.

use crate::cli::LoginArgs;
use crate::run::{Console, Outcome, say};
use dirsync_connect::{AzureApp, Secrets};

use azure_graph::{AuthorizationCodeFlow, RedirectError, RefreshTokenFile};
use reqwest::Url;
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
    let app = AzureApp::new(&args.azure, secrets).map_err(|e| e.to_string())?;
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
    let code = azure_graph::code_from_redirect(&pasted, &request.state).map_err(|e| match e {
        RedirectError::NotAnAddress | RedirectError::NoCode => e.to_string(),
        _ => format!("{e}; nothing was saved: run `sync login-azure` again"),
    })?;
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
    if console.input.is_none() {
        return Err("`sync login-azure` needs a person to paste the address: run it in a \
                    terminal"
            .to_owned());
    }
    loop {
        match console.ask("Address: ") {
            Ok(None) => {
                return Err("no address was pasted: run `sync login-azure` again".to_owned());
            }
            Ok(Some(line)) if line.is_empty() => continue,
            Ok(Some(line)) => return Ok(line),
            Err(e) => return Err(format!("cannot read the pasted address: {e}")),
        }
    }
}

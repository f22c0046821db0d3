//! `sync release ID`: lets held-back writes be tried again by the next `apply`.
//!
//! It needs no connection to Huma or Azure AD: it changes the state only (a file, or an
//! organisation's rows in PostgreSQL), under the state's lease (so never in the middle of a sync)
//! with the store's atomic update ([`dirsync::store::release_held`]).

use crate::cli::ReleaseArgs;
use crate::run::{Console, Outcome, refused, say};
use dirsync::directory::ErrorChain;
use dirsync_connect::{StateLocation, holder};
use dirsync_report::held_line;
use std::io::Write;

/// Runs `sync release`: 0 when something was released, 1 when nothing held back has the id or
/// the state cannot be used; 2 for a state in PostgreSQL without an organisation.
pub async fn release(args: &ReleaseArgs, console: &mut Console) -> Outcome {
    let location = match StateLocation::new(&args.store) {
        Ok(location) => location,
        Err(e) => return refused(console, &e),
    };
    let store = match location.open_existing().await {
        Ok(Some(store)) => store,
        Ok(None) => {
            let missing = match location {
                StateLocation::File(_) => format!("there is no state file at {location}"),
                StateLocation::Postgres { .. } => format!("there is no state for {location}"),
            };
            say!(
                console.err,
                "error: {missing}, so nothing is held back there: give --state (and --org) the \
                 state `sync apply` uses"
            );
            return Outcome::CouldNotRun;
        }
        Err(e) => return refused(console, &e),
    };
    let id = args.id.trim();
    let holder = holder("sync release");
    let (released, state) = match dirsync::store::release_held(store.store(), &holder, id).await {
        Ok(done) => done,
        Err(e) => {
            say!(console.err, "error: cannot release {id:?} in {location}: {}", ErrorChain(&e));
            return Outcome::CouldNotRun;
        }
    };
    if released.is_empty() {
        if state.held.is_empty() {
            say!(
                console.err,
                "error: nothing is held back in {location}, so there is nothing to release"
            );
        } else {
            say!(
                console.err,
                "error: nothing held back in {location} has the id {id:?}: use an id from the \"Held \
                 back\" list of `sync plan` or of the last report (held-…), or the id of the user \
                 written to for all of that user's. Held back now:"
            );
            for held in &state.held {
                say!(console.err, "  {}  {}", held.id, held_line(held));
            }
        }
        return Outcome::CouldNotRun;
    }
    say!(
        console.out,
        "Released {} held-back write(s); the next `sync apply` tries them again:",
        released.len()
    );
    for held in &released {
        say!(console.out, "  {}  {}", held.id, held_line(held));
    }
    Outcome::Done
}

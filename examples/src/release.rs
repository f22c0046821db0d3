//! `sync release ID`: lets held-back writes be tried again by the next `apply`.
//!
//! It needs no connection: it changes the state file only, under the state's lease (so never in
//! the middle of a sync) with the store's atomic update ([`dirsync::release_held`]).

use crate::cli::ReleaseArgs;
use crate::run::{Console, Outcome, say};
use dirsync::{ErrorChain, HeldWrite, JsonFileStore};
use std::io::Write;

/// Runs `sync release`: 0 when something was released, 1 when nothing held back has the id or
/// the state file cannot be used.
pub async fn release(args: &ReleaseArgs, console: &mut Console) -> Outcome {
    let path = args.state.display();
    if !args.state.is_file() {
        say!(
            console.err,
            "error: there is no state file at {path}, so nothing is held back there: give --state \
             the file `sync apply` uses"
        );
        return Outcome::CouldNotRun;
    }
    let id = args.id.trim();
    let store = JsonFileStore::new(&args.state);
    let holder = format!("sync release (process {})", std::process::id());
    let (released, state) = match dirsync::release_held(&store, &holder, id).await {
        Ok(done) => done,
        Err(e) => {
            say!(console.err, "error: cannot release {id:?} in {path}: {}", ErrorChain(&e));
            return Outcome::CouldNotRun;
        }
    };
    if released.is_empty() {
        if state.held.is_empty() {
            say!(
                console.err,
                "error: nothing is held back in {path}, so there is nothing to release"
            );
        } else {
            say!(
                console.err,
                "error: nothing held back in {path} has the id {id:?}: use an id from the \"Held \
                 back\" list of `sync plan` or of the last report (held-…), or the id of the user \
                 written to for all of that user's. Held back now:"
            );
            for held in &state.held {
                say!(console.err, "  {}  {}", held.id, describe(held));
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
        say!(console.out, "  {}  {}", held.id, describe(held));
    }
    Outcome::Done
}

/// One held write for a person: who, what, since when and why.
fn describe(held: &HeldWrite) -> String {
    let value = held.value.as_deref().map(|v| format!(" → \"{v}\"")).unwrap_or_default();
    format!(
        "{}: {}{value} (refused {} time(s) since {}: {})",
        held.name,
        held.write,
        held.attempts,
        held.first_seen.format("%Y-%m-%d"),
        held.error
    )
}

//! The plan as the programs print it: `dirsync_report::PlanText`, with the programs' own words for
//! deciding, creating and trying held-back writes again.

use dirsync::{
    model::{Names, Side},
    plan::Plan,
    report::HeldItem,
};
use dirsync_report::PlanText;
use std::io::{self, Write};

/// How to settle an item that waits for a decision, in the programs' flags.
const DECIDE: &str = "decide with --prefer, --decisions FILE, or answer in a terminal";
/// How to create after all someone not created in Huma, and in the identity directory.
const CREATE_IN_HUMA: &str =
    "listed for you to choose (--create-in-huma all, or \"create\" in a decisions file)";
const CREATE_IN_IDP: &str =
    "listed for you to choose (--create-in-idp all, or \"create\" in a decisions file)";
/// How to try held-back writes again.
const RETRY_HELD: &str =
    "To try one again at the next apply: `sync release ID`; all of them now: --retry-held.";

/// `plan` as the programs print it: [`PlanText`] with their hints.
pub fn view(plan: &Plan) -> PlanText<'_> {
    PlanText::new(plan)
        .with_pending_hint(DECIDE)
        .with_create_hint(Side::Hr, CREATE_IN_HUMA)
        .with_create_hint(Side::Idp, CREATE_IN_IDP)
}

/// Prints the writes held back, then how to try them again with the programs.
///
/// # Errors
/// Writing to `out` failed.
pub fn print_held(out: &mut dyn Write, names: &Names, held: &[HeldItem]) -> io::Result<()> {
    dirsync_report::write_held(out, names, held, RETRY_HELD)
}

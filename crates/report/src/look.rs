//! The one look: the style sheet of the pages, and the same colours for the email, whose mail
//! clients want them inline.

use maud::{Markup, html};

/// The `<meta>` elements every page and the email start their head with.
pub(crate) fn meta() -> Markup {
    html! {
        meta charset="utf-8";
        meta name="viewport" content="width=device-width, initial-scale=1";
    }
}

/// The style sheet of the HTML report and the review page: no fonts, images or imports from
/// elsewhere, so a page that holds it is self-contained.
pub const STYLESHEET: &str = include_str!("../assets/dirsync.css");

/// Body text.
pub(crate) const TEXT: &str = "#1f2328";
/// Secondary text.
pub(crate) const MUTED: &str = "#59636e";
/// Lines and borders.
pub(crate) const LINE: &str = "#d0d7de";
/// Backgrounds of headings and cards.
pub(crate) const SUBTLE: &str = "#f6f8fa";
/// Done, and what to do.
pub(crate) const GREEN: &str = "#1a7f37";
/// Failed.
pub(crate) const RED: &str = "#cf222e";
/// Waiting and held back.
pub(crate) const AMBER: &str = "#9a6700";
/// Findings.
pub(crate) const BLUE: &str = "#0969da";
/// The font of the email (the pages' is in the style sheet).
pub(crate) const FONT: &str = "font-family:Arial,Helvetica,sans-serif";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_colours_are_the_style_sheets() {
        for (name, colour) in [
            ("text", TEXT),
            ("muted", MUTED),
            ("line", LINE),
            ("subtle", SUBTLE),
            ("green", GREEN),
            ("red", RED),
            ("amber", AMBER),
            ("blue", BLUE),
        ] {
            assert!(STYLESHEET.contains(&format!("--{name}: {colour};")), "--{name}");
        }
        assert!(STYLESHEET.contains("font-family: Arial, Helvetica, sans-serif;"));
    }

    #[test]
    fn the_style_sheet_loads_nothing_from_elsewhere() {
        for external in ["url(", "@import", "http"] {
            assert!(!STYLESHEET.contains(external), "{external}");
        }
    }
}

//! Normalisation of values on their way in, so that equal values compare equal.

/// Trims white space; an empty result is absent.
pub(crate) fn clean(value: &str) -> Option<String> {
    let trimmed = value.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Normalises a street address: every line trimmed, empty lines dropped, lines joined by `\n`,
/// so that "a\nb" and "a\r\nb " are the same street.
pub(crate) fn clean_street(value: &str) -> Option<String> {
    let lines: Vec<&str> =
        value.split(['\n', '\r']).map(str::trim).filter(|line| !line.is_empty()).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The first control character of `value` (counting from 1) that is not an allowed one.
pub(crate) fn first_control(value: &str, allowed: &[char]) -> Option<(usize, char)> {
    value
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && !allowed.contains(c))
        .map(|(index, c)| (index + 1, c))
}

/// How many characters a value has, as the services count them for their length limits.
pub(crate) fn char_len(value: &str) -> usize {
    value.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_is_absent() {
        assert_eq!(clean(""), None);
        assert_eq!(clean(" \t\n"), None);
        assert_eq!(clean("  Ada "), Some("Ada".to_owned()));
    }

    #[test]
    fn street_line_breaks_and_padding_do_not_matter() {
        assert_eq!(clean_street("a\nb"), clean_street("a\r\nb "));
        assert_eq!(clean_street(" a \r\n\r\n b\r"), Some("a\nb".to_owned()));
        assert_eq!(clean_street("\r\n \n"), None);
    }
}

//! The keys records are paired by: the employment id as it is, and the email ignoring case.

use crate::Person;
use std::borrow::Cow;

/// The employment id.
pub(super) fn employment(person: &Person) -> Option<Cow<'_, str>> {
    person.employment_id().map(Cow::Borrowed)
}

/// The email in lower case, borrowed when it is already.
///
/// Most emails are lower-case ASCII: a check of eight bytes at a time tells them apart, and only
/// the rest take [`Person::email_match_key`].
pub(super) fn email(person: &Person) -> Option<Cow<'_, str>> {
    let email = person.email()?;
    if is_lower_ascii(email) { Some(Cow::Borrowed(email)) } else { person.email_match_key() }
}

/// Whether every byte is ASCII and none is an upper-case letter.
fn is_lower_ascii(text: &str) -> bool {
    let mut words = text.as_bytes().chunks_exact(8);
    let lower = words.by_ref().all(|word| {
        let word: [u8; 8] = word.try_into().unwrap_or([0x80; 8]);
        is_lower_ascii_word(u64::from_le_bytes(word))
    });
    lower && words.remainder().iter().all(|b| b.is_ascii() && !b.is_ascii_uppercase())
}

/// [`is_lower_ascii`] for eight bytes at once. In an ASCII byte, adding `0x80 - b'A'` sets the
/// high bit when the byte is `'A'` or above, and adding `0x80 - b'Z' - 1` when it is above `'Z'`;
/// no byte overflows into the next.
fn is_lower_ascii_word(word: u64) -> bool {
    const EACH: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = EACH * 0x80;
    let from_a = word.wrapping_add(EACH * u64::from(0x80 - b'A'));
    let above_z = word.wrapping_add(EACH * u64::from(0x80 - b'Z' - 1));
    word & HIGH == 0 && from_a & !above_z & HIGH == 0
}

/// Both keys: employment id, then email.
pub(super) fn both(person: &Person) -> [Option<Cow<'_, str>>; 2] {
    [employment(person), email(person)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_ascii_is_told_apart_at_every_position() {
        for byte in 0..=255u8 {
            let expected = byte.is_ascii() && !byte.is_ascii_uppercase();
            for position in 0..19 {
                let mut text = vec![b'a'; 19];
                text[position] = byte;
                let text = String::from_utf8_lossy(&text);
                let expected = expected && text.len() == 19;
                assert_eq!(is_lower_ascii(&text), expected, "{byte:#x} at {position}");
            }
        }
    }

    #[test]
    fn the_email_key_ignores_case_and_borrows_a_lower_case_email() {
        let plain = Person::new().with_email("ada@example.com");
        assert!(matches!(email(&plain), Some(Cow::Borrowed("ada@example.com"))));
        for mixed in ["Ada@Example.COM", "ADA@EXAMPLE.COM"] {
            let person = Person::new().with_email(mixed);
            assert_eq!(email(&person).as_deref(), Some("ada@example.com"));
        }
        let accented = Person::new().with_email("Åse@Example.com");
        assert_eq!(email(&accented).as_deref(), Some("åse@example.com"));
        assert_eq!(email(&accented), accented.email_match_key());
        assert_eq!(email(&Person::new()), None);
    }
}

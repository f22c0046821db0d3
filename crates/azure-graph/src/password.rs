//! First passwords for new accounts.

use rand::Rng;
use rand::seq::SliceRandom;
use secrecy::SecretString;

const UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const LOWER: &[u8] = b"abcdefghijkmnopqrstuvwxyz";
const DIGITS: &[u8] = b"23456789";
const SYMBOLS: &[u8] = b"!#$%&*+-=?@^_";

/// A strong random password of `len` characters (at least 16) with upper- and lower-case letters,
/// digits and symbols, from the operating system's generator. It is sent once to Graph with
/// `forceChangePasswordNextSignIn: true` and never shown.
pub(crate) fn generate(len: usize) -> SecretString {
    let len = len.max(16);
    let mut rng = rand::rng();
    let all: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS].concat();
    let mut chars: Vec<u8> = [UPPER, LOWER, DIGITS, SYMBOLS]
        .iter()
        .map(|set| set[rng.random_range(0..set.len())])
        .collect();
    while chars.len() < len {
        chars.push(all[rng.random_range(0..all.len())]);
    }
    chars.shuffle(&mut rng);
    SecretString::from(String::from_utf8_lossy(&chars).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn passwords_have_every_class_and_differ() {
        let a = generate(20);
        let b = generate(20);
        let s = a.expose_secret();
        assert_eq!(s.len(), 20);
        assert!(s.bytes().any(|c| UPPER.contains(&c)));
        assert!(s.bytes().any(|c| LOWER.contains(&c)));
        assert!(s.bytes().any(|c| DIGITS.contains(&c)));
        assert!(s.bytes().any(|c| SYMBOLS.contains(&c)));
        assert_ne!(s, b.expose_secret());
        assert_eq!(generate(3).expose_secret().len(), 16);
    }
}

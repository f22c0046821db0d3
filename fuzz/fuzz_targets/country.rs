//! Bytes → text → `CountryCode::parse`.
//!
//! Checks, beyond "no panic": a parsed code is two upper-case ASCII letters, is the input
//! (trimmed, any letter case), parses back to itself and survives serde; a refusal keeps the input
//! as given and only ever suggests a real code.
#![no_main]

use dirsync::model::CountryCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match CountryCode::parse(text) {
        Ok(code) => {
            let alpha2 = code.as_str();
            assert!(
                alpha2.len() == 2 && alpha2.bytes().all(|b| b.is_ascii_uppercase()),
                "{alpha2}"
            );
            assert!(text.trim().eq_ignore_ascii_case(alpha2), "{text:?} parsed as {alpha2}");
            assert_eq!(CountryCode::parse(alpha2), Ok(code));
            assert_eq!(alpha2.parse::<CountryCode>(), Ok(code));
            assert_eq!(code.to_string(), alpha2);
            assert!(!code.name().is_empty());
            let json = serde_json::to_string(&code).expect("a code serialises");
            assert_eq!(serde_json::from_str::<CountryCode>(&json).expect("and reads back"), code);
        }
        Err(err) => {
            assert_eq!(err.value(), text);
            if let Some(suggestion) = err.suggestion() {
                assert_eq!(CountryCode::parse(suggestion.as_str()), Ok(suggestion));
            }
            let message = err.to_string();
            assert!(message.contains("ISO 3166-1 alpha-2"), "{message}");
        }
    }
});

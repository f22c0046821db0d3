//! ISO 3166-1 alpha-2 country codes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::{fmt, str::FromStr};

/// An ISO 3166-1 alpha-2 country code such as `NO`, `SE` or `FI`, and nothing else.
///
/// Huma stores countries as alpha-2 codes; Azure AD stores free text. Parsing accepts any letter case
/// and surrounding white space, and rejects names and alpha-3 codes with an error that suggests the
/// alpha-2 code where it can tell which one was meant.
///
/// ```
/// use dirsync::model::CountryCode;
/// let no: CountryCode = " no ".parse().unwrap();
/// assert_eq!(no.as_str(), "NO");
///
/// let err = "Norway".parse::<CountryCode>().unwrap_err();
/// assert_eq!(err.suggestion().map(|c| c.as_str()), Some("NO"));
/// assert!(err.to_string().contains("did you mean NO?"));
/// assert!("NOR".parse::<CountryCode>().is_err());
/// assert!("XX".parse::<CountryCode>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode(isocountry::CountryCode);

impl CountryCode {
    /// The two upper-case letters.
    pub fn as_str(&self) -> &'static str {
        self.0.alpha2()
    }

    /// The country's English name from ISO 3166-1.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Parses an alpha-2 code; see the type's documentation.
    pub fn parse(value: &str) -> Result<CountryCode, CountryError> {
        let trimmed = value.trim();
        let is_two_letters = trimmed.len() == 2 && trimmed.bytes().all(|b| b.is_ascii_alphabetic());
        if is_two_letters && let Ok(code) = isocountry::CountryCode::for_alpha2_caseless(trimmed) {
            return Ok(CountryCode(code));
        }
        Err(CountryError { value: value.to_owned(), suggestion: suggest(trimmed) })
    }
}

/// The alpha-2 code a person most likely meant by `value`: an alpha-3 code or a country's name.
fn suggest(value: &str) -> Option<CountryCode> {
    if value.len() == 3
        && let Ok(code) = isocountry::CountryCode::for_alpha3_caseless(value)
    {
        return Some(CountryCode(code));
    }
    let wanted = value.to_lowercase();
    if wanted.len() < 4 {
        return None;
    }
    let names = || isocountry::CountryCode::iter().map(|c| (c, c.name().to_lowercase()));
    // An exact name first, then a name that starts with the value ("United Kingdom" finds
    // "United Kingdom of Great Britain and Northern Ireland"), but only when that is unambiguous.
    if let Some((code, _)) = names().find(|(_, name)| *name == wanted) {
        return Some(CountryCode(*code));
    }
    let mut prefixed = names().filter(|(_, name)| name.starts_with(&wanted));
    match (prefixed.next(), prefixed.next()) {
        (Some((code, _)), None) => Some(CountryCode(*code)),
        _ => None,
    }
}

/// A value that is not an ISO 3166-1 alpha-2 country code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CountryError {
    value: String,
    suggestion: Option<CountryCode>,
}

impl CountryError {
    /// The value as it was given.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The alpha-2 code that was probably meant, if one could be told.
    pub fn suggestion(&self) -> Option<CountryCode> {
        self.suggestion
    }
}

impl fmt::Display for CountryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "country {:?} is not an ISO 3166-1 alpha-2 code (two letters such as NO, SE, FI)",
            self.value
        )?;
        match self.suggestion {
            Some(code) => write!(f, "; did you mean {code}?"),
            None => Ok(()),
        }
    }
}

impl FromStr for CountryCode {
    type Err = CountryError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CountryCode::parse(s)
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

impl Serialize for CountryCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = String::deserialize(deserializer)?;
        CountryCode::parse(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_case_alpha2_is_normalised_to_upper_case() {
        assert_eq!(CountryCode::parse("no").unwrap().as_str(), "NO");
        assert_eq!(CountryCode::parse("Se").unwrap().as_str(), "SE");
    }

    #[test]
    fn name_is_rejected_with_a_suggestion() {
        let err = CountryCode::parse("Norway").unwrap_err();
        assert_eq!(err.value(), "Norway");
        assert_eq!(err.suggestion().unwrap().as_str(), "NO");
        assert!(err.to_string().contains("\"Norway\""));
        assert!(err.to_string().ends_with("did you mean NO?"));
    }

    #[test]
    fn alpha3_is_rejected_with_a_suggestion() {
        let err = CountryCode::parse("NOR").unwrap_err();
        assert_eq!(err.suggestion().unwrap().as_str(), "NO");
        let err = CountryCode::parse("swe").unwrap_err();
        assert_eq!(err.suggestion().unwrap().as_str(), "SE");
    }

    #[test]
    fn unknown_codes_and_blanks_are_rejected_without_a_suggestion() {
        for value in ["XX", "", "  ", "N", "N O", "ÑO", "Atlantis"] {
            let err = CountryCode::parse(value).unwrap_err();
            assert_eq!(err.value(), value);
            assert_eq!(err.suggestion(), None, "{value:?}");
        }
    }

    #[test]
    fn a_unique_name_prefix_is_suggested_and_an_ambiguous_one_is_not() {
        let err = CountryCode::parse("United Kingdom").unwrap_err();
        assert_eq!(err.suggestion().unwrap().as_str(), "GB");
        assert_eq!(CountryCode::parse("United").unwrap_err().suggestion(), None);
    }

    #[test]
    fn serde_round_trips_and_validates() {
        let code: CountryCode = serde_json::from_str("\"fi\"").unwrap();
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"FI\"");
        assert!(serde_json::from_str::<CountryCode>("\"Finland\"").is_err());
    }
}

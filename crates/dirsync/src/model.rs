//! A person as both directories hold them: the supported [`Field`]s and their values, a
//! validated [`CountryCode`] and email address, and which [`Side`] is which.

pub use crate::country::{CountryCode, CountryError};
pub use crate::email::{EmailError, check_email};
pub use crate::field::{Field, FieldSet};
pub use crate::names::Names;
pub use crate::person::{Address, FieldRef, FieldValue, Person, WrongKind};
pub use crate::side::Side;

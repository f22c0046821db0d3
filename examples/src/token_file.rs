//! The token file of `sync login-azure`: where it is by default, and what to do when it is not
//! there. Reading and writing it is `azure_graph::RefreshTokenFile`'s.

use crate::connect::ConfigError;
use azure_graph::{RefreshTokenFile, TokenFileError};
use huma_api::SecretString;

/// The token file `sync login-azure` writes when `--azure-token-file` is not given.
pub const DEFAULT_TOKEN_FILE: &str = "dirsync-azure-token";

/// The refresh token in `file`.
///
/// # Errors
/// [`ConfigError`] when the file is missing or empty (the message says to run
/// `sync login-azure`), or cannot be read.
pub fn read(file: &RefreshTokenFile) -> Result<SecretString, ConfigError> {
    file.read().map_err(|e| match e {
        TokenFileError::NotSignedIn { path } => ConfigError(format!(
            "no Azure sign-in in {}: run `sync login-azure --azure-token-file {}` first to \
             connect with a user account",
            path.display(),
            path.display()
        )),
        other => ConfigError(other.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_empty_file_says_to_sign_in() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = RefreshTokenFile::new(dir.path().join("token"));
        let Err(missing) = read(&file) else { panic!("a missing file is refused") };
        assert!(missing.0.contains("sync login-azure --azure-token-file"), "{missing}");
        std::fs::write(file.path(), " \n")?;
        let Err(empty) = read(&file) else { panic!("an empty file is refused") };
        assert!(empty.0.contains("sync login-azure"), "{empty}");
        Ok(())
    }
}

//! The file that keeps the refresh token of a "with user account" connection.
//!
//! Each refresh replaces the refresh token and the old one stops working, so a service that
//! connects with a user account must keep every new one: read the file when it builds the client,
//! and write it from [`GraphClientBuilder::on_refresh_token`](crate::GraphClientBuilder). The file
//! holds the token and nothing else; it is replaced completely or not at all, and on Unix it is
//! readable by its owner only.

use secrecy::{ExposeSecret, SecretString};
use std::io;
use std::path::{Path, PathBuf};

/// A refresh token kept in a file.
///
/// ```
/// use azure_graph::{RefreshTokenFile, SecretString};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let file = RefreshTokenFile::new(dir.path().join("azure-token"));
/// file.write(&SecretString::from("0.AX8A-refresh"))?;
/// let token = file.read()?; // for GraphClientBuilder::refresh_token
/// // Keep each new token: .on_refresh_token(move |token| file.write_or_log(token))
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenFile {
    path: PathBuf,
}

/// Why a [`RefreshTokenFile`] gave no token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenFileError {
    /// The file is missing or empty: nobody has signed in with a user account yet.
    #[error(
        "no Azure sign-in in {}: sign in once with a user account (authorization code), which \
         keeps the refresh token there",
        path.display()
    )]
    NotSignedIn {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("cannot read the Azure token file {}: {source}; check that this process may read it", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl RefreshTokenFile {
    /// The token file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        RefreshTokenFile { path: path.into() }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The refresh token in the file.
    ///
    /// # Errors
    /// [`TokenFileError::NotSignedIn`] when the file is missing or empty,
    /// [`TokenFileError::Unreadable`] when it cannot be read.
    pub fn read(&self) -> Result<SecretString, TokenFileError> {
        let not_signed_in = || TokenFileError::NotSignedIn { path: self.path.clone() };
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_signed_in()),
            Err(source) => {
                return Err(TokenFileError::Unreadable { path: self.path.clone(), source });
            }
        };
        match text.trim() {
            "" => Err(not_signed_in()),
            token => Ok(SecretString::from(token)),
        }
    }

    /// Replaces the file with `token`, completely or not at all; on Unix the file is readable
    /// and writable by its owner only (0600).
    ///
    /// # Errors
    /// The I/O error; the file is then unchanged.
    pub fn write(&self, token: &SecretString) -> io::Result<()> {
        let contents = format!("{}\n", token.expose_secret());
        dirsync::store::replace_private_file(&self.path, contents.as_bytes())
    }

    /// [`write`](Self::write), for the Graph client's refresh callback: a failure is logged, not
    /// raised, because the sync itself can go on with the token it holds.
    pub fn write_or_log(&self, token: &SecretString) {
        if let Err(e) = self.write(token) {
            tracing::error!(
                file = %self.path.display(),
                error = %e,
                "the new Azure refresh token could not be saved; the next run will need a new \
                 sign-in with a user account unless the file can be written"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_token_reads_back_and_replaces_the_old_one()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = RefreshTokenFile::new(dir.path().join("token"));
        file.write(&SecretString::from("first"))?;
        file.write(&SecretString::from("second"))?;
        assert_eq!(file.read()?.expose_secret(), "second");
        assert_eq!(std::fs::read_dir(dir.path())?.count(), 1, "no temporary file is left");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_its_owner_only() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let file = RefreshTokenFile::new(dir.path().join("token"));
        file.write(&SecretString::from("new"))?;
        assert_eq!(std::fs::metadata(file.path())?.permissions().mode() & 0o777, 0o600);
        Ok(())
    }

    #[test]
    fn a_missing_or_empty_file_is_not_signed_in() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = RefreshTokenFile::new(dir.path().join("token"));
        assert!(matches!(file.read(), Err(TokenFileError::NotSignedIn { .. })));
        std::fs::write(file.path(), " \n")?;
        let Err(empty) = file.read() else { panic!("an empty file is refused") };
        assert!(empty.to_string().contains("sign in once with a user account"), "{empty}");
        Ok(())
    }

    #[test]
    fn a_write_into_a_missing_folder_fails_without_panicking() {
        let file = RefreshTokenFile::new("/nonexistent-folder-for-this-test/token");
        assert!(file.write(&SecretString::from("t")).is_err());
        file.write_or_log(&SecretString::from("t"));
        assert!(!file.path().exists());
    }
}

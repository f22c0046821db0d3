//! The file that keeps the Azure refresh token of a "with user account" connection.
//!
//! `sync login-azure` writes it; `sync` and `webhook serve` read it and write every new refresh
//! token back, because each refresh replaces the token and the old one stops working. The file
//! holds the token and nothing else; it is replaced atomically (a temporary file in the same
//! folder, then a rename) so a crash never leaves half a token, and on Unix it is readable by its
//! owner only.

use crate::connect::ConfigError;
use huma_api::SecretString;
use secrecy::ExposeSecret;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The token file `sync login-azure` writes when `--azure-token-file` is not given.
pub const DEFAULT_TOKEN_FILE: &str = "dirsync-azure-token";

/// The refresh token in `path`.
///
/// # Errors
/// [`ConfigError`] when the file is missing or empty (the message says to run
/// `sync login-azure`), or cannot be read.
pub fn read(path: &Path) -> Result<SecretString, ConfigError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(not_signed_in(path)),
        Err(e) => {
            return Err(ConfigError(format!(
                "cannot read the Azure token file {}: {e}; check that this process may read it",
                path.display()
            )));
        }
    };
    let token = text.trim();
    if token.is_empty() {
        return Err(not_signed_in(path));
    }
    Ok(SecretString::from(token))
}

fn not_signed_in(path: &Path) -> ConfigError {
    ConfigError(format!(
        "no Azure sign-in in {}: run `sync login-azure --azure-token-file {}` first to connect \
         with a user account",
        path.display(),
        path.display()
    ))
}

/// Replaces the file at `path` with `token`, completely or not at all; on Unix the file is
/// readable and writable by its owner only (0600).
///
/// # Errors
/// The I/O error; the file is then unchanged.
pub fn write(path: &Path, token: &SecretString) -> io::Result<()> {
    let temp = temporary_path(path);
    let written = write_new(&temp, token).and_then(|()| fs::rename(&temp, path));
    if let Err(e) = written {
        // Best effort: the temporary file is ours and useless now.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_folder(path);
    Ok(())
}

/// [`write()`], for the Graph client's refresh callback: a failure is logged, not raised, because
/// the sync itself can go on with the token it holds.
pub fn write_or_log(path: &Path, token: &SecretString) {
    if let Err(e) = write(path, token) {
        tracing::error!(
            file = %path.display(),
            error = %e,
            "the new Azure refresh token could not be saved; the next run will need \
             `sync login-azure` again unless the file can be written"
        );
    }
}

/// A fresh temporary name beside `path`, so the rename stays on one file system.
fn temporary_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{unique}.tmp", std::process::id()))
}

fn write_new(temp: &Path, token: &SecretString) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        // Set at creation, so the token is never readable by others, not even for a moment.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(temp)?;
    file.write_all(token.expose_secret().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

/// Flushes the folder holding `path`, so the rename itself survives a power loss. Not every
/// platform can open a folder; the rename has happened either way.
fn sync_folder(path: &Path) {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(folder) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_token_reads_back_and_replaces_the_old_one()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("token");
        write(&path, &SecretString::from("first"))?;
        write(&path, &SecretString::from("second"))?;
        assert_eq!(read(&path)?.expose_secret(), "second");
        let names: Vec<_> = fs::read_dir(dir.path())?.collect();
        assert_eq!(names.len(), 1, "no temporary file is left behind");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_its_owner_only() -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("token");
        fs::write(&path, "old")?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))?;
        write(&path, &SecretString::from("new"))?;
        assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        Ok(())
    }

    #[test]
    fn a_missing_or_empty_file_says_to_sign_in() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("token");
        let Err(missing) = read(&path) else { panic!("a missing file is refused") };
        assert!(missing.0.contains("sync login-azure"), "{missing}");
        fs::write(&path, " \n")?;
        let Err(empty) = read(&path) else { panic!("an empty file is refused") };
        assert!(empty.0.contains("sync login-azure"), "{empty}");
        Ok(())
    }

    #[test]
    fn a_write_into_a_missing_folder_fails_without_panicking()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("no-such-folder").join("token");
        assert!(write(&path, &SecretString::from("t")).is_err());
        write_or_log(&path, &SecretString::from("t"));
        assert!(!path.exists());
        Ok(())
    }
}

//! Replacing a file completely or not at all: the state file and any small secret beside it (an
//! Azure refresh token) are written this one way.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Replaces the file at `path` with `contents`, completely or not at all: they are written to a
/// temporary file in the same folder, flushed to disk, and renamed over the old file (then the
/// folder is flushed where the platform allows). A crash may leave a `.<name>.<pid>.<n>.tmp`
/// file beside it; it is safe to delete.
///
/// # Errors
/// The I/O error; the file at `path` is then unchanged.
pub fn replace_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace(path, contents, false)
}

/// [`replace_file`] for a secret: on Unix the new file is readable and writable by its owner
/// only (0600) from the moment it exists.
///
/// # Errors
/// The I/O error; the file at `path` is then unchanged.
pub fn replace_private_file(path: &Path, contents: &[u8]) -> io::Result<()> {
    replace(path, contents, true)
}

fn replace(path: &Path, contents: &[u8], private: bool) -> io::Result<()> {
    let temp = temporary_path(path);
    let written = write_new(&temp, contents, private).and_then(|()| fs::rename(&temp, path));
    if let Err(e) = written {
        // Best effort: the temporary file is ours and useless now.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    sync_folder(path);
    Ok(())
}

/// A fresh temporary name beside `path`, so the rename stays on one file system.
fn temporary_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{unique}.tmp", std::process::id()))
}

fn write_new(temp: &Path, contents: &[u8], private: bool) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        // Set at creation, so the secret is never readable by others, not even for a moment.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(temp)?;
    file.write_all(contents)?;
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
    fn a_replaced_file_holds_the_new_contents_and_nothing_is_left_beside_it() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("state.json");
        replace_file(&path, b"first")?;
        replace_file(&path, b"second")?;
        assert_eq!(fs::read(&path)?, b"second");
        assert_eq!(fs::read_dir(dir.path())?.count(), 1, "no temporary file is left behind");
        Ok(())
    }

    #[cfg(unix)]
    #[test]
    fn a_private_file_is_readable_by_its_owner_only() -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("token");
        fs::write(&path, "old")?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644))?;
        replace_private_file(&path, b"new")?;
        assert_eq!(fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        Ok(())
    }

    #[test]
    fn a_write_into_a_missing_folder_fails_and_leaves_nothing() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("no-such-folder").join("token");
        assert!(replace_private_file(&path, b"t").is_err());
        assert!(!path.exists());
        Ok(())
    }
}

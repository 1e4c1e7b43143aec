//! Files on disk that only the service account may read: `DATA_DIR`, the SQLite files and the
//! at-rest key. The database holds sealed secrets and token hashes and the key opens the
//! secrets, so a world-readable copy on a shared host is a leak. Permissions are set explicitly
//! rather than left to the process umask, which differs between shells, systemd units and
//! container images.

use std::io;
use std::path::Path;

/// Permission bits that give the group or other users any access.
pub const GROUP_OR_OTHER: u32 = 0o077;

/// Creates `path` and any missing parents with mode 0700. An existing directory is left as the
/// operator made it (a shared group may be deliberate); only what we create is private.
pub fn create_private_dir(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Makes sure `path` exists with mode 0600 before a library (SQLite) opens it: creates it empty
/// if absent, and takes group and other access away if it is already there. SQLite gives the
/// `-wal` and `-shm` files it creates the mode of the database file.
pub fn ensure_private_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    drop(options.open(path)?);
    restrict(path)
}

/// Takes group and other access away from an existing file; a missing file is not an error.
pub fn restrict_if_present(path: &Path) -> io::Result<()> {
    match restrict(path) {
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

#[cfg(unix)]
fn restrict(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & GROUP_OR_OTHER != 0 {
        std::fs::set_permissions(
            path,
            std::fs::Permissions::from_mode(mode & !GROUP_OR_OTHER),
        )?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(path: &Path) -> io::Result<()> {
    std::fs::metadata(path).map(|_| ())
}

/// The permission bits of `path` when they give the group or others access (unix only).
pub fn loose_mode(path: &Path) -> io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode() & 0o777;
        Ok((mode & GROUP_OR_OTHER != 0).then_some(mode))
    }
    #[cfg(not(unix))]
    {
        std::fs::metadata(path).map(|_| None)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_created_directory_and_its_new_parents_are_0700() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("b");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
    }

    #[test]
    fn an_existing_directory_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
        create_private_dir(dir.path()).unwrap();
        assert_eq!(mode(dir.path()), 0o750);
    }

    #[test]
    fn a_new_file_is_created_0600_and_an_existing_one_loses_group_and_other_access() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.sqlite3");
        ensure_private_file(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o600);

        let old = dir.path().join("old.sqlite3");
        std::fs::write(&old, b"kept").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o644)).unwrap();
        ensure_private_file(&old).unwrap();
        assert_eq!(mode(&old), 0o600);
        assert_eq!(std::fs::read(&old).unwrap(), b"kept");
    }

    #[test]
    fn restricting_a_missing_file_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        restrict_if_present(&dir.path().join("absent-wal")).unwrap();
    }

    #[test]
    fn loose_mode_names_only_modes_that_let_others_in() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(loose_mode(&file).unwrap(), None);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert_eq!(loose_mode(&file).unwrap(), Some(0o640));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert_eq!(loose_mode(&file).unwrap(), None);
    }
}

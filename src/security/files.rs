//! Files only kaiji's own user may read. The data directory holds the SQLite database, the keys and the
//! `.eml` copies of notices: it is made 0700 and what kaiji writes there 0600, whatever the umask a
//! service manager or shell handed down.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Files the process creates from now on (SQLite's database, journal and WAL among them) get no group
/// or other permissions, as PostgreSQL does for its own data directory. Called once at start.
pub fn restrict_umask() {
    #[cfg(unix)]
    {
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    }
}

/// Creates the directory (and its parents) if needed and makes it 0700, also when it already existed
/// with looser permissions.
pub fn private_dir(path: &Path) -> io::Result<()> {
    fs::create_dir_all(path)?;
    set_mode(path, 0o700)
}

/// Makes an existing file 0600 (a database created by an older version); absent is fine.
pub fn tighten(path: &Path) -> io::Result<()> {
    match set_mode(path, 0o600) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Writes a new file only its owner can read (0600), refusing to overwrite one.
pub fn write_new_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    write_with(opts, path, contents)
}

/// Writes a file only its owner can read (0600), replacing one that is there.
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    write_with(opts, path, contents)?;
    // A file that was there keeps its old mode through `open`.
    set_mode(path, 0o600)
}

/// Replaces a private file whole or not at all: written beside it, then renamed over it (a crash leaves
/// the old file or the new one, never half of either).
pub fn replace_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut staged = path.as_os_str().to_owned();
    staged.push(".new");
    let staged = std::path::PathBuf::from(staged);
    write_private(&staged, contents)?;
    fs::rename(&staged, path)
}

fn write_with(mut opts: fs::OpenOptions, path: &Path, contents: &[u8]) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = (path, mode);
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directories_and_files_are_the_owners_alone() {
        let root = std::env::temp_dir().join(format!("kaiji-files-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&root).unwrap();
        assert_eq!(mode(&root), 0o700, "an existing directory is tightened");
        let nested = root.join("a/b");
        private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);

        let f = root.join("f");
        fs::write(&f, b"old").unwrap();
        fs::set_permissions(&f, fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&f, b"new").unwrap();
        assert_eq!((mode(&f), fs::read(&f).unwrap()), (0o600, b"new".to_vec()));
        let g = root.join("g");
        write_new_private(&g, b"x").unwrap();
        assert_eq!(mode(&g), 0o600);
        assert!(write_new_private(&g, b"y").is_err(), "never overwritten");
        fs::set_permissions(&g, fs::Permissions::from_mode(0o664)).unwrap();
        tighten(&g).unwrap();
        assert_eq!(mode(&g), 0o600);
        tighten(&root.join("absent")).unwrap();
        fs::remove_dir_all(&root).unwrap();
    }
}

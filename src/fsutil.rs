//! Small file-system helpers shared by the modules that write state.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Error, Result};

/// Write `bytes` to `path` so that readers see the old content or the new,
/// never a half-written file: temp file in the same folder, fsync, rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".autovenv-tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(format!("cannot write in {}", dir.display()), e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    tmp.persist(path).map_err(|e| Error::io(format!("cannot write {}", path.display()), e.error))?;
    Ok(())
}

/// The most autovenv reads of any one file a person writes (requirements,
/// TOML, `.python-version`, `.gitignore`): far above any real one, and
/// small enough that a file pointing at `/dev/zero` cannot eat the memory.
pub(crate) const READ_CAP: u64 = 4 << 20;

/// The most autovenv reads of a lock file a tool writes (`uv.lock`,
/// `poetry.lock`, `Pipfile.lock`), and of any file it only hashes: a large
/// project's lock is megabytes (Apache Airflow's uv.lock is 3.3 MB). Read
/// only in an allowed project, after it changed.
pub(crate) const LOCK_READ_CAP: u64 = 64 << 20;

/// Reads a file the prompt depends on: `Ok(None)` when it does not exist,
/// an error naming it when it is not a regular file (a FIFO would block the
/// prompt forever, a device would never end) or is larger than `READ_CAP`.
/// Opened non-blocking, so even a FIFO swapped in after a stat cannot hang.
pub(crate) fn read_regular(path: &Path) -> Result<Option<Vec<u8>>> {
    read_regular_up_to(path, READ_CAP)
}

/// `read_regular` with another cap (`LOCK_READ_CAP`).
pub(crate) fn read_regular_up_to(path: &Path, cap: u64) -> Result<Option<Vec<u8>>> {
    let file = match OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
    };
    read_open_up_to(path, &file, cap).map(Some)
}

/// The rest of `read_regular`, for a file opened another way.
pub(crate) fn read_open(path: &Path, file: &File) -> Result<Vec<u8>> {
    read_open_up_to(path, file, READ_CAP)
}

fn read_open_up_to(path: &Path, mut file: &File, cap: u64) -> Result<Vec<u8>> {
    let meta = file.metadata().map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    if !meta.is_file() {
        return Err(not_regular(path));
    }
    if meta.len() > cap {
        return Err(too_big(path, cap));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    (&mut file)
        .take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    if bytes.len() as u64 > cap {
        return Err(too_big(path, cap));
    }
    Ok(bytes)
}

fn not_regular(path: &Path) -> Error {
    Error::new(format!("{} is not a regular file", path.display()))
        .with_hint("replace it with a plain text file (autovenv reads no FIFO, device or folder)")
}

fn too_big(path: &Path, cap: u64) -> Error {
    Error::new(format!("{} is larger than {} MiB", path.display(), cap >> 20))
        .with_hint("autovenv reads project files up to that size")
}

/// Opens a file in a project for writing without following a final
/// symlink (a `.gitignore -> ~/.bashrc` must not make autovenv write into
/// `~/.bashrc`), non-blocking (a FIFO must not hang), and only if it is a
/// regular file. `append`: add to the end, creating it if missing;
/// otherwise create it and fail if it exists.
pub(crate) fn open_nofollow(path: &Path, append: bool) -> Result<File> {
    let mut o = OpenOptions::new();
    if append {
        o.read(true).append(true).create(true);
    } else {
        o.write(true).create_new(true);
    }
    o.mode(0o644).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let file = o.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            not_regular(path)
        } else {
            Error::io(format!("cannot write {}", path.display()), e)
        }
    })?;
    let meta = file.metadata().map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
    if !meta.is_file() {
        return Err(not_regular(path));
    }
    Ok(file)
}

/// Replaces a small file's content in a project or env (marks), not
/// following a final symlink and only if it is a regular file.
pub(crate) fn write_nofollow(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                not_regular(path)
            } else {
                Error::io(format!("cannot write {}", path.display()), e)
            }
        })?;
    if !f.metadata().is_ok_and(|m| m.is_file()) {
        return Err(not_regular(path));
    }
    f.write_all(bytes).map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// `~/x` for paths under home: shorter messages that read like what the
/// person typed.
pub(crate) fn tilde(path: &Path, home: Option<&Path>) -> String {
    match home.and_then(|h| path.strip_prefix(h).ok()) {
        Some(rest) if rest.as_os_str().is_empty() => "~".into(),
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("sub/state");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(t.path().join("sub")).unwrap().count(), 1);
    }

    #[test]
    fn reads_refuse_fifos_devices_and_symlinked_writes() {
        let t = tempfile::tempdir().unwrap();
        let fifo = t.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(read_regular(&fifo).unwrap_err().message.ends_with("is not a regular file"));
        assert!(read_regular(Path::new("/dev/zero")).unwrap_err().message.ends_with("is not a regular file"));
        assert_eq!(read_regular(&t.path().join("missing")).unwrap(), None);
        let big = t.path().join("big");
        std::fs::write(&big, vec![b'a'; READ_CAP as usize + 1]).unwrap();
        assert!(read_regular(&big).unwrap_err().message.ends_with("big is larger than 4 MiB"));
        assert_eq!(read_regular_up_to(&big, LOCK_READ_CAP).unwrap().map(|b| b.len()), Some(READ_CAP as usize + 1));
        let target = t.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_nofollow(&link, true).unwrap_err().message.ends_with("is not a regular file"));
        assert!(open_nofollow(&fifo, true).unwrap_err().message.ends_with("is not a regular file"));
        assert!(write_nofollow(&link, b"x").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }

    #[test]
    fn tilde_shortens_only_under_home() {
        let h = Path::new("/home/me");
        assert_eq!(tilde(Path::new("/home/me/code/app"), Some(h)), "~/code/app");
        assert_eq!(tilde(Path::new("/home/me"), Some(h)), "~");
        assert_eq!(tilde(Path::new("/home/meta"), Some(h)), "/home/meta");
        assert_eq!(tilde(Path::new("/srv"), None), "/srv");
    }
}

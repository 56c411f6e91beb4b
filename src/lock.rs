//! One lock per project, so two shells entering a new project at once make
//! one env and never run two installers on it. An OS file lock: the kernel
//! drops it when the holder dies, so a `kill -9` never leaves a stale lock.

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use fs4::fs_std::FileExt;

use crate::error::{Error, Result};

pub(crate) struct ProjectLock {
    _file: File,
}

/// Take the lock for the project whose trust key is `key`, waiting (with a
/// message) while another autovenv holds it.
pub(crate) fn acquire(lock_dir: &Path, key: &str, what: &str) -> Result<ProjectLock> {
    fs::create_dir_all(lock_dir).map_err(|e| Error::io(format!("cannot create {}", lock_dir.display()), e))?;
    let path = lock_dir.join(format!("{key}.lock"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(format!("cannot open lock {}", path.display()), e))?;
    match FileExt::try_lock_exclusive(&file) {
        Ok(true) => {}
        Ok(false) => {
            crate::msg::info(&format!("waiting: another autovenv is working on {what}"));
            FileExt::lock_exclusive(&file).map_err(|e| Error::io(format!("cannot lock {}", path.display()), e))?;
        }
        Err(e) => return Err(Error::io(format!("cannot lock {}", path.display()), e)),
    }
    // Let the creator and installer inherit the locked descriptor. If
    // autovenv alone is killed (`kill -9` of its pid), its installer keeps
    // running as an orphan; holding the lock, it makes the next autovenv wait
    // for it instead of rebuilding the env under its feet. The kernel still
    // drops the lock once both are gone.
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own; failure only loses the above.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFD);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
        }
    }
    Ok(ProjectLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_taker_blocks_until_release() {
        let t = tempfile::tempdir().unwrap();
        let first = acquire(t.path(), "k", "p").unwrap();
        let f = OpenOptions::new().write(true).open(t.path().join("k.lock")).unwrap();
        assert!(!FileExt::try_lock_exclusive(&f).unwrap());
        drop(first);
        assert!(FileExt::try_lock_exclusive(&f).unwrap());
    }
}

//! Trust: nothing a project ships runs until its owner says so.
//!
//! One record file per allowed project under `$XDG_DATA_HOME/autovenv/trust/`,
//! named by the sha256 of the canonical root path: an O(1) lookup on every
//! prompt and no list to parse. The file holds the path itself so a record
//! can be checked (and listed by a person) without reversing the hash.

use std::fs;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil::write_atomic;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    Allowed,
    /// Under a `trust.prefixes` entry of the global config.
    Prefix(PathBuf),
    NotAllowed,
}

impl Trust {
    pub fn is_trusted(&self) -> bool {
        !matches!(self, Trust::NotAllowed)
    }
}

/// Hex sha256 of a canonical root: the name of its trust record and lock.
pub fn key(canonical_root: &Path) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(canonical_root.as_os_str().as_bytes());
    // Runs on every non-idle prompt: no `format!` per byte.
    digest.iter().flat_map(|b| [HEX[(b >> 4) as usize] as char, HEX[(b & 15) as usize] as char]).collect()
}

/// The record file for a canonical root.
pub fn record_path(trust_dir: &Path, canonical_root: &Path) -> PathBuf {
    trust_dir.join(key(canonical_root))
}

/// The path trust is keyed by: symlinks resolved, so a link into an allowed
/// project is the same project, and a moved project is a new one.
pub fn canonical(root: &Path) -> Result<PathBuf> {
    fs::canonicalize(root).map_err(|e| Error::io(format!("cannot resolve {}", root.display()), e))
}

/// Is `canonical_root` trusted? An unreadable or corrupt record, or a trust
/// folder others can write to, is an error: the caller treats it as untrusted
/// and says why, because silently trusting would be the unsafe failure.
pub fn check(trust_dir: Option<&Path>, canonical_root: &Path, prefixes: &[PathBuf]) -> Result<Trust> {
    if let Some(p) = prefixes.iter().find(|p| canonical_root.starts_with(p)) {
        return Ok(Trust::Prefix(p.clone()));
    }
    let Some(dir) = trust_dir else {
        return Ok(Trust::NotAllowed);
    };
    let record = record_path(dir, canonical_root);
    let content = match fs::read(&record) {
        Ok(c) => c,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Trust::NotAllowed),
        Err(e) => {
            return Err(Error::io(format!("cannot read trust record {}", record.display()), e)
                .with_hint("fix its permissions, or run `autovenv allow` again"))
        }
    };
    check_dir_is_private(dir)?;
    if content.strip_suffix(b"\n") != Some(canonical_root.as_os_str().as_bytes()) {
        return Err(Error::new(format!("trust record {} is corrupt", record.display()))
            .with_hint("run `autovenv allow` to allow the project again"));
    }
    Ok(Trust::Allowed)
}

/// Anyone who can write to the trust folder can make us run their code.
/// So can anyone who can write to a folder above it: they can rename the
/// trust folder away and put their own in its place (found by
/// tests/security.rs). Above the trust folder itself a sticky folder (`/tmp`)
/// is fine: others cannot rename what they do not own there. Each folder's
/// owner can change its permissions at will, so it must be us or root.
fn check_dir_is_private(dir: &Path) -> Result<()> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    for (i, d) in dir.ancestors().enumerate() {
        let meta = fs::metadata(d).map_err(|e| Error::io(format!("cannot stat {}", d.display()), e))?;
        let what = if i == 0 { "trust folder" } else { "folder above the trust folder" };
        let mode = meta.permissions().mode();
        let sticky_ok = i > 0 && mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky_ok {
            return Err(Error::new(format!(
                "{what} {} is writable by other users; ignoring trust records",
                d.display()
            ))
            .with_hint(format!("run `chmod go-w {}`", d.display())));
        }
        if meta.uid() != me && meta.uid() != 0 {
            return Err(Error::new(format!(
                "{what} {} belongs to another user (uid {}); ignoring trust records",
                d.display(),
                meta.uid()
            ))
            .with_hint("keep the trust folder (XDG_DATA_HOME/autovenv/trust) in folders you own"));
        }
    }
    Ok(())
}

pub fn allow(trust_dir: &Path, canonical_root: &Path) -> Result<()> {
    fs::create_dir_all(trust_dir)
        .and_then(|_| fs::set_permissions(trust_dir, fs::Permissions::from_mode(0o700)))
        .map_err(|e| Error::io(format!("cannot create {}", trust_dir.display()), e))?;
    let mut content = canonical_root.as_os_str().as_bytes().to_vec();
    content.push(b'\n');
    write_atomic(&record_path(trust_dir, canonical_root), &content)?;
    touch_dir(trust_dir);
    Ok(())
}

/// Returns whether a record existed.
pub fn deny(trust_dir: &Path, canonical_root: &Path) -> Result<bool> {
    let record = record_path(trust_dir, canonical_root);
    match fs::remove_file(&record) {
        Ok(()) => {
            touch_dir(trust_dir);
            Ok(true)
        }
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(format!("cannot remove {}", record.display()), e)),
    }
}

/// The hooks notice trust changes by the folder's mtime. Creating or
/// removing a record updates it already, but replacing a record in place
/// (allow twice) does not; touching makes every change visible.
fn touch_dir(dir: &Path) {
    let _ = fs::File::open(dir).and_then(|f| f.set_modified(std::time::SystemTime::now()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_check_deny() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("proj");
        assert_eq!(check(Some(&dir), &root, &[]).unwrap(), Trust::NotAllowed);
        allow(&dir, &root).unwrap();
        assert_eq!(check(Some(&dir), &root, &[]).unwrap(), Trust::Allowed);
        assert_eq!(check(Some(&dir), &t.path().join("proj2"), &[]).unwrap(), Trust::NotAllowed);
        assert!(deny(&dir, &root).unwrap());
        assert!(!deny(&dir, &root).unwrap());
        assert_eq!(check(Some(&dir), &root, &[]).unwrap(), Trust::NotAllowed);
    }

    #[test]
    fn prefixes_respect_path_boundaries() {
        let code = PathBuf::from("/home/me/code");
        let p = [code.clone()];
        assert_eq!(check(None, Path::new("/home/me/code/app"), &p).unwrap(), Trust::Prefix(code));
        assert_eq!(check(None, Path::new("/home/me/codex/app"), &p).unwrap(), Trust::NotAllowed);
    }

    #[test]
    fn corrupt_record_is_an_error_not_trust() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("proj");
        allow(&dir, &root).unwrap();
        fs::write(record_path(&dir, &root), b"/somewhere/else\n").unwrap();
        let err = check(Some(&dir), &root, &[]).unwrap_err();
        assert!(err.message.contains("corrupt"), "{}", err.message);
    }

    #[test]
    fn world_writable_trust_dir_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("proj");
        allow(&dir, &root).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let err = check(Some(&dir), &root, &[]).unwrap_err();
        assert!(err.message.contains("writable by other users"), "{}", err.message);
    }

    /// Its owner can make it writable again at will. Giving a folder away
    /// takes root, so this runs only as root (as on the development machine).
    #[test]
    fn trust_dir_of_another_user_is_refused() {
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipping: changing a folder's owner needs root");
            return;
        }
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("proj");
        allow(&dir, &root).unwrap();
        assert_eq!(check(Some(&dir), &root, &[]).unwrap(), Trust::Allowed, "ours: trusted");
        std::os::unix::fs::chown(&dir, Some(4242), None).unwrap();
        let err = check(Some(&dir), &root, &[]).unwrap_err();
        assert!(err.message.contains("belongs to another user (uid 4242)"), "{}", err.message);
    }
}

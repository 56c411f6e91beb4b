//! Trust: nothing a project ships runs until its owner says so.
//!
//! One record file per allowed project under `$XDG_DATA_HOME/autovenv/trust/`,
//! named by the sha256 of the canonical root path: an O(1) lookup on every
//! prompt and no list to parse. The file holds the path itself so a record
//! can be checked (and listed by a person) without reversing the hash, and
//! then the identity of the folder that was allowed (device, inode, owner,
//! birth time): a path alone would keep trusting whatever folder is put there
//! later (a re-clone, another archive, another user's folder, another disk
//! mounted at the same place).

use std::fs;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil::write_atomic;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Trust {
    Allowed,
    /// Under a `trust.prefixes` entry of the global config.
    Prefix(PathBuf),
    /// A linked git worktree of this trusted folder's repository, with
    /// `trust.worktrees` on in the global config.
    Worktree(PathBuf),
    NotAllowed,
}

impl Trust {
    pub(crate) fn is_trusted(&self) -> bool {
        !matches!(self, Trust::NotAllowed)
    }
}

/// Hex sha256 of a canonical root: the name of its trust record and lock.
pub(crate) fn key(canonical_root: &Path) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(canonical_root.as_os_str().as_bytes());
    // Runs on every non-idle prompt: no `format!` per byte.
    digest.iter().flat_map(|b| [HEX[(b >> 4) as usize] as char, HEX[(b & 15) as usize] as char]).collect()
}

/// The record file for a canonical root.
pub(crate) fn record_path(trust_dir: &Path, canonical_root: &Path) -> PathBuf {
    trust_dir.join(key(canonical_root))
}

/// The path trust is keyed by: symlinks resolved, so a link into an allowed
/// project is the same project, and a moved project is a new one.
pub(crate) fn canonical(root: &Path) -> Result<PathBuf> {
    fs::canonicalize(root).map_err(|e| Error::io(format!("cannot resolve {}", root.display()), e))
}

/// Which folder a record trusts, beyond its path. The birth time tells a
/// new folder from an old one when the file system hands the freed inode
/// number straight to the next folder made (ext4 does); where the file
/// system does not keep it, the rest still has to match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Identity {
    pub dev: u64,
    pub ino: u64,
    pub uid: u32,
    pub born_ns: Option<u128>,
}

impl Identity {
    pub(crate) fn of(canonical_root: &Path) -> Result<Identity> {
        let m = fs::symlink_metadata(canonical_root)
            .map_err(|e| Error::io(format!("cannot stat {}", canonical_root.display()), e))?;
        let born_ns = m.created().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_nanos());
        Ok(Identity { dev: m.dev(), ino: m.ino(), uid: m.uid(), born_ns })
    }

    fn same_folder(&self, other: &Identity) -> bool {
        let born = match (self.born_ns, other.born_ns) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        self.dev == other.dev && self.ino == other.ino && self.uid == other.uid && born
    }

    fn line(&self) -> String {
        let born = self.born_ns.map_or("-".to_string(), |b| b.to_string());
        format!("folder {} {} {} {born}", self.dev, self.ino, self.uid)
    }

    fn parse(line: &[u8]) -> Option<Identity> {
        let text = std::str::from_utf8(line).ok()?;
        let mut f = text.strip_prefix("folder ")?.split(' ');
        let (dev, ino, uid, born) = (f.next()?, f.next()?, f.next()?, f.next()?);
        if f.next().is_some() {
            return None;
        }
        let born_ns = if born == "-" { None } else { Some(born.parse().ok()?) };
        Some(Identity { dev: dev.parse().ok()?, ino: ino.parse().ok()?, uid: uid.parse().ok()?, born_ns })
    }
}

/// What a record file says about `canonical_root`.
enum Record {
    Identity(Identity),
    /// Written before records held an identity: the path alone.
    PathOnly,
    Corrupt,
}

fn parse_record(content: &[u8], canonical_root: &Path) -> Record {
    let want = canonical_root.as_os_str().as_bytes();
    let Some(body) = content.strip_suffix(b"\n") else {
        return Record::Corrupt;
    };
    if let Some(i) = body.iter().rposition(|&b| b == b'\n') {
        if &body[..i] == want {
            if let Some(id) = Identity::parse(&body[i + 1..]) {
                return Record::Identity(id);
            }
        }
    }
    if body == want {
        Record::PathOnly
    } else {
        Record::Corrupt
    }
}

/// The effective uid of this process.
pub(crate) fn me() -> u32 {
    static ME: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    // SAFETY: geteuid has no preconditions and cannot fail.
    *ME.get_or_init(|| unsafe { libc::geteuid() })
}

/// A folder owned by someone who is neither us nor root: its owner can put
/// anything in it at any time.
pub(crate) fn owned_by_other(uid: u32) -> bool {
    uid != me() && uid != 0
}

/// "user NAME (uid N)", or "uid N" for a uid without a name.
pub(crate) fn owner_name(uid: u32) -> String {
    let mut buf = vec![0 as libc::c_char; 4096];
    // SAFETY: passwd is plain data (integers and pointers); all zeros is a valid value.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call and the buffer's length is given.
    let rc = unsafe { libc::getpwuid_r(uid, &raw mut pw, buf.as_mut_ptr(), buf.len(), &raw mut found) };
    if rc != 0 || found.is_null() || pw.pw_name.is_null() {
        return format!("uid {uid}");
    }
    // SAFETY: getpwuid_r succeeded, so pw_name points to a C string in buf.
    let name = unsafe { std::ffi::CStr::from_ptr(pw.pw_name) }.to_string_lossy().into_owned();
    format!("user {name} (uid {uid})")
}

/// Is `canonical_root` trusted? An unreadable or corrupt record, or a trust
/// folder others can write to, is an error: the caller treats it as untrusted
/// and says why, because silently trusting would be the unsafe failure. So
/// is a record of another folder that was at this path: the folder was
/// replaced since it was allowed. `shown` names the project in messages.
pub(crate) fn check(
    trust_dir: Option<&Path>,
    canonical_root: &Path,
    prefixes: &[PathBuf],
    shown: &str,
) -> Result<Trust> {
    let here = Identity::of(canonical_root)?;
    // A prefix trusts the folders of its owner, not whatever another user
    // puts (or links) under it: that takes an explicit `allow`.
    if let Some(p) = prefixes.iter().find(|p| canonical_root.starts_with(p)) {
        if !owned_by_other(here.uid) {
            return Ok(Trust::Prefix(p.clone()));
        }
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
    check_dir_is_private(dir, "trust folder", "ignoring trust records")?;
    match parse_record(&content, canonical_root) {
        Record::Identity(id) if id.same_folder(&here) => Ok(Trust::Allowed),
        Record::Identity(_) => Err(Error::new(format!(
            "{shown} was replaced since it was allowed: it is another folder now, so it is not trusted"
        ))
        .with_hint(format!("if you trust the folder there now, run `autovenv allow {shown}` to allow it again"))),
        Record::PathOnly => Err(Error::new(format!(
            "{shown} was allowed by an earlier autovenv, which did not record which folder it was, so it is not trusted"
        ))
        .with_hint(format!("run `autovenv allow {shown}` to allow it again"))),
        Record::Corrupt => Err(Error::new(format!("trust record {} is corrupt", record.display()))
            .with_hint("run `autovenv allow` to allow the project again")),
    }
}

/// `check`, then, with `trust.worktrees` on, a folder with no trust of
/// its own is trusted as the same folder in its repository's main
/// worktree is (see `git_worktree`). Only that folder's own trust counts:
/// a worktree never lends trust to another.
pub(crate) fn check_with_worktrees(
    trust_dir: Option<&Path>,
    canonical_root: &Path,
    prefixes: &[PathBuf],
    worktrees: bool,
    shown: &str,
) -> Result<Trust> {
    let own = check(trust_dir, canonical_root, prefixes, shown)?;
    if own.is_trusted() || !worktrees {
        return Ok(own);
    }
    let Some(main) = crate::git_worktree::main_root(canonical_root) else { return Ok(own) };
    // The main worktree replaced or its record unreadable: no trust to
    // lend, and the error is its own folder's to report.
    match check(trust_dir, &main, prefixes, shown) {
        Ok(Trust::Allowed | Trust::Prefix(_)) => Ok(Trust::Worktree(main)),
        _ => Ok(own),
    }
}

/// Anyone who can write to the trust folder can make us run their code.
/// So can anyone who can write to a folder above it: they can rename the
/// trust folder away and put their own in its place. Above the trust
/// folder itself a sticky folder (`/tmp`)
/// is fine: others cannot rename what they do not own there. Each folder's
/// owner can change its permissions at will, so it must be us or root.
/// A symlink on the way must be ours or root's too (one that another user
/// put in a sticky folder leads wherever they like), and the folders it
/// leads to are checked as well. `name` says which folder it is in
/// messages ("trust folder") and `refusal` what happens instead.
pub(crate) fn check_dir_is_private(dir: &Path, name: &str, refusal: &str) -> Result<()> {
    let plain = dir.components().all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
    // Without a symlink or `..` on the way, the path is the canonical one
    // already: no second walk.
    if check_chain(dir, name, refusal)? || !plain {
        let real = fs::canonicalize(dir).map_err(|e| Error::io(format!("cannot resolve {}", dir.display()), e))?;
        check_chain(&real, name, refusal)?;
    }
    Ok(())
}

/// Returns whether a symlink was on the way.
fn check_chain(dir: &Path, name: &str, refusal: &str) -> Result<bool> {
    let mut linked = false;
    for (i, d) in dir.ancestors().enumerate() {
        let meta = fs::symlink_metadata(d).map_err(|e| Error::io(format!("cannot stat {}", d.display()), e))?;
        let what = if i == 0 { name.to_string() } else { format!("folder above the {name}") };
        let others = |how: String| {
            Error::new(format!("{what} {} {how}; {refusal}", d.display()))
                .with_hint(format!("keep the {name} in folders you own"))
        };
        if meta.file_type().is_symlink() {
            // A link's own mode means nothing; who made it does.
            if owned_by_other(meta.uid()) {
                return Err(others(format!("is a symlink of another user (uid {})", meta.uid())));
            }
            linked = true;
            continue;
        }
        let mode = meta.permissions().mode();
        let sticky_ok = i > 0 && mode & 0o1000 != 0;
        if mode & 0o022 != 0 && !sticky_ok {
            return Err(Error::new(format!("{what} {} is writable by other users; {refusal}", d.display()))
                .with_hint(format!("run `chmod go-w {}`", d.display())));
        }
        if owned_by_other(meta.uid()) {
            return Err(others(format!("belongs to another user (uid {})", meta.uid())));
        }
    }
    Ok(linked)
}

pub(crate) fn allow(trust_dir: &Path, canonical_root: &Path) -> Result<()> {
    fs::create_dir_all(trust_dir)
        .and_then(|()| fs::set_permissions(trust_dir, fs::Permissions::from_mode(0o700)))
        .map_err(|e| Error::io(format!("cannot create {}", trust_dir.display()), e))?;
    let id = Identity::of(canonical_root)?;
    let mut content = canonical_root.as_os_str().as_bytes().to_vec();
    content.push(b'\n');
    content.extend_from_slice(id.line().as_bytes());
    content.push(b'\n');
    write_atomic(&record_path(trust_dir, canonical_root), &content)?;
    touch_dir(trust_dir);
    Ok(())
}

/// Returns whether a record existed.
pub(crate) fn deny(trust_dir: &Path, canonical_root: &Path) -> Result<bool> {
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
        fs::create_dir(&root).unwrap();
        assert_eq!(check(Some(&dir), &root, &[], "proj").unwrap(), Trust::NotAllowed);
        allow(&dir, &root).unwrap();
        assert_eq!(check(Some(&dir), &root, &[], "proj").unwrap(), Trust::Allowed);
        let other = t.path().join("proj2");
        fs::create_dir(&other).unwrap();
        assert_eq!(check(Some(&dir), &other, &[], "proj2").unwrap(), Trust::NotAllowed);
        assert!(deny(&dir, &root).unwrap());
        assert!(!deny(&dir, &root).unwrap());
        assert_eq!(check(Some(&dir), &root, &[], "proj").unwrap(), Trust::NotAllowed);
    }

    #[test]
    fn prefixes_respect_path_boundaries() {
        let t = tempfile::tempdir().unwrap();
        let code = t.path().join("code");
        for d in ["code/app", "codex/app"] {
            fs::create_dir_all(t.path().join(d)).unwrap();
        }
        let p = [code.clone()];
        assert_eq!(check(None, &code.join("app"), &p, "app").unwrap(), Trust::Prefix(code));
        assert_eq!(check(None, &t.path().join("codex/app"), &p, "app").unwrap(), Trust::NotAllowed);
    }

    #[test]
    fn records_hold_the_folder_and_old_ones_are_not_trust() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("proj");
        fs::create_dir(&root).unwrap();
        allow(&dir, &root).unwrap();
        let content = fs::read(record_path(&dir, &root)).unwrap();
        let want = format!("{}\n{}\n", root.display(), Identity::of(&root).unwrap().line());
        assert_eq!(String::from_utf8(content).unwrap(), want);
        // The same folder deleted and made again: another folder.
        fs::remove_dir(&root).unwrap();
        fs::create_dir(&root).unwrap();
        let err = check(Some(&dir), &root, &[], "proj").unwrap_err();
        assert!(err.message.contains("proj was replaced since it was allowed"), "{}", err.message);
        assert!(err.hint.unwrap().contains("autovenv allow proj"));
        // A record of the path alone (an earlier version's).
        fs::write(record_path(&dir, &root), format!("{}\n", root.display())).unwrap();
        let err = check(Some(&dir), &root, &[], "proj").unwrap_err();
        assert!(err.message.contains("did not record which folder"), "{}", err.message);
        allow(&dir, &root).unwrap();
        assert_eq!(check(Some(&dir), &root, &[], "proj").unwrap(), Trust::Allowed);
    }

    #[test]
    fn record_paths_may_hold_newlines() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("a\nfolder 1 2 3 -");
        fs::create_dir(&root).unwrap();
        allow(&dir, &root).unwrap();
        assert_eq!(check(Some(&dir), &root, &[], "x").unwrap(), Trust::Allowed);
    }

    #[test]
    fn corrupt_record_is_an_error_not_trust() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("proj");
        fs::create_dir(&root).unwrap();
        allow(&dir, &root).unwrap();
        fs::write(record_path(&dir, &root), b"/somewhere/else\n").unwrap();
        let err = check(Some(&dir), &root, &[], "proj").unwrap_err();
        assert!(err.message.contains("corrupt"), "{}", err.message);
    }

    #[test]
    fn a_symlinked_folder_is_checked_where_it_leads() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        fs::create_dir(&real).unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        check_dir_is_private(&link, "stamp folder", "x").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o777)).unwrap();
        let err = check_dir_is_private(&link, "stamp folder", "x").unwrap_err();
        assert!(err.message.contains("writable by other users"), "{}", err.message);
    }

    #[test]
    fn world_writable_trust_dir_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("proj");
        fs::create_dir(&root).unwrap();
        allow(&dir, &root).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let err = check(Some(&dir), &root, &[], "proj").unwrap_err();
        assert!(err.message.contains("writable by other users"), "{}", err.message);
    }

    /// Its owner can make it writable again at will. Giving a folder away
    /// takes root, so this runs only as root (as on the development machine).
    #[test]
    fn trust_dir_of_another_user_is_refused() {
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            #[allow(clippy::print_stderr)] // a skipped test says so on the test's output
            {
                eprintln!("skipping: changing a folder's owner needs root");
            }
            return;
        }
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("trust");
        let root = t.path().join("proj");
        fs::create_dir(&root).unwrap();
        allow(&dir, &root).unwrap();
        assert_eq!(check(Some(&dir), &root, &[], "proj").unwrap(), Trust::Allowed, "ours: trusted");
        std::os::unix::fs::chown(&dir, Some(4242), None).unwrap();
        assert_eq!(owner_name(4242), "uid 4242");
        assert_eq!(owner_name(0), "user root (uid 0)");
        let err = check(Some(&dir), &root, &[], "proj").unwrap_err();
        assert!(err.message.contains("belongs to another user (uid 4242)"), "{}", err.message);
    }
}

//! The per-shell stamp file behind the hook's no-process idle check.
//!
//! bash and zsh can compare mtimes with a builtin (`[[ a -nt b ]]`) but
//! cannot read a clock without starting a process. So every run of `export`
//! touches this shell's stamp, and the hook asks "is any watched path newer
//! than the stamp?". The kernel stamps it (utimensat with no time) so it
//! uses the same clock as the mtimes of the files it is compared with, and
//! then it is dated back by a margin (see `MARGIN_NS`).
//! A stamp removed by pruning only costs one extra run: a missing stamp is
//! never "fresh", and the next run recreates it.

use std::ffi::{CString, OsStr};
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Stamps of shells not seen for this long are removed.
const PRUNE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// Touch the stamp the hook passed (if it is one of ours), or make a new one.
/// `None` when there is nowhere to keep it; the hook then runs every prompt.
pub fn touch(stamps_dir: Option<&Path>, given: Option<&OsStr>) -> Option<PathBuf> {
    let dir = stamps_dir?;
    if let Some(p) = given.map(Path::new).filter(|p| p.parent() == Some(dir)) {
        if utime_now(p) || create(p) {
            return Some(p.to_path_buf());
        }
    }
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).ok()?;
    prune(dir);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let p = dir.join(format!("{}-{nanos}", std::process::id()));
    create(&p).then_some(p)
}

/// The project root whose env creation Ctrl-C stopped in this shell, kept
/// as the content of the shell's stamp file (otherwise empty). Costs one
/// stat when there is none.
pub fn interrupted(stamp: &Path) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    if fs::metadata(stamp).ok()?.len() == 0 {
        return None;
    }
    let bytes = fs::read(stamp).ok()?;
    (!bytes.is_empty()).then(|| PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

/// Note (`Some`) or forget (`None`) an interrupted creation; see `interrupted`.
pub fn set_interrupted(stamp: &Path, root: Option<&Path>) {
    let _ = fs::write(stamp, root.map(|r| r.as_os_str().as_bytes()).unwrap_or_default());
}

fn create(p: &Path) -> bool {
    fs::OpenOptions::new().write(true).create(true).truncate(false).mode(0o600).open(p).is_ok() && utime_now(p)
}

/// How far before "now" the stamp is dated. File times come from the
/// kernel's coarse clock: a file written in the same tick (1 to 10 ms) as
/// the stamp gets the very same mtime, and `[[ f -nt stamp ]]` is false, so
/// an edit made right after a prompt was missed until the next `cd`. Dating
/// the stamp back by more than a tick makes every later write strictly
/// newer. The price: a path changed within that margin before a run makes
/// the next prompt run the binary once more. Kept short on purpose: a long
/// margin (it was 1 s) made every prompt in the second after a change run
/// the binary, repeating its messages. A filesystem with 1 s timestamps
/// (FAT, some network mounts) can still miss an edit made in the same
/// second as a prompt; the next `cd` catches it.
const MARGIN_NS: i64 = 20_000_000;

fn utime_now(p: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(c) = CString::new(p.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: a valid C string and a null times pointer ("now", by the kernel).
    if unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), std::ptr::null(), 0) } != 0 {
        return false;
    }
    // The kernel's "now", on the same clock as every other file's mtime.
    let Ok(m) = fs::metadata(p) else { return false };
    let t = m.mtime() * 1_000_000_000 + m.mtime_nsec() - MARGIN_NS;
    let back = libc::timespec {
        tv_sec: t.div_euclid(1_000_000_000) as libc::time_t,
        tv_nsec: t.rem_euclid(1_000_000_000) as _,
    };
    let times = [back, back];
    // SAFETY: a valid C string and a pointer to two timespecs.
    unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), 0) == 0 }
}

/// Make every shell's next prompt run `export`: `allow`, `deny` and `sync`
/// change what a shell should have without touching anything the hooks
/// watch, so they date every stamp back to the epoch (a watched path is then
/// newer than any of them). Cheaper for every idle prompt than watching the
/// trust folder, which cost two more stats each time.
pub fn expire_all(dirs: &[PathBuf]) {
    let epoch = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    for dir in dirs {
        let Ok(entries) = fs::read_dir(dir) else { continue };
        for e in entries.flatten() {
            if let Ok(c) = CString::new(e.path().as_os_str().as_bytes()) {
                // SAFETY: a valid C string and a pointer to two timespecs.
                unsafe {
                    libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [epoch, epoch].as_ptr(), libc::AT_SYMLINK_NOFOLLOW)
                };
            }
        }
    }
}

fn prune(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    let now = SystemTime::now();
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|m| now.duration_since(m).is_ok_and(|age| age > PRUNE_AFTER));
        if old {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_only_its_own_stamps() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        let a = touch(Some(&dir), None).unwrap();
        assert!(a.starts_with(&dir) && a.exists());
        assert_eq!(touch(Some(&dir), Some(a.as_os_str())), Some(a.clone()));
        // A path elsewhere is never touched or created.
        let outside = t.path().join("victim");
        let b = touch(Some(&dir), Some(outside.as_os_str())).unwrap();
        assert!(!outside.exists() && b != a);
        // A pruned stamp comes back under the same name.
        fs::remove_file(&a).unwrap();
        assert_eq!(touch(Some(&dir), Some(a.as_os_str())), Some(a.clone()));
        assert!(a.exists());
        assert_eq!(touch(None, Some(a.as_os_str())), None);
    }

    #[test]
    fn interrupted_note_round_trips() {
        let t = tempfile::tempdir().unwrap();
        let a = touch(Some(t.path()), None).unwrap();
        assert_eq!(interrupted(&a), None);
        set_interrupted(&a, Some(Path::new("/p/app")));
        assert_eq!(interrupted(&a).as_deref(), Some(Path::new("/p/app")));
        assert_eq!(touch(Some(t.path()), Some(a.as_os_str())), Some(a.clone()));
        assert_eq!(interrupted(&a).as_deref(), Some(Path::new("/p/app")), "touching keeps the note");
        set_interrupted(&a, None);
        assert_eq!(interrupted(&a), None);
    }

    #[test]
    fn expire_all_makes_any_path_newer() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        let a = touch(Some(&dir), None).unwrap();
        let watched = t.path().join("old");
        fs::write(&watched, "").unwrap();
        fs::File::options()
            .write(true)
            .open(&watched)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        assert!(fs::metadata(&watched).unwrap().modified().unwrap() < fs::metadata(&a).unwrap().modified().unwrap());
        expire_all(&[dir, t.path().join("missing")]);
        assert!(fs::metadata(&watched).unwrap().modified().unwrap() > fs::metadata(&a).unwrap().modified().unwrap());
    }

    #[test]
    fn touch_moves_the_mtime_forward() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        let a = touch(Some(&dir), None).unwrap();
        let old = SystemTime::now() - Duration::from_secs(60);
        fs::File::options().write(true).open(&a).unwrap().set_modified(old).unwrap();
        touch(Some(&dir), Some(a.as_os_str())).unwrap();
        assert!(fs::metadata(&a).unwrap().modified().unwrap() > old + Duration::from_secs(30));
    }

    /// A file written right after the stamp must be newer than it, or the
    /// hook's `[[ f -nt stamp ]]` misses the edit for good. File times come
    /// from the kernel's coarse clock (one tick is several ms), so without a
    /// margin a write in the same tick gets an equal mtime.
    #[test]
    fn a_write_right_after_the_stamp_is_newer() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        let a = touch(Some(&dir), None).unwrap();
        let f = t.path().join("requirements.txt");
        for i in 0..200 {
            touch(Some(&dir), Some(a.as_os_str())).unwrap();
            fs::write(&f, i.to_string()).unwrap();
            let stamp = fs::metadata(&a).unwrap().modified().unwrap();
            let file = fs::metadata(&f).unwrap().modified().unwrap();
            assert!(file > stamp, "round {i}: written after the stamp but not newer ({file:?} <= {stamp:?})");
        }
    }
}

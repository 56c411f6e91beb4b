//! The per-shell stamp file behind the hook's no-process idle check.
//!
//! bash and zsh can compare mtimes with a builtin (`[[ a -nt b ]]`) but
//! cannot read a clock without starting a process. So every run of `export`
//! touches this shell's stamp, and the hook asks "is any watched path newer
//! than the stamp?". The kernel stamps it (futimens with no time) so it
//! uses the same clock as the mtimes of the files it is compared with, and
//! then it is dated back by a margin (see `MARGIN_NS`).
//! A stamp removed by pruning only costs one extra run: a missing stamp is
//! never "fresh", and the next run recreates it.
//!
//! The stamp folder may sit in a runtime folder shared with other users, so
//! it gets the trust folder's checks before a stamp is made in it, and no
//! stamp is opened through a symlink: otherwise another user could have a
//! stamp write truncate one of our files, or pruning delete them.

use std::ffi::{CString, OsStr, OsString};
use std::fs;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::dirs::Dirs;

/// Stamps of shells not seen for this long are removed.
const PRUNE_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// What the hook passes in `AUTOVENV_STAMP` on its first run in a shell to
/// ask for a stamp. Any other caller (an editor, a script, `export json`)
/// passes nothing and gets none: no file is made and the folder is not even
/// read. An empty value asks for nothing either, so a shell whose stamp
/// could not be made does not try again (and say why again) at every prompt.
pub(crate) const NEW: &str = "new";

const STAMP_REFUSAL: &str = "keeping no stamp there, so every prompt runs autovenv";

/// A stamp is only ever read back this far.
const NOTES_CAP: u64 = 64 * 1024;

/// `touch_and_read` without the notes.
#[cfg(test)]
pub(crate) fn touch(stamps_dir: Option<&Path>, given: Option<&OsStr>, registry: Option<&Path>) -> Option<PathBuf> {
    touch_and_read(stamps_dir, given, registry).map(|(p, _)| p)
}

/// Touch the stamp the hook passed (if it is one of ours), or make a new one
/// when the hook asks for one, and read the notes it holds through the same
/// open file (this runs at every prompt that starts the binary). `None` when
/// there is no stamp to keep; the hook then runs every prompt. `registry`
/// lists the stamp folders in use, so `deny` finds the shells of every
/// session (see `expire_all`).
pub(crate) fn touch_and_read(
    stamps_dir: Option<&Path>,
    given: Option<&OsStr>,
    registry: Option<&Path>,
) -> Option<(PathBuf, Notes)> {
    let dir = stamps_dir?;
    let given = given?;
    if given.is_empty() {
        return None;
    }
    if given == NEW {
        return create_new(dir, registry).map(|p| (p, Notes::default()));
    }
    let p = Path::new(given);
    if p.parent() == Some(dir) && p.file_name().is_some_and(is_stamp_name) {
        // The folder was checked when this stamp was made, and only its
        // owner (us) or root can change it since. A pruned stamp is made
        // again under its name, after the same check (the shell may come
        // from before the folder was checked at all).
        let opened = open_stamp(p, false).or_else(|| {
            let gone = p.symlink_metadata().is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
            (gone && crate::trust::check_dir_is_private(dir, "stamp folder", STAMP_REFUSAL).is_ok())
                .then(|| open_stamp(p, true))
                .flatten()
        });
        if let Some((f, len)) = opened {
            if utime_now(&f) {
                return Some((p.to_path_buf(), read_notes(f, len)));
            }
        }
    }
    create_new(dir, registry).map(|p| (p, Notes::default()))
}

fn create_new(dir: &Path, registry: Option<&Path>) -> Option<PathBuf> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).ok()?;
    if let Err(e) = crate::trust::check_dir_is_private(dir, "stamp folder", STAMP_REFUSAL) {
        crate::msg::error(&e);
        return None;
    }
    prune(dir);
    if let Some(r) = registry {
        register(r, dir);
    }
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
    let p = dir.join(format!("{}-{nanos}", std::process::id()));
    let f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&p)
        .ok()?;
    utime_now(&f).then_some(p)
}

/// `<pid>-<nanoseconds>`, the only names `create_new` makes.
fn is_stamp_name(name: &OsStr) -> bool {
    // A shell whose hook is of another version keeps its stamp under the
    // name with the suffix that says it was told to reload.
    let b = name.as_bytes();
    let b = b.strip_suffix(crate::shell::hook::TOLD_SUFFIX.as_bytes()).unwrap_or(b);
    match b.iter().position(|&c| c == b'-') {
        Some(i) => i > 0 && i + 1 < b.len() && b.iter().enumerate().all(|(j, c)| j == i || c.is_ascii_digit()),
        None => false,
    }
}

/// Open a stamp without following a symlink; only a regular file of ours
/// with no other name counts. `create` remakes a pruned stamp. With its
/// length.
fn open_stamp(p: &Path, create: bool) -> Option<(fs::File, u64)> {
    let f = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .mode(0o600)
        // O_NONBLOCK: a FIFO put in a stamp's place must not hang the prompt.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(p)
        .ok()?;
    let m = f.metadata().ok()?;
    (m.file_type().is_file() && m.uid() == crate::trust::me() && m.nlink() == 1).then_some((f, m.len()))
}

/// What `export` notes in this shell's stamp (otherwise empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Notes {
    /// The project root whose env creation Ctrl-C stopped in this shell.
    pub interrupted: Option<PathBuf>,
    /// The env this shell activated: its PATH entry may be removed on
    /// leave even when the env folder is gone.
    pub env: Option<PathBuf>,
}

/// The notes kept in `stamp`. Costs one stat when there are none.
pub(crate) fn notes(stamp: &Path) -> Notes {
    match open_stamp(stamp, false) {
        Some((f, len)) => read_notes(f, len),
        None => Notes::default(),
    }
}

fn read_notes(mut f: fs::File, len: u64) -> Notes {
    if len == 0 {
        return Notes::default();
    }
    let mut bytes = vec![0; len.min(NOTES_CAP) as usize];
    match f.read_exact(&mut bytes) {
        Ok(()) => parse_notes(bytes),
        Err(_) => Notes::default(),
    }
}

/// `key NUL value NUL …` (paths hold no NUL). An earlier version kept only
/// the interrupted root, as the whole content.
fn parse_notes(bytes: Vec<u8>) -> Notes {
    let mut n = Notes::default();
    if bytes.is_empty() {
        return n;
    }
    if !bytes.contains(&0) {
        n.interrupted = Some(PathBuf::from(OsString::from_vec(bytes)));
        return n;
    }
    let mut parts = bytes.split(|&b| b == 0);
    while let (Some(k), Some(v)) = (parts.next(), parts.next()) {
        let v = (!v.is_empty()).then(|| PathBuf::from(OsStr::from_bytes(v)));
        match k {
            b"interrupted" => n.interrupted = v,
            b"env" => n.env = v,
            _ => {}
        }
    }
    n
}

pub(crate) fn set_notes(stamp: &Path, n: &Notes) {
    let mut out = Vec::new();
    for (k, v) in [("interrupted", &n.interrupted), ("env", &n.env)] {
        if let Some(v) = v {
            out.extend_from_slice(k.as_bytes());
            out.push(0);
            out.extend_from_slice(v.as_os_str().as_bytes());
            out.push(0);
        }
    }
    // Writing moves the mtime: keep the stamp's, which the hook compares.
    let Some((mut f, _)) = open_stamp(stamp, false) else { return };
    let Ok(m) = f.metadata() else { return };
    if f.set_len(0).and_then(|()| f.write_all(&out)).is_ok() {
        let t = libc::timespec { tv_sec: m.mtime() as libc::time_t, tv_nsec: m.mtime_nsec() as _ };
        // SAFETY: an open descriptor and a pointer to two timespecs.
        unsafe { libc::futimens(f.as_raw_fd(), [t, t].as_ptr()) };
    }
}

/// Note (`Some`) or forget (`None`) an interrupted creation; see `Notes`.
pub(crate) fn set_interrupted(stamp: &Path, root: Option<&Path>) {
    let mut n = notes(stamp);
    n.interrupted = root.map(Path::to_path_buf);
    set_notes(stamp, &n);
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

fn utime_now(f: &fs::File) -> bool {
    let fd = f.as_raw_fd();
    // SAFETY: an open descriptor and a null times pointer ("now", by the kernel).
    if unsafe { libc::futimens(fd, std::ptr::null()) } != 0 {
        return false;
    }
    // The kernel's "now", on the same clock as every other file's mtime.
    let Ok(m) = f.metadata() else { return false };
    let t = m.mtime() * 1_000_000_000 + m.mtime_nsec() - MARGIN_NS;
    let back = libc::timespec {
        tv_sec: t.div_euclid(1_000_000_000) as libc::time_t,
        tv_nsec: t.rem_euclid(1_000_000_000) as _,
    };
    // SAFETY: an open descriptor and a pointer to two timespecs.
    unsafe { libc::futimens(fd, [back, back].as_ptr()) == 0 }
}

/// Where the stamp folders in use are listed, one per session kind.
pub(crate) fn registry(dirs: &Dirs) -> Option<PathBuf> {
    dirs.data.as_ref().map(|d| d.join("stamp-dirs"))
}

/// Folders listed in the registry (NUL-separated).
fn registered(registry: &Path) -> Vec<PathBuf> {
    let mut bytes = Vec::new();
    let Ok(f) = fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(registry)
    else {
        return Vec::new();
    };
    if !f.metadata().is_ok_and(|m| m.file_type().is_file()) || f.take(NOTES_CAP).read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    bytes.split(|&b| b == 0).filter(|p| p.starts_with(b"/")).map(|p| PathBuf::from(OsStr::from_bytes(p))).collect()
}

/// Add `dir` to the registry unless it is there. Runs once per new shell.
fn register(registry: &Path, dir: &Path) {
    if registered(registry).iter().any(|d| d == dir) {
        return;
    }
    if let Some(parent) = registry.parent() {
        let _ = fs::create_dir_all(parent);
    }
    let mut line = dir.as_os_str().as_bytes().to_vec();
    line.push(0);
    // One small O_APPEND write: two shells registering at once cannot
    // interleave their lines.
    let _ = fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(registry)
        .and_then(|mut f| f.write_all(&line));
}

/// Make every shell's next prompt run `export`: `allow`, `deny` and `sync`
/// change what a shell should have without touching anything the hooks
/// watch, so they date every stamp back to the epoch (a watched path is then
/// newer than any of them). Cheaper for every idle prompt than watching the
/// trust folder, which cost two more stats each time. Every stamp folder a
/// shell of this user made is in the registry, whatever its session's
/// `XDG_RUNTIME_DIR`; the folders this process would use count too.
pub(crate) fn expire_all(dirs: &Dirs) {
    let mut all = dirs.all_stamp_dirs();
    if let Some(r) = registry(dirs) {
        for d in registered(&r) {
            if !all.contains(&d) {
                all.push(d);
            }
        }
    }
    let epoch = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    for dir in &all {
        if crate::trust::check_dir_is_private(dir, "stamp folder", STAMP_REFUSAL).is_err() {
            continue;
        }
        for (path, _) in stamps_in(dir) {
            if let Ok(c) = CString::new(path.as_os_str().as_bytes()) {
                // SAFETY: a valid C string and a pointer to two timespecs.
                unsafe {
                    libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [epoch, epoch].as_ptr(), libc::AT_SYMLINK_NOFOLLOW)
                };
            }
        }
    }
}

/// The regular files of ours named like stamps in `dir`, with their mtimes;
/// anything else there is none of our business.
fn stamps_in(dir: &Path) -> Vec<(PathBuf, SystemTime)> {
    let Ok(entries) = fs::read_dir(dir) else { return Vec::new() };
    let me = crate::trust::me();
    entries
        .flatten()
        .filter(|e| is_stamp_name(&e.file_name()))
        // DirEntry::metadata does not follow a symlink.
        .filter_map(|e| e.metadata().ok().map(|m| (e.path(), m)))
        .filter(|(_, m)| m.file_type().is_file() && m.uid() == me)
        .filter_map(|(p, m)| m.modified().ok().map(|t| (p, t)))
        .collect()
}

fn prune(dir: &Path) {
    let now = SystemTime::now();
    for (p, modified) in stamps_in(dir) {
        // An expired stamp (dated to the epoch by `expire_all`) belongs to
        // a live shell as likely as not: keep stamps younger than a week
        // by their change time, which expiring does not set back.
        let changed = fs::symlink_metadata(&p)
            .ok()
            .and_then(|m| SystemTime::UNIX_EPOCH.checked_add(Duration::new(m.ctime().max(0) as u64, 0)));
        let age = |t: SystemTime| now.duration_since(t).unwrap_or_default();
        if age(modified) > PRUNE_AFTER && changed.is_none_or(|c| age(c) > PRUNE_AFTER) {
            // unlink never follows a symlink, and `stamps_in` saw a regular file.
            let _ = fs::remove_file(&p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(dir: &Path) -> PathBuf {
        touch(Some(dir), Some(OsStr::new(NEW)), None).unwrap()
    }

    #[test]
    fn reuses_only_its_own_stamps() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        let a = new(&dir);
        assert!(a.starts_with(&dir) && a.exists());
        assert_eq!(touch(Some(&dir), Some(a.as_os_str()), None), Some(a.clone()));
        // A path elsewhere is never touched or created.
        let outside = t.path().join("victim");
        let b = touch(Some(&dir), Some(outside.as_os_str()), None).unwrap();
        assert!(!outside.exists() && b != a);
        // Nor a name in the folder that is not a stamp's.
        let odd = dir.join("notes.txt");
        let c = touch(Some(&dir), Some(odd.as_os_str()), None).unwrap();
        assert!(!odd.exists() && c != a);
        // A pruned stamp comes back under the same name.
        fs::remove_file(&a).unwrap();
        assert_eq!(touch(Some(&dir), Some(a.as_os_str()), None), Some(a.clone()));
        assert!(a.exists());
        assert_eq!(touch(None, Some(a.as_os_str()), None), None);
    }

    #[test]
    fn only_the_hook_asking_gets_a_new_stamp() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        assert_eq!(touch(Some(&dir), None, None), None);
        assert_eq!(touch(Some(&dir), Some(OsStr::new("")), None), None);
        assert!(!dir.exists(), "not even the folder is made");
        let a = new(&dir);
        let b = new(&dir);
        assert!(a != b && a.exists() && b.exists());
    }

    #[test]
    fn a_symlink_in_a_stamps_place_is_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        let a = new(&dir);
        let victim = t.path().join("bashrc");
        fs::write(&victim, "keep me\n").unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        fs::File::options().write(true).open(&victim).unwrap().set_modified(old).unwrap();
        fs::remove_file(&a).unwrap();
        std::os::unix::fs::symlink(&victim, &a).unwrap();
        let b = touch(Some(&dir), Some(a.as_os_str()), None).unwrap();
        assert_ne!(b, a, "a new stamp instead");
        set_interrupted(&a, Some(Path::new("/p")));
        set_notes(&a, &Notes { interrupted: None, env: Some("/e".into()) });
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me\n");
        assert_eq!(fs::metadata(&victim).unwrap().modified().unwrap(), old);
        assert_eq!(notes(&a), Notes::default());
    }

    #[test]
    fn pruning_removes_only_old_stamps() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        let a = new(&dir);
        let outside = t.path().join("old-file");
        fs::write(&outside, "").unwrap();
        let other = dir.join("old-file");
        fs::write(&other, "").unwrap();
        let link = dir.join("1-2");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let ancient = SystemTime::UNIX_EPOCH + Duration::from_secs(1);
        for p in [&a, &outside, &other] {
            fs::File::options().write(true).open(p).unwrap().set_modified(ancient).unwrap();
        }
        prune(&dir);
        assert!(a.exists(), "changed recently: kept (it may be a live shell's expired stamp)");
        assert!(outside.exists() && other.exists() && link.symlink_metadata().is_ok(), "not stamps: kept");
    }

    #[test]
    fn a_stamp_folder_others_can_write_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(touch(Some(&dir), Some(OsStr::new(NEW)), None), None);
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn notes_round_trip() {
        let t = tempfile::tempdir().unwrap();
        let a = new(t.path());
        assert_eq!(notes(&a).interrupted, None);
        set_interrupted(&a, Some(Path::new("/p/app")));
        assert_eq!(notes(&a).interrupted.as_deref(), Some(Path::new("/p/app")));
        assert_eq!(touch(Some(t.path()), Some(a.as_os_str()), None), Some(a.clone()));
        assert_eq!(notes(&a).interrupted.as_deref(), Some(Path::new("/p/app")), "touching keeps the note");
        set_notes(&a, &Notes { interrupted: Some("/p/app".into()), env: Some("/p/a\nb/env".into()) });
        assert_eq!(notes(&a).env.as_deref(), Some(Path::new("/p/a\nb/env")));
        set_interrupted(&a, None);
        assert_eq!(notes(&a).interrupted, None);
        assert_eq!(notes(&a).env.as_deref(), Some(Path::new("/p/a\nb/env")), "the other note stays");
        assert_eq!(parse_notes(b"/old/form".to_vec()).interrupted.as_deref(), Some(Path::new("/old/form")));
    }

    #[test]
    fn expire_all_reaches_every_registered_folder() {
        let t = tempfile::tempdir().unwrap();
        let data = t.path().join("data");
        let dirs = Dirs { home: None, data: Some(data.clone()), config: None, state: None, stamps: None };
        let reg = registry(&dirs).unwrap();
        // Two sessions with different runtime folders.
        let a = touch(Some(&t.path().join("run1")), Some(OsStr::new(NEW)), Some(&reg)).unwrap();
        let b = touch(Some(&t.path().join("run2")), Some(OsStr::new(NEW)), Some(&reg)).unwrap();
        touch(Some(&t.path().join("run2")), Some(OsStr::new(NEW)), Some(&reg)).unwrap();
        assert_eq!(registered(&reg).len(), 2, "each folder listed once");
        let watched = t.path().join("old");
        fs::write(&watched, "").unwrap();
        fs::File::options()
            .write(true)
            .open(&watched)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        let mtime = |p: &Path| fs::metadata(p).unwrap().modified().unwrap();
        assert!(mtime(&watched) < mtime(&a) && mtime(&watched) < mtime(&b));
        expire_all(&dirs);
        assert!(mtime(&watched) > mtime(&a) && mtime(&watched) > mtime(&b));
    }

    #[test]
    fn touch_moves_the_mtime_forward() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("stamps");
        let a = new(&dir);
        let old = SystemTime::now() - Duration::from_secs(60);
        fs::File::options().write(true).open(&a).unwrap().set_modified(old).unwrap();
        touch(Some(&dir), Some(a.as_os_str()), None).unwrap();
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
        let a = new(&dir);
        let f = t.path().join("requirements.txt");
        for i in 0..200 {
            touch(Some(&dir), Some(a.as_os_str()), None).unwrap();
            fs::write(&f, i.to_string()).unwrap();
            let stamp = fs::metadata(&a).unwrap().modified().unwrap();
            let file = fs::metadata(&f).unwrap().modified().unwrap();
            assert!(file > stamp, "round {i}: written after the stamp but not newer ({file:?} <= {stamp:?})");
        }
    }
}

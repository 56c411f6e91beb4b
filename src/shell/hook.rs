//! `autovenv hook SHELL`: the shell integration, kept as real shell files in
//! `src/shell/hooks/` (so they can be read, linted and diffed as shell) with two
//! substitutions in the line that runs the binary: how to reach the binary,
//! and the hook's version.
//!
//! The binary is reached through the `autovenv` that PATH leads to, by its
//! absolute path in that PATH folder, when it is this very program: package
//! managers (pipx, uv tool, Homebrew, nix, cargo) replace the program or
//! move it on upgrade, but keep that path (`~/.local/bin/autovenv`, a
//! symlink in `/opt/homebrew/bin`), so open shells keep working. By path,
//! not by name: a name would find an `autovenv` in an active env first
//! (PyPI's unrelated package of that name installs one) and would break
//! when a script narrows PATH. Otherwise the hook holds this program's own
//! path, so it never runs another `autovenv`.
//!
//! The version lets `export` notice a hook printed by another version of
//! the program (an upgrade while the shell was open) and say, once per
//! shell, to reload it. Its output stays valid for any hook.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::context::Context;
use crate::env_vars::{self, STAMP_ENV, VERSION_ENV};
use crate::shell::{self, Change, Shell};

const PLACEHOLDER: &str = "@AUTOVENV@";
const VERSION_PLACEHOLDER: &str = "@HOOK_VERSION@";
/// Added to the stamp's name once this shell has been told about the skew,
/// so it is told once, not at every prompt.
pub(crate) const TOLD_SUFFIX: &str = ".hook-skew";

/// A shell's hook file, embedded by its module, with its hash.
pub(crate) struct Template {
    text: &'static str,
    /// Worked out when compiling: `export` compares it at every run.
    hash: u64,
}

impl Template {
    pub(crate) const fn new(text: &'static str) -> Template {
        Template { text, hash: fnv1a(text.as_bytes()) }
    }
}

fn template(shell: Shell) -> &'static str {
    shell.syntax().hook().text
}

/// The hook's version: a hash of its template, so any change to a hook is a
/// new version and a release that leaves it alone needs no reload.
pub(crate) fn version(shell: Shell) -> String {
    let h = shell.syntax().hook().hash;
    format!("{:08x}", h as u32)
}

const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

/// What the hook runs: the `autovenv` that PATH leads to, by that path, if
/// it is this program, else this program's own path.
pub(crate) fn program(ctx: &Context, exe: &Path) -> PathBuf {
    let same = |found: &Path| match (std::fs::canonicalize(found), std::fs::canonicalize(exe)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    match ctx.find_program("autovenv") {
        Some(found) if found.is_absolute() && same(&found) => found,
        _ => exe.to_path_buf(),
    }
}

pub(crate) fn render(shell: Shell, program: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let program = shell::quote(shell, program.as_os_str().as_bytes());
    let text = template(shell).replace(VERSION_PLACEHOLDER, &version(shell));
    let mut out = Vec::new();
    let mut parts = text.split(PLACEHOLDER);
    out.extend_from_slice(parts.next().unwrap_or_default().as_bytes());
    for rest in parts {
        out.extend_from_slice(&program);
        out.extend_from_slice(rest.as_bytes());
    }
    out
}

/// What `export` learns from the hook that ran it.
pub(crate) struct HookRun {
    /// The hook's version is this program's.
    current: bool,
    /// The hook's first run in this shell: it passed no stamp yet.
    first: bool,
}

/// The stamp `export` should use, from what the hook passed, and what the
/// run is; `None` when not run by a hook. A hook of another version is
/// told, once per shell, to reload: its stamp is renamed to say so.
pub(crate) fn before_export(ctx: &Context, shell: Shell) -> (Option<OsString>, Option<HookRun>) {
    let Some(mut given) = ctx.var(STAMP_ENV) else { return (None, None) };
    // A hook from before `new` passes an empty stamp at its first prompt.
    if given.is_empty() {
        given = OsString::from(crate::stamp::NEW);
    }
    let current = ctx.var(VERSION_ENV).as_deref() == Some(OsStr::new(&version(shell)));
    let told = given.as_encoded_bytes().ends_with(TOLD_SUFFIX.as_bytes());
    if !current && !told {
        crate::msg::warn(&skew_message(shell));
    }
    let run = HookRun { current, first: given == crate::stamp::NEW };
    // Only a stamp of ours is renamed, never whatever path the variable names.
    let ours = Path::new(&given).parent().is_some_and(|p| Some(p) == ctx.dirs.stamps.as_deref());
    if current || told || !ours {
        return (Some(given), Some(run));
    }
    let mut renamed = given.clone();
    renamed.push(TOLD_SUFFIX);
    // Keeps what the stamp holds (an interrupted creation); if it cannot be
    // moved, `export` makes the new one.
    let _ = std::fs::rename(&given, &renamed);
    (Some(renamed), Some(run))
}

/// After a hook's first run in a shell: note how the hook runs the binary
/// and which hook it is (for `doctor`), and mark a hook of another version
/// as told.
pub(crate) fn after_export(ctx: &Context, run: Option<HookRun>, changes: &mut [Change]) {
    let Some(run) = run.filter(|r| r.first) else { return };
    // Only beside a stamp that was made: a stamp folder that was refused
    // (another user's, or writable by others) gets nothing written in it.
    let made =
        changes.iter().any(|c| matches!(c, Change::SetLocal(n, v) if *n == env_vars::LOCAL_STAMP && !v.is_empty()));
    if let Some(dir) = notes_dir(ctx).filter(|_| made) {
        let note = HookNote {
            version: ctx.var(VERSION_ENV).map(|v| v.to_string_lossy().into_owned()).unwrap_or_default(),
            program: std::env::args_os().next().map(PathBuf::from).unwrap_or_default(),
        };
        note.write(&dir);
    }
    if run.current {
        return;
    }
    let stamp = changes.iter_mut().find_map(|c| match c {
        Change::SetLocal(name, v) if *name == env_vars::LOCAL_STAMP && !v.is_empty() => Some(v),
        _ => None,
    });
    if let Some(stamp) = stamp {
        let mut renamed = stamp.clone();
        renamed.push(TOLD_SUFFIX);
        if std::fs::rename(&*stamp, &renamed).is_ok() {
            *stamp = renamed;
        }
    }
}

/// Where hooks' notes are kept: beside the stamps, in a folder of their own
/// that expiring and pruning stamps leave alone (a note lives as long as
/// its shell).
pub(crate) fn notes_dir(ctx: &Context) -> Option<PathBuf> {
    ctx.dirs.stamps.as_ref().map(|d| d.join("hooks"))
}

/// What a hook's first run notes, for `doctor`: one file per shell, named
/// `<shell pid>-<nanoseconds since the epoch>` (the shell is the parent of
/// `export`, as of `doctor`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct HookNote {
    /// The hook's version, empty for a hook older than versions.
    pub version: String,
    /// The path the hook runs the binary by.
    pub program: PathBuf,
}

impl HookNote {
    fn write(&self, dir: &Path) {
        use std::io::Write;
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        if std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).is_err() {
            return;
        }
        forget_gone_shells(dir);
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let to = dir.join(format!("{}-{nanos}", std::os::unix::process::parent_id()));
        let Ok(mut f) = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(to)
        else {
            return;
        };
        let mut text = format!("{}\n", self.version).into_bytes();
        text.extend_from_slice(self.program.as_os_str().as_bytes());
        let _ = f.write_all(&text);
    }

    pub(crate) fn read(path: &Path) -> Option<HookNote> {
        use std::io::Read;
        use std::os::unix::ffi::OsStrExt;
        let mut bytes = Vec::new();
        std::fs::File::open(path).ok()?.take(8192).read_to_end(&mut bytes).ok()?;
        let nl = bytes.iter().position(|&b| b == b'\n')?;
        Some(HookNote {
            version: String::from_utf8_lossy(&bytes[..nl]).into_owned(),
            program: PathBuf::from(OsStr::from_bytes(&bytes[nl + 1..])),
        })
    }
}

/// Remove the notes of shells that have exited.
fn forget_gone_shells(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.split('-').next()).and_then(|p| p.parse::<libc::pid_t>().ok())
        else {
            continue;
        };
        // SAFETY: signal 0 only checks that the process exists.
        let gone = pid > 0
            && unsafe { libc::kill(pid, 0) } != 0
            && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH);
        if gone {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

pub(crate) fn skew_message(shell: Shell) -> String {
    let reload = shell.syntax().reload();
    format!("this shell's hook is from another version of autovenv (upgraded?); open a new shell or run `{reload}`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_calls_the_binary_once_by_placeholder() {
        for s in Shell::ALL {
            assert_eq!(template(s).matches(PLACEHOLDER).count(), 1, "{s:?}");
            assert_eq!(template(s).matches(VERSION_PLACEHOLDER).count(), 1, "{s:?}");
            let out = String::from_utf8(render(s, Path::new("/opt/it's here/autovenv"))).unwrap();
            assert!(!out.contains(PLACEHOLDER) && !out.contains(VERSION_PLACEHOLDER));
            let program = String::from_utf8(shell::quote(s, b"/opt/it's here/autovenv")).unwrap();
            assert!(
                out.contains(&format!("{program} export"))
                    || out.contains(&format!("[{program}, \"export\""))
                    || (matches!(s, Shell::Elvish | Shell::Tcsh) && out.contains("here/autovenv'")),
                "{s:?}"
            );
            let v = version(s);
            let passed = [
                format!("{VERSION_ENV}={v} "),
                format!("'{v}'"),
                format!("\"{v}\""),
                format!("{VERSION_ENV} = {v}\n"),
                format!("{VERSION_ENV} {v};"),
            ];
            assert!(passed.iter().any(|p| out.contains(p.as_str())), "{s:?}");
        }
    }

    #[test]
    fn the_path_entry_when_it_leads_to_this_program() {
        let d = tempfile::tempdir().unwrap();
        let (bin, other) = (d.path().join("bin"), d.path().join("other"));
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        let exe = d.path().join("autovenv-1.0");
        std::fs::write(&exe, "").unwrap();
        std::fs::set_permissions(&exe, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink(&exe, bin.join("autovenv")).unwrap();
        std::fs::copy(&exe, other.join("autovenv")).unwrap();
        let ctx = |path: &Path| {
            let path = path.as_os_str().to_owned();
            Context::new(Box::new(move |k| (k == "PATH").then(|| path.clone())))
        };
        assert_eq!(program(&ctx(&bin), &exe), bin.join("autovenv"), "the PATH entry, a symlink to it");
        assert_eq!(program(&ctx(&other), &exe), exe, "another program of that name");
        assert_eq!(program(&ctx(d.path()), &exe), exe, "none on PATH");
    }

    /// The hook reads what `export` writes: the same names, and a scalar
    /// for each watch slot, no more, no fewer.
    #[test]
    fn every_template_uses_the_names_and_slots_export_writes() {
        use crate::env_vars::{LOCAL_PWD, LOCAL_STAMP, LOCAL_VENV, LOCAL_WATCH_REST, LOCAL_WATCH_SLOTS};
        // The name as a whole word: `__autovenv_watch1` is not in `__autovenv_watch10`.
        let uses = |t: &str, name: &str| {
            t.match_indices(name).any(|(i, _)| {
                let end = i + name.len();
                !t[end..].starts_with(|c: char| c == '_' || c.is_ascii_alphanumeric())
            })
        };
        for s in Shell::ALL {
            let t = template(s);
            for name in [LOCAL_PWD, LOCAL_VENV, LOCAL_STAMP, LOCAL_WATCH_REST, STAMP_ENV, VERSION_ENV] {
                assert!(uses(t, name), "{s:?} hook does not use {name}");
            }
            for name in LOCAL_WATCH_SLOTS {
                assert!(uses(t, name), "{s:?} hook does not test {name}");
            }
            let past = format!("__autovenv_watch{}", LOCAL_WATCH_SLOTS.len() + 1);
            assert!(!uses(t, &past), "{s:?} hook tests {past}, a slot export never sets");
        }
    }

    #[test]
    fn versions_differ_per_shell_and_are_stable() {
        assert_ne!(version(Shell::Bash), version(Shell::Zsh));
        assert_eq!(version(Shell::Fish), version(Shell::Fish));
        assert_eq!(version(Shell::Fish).len(), 8);
    }
}

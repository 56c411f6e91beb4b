//! `autovenv doctor`: why nothing happens. Looks at the hook in the shell
//! that runs it, the binary that hook runs, the tools autovenv starts, its
//! own folders, and the project here; each finding with its fix. Read-only.
//!
//! The hook's shell variables are not exported, so a child cannot see them.
//! What it can see: the note a hook's first run leaves, named after its
//! shell (the parent of `export`, as the shell is the parent of `doctor`),
//! saying how that hook runs the binary.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cmd::status::{self, SyncStatus};
use crate::context::Context;
use crate::fsutil::tilde;
use crate::shell::hook::{self, HookNote};
use crate::shell::Shell;

#[derive(Serialize, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Level {
    Ok,
    Warn,
    Broken,
}

#[derive(Serialize, Debug)]
pub(crate) struct Check {
    pub name: &'static str,
    pub level: Level,
    pub detail: String,
    pub fix: Option<String>,
}

fn check(name: &'static str, level: Level, detail: String, fix: Option<String>) -> Check {
    Check { name, level, detail, fix }
}

/// The report, and whether nothing is broken.
pub(crate) fn run(ctx: &Context, json: bool) -> (Vec<u8>, bool) {
    let checks = gather(ctx, std::os::unix::process::parent_id());
    let ok = checks.iter().all(|c| c.level != Level::Broken);
    let out = if json {
        let v = serde_json::json!({ "ok": ok, "checks": checks });
        format!("{v:#}\n").into_bytes()
    } else {
        render(&checks).into_bytes()
    };
    (out, ok)
}

fn render(checks: &[Check]) -> String {
    let mut s = String::new();
    for c in checks {
        let tag = match c.level {
            Level::Ok => "ok    ",
            Level::Warn => "warn  ",
            Level::Broken => "BROKEN",
        };
        s.push_str(&format!("{tag} {:<8} {}\n", c.name, crate::msg::escape(&c.detail)));
        if let Some(f) = &c.fix {
            s.push_str(&format!("{:16}fix: {}\n", "", crate::msg::escape(f)));
        }
    }
    s
}

pub(crate) fn gather(ctx: &Context, shell_pid: u32) -> Vec<Check> {
    let shell = parent_shell(ctx, shell_pid);
    let mut checks = Vec::new();
    // Run from a subshell, `( autovenv doctor )` or `$(…)`, the parent is a
    // copy of the shell whose hook left the note (tcsh and elvish fork one
    // even for a single command): look up through copies of the same shell.
    let comm = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok();
    let mut note = this_shells_note(ctx, shell_pid);
    let mut pid = shell_pid;
    for _ in 0..8 {
        if note.is_some() {
            break;
        }
        let Some(up) = parent_of(pid).filter(|&p| p > 1 && comm(p).is_some() && comm(p) == comm(shell_pid)) else {
            break;
        };
        pid = up;
        note = this_shells_note(ctx, pid);
    }
    checks.push(hook_check(ctx, shell, note.as_deref()));
    if let Some(note) = &note {
        checks.push(binary_check(ctx, shell, note));
    }
    checks.push(uv_check(ctx));
    checks.push(python_check(ctx));
    checks.push(folder_check(ctx, "trust", ctx.dirs.trust_dir(), "created by `autovenv allow`"));
    checks.push(folder_check(ctx, "stamps", ctx.dirs.stamps.clone(), "created at the hook's first prompt"));
    checks.push(project_check(ctx));
    checks
}

/// The shell that runs us, when it is one we have a hook for: the parent
/// process's name where /proc has it, else the login shell in `$SHELL`.
fn parent_shell(ctx: &Context, pid: u32) -> Option<Shell> {
    let name = match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => comm.trim().to_string(),
        Err(_) => Path::new(&ctx.var("SHELL")?).file_name()?.to_string_lossy().into_owned(),
    };
    Shell::from_name(name.trim_start_matches('-'))
}

/// The note a hook's first run left for the shell `pid`
/// (`<pid>-<nanos>`), made after that shell started (a pid is reused once
/// its process is gone).
fn this_shells_note(ctx: &Context, pid: u32) -> Option<PathBuf> {
    let started = process_start_nanos(pid);
    let prefix = format!("{pid}-");
    let entries = std::fs::read_dir(hook::notes_dir(ctx)?).ok()?;
    entries
        .flatten()
        .filter_map(|e| {
            let nanos = e.file_name().to_str()?.strip_prefix(&prefix)?.parse::<u128>().ok()?;
            started.is_none_or(|s| nanos >= s).then(|| (nanos, e.path()))
        })
        .max()
        .map(|(_, p)| p)
}

/// The parent of process `pid` (Linux).
fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
}

/// When process `pid` started, in nanoseconds since the epoch (Linux).
fn process_start_nanos(pid: u32) -> Option<u128> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 22, counted after the command name, which may hold spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let ticks: u128 = after.split(' ').nth(19)?.parse().ok()?;
    let boot: u128 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = u128::try_from(hz).ok().filter(|&h| h > 0)?;
    // btime is whole seconds: allow one second of slack.
    Some((boot * 1_000_000_000 + ticks * 1_000_000_000 / hz).saturating_sub(1_000_000_000))
}

fn shell_name(shell: Option<Shell>) -> &'static str {
    shell.map_or("your shell", Shell::name)
}

/// The rc files `shell` reads, and the hook line for it.
fn rc_files(ctx: &Context, shell: Shell) -> (Vec<PathBuf>, &'static str) {
    let syntax = shell.syntax();
    (syntax.rc_files(ctx), syntax.rc_line())
}

/// The first of `shell`'s rc files that runs `autovenv hook`.
fn rc_with_hook(ctx: &Context, shell: Shell) -> Option<PathBuf> {
    use std::io::Read;
    rc_files(ctx, shell).0.into_iter().find(|f| {
        let mut text = Vec::new();
        std::fs::File::open(f).and_then(|h| h.take(1 << 20).read_to_end(&mut text)).is_ok()
            && String::from_utf8_lossy(&text).lines().any(|l| {
                let l = l.trim_start();
                !l.starts_with('#') && l.contains("autovenv") && l.contains(" hook ")
            })
    })
}

fn hook_check(ctx: &Context, shell: Option<Shell>, note: Option<&Path>) -> Check {
    let name = shell_name(shell);
    let rc = shell.and_then(|s| rc_with_hook(ctx, s));
    let rc_text = rc.as_deref().map(|r| tilde(r, ctx.home()));
    if note.is_some() {
        let from = rc_text.map(|r| format!(", from {r}")).unwrap_or_default();
        return check("hook", Level::Ok, format!("loaded in this shell ({name}{from})"), None);
    }
    let Some(s) = shell else {
        return check(
            "hook",
            Level::Broken,
            format!(
                "not loaded: doctor was not started by a shell autovenv knows ({})",
                Shell::ALL.map(Shell::name).join(", ")
            ),
            Some("run `autovenv doctor` at the prompt of the shell you use".into()),
        );
    };
    if ctx.dirs.stamps.is_none() {
        return check(
            "hook",
            Level::Warn,
            format!("cannot tell whether {name} has the hook: HOME is not set"),
            Some("set HOME".into()),
        );
    }
    if let Some(rc) = rc_text {
        check(
            "hook",
            Level::Broken,
            format!("not loaded in this shell, though {rc} has the hook line"),
            Some(format!("open a new shell, or run `{}`", s.syntax().reload_file(&rc))),
        )
    } else {
        let (files, line) = rc_files(ctx, s);
        let rc = files.first().map(|f| tilde(f, ctx.home())).unwrap_or_default();
        check(
            "hook",
            Level::Broken,
            format!("not loaded: no {name} rc file runs `autovenv hook`"),
            Some(format!("add `{line}` to {rc}, then open a new shell")),
        )
    }
}

fn binary_check(ctx: &Context, shell: Option<Shell>, note: &Path) -> Check {
    let reload = "open a new shell, or source your rc file".to_string();
    let Some(note) = HookNote::read(note) else {
        return check("binary", Level::Warn, "the hook in this shell left no note of the binary it runs".into(), None);
    };
    let shown = tilde(&note.program, ctx.home());
    if !is_executable(&note.program) {
        return check(
            "binary",
            Level::Broken,
            format!("the hook runs {shown}, which is gone (moved by an upgrade?)"),
            Some(reload),
        );
    }
    if note.version.is_empty() || shell.is_some_and(|s| hook::version(s) != note.version) {
        return check(
            "binary",
            Level::Warn,
            format!("the hook in this shell is from another version of autovenv than {shown}"),
            Some(reload),
        );
    }
    check("binary", Level::Ok, format!("the hook runs {shown}"), None)
}

fn is_executable(p: &Path) -> bool {
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A pyenv (or asdf) shim: a script that finds the real program at every
/// start, 80–100 ms each time.
fn is_shim(p: &Path) -> bool {
    use std::io::Read;
    if p.components().any(|c| c.as_os_str() == "shims") {
        return true;
    }
    let mut head = Vec::new();
    let _ = std::fs::File::open(p).and_then(|f| f.take(4096).read_to_end(&mut head));
    head.starts_with(b"#!") && ["pyenv", "asdf"].iter().any(|w| String::from_utf8_lossy(&head).contains(w))
}

fn uv_check(ctx: &Context) -> Check {
    match ctx.find_program("uv") {
        None => check(
            "uv",
            Level::Warn,
            "not found: envs are made with `python -m venv` and pip, several times slower".into(),
            Some("install uv (`pipx install uv`, or your package manager)".into()),
        ),
        Some(p) if is_shim(&p) => check(
            "uv",
            Level::Warn,
            format!("{} is a shim, which costs 80-100 ms at every start", tilde(&p, ctx.home())),
            Some("put the real uv earlier on PATH (for example `pipx install uv`)".into()),
        ),
        Some(p) => check("uv", Level::Ok, tilde(&p, ctx.home()), None),
    }
}

fn python_check(ctx: &Context) -> Check {
    let found: Vec<PathBuf> = ["python3", "python"].iter().filter_map(|n| ctx.find_program(n)).collect();
    let pyenv = pyenv_versions(ctx);
    let pyenv_text = if pyenv.is_empty() { String::new() } else { format!("; pyenv: {}", pyenv.join(", ")) };
    if found.is_empty() {
        let level = if pyenv.is_empty() { Level::Broken } else { Level::Warn };
        return check(
            "python",
            level,
            format!("no python3 or python on PATH: only projects that name a version can get an env{pyenv_text}"),
            Some("install Python 3, or set `python` in .autovenv.toml to an interpreter's path".into()),
        );
    }
    let shown: Vec<String> = found.iter().map(|p| tilde(p, ctx.home())).collect();
    if let Some(shim) = found.iter().find(|p| is_shim(p)) {
        return check(
            "python",
            Level::Warn,
            format!("{} is a pyenv shim, which costs 80-100 ms at every start{pyenv_text}", tilde(shim, ctx.home())),
            Some("put the interpreter's own folder (`pyenv prefix`/bin) before the shims on PATH, or set `python` in .autovenv.toml (or the global config) to its real path (`pyenv which python3`)".into()),
        );
    }
    check("python", Level::Ok, format!("{}{pyenv_text}", shown.join(", ")), None)
}

/// The versions pyenv has installed (autovenv finds them without the shims).
fn pyenv_versions(ctx: &Context) -> Vec<String> {
    let root = ctx.var("PYENV_ROOT").map(PathBuf::from).or_else(|| ctx.home().map(|h| h.join(".pyenv")));
    let Some(Ok(entries)) = root.map(|r| std::fs::read_dir(r.join("versions"))) else { return Vec::new() };
    let mut v: Vec<String> = entries
        .flatten()
        .filter(|e| is_executable(&e.path().join("bin/python3")) || is_executable(&e.path().join("bin/python")))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn folder_check(ctx: &Context, name: &'static str, dir: Option<PathBuf>, made: &str) -> Check {
    let Some(dir) = dir else {
        return check(name, Level::Broken, "no folder: HOME is not set".into(), Some("set HOME".into()));
    };
    let shown = tilde(&dir, ctx.home());
    let m = match std::fs::symlink_metadata(&dir) {
        Ok(m) => m,
        Err(_) => return check(name, Level::Ok, format!("{shown} does not exist yet ({made})"), None),
    };
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    if !m.is_dir() {
        return check(
            name,
            Level::Broken,
            format!("{shown} is not a folder"),
            Some(format!("remove {shown}; autovenv makes it again")),
        );
    }
    if m.uid() != uid {
        return check(
            name,
            Level::Broken,
            format!("{shown} belongs to another user (uid {})", m.uid()),
            Some(format!("remove {shown}; autovenv makes it again")),
        );
    }
    let mode = m.mode() & 0o777;
    if mode & 0o022 != 0 {
        return check(
            name,
            Level::Broken,
            format!("{shown} is writable by others (mode {mode:o}): anyone could trust a folder for you"),
            Some(format!("chmod 700 {shown}")),
        );
    }
    check(name, Level::Ok, format!("{shown} (mode {mode:o})"), None)
}

fn project_check(ctx: &Context) -> Check {
    let s = status::gather(ctx, None);
    let Some(root) = s.root.as_deref() else {
        return check("project", Level::Ok, format!("none here ({})", s.reason.unwrap_or_default()), None);
    };
    let root = tilde(root, ctx.home());
    if let Some(p) = s.problem {
        return check("project", Level::Broken, format!("{root}: {p}"), Some("fix the file named above".into()));
    }
    if !s.allowed {
        return check(
            "project",
            Level::Warn,
            format!("{root} is not allowed: autovenv does nothing here"),
            Some("run `autovenv allow` if you trust it".into()),
        );
    }
    match (s.exists, s.sync) {
        (false, _) => check(
            "project",
            Level::Warn,
            format!("{root} is allowed; its env does not exist yet"),
            Some("run `autovenv sync`".into()),
        ),
        (true, Some(SyncStatus::Failed)) => check(
            "project",
            Level::Broken,
            format!("{root}: the last sync failed: {}", s.sync_error.unwrap_or_default()),
            Some("fix the requirements, then run `autovenv sync`".into()),
        ),
        (true, Some(SyncStatus::Stale)) => check(
            "project",
            Level::Warn,
            format!("{root}: requirements changed since the last sync"),
            Some("the next prompt syncs; or run `autovenv sync`".into()),
        ),
        (true, sync) => {
            let sync = sync.map_or("none".to_string(), |s| s.to_string());
            check("project", Level::Ok, format!("{root} is allowed, its env exists, sync {sync}"), None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_of_this_process_is_in_the_past() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        if let Some(t) = process_start_nanos(std::process::id()) {
            assert!(t <= now && now - t < 3_600 * 1_000_000_000, "{t} vs {now}");
        }
    }

    #[test]
    fn shims_are_recognised_by_folder_or_script() {
        let d = tempfile::tempdir().unwrap();
        let script = d.path().join("python3");
        std::fs::write(&script, "#!/usr/bin/env bash\nexec pyenv exec python3 \"$@\"\n").unwrap();
        assert!(is_shim(&script));
        assert!(is_shim(Path::new("/home/me/.pyenv/shims/uv")));
        let real = d.path().join("uv");
        std::fs::write(&real, b"\x7fELF...").unwrap();
        assert!(!is_shim(&real));
    }
}

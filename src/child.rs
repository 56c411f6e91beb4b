//! How autovenv starts other programs (creator, installer, interpreter
//! probes): in the project root, Python in isolated mode, uv reading only
//! configuration from the project root or the user, stdout kept off the
//! shell's, and a time limit where an answer is awaited.
//!
//! uv discovers `uv.toml` / `pyproject.toml [tool.uv]` by walking up from its
//! working directory (and a parent `pyproject.toml` can claim the project as
//! a workspace member), so the working directory alone cannot keep a folder
//! above the root out. uv is therefore always handed exactly one file with
//! `--config-file` (which turns discovery off), or `--no-config`.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Which uv configuration a child reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UvConfig {
    /// The user chose with `UV_CONFIG_FILE` or `UV_NO_CONFIG`: uv follows it.
    UsersChoice,
    /// `--config-file FILE`: the project's `uv.toml`, else the user's, else
    /// the system's.
    File(PathBuf),
    /// `--no-config`: there is no such file.
    None,
}

impl UvConfig {
    /// Decide from the environment (`lookup`) and the files that exist.
    pub(crate) fn choose(root: &Path, lookup: &dyn Fn(&str) -> Option<OsString>) -> UvConfig {
        let set = |k: &str| lookup(k).is_some_and(|v| !v.is_empty());
        let truthy = |k: &str| {
            lookup(k).is_some_and(|v| {
                !matches!(v.to_str().map(str::to_ascii_lowercase).as_deref(), Some("" | "0" | "false" | "no" | "off"))
            })
        };
        if set("UV_CONFIG_FILE") || truthy("UV_NO_CONFIG") {
            return UvConfig::UsersChoice;
        }
        let abs = |k: &str| lookup(k).map(PathBuf::from).filter(|p| p.is_absolute());
        let user_dir = abs("XDG_CONFIG_HOME").or_else(|| abs("HOME").map(|h| h.join(".config")));
        // uv's system files: each of XDG_CONFIG_DIRS (default /etc/xdg), then /etc.
        let xdg_dirs = lookup("XDG_CONFIG_DIRS").filter(|v| !v.is_empty()).unwrap_or_else(|| "/etc/xdg".into());
        let mut candidates = vec![root.join("uv.toml")];
        candidates.extend(user_dir.map(|d| d.join("uv/uv.toml")));
        candidates.extend(std::env::split_paths(&xdg_dirs).filter(|d| d.is_absolute()).map(|d| d.join("uv/uv.toml")));
        candidates.push(PathBuf::from("/etc/uv/uv.toml"));
        // A regular file only: a FIFO named uv.toml must not hang uv.
        match candidates.into_iter().find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file())) {
            Some(f) => UvConfig::File(f),
            None => UvConfig::None,
        }
    }

    pub(crate) fn args(&self) -> Vec<OsString> {
        match self {
            UvConfig::UsersChoice => Vec::new(),
            UvConfig::File(f) => vec!["--config-file".into(), f.clone().into_os_string()],
            UvConfig::None => vec!["--no-config".into()],
        }
    }
}

/// `uv` started in `root` with the chosen configuration; the caller adds the
/// subcommand's arguments after `sub`.
pub(crate) fn uv(uv: &Path, root: &Path, config: &UvConfig, sub: &[&str]) -> Command {
    let mut c = Command::new(uv);
    c.args(sub).args(config.args()).current_dir(root);
    c
}

/// poetry started in `root` on the env `env`: poetry installs into the
/// active venv (`VIRTUAL_ENV`) unless a `poetry env use` record or conda's
/// base env points it elsewhere, so neither is seen (no envs file under
/// its virtualenvs path, no conda variables), and it may never make an env
/// of its own. The user's and the project's other poetry settings apply.
pub(crate) fn poetry(poetry: &Path, root: &Path, env: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(poetry);
    c.args(args)
        .current_dir(root)
        .env("VIRTUAL_ENV", env)
        .env("POETRY_VIRTUALENVS_CREATE", "false")
        .env("POETRY_VIRTUALENVS_PATH", env.join(".autovenv-no-poetry-envs"))
        .env_remove("CONDA_PREFIX")
        .env_remove("CONDA_DEFAULT_ENV");
    c
}

/// A Python started in `root` with `-I`: neither the working directory nor
/// the script's folder is on its module path, and `PYTHON*` variables and
/// the user's site-packages are ignored. pip still reads `PIP_*`, the
/// user's and the system's pip.conf, and the env's own `pip.conf`.
pub(crate) fn python(python: &Path, root: &Path, args: &[&OsStr]) -> Command {
    let mut c = Command::new(python);
    c.arg("-I").args(args).current_dir(root);
    c
}

/// While alive, this process's working directory is `root`, so that
/// whatever it starts (interpreter probes too) starts there; the previous
/// directory comes back on drop, even if it has since been renamed.
pub(crate) struct InRoot {
    back: Option<File>,
}

impl InRoot {
    pub(crate) fn enter(root: &Path) -> InRoot {
        let back = File::open(".").ok();
        if std::env::set_current_dir(root).is_err() {
            return InRoot { back: None };
        }
        InRoot { back }
    }
}

impl Drop for InRoot {
    fn drop(&mut self) {
        if let Some(f) = &self.back {
            use std::os::fd::AsRawFd;
            // SAFETY: fchdir on a descriptor we own.
            unsafe {
                libc::fchdir(f.as_raw_fd());
            }
        }
    }
}

/// What a child run with `captured` said.
pub(crate) struct Output {
    pub success: bool,
    /// The exit status as a person reads it ("exit status: 1").
    pub status: String,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs a command with stdin closed and a time limit. The pipes are drained
/// by threads so a chatty child cannot block on a full pipe, and read with a
/// deadline too, in case the child left a grandchild holding them open. On
/// timeout the child (still unreaped, so its pid is still ours) is killed.
pub(crate) fn captured(mut cmd: Command, limit: Duration) -> std::io::Result<Output> {
    let deadline = Instant::now() + limit;
    let timed_out =
        || std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no answer within {} s", limit.as_secs()));
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    // The child's exit closes its stdout: wait for that instead of polling
    // (naps of up to 20 ms cost the first entry a few of them).
    let left = deadline.saturating_duration_since(Instant::now());
    let stdout: Vec<u8> = if let Ok(bytes) = stdout.recv_timeout(left) {
        bytes
    } else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(timed_out());
    };
    let mut nap = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(timed_out());
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    };
    let collect = |rx: std::sync::mpsc::Receiver<Vec<u8>>| {
        // A short grace period: the child has exited, its pipes are closing.
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(200));
        rx.recv_timeout(left).map_err(|_| timed_out())
    };
    let stderr = collect(stderr)?;
    Ok(Output { success: status.success(), status: status.to_string(), stdout, stderr })
}

/// Runs a creator or installer to the end: stdin closed, its stdout on our
/// stderr, and Ctrl-C stopping it rather than autovenv, which still reports
/// and gives the shell its bookkeeping.
pub(crate) fn run_to_end(cmd: &mut Command) -> std::io::Result<std::process::ExitStatus> {
    let _guard = crate::signals::DeferInterrupt::new();
    cmd.stdin(Stdio::null()).stdout(stderr_stdio()).status()
}

/// A child's stdout, pointed at our stderr: stdout belongs to the shell's
/// `eval`, so a creator's or installer's chatter must not reach it.
pub(crate) fn stderr_stdio() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    }
}

/// "exited 1", "killed by signal 9": the end of a "… failed (…)" message.
pub(crate) fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "failed".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn project_then_user_then_nothing() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("proj");
        let cfg = t.path().join("cfg");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(cfg.join("uv")).unwrap();
        let cfg_s = cfg.to_str().unwrap();
        let vars = [("XDG_CONFIG_HOME", cfg_s), ("XDG_CONFIG_DIRS", "/nonexistent")];
        let env = lookup(&vars);
        let system = || std::path::Path::new("/etc/uv/uv.toml").exists();
        if !system() {
            assert_eq!(UvConfig::choose(&root, &env), UvConfig::None);
            assert_eq!(UvConfig::None.args(), vec![OsString::from("--no-config")]);
        }
        std::fs::write(cfg.join("uv/uv.toml"), "").unwrap();
        assert_eq!(UvConfig::choose(&root, &env), UvConfig::File(cfg.join("uv/uv.toml")));
        std::fs::write(root.join("uv.toml"), "").unwrap();
        assert_eq!(UvConfig::choose(&root, &env), UvConfig::File(root.join("uv.toml")));
        // A parent's uv.toml is never a candidate.
        std::fs::write(t.path().join("uv.toml"), "").unwrap();
        std::fs::remove_file(root.join("uv.toml")).unwrap();
        assert_eq!(UvConfig::choose(&root, &env), UvConfig::File(cfg.join("uv/uv.toml")));
    }

    #[test]
    fn the_users_own_switches_win() {
        let root = Path::new("/nonexistent");
        assert_eq!(UvConfig::choose(root, &lookup(&[("UV_NO_CONFIG", "1")])), UvConfig::UsersChoice);
        assert_eq!(UvConfig::choose(root, &lookup(&[("UV_CONFIG_FILE", "/x/uv.toml")])), UvConfig::UsersChoice);
        assert_ne!(UvConfig::choose(root, &lookup(&[("UV_NO_CONFIG", "0")])), UvConfig::UsersChoice);
        assert!(UvConfig::UsersChoice.args().is_empty());
    }

    #[test]
    fn in_root_comes_back() {
        let t = tempfile::tempdir().unwrap();
        let before = std::env::current_dir().unwrap();
        {
            let _g = InRoot::enter(t.path());
            assert_eq!(std::env::current_dir().unwrap(), std::fs::canonicalize(t.path()).unwrap());
        }
        assert_eq!(std::env::current_dir().unwrap(), before);
    }

    #[test]
    fn hung_commands_time_out() {
        let mut cmd = Command::new("sleep");
        cmd.arg("5");
        let start = Instant::now();
        let e = captured(cmd, Duration::from_millis(200)).err().expect("timeout");
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}

//! Running the installer for a source: `uv pip install` or the env's own
//! pip, through `child` (project root as cwd, `-I`), and what it did,
//! read from the env's `*.dist-info` folders.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::child;
use crate::config::SyncMode;
use crate::error::{Error, Result};
use crate::msg;
use crate::venv;

use super::Job;

/// Why an install did not finish.
pub(crate) enum Failure {
    /// Ctrl-C: retried at the next entry, not recorded as a failure.
    Interrupted,
    /// The error recorded and shown once; without a hint of its own it
    /// gets the usual "fix the file".
    Failed(Error),
}

impl Failure {
    pub(crate) fn failed(message: impl Into<String>) -> Failure {
        Failure::Failed(Error::new(message))
    }
}

/// What a source installs with: the job (root, env, uv, mode, seed) and
/// the runs every source shares.
pub(crate) struct Installer<'a> {
    pub job: &'a Job<'a>,
}

impl Installer<'_> {
    pub(crate) fn mode(&self) -> SyncMode {
        self.job.settings.sync
    }

    /// "uv pip install" or "pip install", for messages.
    pub(crate) fn name(&self) -> &'static str {
        if self.job.uv.is_some() {
            "uv pip install"
        } else {
            "pip install"
        }
    }

    /// `uv pip install --python <env>` or `<env>/bin/python -I -m pip
    /// install`, in the project root. Always the env's python with pip,
    /// never its `bin/pip` launcher script.
    pub(crate) fn command(&self) -> Command {
        installer(self.job)
    }

    /// One install of `args` (`-r file`, `-e .[x]`, requirement strings),
    /// with the new env's pip wheel when `seed` (a file with `--hash` lines
    /// cannot take it: pip would want its hash too). `sync = "exact"`: uv
    /// gets `--exact`; with pip, what is neither in `names` nor needed by
    /// them is uninstalled afterwards (an absolute path in `names` stands
    /// for what was installed from that folder; `None`: the names are
    /// unknown, so nothing is removed, with a warning). `what` names the
    /// files in the failure message.
    pub(crate) fn pip_install(
        &self,
        args: &[OsString],
        seed: bool,
        names: Option<Vec<String>>,
        what: &str,
    ) -> std::result::Result<(), Failure> {
        let uv_exact = self.mode() == SyncMode::Exact && self.job.uv.is_some();
        self.install_run(args, seed, uv_exact, what)?;
        if uv_exact {
            return Ok(());
        }
        self.remove_unlisted(names)
    }

    /// One install of `args`, adding only: for a source that installs in
    /// several runs (uv's `--exact` in the first would remove what the
    /// next ones install, so they would reinstall at every sync). It calls
    /// `remove_unlisted` once, after the last.
    pub(crate) fn pip_install_adding(
        &self,
        args: &[OsString],
        seed: bool,
        what: &str,
    ) -> std::result::Result<(), Failure> {
        self.install_run(args, seed, false, what)
    }

    /// `sync = "exact"`: uninstall what is neither in `names` nor needed by
    /// them (`None`: the names are unknown, so nothing is removed, with a
    /// warning). Nothing in the other modes.
    pub(crate) fn remove_unlisted(&self, names: Option<Vec<String>>) -> std::result::Result<(), Failure> {
        if self.mode() != SyncMode::Exact {
            return Ok(());
        }
        remove_unlisted(self.job, names)
    }

    fn install_run(
        &self,
        args: &[OsString],
        seed: bool,
        uv_exact: bool,
        what: &str,
    ) -> std::result::Result<(), Failure> {
        let mut cmd = self.command();
        if uv_exact {
            cmd.arg("--exact");
        }
        if let Some(w) = self.job.seed.filter(|_| seed) {
            cmd.arg(w);
        }
        cmd.args(args);
        self.run(&mut cmd, what)
    }

    /// A new env's pip, installed while a source's own installer (`uv
    /// sync`, a hash-checked install) runs, when that one cannot take it:
    /// both are uv, which locks the env, so the two take turns installing
    /// while their start-ups overlap. Waited for when dropped. If pip did
    /// not make it, `ensure` installs it on its own afterwards.
    pub(crate) fn seed_alongside(&self) -> SeedAlongside {
        let (Some(w), Some(_)) = (self.job.seed, self.job.uv) else {
            return SeedAlongside { child: None, _defer: None };
        };
        // Ctrl-C stops both children; autovenv waits for them.
        let defer = crate::signals::DeferInterrupt::new();
        let child = installer(self.job)
            .arg("--quiet")
            .arg(w)
            .stdin(std::process::Stdio::null())
            .stdout(child::stderr_stdio())
            .spawn()
            .ok();
        SeedAlongside { child, _defer: Some(defer) }
    }

    /// Run an installer to its end, its output on our stderr (long
    /// installs show their own progress); Ctrl-C and failure told apart.
    pub(crate) fn run(&self, cmd: &mut Command, what: &str) -> std::result::Result<(), Failure> {
        let name = self.name();
        run(cmd, name, what)
    }
}

/// See `Installer::seed_alongside`.
pub(crate) struct SeedAlongside {
    child: Option<std::process::Child>,
    _defer: Option<crate::signals::DeferInterrupt>,
}

impl Drop for SeedAlongside {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.wait();
        }
    }
}

/// See `Installer::run`; `name` is the tool, `what` the files.
pub(crate) fn run(cmd: &mut Command, name: &str, what: &str) -> std::result::Result<(), Failure> {
    let status = child::run_to_end(cmd).map_err(|e| Failure::failed(format!("cannot run {name}: {e}")))?;
    if status.success() {
        return Ok(());
    }
    use std::os::unix::process::ExitStatusExt;
    if status.signal() == Some(libc::SIGINT) || crate::signals::was_interrupted() {
        return Err(Failure::Interrupted);
    }
    Err(Failure::failed(format!("installing {what} failed ({name} {})", child::exit_text(status))))
}

fn installer(job: &Job) -> Command {
    let python = venv::python(job.env);
    match job.uv {
        Some(uv) => {
            let mut c = child::uv(uv, job.root, job.uv_config, &["pip", "install"]);
            c.arg("--python").arg(&python);
            c
        }
        None => child::python(
            &python,
            job.root,
            &["-m", "pip", "install", "--disable-pip-version-check"].map(std::ffi::OsStr::new),
        ),
    }
}

/// A new env's pip on its own, when no install of requirements took it.
pub(crate) fn install_seed(job: &Job) -> Result<()> {
    let Some(w) = job.seed else { return Ok(()) };
    let status =
        child::run_to_end(installer(job).arg("--quiet").arg(w)).map_err(|e| Error::io("cannot install pip", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("installing pip into {} failed ({})", job.env.display(), child::exit_text(status)))
            .with_hint("run `autovenv sync` to retry"))
    }
}

/// `exact` with pip: uninstall what is neither listed nor needed by what is
/// listed. (Not `pip-sync`-style "only what the file says": a hand-written
/// file does not list dependencies, and removing them would break the env.)
fn remove_unlisted(job: &Job, names: Option<Vec<String>>) -> std::result::Result<(), Failure> {
    let failed = |why: String| Failure::failed(format!("exact sync: {why}"));
    let Some(names) = names else {
        msg::warn("exact sync skipped: a requirement given by URL (a VCS or archive link) names no package to match");
        return Ok(());
    };
    let python = venv::python(job.env);
    let out = child::python(&python, job.root, &["-c", include_str!("unlisted.py")].map(std::ffi::OsStr::new))
        .args(&names)
        .stderr(child::stderr_stdio())
        .output()
        .map_err(|e| failed(format!("cannot run {}: {e}", python.display())))?;
    if !out.status.success() {
        return Err(failed(format!("listing installed packages failed ({})", child::exit_text(out.status))));
    }
    let extra: Vec<String> = String::from_utf8_lossy(&out.stdout).split_whitespace().map(String::from).collect();
    if extra.is_empty() {
        return Ok(());
    }
    msg::info(&format!("exact sync: removing {}", extra.join(", ")));
    let uninstall = ["-m", "pip", "uninstall", "--yes", "--quiet", "--disable-pip-version-check"];
    let status = child::python(&python, job.root, &uninstall.map(std::ffi::OsStr::new))
        .args(&extra)
        .stdin(std::process::Stdio::null())
        .stdout(child::stderr_stdio())
        .status()
        .map_err(|e| failed(format!("cannot run pip uninstall: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("pip uninstall {}", child::exit_text(status))))
    }
}

/// The distributions installed in `env`, name (normalized) to version, from
/// the `*.dist-info` folders of its site-packages: what the installer did is
/// the difference, whichever installer it was and whatever it printed.
pub(crate) fn installed_dists(env: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(libs) = fs::read_dir(env.join("lib")) else { return out };
    for lib in libs.flatten() {
        let Ok(entries) = fs::read_dir(lib.path().join("site-packages")) else { continue };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".dist-info") else { continue };
            if let Some((n, v)) = stem.split_once('-') {
                out.insert(n.to_ascii_lowercase().replace(['-', '.'], "_"), v.to_string());
            }
        }
    }
    out
}

/// "3 installed, 1 changed, 2 removed", or "nothing to change".
pub(crate) fn what_changed(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> String {
    let added = after.keys().filter(|k| !before.contains_key(*k)).count();
    let removed = before.keys().filter(|k| !after.contains_key(*k)).count();
    let changed = after.iter().filter(|(k, v)| before.get(*k).is_some_and(|b| b != *v)).count();
    let parts: Vec<String> = [(added, "installed"), (changed, "changed"), (removed, "removed")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{} {what}", plural(*n, "package")))
        .collect();
    if parts.is_empty() {
        "nothing to change".into()
    } else {
        parts.join(", ")
    }
}

pub(crate) fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_installer_did() {
        let m = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        let before = m(&[("a", "1"), ("b", "1"), ("c", "1")]);
        let after = m(&[("a", "1"), ("b", "2"), ("d", "1"), ("e", "1")]);
        assert_eq!(what_changed(&before, &after), "2 packages installed, 1 package changed, 1 package removed");
        assert_eq!(what_changed(&before, &before), "nothing to change");
        let t = tempfile::tempdir().unwrap();
        let sp = t.path().join("lib/python3.11/site-packages");
        fs::create_dir_all(sp.join("My.Pkg-1.0.dist-info")).unwrap();
        fs::create_dir_all(sp.join("mypkg")).unwrap();
        assert_eq!(installed_dists(t.path()), m(&[("my_pkg", "1.0")]));
    }
}

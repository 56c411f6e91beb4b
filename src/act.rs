//! Act: make a trusted project's env exist, whole and synced. The only step
//! with side effects on the project (env folder, `.gitignore`, installs);
//! everything here runs under the project lock.

use std::path::Path;

use crate::config::{Creator, Settings, SyncMode};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::gitignore;
use crate::lock;
use crate::msg;
use crate::python;
use crate::resolve::Trusted;
use crate::sync::{self, Outcome};
use crate::venv::{self, EnvState, Maker};

/// In the env while the installer runs; see `ensure`.
pub const INSTALLING_MARK: &str = ".autovenv-installing";

/// What became of the env: usable or not, and the error to report if any.
pub struct Report {
    pub usable: bool,
    pub error: Option<Error>,
    /// The sync state as this left it, so callers need not read it again.
    pub state: Option<sync::State>,
}

impl Report {
    fn ok(state: Option<sync::State>) -> Report {
        Report { usable: true, error: None, state }
    }
    fn unusable(e: Error) -> Report {
        Report { usable: false, error: Some(e), state: None }
    }
}

/// How hard to try the install when the requirements did not change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncWhen {
    /// A prompt: only when the digest moved; a recorded failure is not retried.
    Changed,
    /// Entering the project (`cd` in): also retry an interrupted install.
    Entering,
    /// `autovenv sync`: also retry when the last install of these files failed.
    RetryFailed,
    /// `autovenv sync --force`: always.
    Force,
}

/// Create, repair and sync as needed. The common case (env ready, no
/// requirements file moved) returns after a few stats, without the lock.
pub fn ensure(ctx: &Context, t: &Trusted, force_sync: bool) -> Report {
    ensure_with(ctx, t, if force_sync { SyncWhen::Force } else { SyncWhen::Changed })
}

pub fn ensure_with(ctx: &Context, t: &Trusted, when: SyncWhen) -> Report {
    // Read once: this is the per-prompt path.
    let state = sync::read_state(&t.env);
    let stats_fresh = t.settings.sync == SyncMode::Off
        || state
            .as_ref()
            .is_some_and(|s| sync::stats_unchanged(&t.project.root, s, &t.settings.requirements, t.settings.sync));
    let fresh = stats_fresh
        && match when {
            SyncWhen::Changed => true,
            SyncWhen::Entering => state.as_ref().is_none_or(|s| !s.interrupted),
            SyncWhen::RetryFailed => state.as_ref().is_none_or(|s| s.error.is_none() && !s.interrupted),
            SyncWhen::Force => false,
        };
    if fresh && venv::inspect(&t.env) == EnvState::Ready && version_mismatch(t).is_none() {
        // A command (not a prompt) checks the env out of git even when
        // nothing else is to do: git's work is too slow for a prompt.
        if t.settings.gitignore && matches!(when, SyncWhen::RetryFailed | SyncWhen::Force) {
            keep_out_of_git(ctx, t, false);
        }
        return Report::ok(state);
    }
    let _lock = match ctx.dirs.lock_dir() {
        Some(dir) => match lock::acquire(&dir, &t.project.key(), &t.project.display(ctx)) {
            Ok(l) => Some(l),
            Err(e) => return Report::unusable(e),
        },
        // Without a home there is no lock folder; the env may still be made.
        None => None,
    };
    let fresh = match make_ready(ctx, t) {
        Ok(fresh) => fresh,
        Err(e) => return Report::unusable(e),
    };
    if t.settings.gitignore {
        keep_out_of_git(ctx, t, fresh);
    }
    let uv = ctx.find_program("uv");
    let version = venv::version(&t.env).unwrap_or_default();
    let request = sync::Request {
        root: &t.project.root,
        env: &t.env,
        python_version: &version,
        top: &t.settings.requirements,
        mode: t.settings.sync,
        uv: uv.as_deref(),
        force: when == SyncWhen::Force,
        retry_failed: when == SyncWhen::RetryFailed,
        retry_interrupted: when != SyncWhen::Changed,
    };
    // Marks an install in progress. If it survives (autovenv or the
    // installer was killed), the package set may be half-replaced: uv then
    // fails on a dist-info without METADATA at every retry, so the next
    // entry rebuilds the env instead (found by tests/faults.rs).
    let installing = t.env.join(INSTALLING_MARK);
    let _ = crate::fsutil::write_nofollow(&installing, b"");
    let result = sync::sync(&request);
    let _ = std::fs::remove_file(&installing);
    match result {
        Ok(Outcome::StillFailing(_))
        | Ok(Outcome::StillInterrupted)
        | Ok(Outcome::UpToDate)
        | Ok(Outcome::Installed)
        | Ok(Outcome::Nothing) => Report::ok(sync::read_state(&t.env)),
        Err(e) => Report { usable: true, error: Some(e), state: sync::read_state(&t.env) },
    }
}

/// The env's Python no longer matches an exact version the project asks
/// for (`.python-version` or config `python = "3.12"`). Only those are
/// checked, and only when present: this runs on the per-prompt path, and
/// `requires-python` ranges are left to creation time.
fn version_mismatch(t: &Trusted) -> Option<String> {
    let has_file = t.project.root.join(".python-version").exists();
    if !has_file && t.settings.python.is_none() {
        return None;
    }
    let (python::Request::Version(want), source) =
        python::requested(&t.project.root, t.settings.python.as_deref(), t.settings.python_is_global).ok()??
    else {
        return None;
    };
    let have = venv::version(&t.env)?;
    let matches = have == want || have.starts_with(&format!("{want}."));
    (!matches).then(|| format!("it has Python {have} but {source} asks for {want}"))
}

/// Under the lock: look again (another shell may have just made it), then
/// create or rebuild.
/// `Ok(true)` when the env was made (or remade) now.
fn make_ready(ctx: &Context, t: &Trusted) -> Result<bool> {
    let name = rel_name(&t.project.root, &t.env);
    match venv::inspect(&t.env) {
        EnvState::Ready if t.env.join(INSTALLING_MARK).exists() => {
            if t.env.join(venv::OWNER_MARK).exists() {
                msg::info(&format!("rebuilding {name}/: an install into it was interrupted"));
                venv::remove_owned(&t.env)?;
            } else {
                msg::warn(&format!(
                    "an install into {name}/ was interrupted; autovenv did not make it, so it retries in place"
                ));
                let _ = std::fs::remove_file(t.env.join(INSTALLING_MARK));
                return Ok(false);
            }
        }
        EnvState::Ready => match version_mismatch(t) {
            None => return Ok(false),
            Some(why) if t.env.join(venv::OWNER_MARK).exists() => {
                // Find the wanted Python before deleting anything: a typo in
                // .python-version used to delete a working env and then fail
                // to make a new one. Now the env stays on disk (inactive,
                // with the error) and undoing the edit brings it back.
                let maker = maker(ctx, &t.settings)?;
                let interpreter = find_interpreter(ctx, t)?;
                msg::info(&format!("rebuilding {name}/: {why}"));
                venv::remove_owned(&t.env)?;
                return create_with(ctx, t, &name, &maker, interpreter).map(|()| true);
            }
            Some(why) => {
                msg::warn(&format!("{name}/ {why}; autovenv did not make it, so it is used as it is"));
                return Ok(false);
            }
        },
        EnvState::Missing => {}
        EnvState::Incomplete => {
            msg::info(&format!("rebuilding {name}/: its creation was interrupted"));
            venv::remove_owned(&t.env)?;
        }
        EnvState::Broken { owned: true } => {
            msg::info(&format!("rebuilding {name}/: its Python interpreter is gone"));
            venv::remove_owned(&t.env)?;
        }
        EnvState::Broken { owned: false } => {
            return Err(Error::new(format!(
                "{} is a virtual environment whose Python interpreter is gone",
                t.env.display()
            ))
            .with_hint(
                "autovenv did not make it, so it will not delete it; remove it and autovenv will make a new one",
            ));
        }
        EnvState::Foreign(why) => {
            return Err(Error::new(format!("{} {why}; leaving it untouched", t.env.display()))
                .with_hint("move it away, or set `env_dir` in .autovenv.toml to use another folder"));
        }
    }
    create(ctx, t, &name).map(|()| true)
}

fn find_interpreter(ctx: &Context, t: &Trusted) -> Result<python::Interpreter> {
    let request = python::requested(&t.project.root, t.settings.python.as_deref(), t.settings.python_is_global)?;
    let pyenv_root =
        ctx.var("PYENV_ROOT").map(std::path::PathBuf::from).or_else(|| ctx.home().map(|h| h.join(".pyenv")));
    let uv = ctx.find_program("uv");
    python::find(request.as_ref(), &ctx.system_path(), pyenv_root.as_deref(), uv.as_deref())
}

fn create(ctx: &Context, t: &Trusted, name: &str) -> Result<()> {
    let maker = maker(ctx, &t.settings)?;
    let interpreter = find_interpreter(ctx, t)?;
    create_with(ctx, t, name, &maker, interpreter)
}

fn create_with(_ctx: &Context, t: &Trusted, name: &str, maker: &Maker, interpreter: python::Interpreter) -> Result<()> {
    // Which Python and why, unless it is simply the python3 on PATH.
    let why = match interpreter.source.as_str() {
        "python3 on PATH" => String::new(),
        s => format!(", {s}"),
    };
    msg::info(&format!("creating {name}/ with Python {} ({}){why}", interpreter.version, maker.name()));
    if let Err(e) = venv::create(&t.env, &interpreter.path, maker) {
        // Leave nothing half-made behind for the next prompt to trip on.
        let _ = venv::remove_owned(&t.env);
        return Err(e);
    }
    Ok(())
}

/// Checked whenever the env is, not only when it is made: a checkout or a
/// restored `.gitignore` can drop the rule that kept it out of git.
fn keep_out_of_git(ctx: &Context, t: &Trusted, fresh: bool) {
    let name = rel_name(&t.project.root, &t.env);
    let home = ctx.home();
    match gitignore::ensure_ignored(&t.project.root, &t.env, fresh, &mut |e| msg::warn(&e.message)) {
        Ok(gitignore::Done::Nothing) => {}
        Ok(gitignore::Done::Appended(file)) => {
            msg::info(&format!("added /{name} to {}", crate::fsutil::tilde(&file, home)))
        }
        Ok(gitignore::Done::InsideEnv(file)) => msg::info(&format!(
            "kept {name}/ out of git with {} (the project's .gitignore is tracked or not a plain file, so autovenv leaves it alone)",
            crate::fsutil::tilde(&file, home)
        )),
        Err(e) => msg::warn(&e.message),
    }
}

fn maker(ctx: &Context, s: &Settings) -> Result<Maker> {
    Ok(match s.creator {
        Creator::Auto => ctx.find_program("uv").map(Maker::Uv).unwrap_or(Maker::Venv),
        Creator::Uv => Maker::Uv(ctx.find_program("uv").ok_or_else(|| {
            Error::new("creator = \"uv\" is configured but uv is not on PATH")
                .with_hint("install uv (`pip install uv`), or set creator = \"auto\"")
        })?),
        Creator::Venv => Maker::Venv,
        Creator::Virtualenv => Maker::Virtualenv,
    })
}

fn rel_name(root: &Path, env: &Path) -> String {
    env.strip_prefix(root).unwrap_or(env).display().to_string()
}

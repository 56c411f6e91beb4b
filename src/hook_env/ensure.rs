//! Ensure the env: make a trusted project's env exist, whole and synced. The only step
//! with side effects on the project (env folder, `.gitignore`, installs);
//! everything here runs under the project lock.

use std::path::{Path, PathBuf};

use crate::child::{InRoot, UvConfig};
use crate::config::{Creator, Settings};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::failure;
use crate::gitignore;
use crate::hook_env::resolve::Trusted;
use crate::lock;
use crate::msg;
use crate::python;
use crate::sync;
use crate::venv::{self, EnvState, Made, Maker, Pip};

/// In the env while the installer runs; see `ensure`.
pub(crate) const INSTALLING_MARK: &str = ".autovenv-installing";

/// What became of the env: usable or not, and the error to report if any.
pub(crate) struct Report {
    pub usable: bool,
    pub error: Option<Error>,
    /// The sync state as this left it, so callers need not read it again.
    pub state: Option<sync::State>,
    /// A failed creation's inputs a shell can watch cheaply (folders on
    /// PATH, pyenv's versions): when one moves, the next prompt retries.
    pub watch: Vec<PathBuf>,
}

impl Report {
    fn ok(state: Option<sync::State>) -> Report {
        Report { usable: true, error: None, state, watch: Vec::new() }
    }
    fn unusable(e: Error) -> Report {
        Report { usable: false, error: Some(e), state: None, watch: Vec::new() }
    }
}

/// How hard to try the install when nothing changed: the one rule in
/// `sync::rule`.
pub(crate) use crate::sync::When as SyncWhen;

/// Create, repair and sync as needed. The common case (env ready, no
/// requirements file moved) returns after a few stats, without the lock.
pub(crate) fn env(ctx: &Context, t: &Trusted, when: SyncWhen) -> Report {
    // Read once: this is the per-prompt path.
    let state = sync::read_state(&t.env);
    let fresh = sync::up_to_date(&t.project.root, &t.settings, state.as_ref(), when);
    let env_state = venv::inspect(&t.env);
    if fresh && env_state == EnvState::Ready && version_mismatch(t).is_none() {
        // A command (not a prompt) checks the env out of git even when
        // nothing else is to do: git's work is too slow for a prompt.
        if t.settings.gitignore && !t.env_outside && matches!(when, SyncWhen::RetryFailed | SyncWhen::Force) {
            keep_out_of_git(ctx, t, false);
        }
        return Report::ok(state);
    }
    // A creation that failed before is not started again by a prompt or an
    // entry while nothing it depended on changed.
    let record = failure::file(ctx.dirs.state.as_deref(), &t.project.key());
    let needs_making = env_state != EnvState::Ready || version_mismatch(t).is_some();
    let inputs = creation_inputs(ctx, t);
    let path_var = ctx.system_path().to_string_lossy().into_owned();
    if needs_making && matches!(when, SyncWhen::Changed | SyncWhen::Entering) {
        if let Some(r) = record.as_deref().and_then(failure::read) {
            if failure::still_holds(&r, &path_var, &inputs) {
                return recorded_failure(t, &r, &inputs);
            }
        }
    }
    let _lock = match ctx.dirs.lock_dir() {
        Some(dir) => match lock::acquire(&dir, &t.project.key(), &t.project.display(ctx)) {
            Ok(l) => Some(l),
            Err(e) => return Report::unusable(e),
        },
        // Without a home there is no lock folder; the env may still be made.
        None => None,
    };
    // Everything started from here on (interpreter probes too) starts in
    // the project root, never in the caller's folder.
    let _in_root = InRoot::enter(&t.project.root);
    let uv_config = UvConfig::choose(&t.project.root, ctx.lookup());
    let made = match make_ready(ctx, t, &uv_config) {
        Ok(made) => {
            if let Some(r) = &record {
                failure::clear(r);
            }
            made
        }
        Err(Failed::Other(e)) => return Report::unusable(e),
        // Ctrl-C is not a failure to remember: the shell holds it back
        // until the next entry (see hook_env), which tries again.
        Err(Failed::Creation(e)) if crate::signals::was_interrupted() => {
            return Report::unusable(
                e.with_hint("it is made the next time you enter the project, or run `autovenv sync`"),
            );
        }
        Err(Failed::Creation(e)) => {
            let first = e.hint.clone().unwrap_or_else(|| "see the output above".into());
            let e = e.with_hint(format!("{first}; it is tried again when {DEPENDS}; `autovenv sync` retries now"));
            if let Some(r) = &record {
                failure::write(r, &e, &path_var, &inputs);
            }
            let mut report = Report::unusable(e);
            report.watch = watchable(&inputs);
            return report;
        }
    };
    // An env outside the project needs no rule in it.
    if t.settings.gitignore && !t.env_outside {
        keep_out_of_git(ctx, t, made.is_some());
    }
    let uv = ctx.find_program("uv");
    let version = venv::version(&t.env).unwrap_or_default();
    let seed = match &made {
        Some(Pip::Wheel(w)) => Some(w.as_path()),
        _ => None,
    };
    let job = sync::Job {
        root: &t.project.root,
        env: &t.env,
        python_version: &version,
        settings: &t.settings,
        uv: uv.as_deref(),
        uv_config: &uv_config,
        seed,
        when,
    };
    // Marks an install in progress. If it survives (autovenv or the
    // installer was killed), the package set may be half-replaced: uv then
    // fails on a dist-info without METADATA at every retry, so the next
    // entry rebuilds the env instead.
    let installing = t.env.join(INSTALLING_MARK);
    let _ = crate::fsutil::write_nofollow(&installing, b"");
    let result = sync::sync(&job);
    // pip goes in with the first install; when there was none (nothing
    // listed, sync off) or it failed, on its own.
    if seed.is_some() && !t.env.join("bin/pip").exists() {
        if let Err(e) = sync::install_seed(&job) {
            msg::error(&e);
        }
    }
    let _ = std::fs::remove_file(&installing);
    match result {
        Ok(()) => Report::ok(sync::read_state(&t.env)),
        Err(e) => Report { usable: true, error: Some(e), state: sync::read_state(&t.env), watch: Vec::new() },
    }
}

/// What a creation depends on: the files that choose the Python and the
/// creator, the global config, every folder on PATH (a Python or uv
/// installed there changes it) and pyenv's versions folder.
fn creation_inputs(ctx: &Context, t: &Trusted) -> Vec<PathBuf> {
    let root = &t.project.root;
    let mut inputs: Vec<PathBuf> = [".python-version", crate::config::PROJECT_FILE, crate::config::PYPROJECT]
        .iter()
        .map(|f| root.join(f))
        .collect();
    inputs.extend(ctx.dirs.config_file());
    inputs.extend(std::env::split_paths(&ctx.system_path()).filter(|p| p.is_absolute()));
    if let Some(pyenv) = ctx.var("PYENV_ROOT").map(PathBuf::from).or_else(|| ctx.home().map(|h| h.join(".pyenv"))) {
        inputs.push(pyenv.join("versions"));
    }
    // Where `uv python install` puts Pythons (its default, or the override).
    let data = ctx.var("XDG_DATA_HOME").map(PathBuf::from).filter(|p| p.is_absolute());
    let uv_pythons = ctx
        .var("UV_PYTHON_INSTALL_DIR")
        .map(PathBuf::from)
        .or_else(|| data.or_else(|| ctx.home().map(|h| h.join(".local/share"))).map(|d| d.join("uv/python")));
    inputs.extend(uv_pythons.filter(|p| p.is_absolute()));
    let mut seen = std::collections::HashSet::new();
    inputs.retain(|p| seen.insert(p.clone()));
    inputs
}

/// The folders among `inputs` that exist: the hook tests those at every
/// prompt (the project's files are watched anyway).
fn watchable(inputs: &[PathBuf]) -> Vec<PathBuf> {
    inputs.iter().filter(|p| p.is_dir()).cloned().collect()
}

/// What a failed creation waits for, in the hints.
const DEPENDS: &str = "the project's Python setting or config changes or a new Python or uv appears on PATH";

/// One line: prompts and entries after a failed creation say only this.
fn recorded_failure(t: &Trusted, r: &failure::Record, inputs: &[PathBuf]) -> Report {
    let name = rel_name(&t.project.root, &t.env);
    let e = Error::new(format!("{name}/ could not be made: {}; run `autovenv sync` to retry", r.error));
    let mut report = Report::unusable(e);
    report.watch = watchable(inputs);
    report
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

/// Why the env is not ready: a creation that failed (recorded, so it is
/// not started again at every prompt) or anything else.
enum Failed {
    Creation(Error),
    Other(Error),
}

/// Under the lock: look again (another shell may have just made it), then
/// create or rebuild. `Some` when it made a new env, with where its pip
/// comes from.
fn make_ready(ctx: &Context, t: &Trusted, uv_config: &UvConfig) -> std::result::Result<Option<Pip>, Failed> {
    let other = Failed::Other;
    let name = rel_name(&t.project.root, &t.env);
    match venv::inspect(&t.env) {
        EnvState::Ready if t.env.join(INSTALLING_MARK).exists() => {
            if t.env.join(venv::OWNER_MARK).exists() {
                msg::info(&format!("rebuilding {name}/: an install into it was interrupted"));
                venv::remove_owned(&t.env).map_err(other)?;
            } else {
                msg::warn(&format!(
                    "an install into {name}/ was interrupted; autovenv did not make it, so it retries in place"
                ));
                let _ = std::fs::remove_file(t.env.join(INSTALLING_MARK));
                return Ok(None);
            }
        }
        EnvState::Ready => match version_mismatch(t) {
            None => return Ok(None),
            Some(why) if t.env.join(venv::OWNER_MARK).exists() => {
                // Find the wanted Python before deleting anything, so that a
                // typo in .python-version cannot cost a working env: it stays
                // on disk (inactive, with the error) and undoing the edit
                // brings it back.
                let maker = maker(ctx, &t.settings).map_err(Failed::Creation)?;
                let interpreter =
                    request(t).and_then(|r| find_interpreter(ctx, r.as_ref())).map_err(Failed::Creation)?;
                msg::info(&format!("rebuilding {name}/: {why}"));
                venv::remove_owned(&t.env).map_err(other)?;
                return create_probed(t, &name, &maker, &interpreter, uv_config).map(Some).map_err(Failed::Creation);
            }
            Some(why) => {
                msg::warn(&format!("{name}/ {why}; autovenv did not make it, so it is used as it is"));
                return Ok(None);
            }
        },
        EnvState::Missing => {}
        EnvState::Incomplete => {
            msg::info(&format!("rebuilding {name}/: its creation was interrupted"));
            venv::remove_owned(&t.env).map_err(other)?;
        }
        EnvState::Broken { owned: true } => {
            msg::info(&format!("rebuilding {name}/: its Python interpreter is gone"));
            venv::remove_owned(&t.env).map_err(other)?;
        }
        EnvState::Broken { owned: false } => {
            return Err(other(
                Error::new(format!("{} is a virtual environment whose Python interpreter is gone", t.env.display()))
                    .with_hint(
                    "autovenv did not make it, so it will not delete it; remove it and autovenv will make a new one",
                ),
            ));
        }
        EnvState::Foreign(why) => {
            return Err(other(
                Error::new(format!("{} {why}; leaving it untouched", t.env.display()))
                    .with_hint("move it away, or set `env_dir` in .autovenv.toml to use another folder"),
            ));
        }
    }
    create(ctx, t, &name, uv_config).map(Some).map_err(Failed::Creation)
}

/// What the project asks for (config, `.python-version`, `requires-python`).
fn request(t: &Trusted) -> Result<Option<(python::Request, python::Source)>> {
    python::requested(&t.project.root, t.settings.python.as_deref(), t.settings.python_is_global)
}

fn find_interpreter(ctx: &Context, request: Option<&(python::Request, python::Source)>) -> Result<python::Interpreter> {
    let pyenv_root =
        ctx.var("PYENV_ROOT").map(std::path::PathBuf::from).or_else(|| ctx.home().map(|h| h.join(".pyenv")));
    let uv = ctx.find_program("uv");
    python::find(request, &ctx.system_path(), pyenv_root.as_deref(), uv.as_deref())
}

fn create(ctx: &Context, t: &Trusted, name: &str, uv_config: &UvConfig) -> Result<Pip> {
    let maker = maker(ctx, &t.settings)?;
    let request = request(t)?;
    // With uv, the python3 on PATH goes to `uv venv` unprobed when it is
    // the search's own first choice: uv learns its version itself (from
    // its cache, usually), and probing first would start one more Python
    // on the way to the first prompt. Its version is checked afterwards.
    if let Maker::Uv(_) = maker {
        if let Some(u) = python::unprobed(request.as_ref(), &ctx.system_path()) {
            let fits = |v: &str| u.accepts(v);
            match create_with(t, name, &maker, &u.path, &u.source, venv::Version::Checked(&fits), uv_config)? {
                Made::Env(pip) => return Ok(pip),
                // Not a version the request takes: searched for below, as
                // if it had been probed.
                Made::Unfit(_) => {}
            }
        }
    }
    let interpreter = find_interpreter(ctx, request.as_ref())?;
    create_probed(t, name, &maker, &interpreter, uv_config)
}

fn create_probed(
    t: &Trusted,
    name: &str,
    maker: &Maker,
    interpreter: &python::Interpreter,
    uv_config: &UvConfig,
) -> Result<Pip> {
    let version = venv::Version::Known(&interpreter.version);
    match create_with(t, name, maker, &interpreter.path, &interpreter.source, version, uv_config)? {
        Made::Env(pip) => Ok(pip),
        Made::Unfit(v) => Err(Error::new(format!("{} turned out to be Python {v}", interpreter.path.display()))),
    }
}

fn create_with(
    t: &Trusted,
    name: &str,
    maker: &Maker,
    interpreter: &Path,
    source: &str,
    version: venv::Version,
    uv_config: &UvConfig,
) -> Result<Made> {
    // Which Python and why, unless it is simply the python3 on PATH.
    let why = match source {
        "python3 on PATH" => String::new(),
        s => format!(", {s}"),
    };
    let key = t.project.key();
    let make =
        venv::Make { root: &t.project.root, env: &t.env, interpreter, version, maker, uv_config, project_key: &key };
    let mut announce = |version: &str, pip: &Pip| {
        msg::info(&format!("creating {name}/ with Python {version} ({}{}){why}", maker.name(), pip.describe()));
    };
    venv::create(&make, &mut announce).inspect_err(|_| {
        // Leave nothing half-made behind for the next prompt to trip on.
        let _ = venv::remove_owned(&t.env);
    })
}

/// Checked whenever the env is, not only when it is made: a checkout or a
/// restored `.gitignore` can drop the rule that kept it out of git.
fn keep_out_of_git(ctx: &Context, t: &Trusted, fresh: bool) {
    let name = rel_name(&t.project.root, &t.env);
    let home = ctx.home();
    match gitignore::ensure_ignored(&t.project.root, &t.env, fresh, &mut |e| msg::warn_error(&e)) {
        Ok(gitignore::Done::Nothing) => {}
        Ok(gitignore::Done::Appended(file)) => {
            msg::info(&format!("added /{name} to {}", crate::fsutil::tilde(&file, home)));
        }
        Ok(gitignore::Done::InsideEnv(file)) => msg::info(&format!(
            "kept {name}/ out of git with {} (the project's .gitignore is tracked or not a plain file, so autovenv leaves it alone)",
            crate::fsutil::tilde(&file, home)
        )),
        Err(e) => msg::warn_error(&e),
    }
}

fn maker(ctx: &Context, s: &Settings) -> Result<Maker> {
    Ok(match s.creator {
        Creator::Auto => ctx.find_program("uv").map_or(Maker::Venv, Maker::Uv),
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

//! Resolve: from a discovered project root to everything the later steps need: its canonical
//! path, whether it is trusted, and (only then) its settings and env folder.
//! A project's own config is read only after trust: an untrusted
//! `.autovenv.toml` can name an interpreter, and nothing it says may run.
//!
//! From here on everything uses the canonical root, the folder whose trust
//! was checked: the path as typed can go through a symlink that someone
//! else can point elsewhere after the check (the env's `bin/` on PATH would
//! then be theirs). The typed path is kept only to name the project.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::config::{self, Layer, Settings};
use crate::context::Context;
use crate::env_vars;
use crate::error::{Error, Result};
use crate::hook_env::decide::Current;
use crate::trust::{self, Trust};

pub(crate) struct Project {
    /// The canonical root: what every later step reads, runs and activates.
    pub root: PathBuf,
    pub canonical: PathBuf,
    /// The root as the person reached it, for messages.
    pub shown: PathBuf,
    pub trust: Trust,
    /// The global config, read once for trust and kept for the settings.
    pub global: Layer,
}

pub(crate) struct Trusted {
    pub project: Project,
    pub settings: Settings,
    pub env: PathBuf,
    /// The env is outside the project (`env_dir` elsewhere, or the cache).
    pub env_outside: bool,
}

impl Project {
    /// Hex sha256 of the canonical root, shared by the trust record and the lock.
    pub(crate) fn key(&self) -> String {
        trust::key(&self.canonical)
    }

    pub(crate) fn display(&self, ctx: &Context) -> String {
        crate::fsutil::tilde(&self.shown, ctx.home())
    }
}

/// What the shell has, its bookkeeping checked against the file system:
/// leaving removes `<AUTOVENV_ENV>/bin` from PATH only when that folder is a
/// venv (`pyvenv.cfg` beside its `bin/`) or is the env this shell recorded
/// activating (`recorded`, kept in the shell's own stamp). Anything can set
/// environment variables, and `AUTOVENV_ROOT=/usr AUTOVENV_ENV=/usr/local`
/// would otherwise take `/usr/local/bin` off PATH.
pub(crate) fn current(ctx: &Context, recorded: Option<&Path>) -> Current {
    let mut cur = Current::from_env(ctx.lookup());
    if let Some(env) = cur.get(env_vars::AUTOVENV_ENV).map(PathBuf::from) {
        let env = env.as_path();
        let venv = std::fs::symlink_metadata(env.join("pyvenv.cfg")).is_ok_and(|m| m.file_type().is_file());
        cur.env_unverified = !venv && recorded != Some(env);
        if let Some(root) = cur.get(env_vars::AUTOVENV_ROOT).map(Path::new) {
            if env.parent() != Some(root) {
                cur.env_outside_ok = recorded == Some(env)
                    || crate::env_location::made_for(env, &trust::key(root), crate::venv::OWNER_MARK);
            }
        }
    }
    cur
}

/// The project whose root is `root`, with its trust checked.
pub(crate) fn project(ctx: &Context, root: &Path) -> Result<Project> {
    let canonical = trust::canonical(root)?;
    let global = ctx.global_config()?;
    let shown = crate::fsutil::tilde(root, ctx.home());
    let worktrees = global.trust_worktrees.unwrap_or(false);
    let trust = trust::check_with_worktrees(
        ctx.dirs.trust_dir().as_deref(),
        &canonical,
        &ctx.trust_prefixes(&global),
        worktrees,
        &shown,
    )?;
    Ok(Project { root: canonical.clone(), canonical, shown: root.to_path_buf(), trust, global })
}

/// Settings and env of a trusted project; `Err` for an untrusted one.
pub(crate) fn trusted(ctx: &Context, project: Project) -> Result<Trusted> {
    if !project.trust.is_trusted() {
        return Err(not_allowed(ctx, &project.shown));
    }
    let local = config::load_project(&project.root)?;
    let settings = config::resolve(&project.global, &local);
    let key = project.key();
    let location =
        crate::env_location::locate(&project.root, &key, &settings, ctx.home(), ctx.cache_home().as_deref())?;
    if location.outside {
        crate::env_location::check_outside(&location.env, &key)?;
    }
    let env = location.env;
    // PATH entries are separated by ':', so a bin folder with a ':' in its
    // path cannot be put on PATH: it would be split in two, and no prompt
    // could find the entry to take it out again.
    if env.as_os_str().as_bytes().contains(&b':') {
        return Err(Error::new(format!(
            "cannot activate {}: its path contains ':', which PATH cannot hold",
            crate::fsutil::tilde(&env, ctx.home())
        ))
        .with_hint("rename the folder (or the folder above it) that has the ':'"));
    }
    Ok(Trusted { project, settings, env, env_outside: location.outside })
}

pub(crate) fn not_allowed(ctx: &Context, root: &Path) -> Error {
    Error::new(format!("{} is not allowed", crate::fsutil::tilde(root, ctx.home())))
        .with_hint("run `autovenv allow` to create and activate its env")
}

impl Trusted {
    /// `VIRTUAL_ENV_PROMPT`: configured, else the project folder's name.
    pub(crate) fn prompt(&self) -> OsString {
        match &self.settings.prompt {
            Some(p) => p.into(),
            None => self.project.shown.file_name().map(std::ffi::OsStr::to_os_string).unwrap_or_default(),
        }
    }
}

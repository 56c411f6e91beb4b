//! From a project root to everything the later steps need: its canonical
//! path, whether it is trusted, and (only then) its settings and env folder.
//! A project's own config is read only after trust: an untrusted
//! `.autovenv.toml` can name an interpreter, and nothing it says may run.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::config::{self, Layer, Settings};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::project;
use crate::trust::{self, Trust};

pub struct Project {
    pub root: PathBuf,
    pub canonical: PathBuf,
    pub trust: Trust,
    /// The global config, read once for trust and kept for the settings.
    pub global: Layer,
}

pub struct Trusted {
    pub project: Project,
    pub settings: Settings,
    pub env: PathBuf,
}

impl Project {
    /// Hex sha256 of the canonical root, shared by the trust record and the lock.
    pub fn key(&self) -> String {
        trust::key(&self.canonical)
    }

    pub fn display(&self, ctx: &Context) -> String {
        crate::fsutil::tilde(&self.root, ctx.home())
    }
}

/// The project whose root is `root`, with its trust checked.
pub fn project(ctx: &Context, root: &Path) -> Result<Project> {
    let canonical = trust::canonical(root)?;
    let global = ctx.global_config()?;
    let shown = crate::fsutil::tilde(root, ctx.home());
    let trust = trust::check(ctx.dirs.trust_dir().as_deref(), &canonical, &ctx.trust_prefixes(&global), &shown)?;
    Ok(Project { root: root.to_path_buf(), canonical, trust, global })
}

/// Settings and env of a trusted project; `Err` for an untrusted one.
pub fn trusted(ctx: &Context, project: Project) -> Result<Trusted> {
    if !project.trust.is_trusted() {
        return Err(not_allowed(ctx, &project.root));
    }
    let local = config::load_project(&project.root)?;
    let settings = config::resolve(&project.global, &local);
    let configured = settings.env_dir_configured.then_some(settings.env_dir.as_str());
    let env = project::env_dir(&project.root, configured);
    // PATH entries are separated by ':', so a bin folder with a ':' in its
    // path cannot be put on PATH: it would be split in two (and entering
    // prepended it again at every prompt; found by tests/security.rs).
    if env.as_os_str().as_bytes().contains(&b':') {
        return Err(Error::new(format!(
            "cannot activate {}: its path contains ':', which PATH cannot hold",
            crate::fsutil::tilde(&env, ctx.home())
        ))
        .with_hint("rename the folder (or the folder above it) that has the ':'"));
    }
    Ok(Trusted { project, settings, env })
}

pub fn not_allowed(ctx: &Context, root: &Path) -> Error {
    Error::new(format!("{} is not allowed", crate::fsutil::tilde(root, ctx.home())))
        .with_hint("run `autovenv allow` to create and activate its env")
}

impl Trusted {
    /// `VIRTUAL_ENV_PROMPT`: configured, else the project folder's name.
    pub fn prompt(&self) -> OsString {
        match &self.settings.prompt {
            Some(p) => p.into(),
            None => self.project.root.file_name().map(|n| n.to_os_string()).unwrap_or_default(),
        }
    }
}

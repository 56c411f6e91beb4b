//! What every command reads from the process environment, read once.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::config::{self, Layer};
use crate::dirs::Dirs;
use crate::env_vars;
use crate::error::Result;
use crate::hook_env::decide;

/// Reads one environment variable: the process's in the binary, a map in tests.
pub(crate) type Lookup = Box<dyn Fn(&str) -> Option<OsString>>;

pub(crate) struct Context {
    lookup: Lookup,
    pub dirs: Dirs,
}

impl Context {
    pub(crate) fn from_process() -> Context {
        Context::new(Box::new(|k| std::env::var_os(k)))
    }

    pub(crate) fn new(lookup: Lookup) -> Context {
        let dirs = Dirs::from_env(&*lookup);
        Context { lookup, dirs }
    }

    pub(crate) fn var(&self, name: &str) -> Option<OsString> {
        (self.lookup)(name)
    }

    pub(crate) fn lookup(&self) -> &dyn Fn(&str) -> Option<OsString> {
        &*self.lookup
    }

    pub(crate) fn home(&self) -> Option<&Path> {
        self.dirs.home.as_deref()
    }

    /// PATH without the bin folders of the env autovenv or the user
    /// activated: looking for `python3` or `uv` must find the system's,
    /// not a project's.
    pub(crate) fn system_path(&self) -> OsString {
        let path = self.var(env_vars::PATH).unwrap_or_default();
        let skip: Vec<PathBuf> = [env_vars::AUTOVENV_ENV, env_vars::VIRTUAL_ENV]
            .iter()
            .filter_map(|v| self.var(v))
            .map(|e| decide::bin_dir(Path::new(&e)))
            .collect();
        let kept: Vec<PathBuf> =
            std::env::split_paths(&path).filter(|p| !p.as_os_str().is_empty() && !skip.contains(p)).collect();
        std::env::join_paths(kept).unwrap_or_default()
    }

    /// An executable named `name` on the system PATH.
    pub(crate) fn find_program(&self, name: &str) -> Option<PathBuf> {
        use std::os::unix::fs::PermissionsExt;
        std::env::split_paths(&self.system_path())
            .map(|d| d.join(name))
            .find(|p| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
    }

    /// `$XDG_CACHE_HOME`, else `~/.cache`: where `env_store = "cache"` keeps envs.
    pub(crate) fn cache_home(&self) -> Option<PathBuf> {
        let abs = |name: &str| self.var(name).map(PathBuf::from).filter(|p| p.is_absolute());
        abs("XDG_CACHE_HOME").or_else(|| self.home().map(|h| h.join(".cache")))
    }

    /// The global config; a missing file is an empty layer.
    pub(crate) fn global_config(&self) -> Result<Layer> {
        match self.dirs.config_file() {
            Some(f) => config::load_global(&f),
            None => Ok(Layer::default()),
        }
    }

    /// `trust.prefixes`, as canonical paths so they compare with canonical roots.
    pub(crate) fn trust_prefixes(&self, global: &Layer) -> Vec<PathBuf> {
        global
            .trust_prefixes
            .iter()
            .flatten()
            .filter_map(|p| config::expand_prefix(p, self.home()))
            .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
            .collect()
    }
}

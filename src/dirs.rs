//! Where autovenv keeps its own files, from the XDG base-directory variables.
//! Read from an explicit environment so tests and `export` see the same
//! values the shell passed, never a cached global.

use std::ffi::OsString;
use std::path::PathBuf;

/// Lookup of one environment variable; `std::env::var_os` in the binary.
pub(crate) type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<OsString>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dirs {
    pub home: Option<PathBuf>,
    /// `$XDG_DATA_HOME/autovenv`: trust records.
    pub data: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME/autovenv`: config.toml.
    pub config: Option<PathBuf>,
    /// `$XDG_STATE_HOME/autovenv`: locks.
    pub state: Option<PathBuf>,
    /// Per-shell stamp files for the hook's no-process check.
    pub stamps: Option<PathBuf>,
}

impl Dirs {
    pub(crate) fn from_env(env: EnvLookup) -> Dirs {
        // An empty or relative value is ignored, as the XDG spec asks.
        let abs = |name: &str| env(name).map(PathBuf::from).filter(|p| p.is_absolute());
        let home = abs("HOME");
        let base = |var: &str, fallback: &str| abs(var).or_else(|| home.as_ref().map(|h| h.join(fallback)));
        let data = base("XDG_DATA_HOME", ".local/share").map(|p| p.join("autovenv"));
        let config = base("XDG_CONFIG_HOME", ".config").map(|p| p.join("autovenv"));
        let state = base("XDG_STATE_HOME", ".local/state").map(|p| p.join("autovenv"));
        // The runtime dir is a tmpfs cleared at logout, the right home for
        // files that only live as long as a shell; the cache dir otherwise.
        let stamps = abs("XDG_RUNTIME_DIR")
            .map(|p| p.join("autovenv"))
            .or_else(|| base("XDG_CACHE_HOME", ".cache").map(|p| p.join("autovenv/stamps")));
        Dirs { home, data, config, state, stamps }
    }

    /// Every folder a shell of this user may keep its stamp in: one with
    /// `XDG_RUNTIME_DIR` set (a desktop session) and one without (an ssh
    /// login, cron) use different ones.
    pub(crate) fn all_stamp_dirs(&self) -> Vec<PathBuf> {
        let cache = self.home.as_ref().map(|h| h.join(".cache/autovenv/stamps"));
        self.stamps.iter().cloned().chain(cache).collect()
    }

    pub(crate) fn trust_dir(&self) -> Option<PathBuf> {
        self.data.as_ref().map(|d| d.join("trust"))
    }

    pub(crate) fn config_file(&self) -> Option<PathBuf> {
        self.config.as_ref().map(|d| d.join("config.toml"))
    }

    pub(crate) fn lock_dir(&self) -> Option<PathBuf> {
        self.state.as_ref().map(|d| d.join("locks"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn defaults_follow_home() {
        let env = lookup(&[("HOME", "/h")]);
        let d = Dirs::from_env(&env);
        assert_eq!(d.trust_dir().unwrap(), PathBuf::from("/h/.local/share/autovenv/trust"));
        assert_eq!(d.config_file().unwrap(), PathBuf::from("/h/.config/autovenv/config.toml"));
        assert_eq!(d.stamps.unwrap(), PathBuf::from("/h/.cache/autovenv/stamps"));
    }

    #[test]
    fn xdg_wins_and_relative_values_are_ignored() {
        let env = lookup(&[
            ("HOME", "/h"),
            ("XDG_DATA_HOME", "/d"),
            ("XDG_CONFIG_HOME", "rel"),
            ("XDG_RUNTIME_DIR", "/run/u"),
        ]);
        let d = Dirs::from_env(&env);
        assert_eq!(d.trust_dir().unwrap(), PathBuf::from("/d/autovenv/trust"));
        assert_eq!(d.config.unwrap(), PathBuf::from("/h/.config/autovenv"));
        assert_eq!(d.stamps.unwrap(), PathBuf::from("/run/u/autovenv"));
    }

    #[test]
    fn no_home_means_no_dirs() {
        let env = lookup(&[]);
        let d = Dirs::from_env(&env);
        assert!(d.trust_dir().is_none() && d.config.is_none() && d.home.is_none());
    }
}

//! Where a project's env lives: in the project (`env/`, `env_dir`, an
//! adopted `.venv`), or outside it, for projects on synced or network
//! folders: a folder the project's config names (`env_dir = "~/envs/app"`)
//! or autovenv's cache (`env_store = "cache"`), with nothing written into
//! the project.
//!
//! An env outside the project is a folder other projects could name too,
//! and its `bin/` goes on PATH. So it is used only when the folders above
//! it are the user's own (as the trust folder's are) and, if it exists, when
//! autovenv made it for this very project: its mark names the project's
//! trust key. Anything else there is left untouched, with an error.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::config::{EnvStore, Settings};
use crate::error::{Error, Result};
use crate::hook_env::discover;
use crate::venv;

/// The line the env's marks carry to say which project made it.
pub(crate) fn project_line(key: &str) -> String {
    format!("project {key}\n")
}

/// Does `mark` in `env` say autovenv made it for the project with trust key `key`?
pub(crate) fn made_for(env: &Path, key: &str, mark: &str) -> bool {
    let line = project_line(key);
    crate::fsutil::read_regular(&env.join(mark))
        .ok()
        .flatten()
        .is_some_and(|b| b.split_inclusive(|&c| c == b'\n').any(|l| l == line.as_bytes()))
}

/// The env folder and whether it is outside the project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    pub env: PathBuf,
    pub outside: bool,
}

/// Where the env of the project at `canonical_root` (trust key `key`) is.
/// `cache_home` is `$XDG_CACHE_HOME` (or `~/.cache`).
pub(crate) fn locate(
    canonical_root: &Path,
    key: &str,
    settings: &Settings,
    home: Option<&Path>,
    cache_home: Option<&Path>,
) -> Result<Location> {
    let configured = settings.env_dir_configured.then_some(settings.env_dir.as_str());
    if let Some(dir) = configured.filter(|d| d.starts_with("~/") || Path::new(d).is_absolute()) {
        let path = match dir.strip_prefix("~/") {
            Some(rest) => home
                .ok_or_else(|| {
                    Error::new(format!("env_dir {dir:?} starts with ~/ but HOME is not set"))
                        .with_hint("set HOME, or give env_dir as an absolute path")
                })?
                .join(rest),
            None => PathBuf::from(dir),
        };
        return Ok(outside(&path));
    }
    if settings.env_store == EnvStore::Cache {
        let cache = cache_home.ok_or_else(|| {
            Error::new("env_store = \"cache\" is set but neither XDG_CACHE_HOME nor HOME is set")
                .with_hint("set HOME or XDG_CACHE_HOME")
        })?;
        return Ok(outside(&cache.join("autovenv/envs").join(cache_name(canonical_root, key))));
    }
    Ok(Location { env: discover::env_dir(canonical_root, configured), outside: false })
}

/// `<folder name>-<16 hex of the trust key>`: readable, and two projects
/// with the same folder name never meet in one env.
fn cache_name(canonical_root: &Path, key: &str) -> String {
    let name: String = canonical_root
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .take(48)
        .collect();
    let name = name.trim_start_matches('.');
    format!("{}-{}", if name.is_empty() { "project" } else { name }, &key[..16])
}

/// The path with its existing part resolved, so the env put on PATH is
/// the folder that was checked, and the path stays the same once the
/// missing part is made.
fn outside(path: &Path) -> Location {
    let mut existing = path;
    let mut rest = Vec::new();
    let resolved = loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            break real;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(n)) => {
                rest.push(n.to_os_string());
                existing = p;
            }
            _ => break existing.to_path_buf(),
        }
    };
    let env = rest.iter().rev().fold(resolved, |p, n| p.join(n));
    Location { env, outside: true }
}

/// May this project use the env outside it at `env`? The folders above it
/// must be the user's own, and an existing folder there must be an env
/// autovenv made for this project (or an empty folder, or nothing yet).
pub(crate) fn check_outside(env: &Path, key: &str) -> Result<()> {
    if let Some(parent) = env.ancestors().skip(1).find(|p| p.exists()) {
        crate::trust::check_dir_is_private(parent, "folder holding the env", "not using the env there")?;
    }
    let meta = match env.symlink_metadata() {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    let shown = env.display();
    let not_ours = |why: &str| {
        Error::new(format!("{shown} {why}; autovenv leaves it untouched"))
            .with_hint("set env_dir to a folder of this project's own, or remove that folder")
    };
    if !meta.is_dir() {
        return Err(not_ours("is not a folder"));
    }
    if crate::trust::owned_by_other(meta.uid()) {
        return Err(not_ours(&format!("belongs to another user (uid {})", meta.uid())));
    }
    if std::fs::read_dir(env).is_ok_and(|mut d| d.next().is_none()) {
        return Ok(());
    }
    if made_for(env, key, venv::OWNER_MARK) || made_for(env, key, venv::CREATING_MARK) {
        return Ok(());
    }
    Err(not_ours("was not made by autovenv for this project"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{resolve, Layer};
    use std::path::Component;

    fn settings(env_dir: Option<&str>, store: Option<EnvStore>) -> Settings {
        let layer = Layer { env_dir: env_dir.map(str::to_string), env_store: store, ..Layer::default() };
        resolve(&Layer::default(), &layer)
    }

    fn plain(p: &Path) -> bool {
        p.components().all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
    }

    const KEY: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn in_the_project_by_default() {
        let t = tempfile::tempdir().unwrap();
        let l = locate(t.path(), KEY, &settings(None, None), None, None).unwrap();
        assert_eq!(l, Location { env: t.path().join("env"), outside: false });
        let l = locate(t.path(), KEY, &settings(Some(".venv"), None), None, None).unwrap();
        assert_eq!(l, Location { env: t.path().join(".venv"), outside: false });
    }

    #[test]
    fn cache_store_is_per_project() {
        let t = tempfile::tempdir().unwrap();
        let cache = fs_canon(t.path());
        let root = Path::new("/work/my app");
        let l = locate(root, KEY, &settings(None, Some(EnvStore::Cache)), None, Some(&cache)).unwrap();
        assert_eq!(l.env, cache.join("autovenv/envs/my_app-0123456789abcdef"));
        assert!(l.outside && plain(&l.env));
        // An absolute env_dir wins over the store; `~/` is HOME.
        let home = Path::new("/h");
        let s = settings(Some("~/envs/x"), Some(EnvStore::Cache));
        assert_eq!(locate(root, KEY, &s, Some(home), Some(&cache)).unwrap().env, PathBuf::from("/h/envs/x"));
        assert!(locate(root, KEY, &s, None, Some(&cache)).is_err());
        assert_eq!(cache_name(Path::new("/"), KEY), "project-0123456789abcdef");
        assert_eq!(cache_name(Path::new("/a/.hidden"), KEY), "hidden-0123456789abcdef");
    }

    fn fs_canon(p: &Path) -> PathBuf {
        std::fs::canonicalize(p).unwrap()
    }

    #[test]
    fn outside_resolves_the_existing_part() {
        let t = tempfile::tempdir().unwrap();
        let real = fs_canon(t.path()).join("real");
        std::fs::create_dir(&real).unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert_eq!(outside(&link.join("a/b")).env, real.join("a/b"));
    }

    #[test]
    fn an_outside_env_must_be_ours_for_this_project() {
        let t = tempfile::tempdir().unwrap();
        let env = fs_canon(t.path()).join("env");
        check_outside(&env, KEY).unwrap();
        std::fs::create_dir(&env).unwrap();
        check_outside(&env, KEY).unwrap();
        std::fs::write(env.join("pyvenv.cfg"), "").unwrap();
        let err = check_outside(&env, KEY).unwrap_err();
        assert!(err.message.contains("was not made by autovenv for this project"), "{}", err.message);
        let other = "f".repeat(64);
        std::fs::write(env.join(venv::OWNER_MARK), format!("made by autovenv\n{}", project_line(&other))).unwrap();
        assert!(check_outside(&env, KEY).is_err(), "another project's env");
        std::fs::write(env.join(venv::OWNER_MARK), format!("made by autovenv\n{}", project_line(KEY))).unwrap();
        check_outside(&env, KEY).unwrap();
    }
}

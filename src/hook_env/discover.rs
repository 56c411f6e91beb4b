//! Discover: which project, if any, does a directory belong to.
//! Runs on every `export`, so it only stats paths: no git library, no reads.

use std::path::{Path, PathBuf};

/// Files whose presence makes a directory a Python project.
pub(crate) const MARKERS: &[&str] =
    &[".autovenv.toml", "requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", ".python-version", "Pipfile"];

/// Env folders that make a directory a project when they hold a `pyvenv.cfg`,
/// in the order they are adopted.
pub(crate) const ENV_DIRS: &[&str] = &["env", ".venv", "venv"];

/// The nearest directory at or above `dir` that is a project root.
///
/// The walk stops at a git work tree's root (a `.git` dir or file: worktrees
/// and submodules count), so a project never spans two repositories, and it
/// never makes `$HOME` or `/` a project: a stray `requirements.txt` there
/// would otherwise activate an env in every directory below.
pub(crate) fn root(dir: &Path, home: Option<&Path>) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        let never = d.parent().is_none() || Some(d) == home;
        if !never && is_root(d) {
            return Some(d.to_path_buf());
        }
        if d.join(".git").symlink_metadata().is_ok() {
            return None;
        }
        cur = d.parent();
    }
    None
}

fn is_root(d: &Path) -> bool {
    MARKERS.iter().any(|m| d.join(m).exists()) || ENV_DIRS.iter().any(|e| d.join(e).join("pyvenv.cfg").exists())
}

/// The env folder of a project: the configured one, else an existing
/// `env/`, else an existing `.venv/` or `venv/` venv (adopted rather than
/// making a second env), else `env/` to be created.
pub(crate) fn env_dir(root: &Path, configured: Option<&str>) -> PathBuf {
    if let Some(name) = configured {
        return root.join(name);
    }
    let default = root.join(ENV_DIRS[0]);
    if default.symlink_metadata().is_ok() {
        return default;
    }
    ENV_DIRS[1..].iter().map(|e| root.join(e)).find(|p| p.join("pyvenv.cfg").exists()).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn touch(p: &Path) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, "").unwrap();
    }

    #[test]
    fn nearest_marker_wins() {
        let t = tempfile::tempdir().unwrap();
        let top = t.path().join("mono");
        touch(&top.join("pyproject.toml"));
        touch(&top.join("svc/a/requirements.txt"));
        fs::create_dir_all(top.join("svc/a/src/pkg")).unwrap();
        fs::create_dir_all(top.join("svc/b")).unwrap();
        assert_eq!(root(&top.join("svc/a/src/pkg"), None), Some(top.join("svc/a")));
        assert_eq!(root(&top.join("svc/b"), None), Some(top.clone()));
        assert_eq!(root(&top, None), Some(top.clone()));
    }

    #[test]
    fn every_marker_counts() {
        for m in MARKERS {
            let t = tempfile::tempdir().unwrap();
            touch(&t.path().join("p").join(m));
            assert_eq!(root(&t.path().join("p"), None), Some(t.path().join("p")), "{m}");
        }
        for e in ENV_DIRS {
            let t = tempfile::tempdir().unwrap();
            touch(&t.path().join("p").join(e).join("pyvenv.cfg"));
            assert_eq!(root(&t.path().join("p"), None), Some(t.path().join("p")), "{e}");
            // A folder of that name that is not a venv is not a marker.
            let u = tempfile::tempdir().unwrap();
            fs::create_dir_all(u.path().join("p").join(e)).unwrap();
            assert_eq!(root(&u.path().join("p"), None), None, "{e} without pyvenv.cfg");
        }
    }

    #[test]
    fn git_root_bounds_the_walk() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join("requirements.txt"));
        fs::create_dir_all(t.path().join("repo/.git")).unwrap();
        fs::create_dir_all(t.path().join("repo/sub")).unwrap();
        assert_eq!(root(&t.path().join("repo/sub"), None), None);
        // The work tree root itself can be the project.
        touch(&t.path().join("repo/setup.py"));
        assert_eq!(root(&t.path().join("repo/sub"), None), Some(t.path().join("repo")));
    }

    #[test]
    fn worktree_git_file_is_a_bound() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join("requirements.txt"));
        fs::create_dir_all(t.path().join("wt/sub")).unwrap();
        fs::write(t.path().join("wt/.git"), "gitdir: /elsewhere\n").unwrap();
        assert_eq!(root(&t.path().join("wt/sub"), None), None);
    }

    #[test]
    fn home_and_root_are_never_projects() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        touch(&home.join("requirements.txt"));
        fs::create_dir_all(home.join("Downloads")).unwrap();
        assert_eq!(root(&home.join("Downloads"), Some(&home)), None);
        assert_eq!(root(&home, Some(&home)), None);
        // A project inside home still works.
        touch(&home.join("code/app/pyproject.toml"));
        assert_eq!(root(&home.join("code/app"), Some(&home)), Some(home.join("code/app")));
        assert!(!is_never_checked_root());
    }

    // `/` is excluded by construction (no parent); make sure a walk ending
    // there returns None on this machine whatever `/` holds.
    fn is_never_checked_root() -> bool {
        root(Path::new("/"), None).is_some()
    }

    #[test]
    fn env_dir_adoption() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        assert_eq!(env_dir(r, None), r.join("env"));
        touch(&r.join("venv/pyvenv.cfg"));
        assert_eq!(env_dir(r, None), r.join("venv"));
        touch(&r.join(".venv/pyvenv.cfg"));
        assert_eq!(env_dir(r, None), r.join(".venv"));
        fs::create_dir_all(r.join("env")).unwrap();
        assert_eq!(env_dir(r, None), r.join("env"));
        assert_eq!(env_dir(r, Some("custom")), r.join("custom"));
    }
}

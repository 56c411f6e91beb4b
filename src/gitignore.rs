//! Keep the env out of git: append `/env` to the `.gitignore` beside the
//! project root, unless git already ignores the folder by any rule.
//! Slow path only (gix opens the repository); never runs on an idle prompt.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The work tree `root` is in, if any: the nearest folder with a `.git`.
pub fn work_tree(root: &Path) -> Option<PathBuf> {
    root.ancestors().find(|d| d.join(".git").symlink_metadata().is_ok()).map(Path::to_path_buf)
}

/// Returns the `.gitignore` written, if one was.
pub fn ensure_ignored(root: &Path, env: &Path) -> Result<Option<PathBuf>> {
    let Some(tree) = work_tree(root) else {
        return Ok(None);
    };
    let Ok(rel) = env.strip_prefix(&tree) else {
        return Ok(None);
    };
    if is_ignored(&tree, rel)? {
        return Ok(None);
    }
    let Some(name) = env.strip_prefix(root).ok().and_then(|n| n.to_str()) else {
        return Ok(None);
    };
    let file = root.join(".gitignore");
    append_line(&file, &format!("/{name}"))?;
    Ok(Some(file))
}

/// Does any of git's exclude sources (`.gitignore` files on the way,
/// `info/exclude`, `core.excludesFile` or the global ignore file) match
/// the folder `rel` (relative to the work tree)?
fn is_ignored(tree: &Path, rel: &Path) -> Result<bool> {
    let fail = |e: &dyn std::fmt::Display| Error::new(format!("cannot read git repository {}: {e}", tree.display()));
    let repo = gix::open(tree).map_err(|e| fail(&e))?;
    let index = repo.index_or_empty().map_err(|e| fail(&e))?;
    let mut excludes = repo
        .excludes(&index, None, gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped)
        .map_err(|e| fail(&e))?;
    let platform = excludes.at_path(rel, Some(gix::index::entry::Mode::DIR)).map_err(|e| fail(&e))?;
    Ok(platform.is_excluded())
}

/// Append `line`, keeping every existing byte and adding the missing final
/// newline first, so the previous last line stays a line of its own.
fn append_line(file: &Path, line: &str) -> Result<()> {
    let mut content = match fs::read(file) {
        Ok(c) => c,
        Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(format!("cannot read {}", file.display()), e)),
    };
    if content.split(|&b| b == b'\n').any(|l| l.strip_suffix(b"\r").unwrap_or(l) == line.as_bytes()) {
        return Ok(());
    }
    if !content.is_empty() && !content.ends_with(b"\n") {
        content.push(b'\n');
    }
    content.extend_from_slice(line.as_bytes());
    content.push(b'\n');
    // Not write_atomic: a rename would drop the file's mode and owner.
    fs::write(file, content).map_err(|e| Error::io(format!("cannot write {}", file.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git_repo() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let ok = Command::new("git")
            .args(["init", "-q"])
            .arg(t.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .status()
            .unwrap()
            .success();
        assert!(ok);
        t
    }

    #[test]
    fn appends_once_and_keeps_content() {
        let t = git_repo();
        let root = t.path();
        fs::write(root.join(".gitignore"), "*.pyc").unwrap();
        let env = root.join("env");
        assert_eq!(ensure_ignored(root, &env).unwrap(), Some(root.join(".gitignore")));
        assert_eq!(fs::read_to_string(root.join(".gitignore")).unwrap(), "*.pyc\n/env\n");
        assert_eq!(ensure_ignored(root, &env).unwrap(), None);
        assert_eq!(fs::read_to_string(root.join(".gitignore")).unwrap(), "*.pyc\n/env\n");
    }

    #[test]
    fn any_existing_rule_counts() {
        for rule in ["env/", "/env", "env", "env*", "**/env/"] {
            let t = git_repo();
            fs::write(t.path().join(".gitignore"), format!("{rule}\n")).unwrap();
            assert_eq!(ensure_ignored(t.path(), &t.path().join("env")).unwrap(), None, "{rule}");
        }
        // info/exclude counts too.
        let t = git_repo();
        fs::write(t.path().join(".git/info/exclude"), "env/\n").unwrap();
        assert_eq!(ensure_ignored(t.path(), &t.path().join("env")).unwrap(), None);
        assert!(!t.path().join(".gitignore").exists());
    }

    #[test]
    fn nested_project_gets_its_own_gitignore() {
        let t = git_repo();
        let sub = t.path().join("svc/api");
        fs::create_dir_all(&sub).unwrap();
        assert_eq!(ensure_ignored(&sub, &sub.join(".venv")).unwrap(), Some(sub.join(".gitignore")));
        assert_eq!(fs::read_to_string(sub.join(".gitignore")).unwrap(), "/.venv\n");
        assert!(!t.path().join(".gitignore").exists());
    }

    #[test]
    fn outside_git_nothing_is_written() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(ensure_ignored(t.path(), &t.path().join("env")).unwrap(), None);
        assert!(!t.path().join(".gitignore").exists());
    }
}

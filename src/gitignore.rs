//! Keep the env out of git without ever leaving a tracked file modified
//! (that would make `git checkout`, `pull` and `rebase` refuse to run).
//! The project's own `.gitignore` gets `/env` only when it is the user's
//! file to commit (none yet, or one git does not track); otherwise the env
//! ignores itself with a `.gitignore` of `*` inside it, as uv and
//! virtualenv do. Slow path only (gix opens the repository); never runs on
//! an idle prompt.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil;

/// The work tree `root` is in, if any: the nearest folder with a `.git`.
pub(crate) fn work_tree(root: &Path) -> Option<PathBuf> {
    root.ancestors().find(|d| d.join(".git").symlink_metadata().is_ok()).map(Path::to_path_buf)
}

/// What `ensure_ignored` did, for the one line that says so.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Done {
    /// Outside git, or git already ignores the env.
    Nothing,
    /// `/env` appended to this `.gitignore` (the user's own, untracked).
    Appended(PathBuf),
    /// `*` written to this `.gitignore` inside the env, because the
    /// project's `.gitignore` is tracked (or not a regular file).
    InsideEnv(PathBuf),
}

/// Make sure git ignores `env`; safe to call whenever the env is checked:
/// a second call finds it done and writes nothing. `warn` gets the reason a
/// project `.gitignore` was left alone (not a regular file), when the env
/// was just made (`fresh`) or something had to be written: said once.
pub(crate) fn ensure_ignored(root: &Path, env: &Path, fresh: bool, warn: &mut dyn FnMut(Error)) -> Result<Done> {
    let Some(tree) = work_tree(root) else {
        return Ok(Done::Nothing);
    };
    let Ok(rel) = env.strip_prefix(&tree) else {
        return Ok(Done::Nothing);
    };
    let file = root.join(".gitignore");
    // Not a regular file: not read at all (git's own reader would block on
    // a FIFO and read /dev/zero forever), and never written.
    let odd = file.symlink_metadata().ok().filter(|m| !m.is_file());
    let repo = open(&tree)?;
    if odd.is_none() {
        if is_ignored(&repo, &tree, rel)? {
            return Ok(Done::Nothing);
        }
        let own = !file.exists() || !is_tracked(&repo, &tree, &file)?;
        if let Some(name) = env.strip_prefix(root).ok().and_then(|n| n.to_str()).filter(|_| own) {
            append_line(&file, &format!("/{name}"))?;
            return Ok(Done::Appended(file));
        }
    }
    let inside = env.join(".gitignore");
    let done = ignores_all(&inside);
    if odd.is_some() && (fresh || !done) {
        warn(
            Error::new(format!("{} is not a regular file; autovenv leaves it alone", file.display()))
                .with_hint("git ignores a .gitignore that is a symlink; make it a plain file"),
        );
    }
    if done {
        return Ok(Done::Nothing);
    }
    match fsutil::open_nofollow(&inside, false) {
        Ok(mut f) => {
            f.write_all(b"# created by autovenv: keeps this env out of git\n*\n")
                .map_err(|e| Error::io(format!("cannot write {}", inside.display()), e))?;
            Ok(Done::InsideEnv(inside))
        }
        // The env holds a `.gitignore` of its own that does not ignore it
        // all (it may be tracked): the repository's own exclude file then.
        Err(_) => {
            // A linked worktree's common dir reads `.git/worktrees/x/../..`.
            let common = repo.common_dir().canonicalize().unwrap_or_else(|_| repo.common_dir().to_path_buf());
            let exclude = common.join("info").join("exclude");
            let line = format!("/{}/", rel.display());
            std::fs::create_dir_all(common.join("info"))
                .map_err(|e| Error::io(format!("cannot write {}", exclude.display()), e))?;
            append_line(&exclude, &line)?;
            Ok(Done::InsideEnv(exclude))
        }
    }
}

/// A regular `.gitignore` with a `*` line (uv's, virtualenv's, ours):
/// git then shows nothing of the folder. One stat and a tiny read.
fn ignores_all(file: &Path) -> bool {
    file.symlink_metadata().is_ok_and(|m| m.is_file())
        && fsutil::read_regular(file)
            .ok()
            .flatten()
            .is_some_and(|b| b.split(|&c| c == b'\n').any(|l| l.strip_suffix(b"\r").unwrap_or(l) == b"*"))
}

fn fail(tree: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::new(format!("cannot read git repository {}: {e}", tree.display()))
}

fn open(tree: &Path) -> Result<gix::Repository> {
    gix::open(tree).map_err(|e| fail(tree, &e))
}

/// Does any of git's exclude sources (`.gitignore` files on the way,
/// `info/exclude`, `core.excludesFile` or the global ignore file) match
/// the folder `rel` (relative to the work tree)?
fn is_ignored(repo: &gix::Repository, tree: &Path, rel: &Path) -> Result<bool> {
    let index = repo.index_or_empty().map_err(|e| fail(tree, &e))?;
    let mut excludes = repo
        .excludes(&index, None, gix::worktree::stack::state::ignore::Source::WorktreeThenIdMappingIfNotSkipped)
        .map_err(|e| fail(tree, &e))?;
    let platform = excludes.at_path(rel, Some(gix::index::entry::Mode::DIR)).map_err(|e| fail(tree, &e))?;
    Ok(platform.is_excluded())
}

/// Is `file` in git's index (committed or staged)? Then it is not ours to edit.
fn is_tracked(repo: &gix::Repository, tree: &Path, file: &Path) -> Result<bool> {
    let Some(rel) = file.strip_prefix(tree).ok().and_then(|r| r.to_str()) else {
        return Ok(true);
    };
    let index = repo.index_or_empty().map_err(|e| fail(tree, &e))?;
    Ok(index.entry_by_path(rel.into()).is_some())
}

/// Append `line`, keeping every existing byte and adding the missing final
/// newline first, so the previous last line stays a line of its own.
/// Opened without following a symlink and only as a regular file.
fn append_line(file: &Path, line: &str) -> Result<()> {
    let mut f = fsutil::open_nofollow(file, true)?;
    let content = fsutil::read_open(file, &f)?;
    if content.split(|&b| b == b'\n').any(|l| l.strip_suffix(b"\r").unwrap_or(l) == line.as_bytes()) {
        return Ok(());
    }
    let mut add = Vec::new();
    if !content.is_empty() && !content.ends_with(b"\n") {
        add.push(b'\n');
    }
    add.extend_from_slice(line.as_bytes());
    add.push(b'\n');
    f.write_all(&add).map_err(|e| Error::io(format!("cannot write {}", file.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
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

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    fn ensure(root: &Path, env: &Path) -> Done {
        fs::create_dir_all(env).unwrap();
        ensure_ignored(root, env, false, &mut |e| panic!("unexpected warning: {}", e.message)).unwrap()
    }

    #[test]
    fn tracked_gitignore_is_never_modified() {
        let t = git_repo();
        let root = t.path();
        fs::write(root.join(".gitignore"), "*.pyc\n").unwrap();
        git(root, &["add", ".gitignore"]);
        let env = root.join("env");
        assert_eq!(ensure(root, &env), Done::InsideEnv(env.join(".gitignore")));
        assert_eq!(fs::read_to_string(root.join(".gitignore")).unwrap(), "*.pyc\n");
        assert_eq!(ensure(root, &env), Done::Nothing, "checked again: already done");
        // A `.gitignore` the env brings that does not ignore it: info/exclude.
        let t = git_repo();
        let root = t.path();
        fs::write(root.join(".gitignore"), "").unwrap();
        git(root, &["add", ".gitignore"]);
        fs::create_dir_all(root.join("env")).unwrap();
        fs::write(root.join("env/.gitignore"), "*.log\n").unwrap();
        assert_eq!(ensure(root, &root.join("env")), Done::InsideEnv(root.join(".git/info/exclude")));
        assert!(fs::read_to_string(root.join(".git/info/exclude")).unwrap().ends_with("\n/env/\n"));
        assert_eq!(ensure(root, &root.join("env")), Done::Nothing);
    }

    /// A linked worktree (and a submodule) has a `.git` file, not a folder;
    /// its exclude file is the main repository's.
    #[test]
    fn worktrees_are_handled_too() {
        let t = git_repo();
        let main = t.path().join("main");
        fs::create_dir(&main).unwrap();
        git(&main, &["init", "-q"]);
        fs::write(main.join(".gitignore"), "*.pyc\n").unwrap();
        git(&main, &["add", ".gitignore"]);
        git(&main, &["commit", "-qm", "one"]);
        let wt = t.path().join("wt");
        git(&main, &["worktree", "add", "-q", wt.to_str().unwrap()]);
        assert!(wt.join(".git").is_file());
        assert_eq!(ensure(&wt, &wt.join("env")), Done::InsideEnv(wt.join("env/.gitignore")));
        assert_eq!(fs::read_to_string(wt.join(".gitignore")).unwrap(), "*.pyc\n");
        fs::write(wt.join("env/.gitignore"), "*.log\n").unwrap();
        let exclude = main.join(".git/info/exclude");
        assert_eq!(ensure(&wt, &wt.join("env")), Done::InsideEnv(exclude.clone()));
        assert!(fs::read_to_string(&exclude).unwrap().ends_with("\n/env/\n"));
        assert_eq!(ensure(&wt, &wt.join("env")), Done::Nothing, "git reads the main repository's exclude file");
    }

    #[test]
    fn odd_gitignore_is_left_alone_with_a_warning() {
        for kind in ["symlink", "fifo"] {
            let t = git_repo();
            let root = t.path();
            let target = root.join("target");
            fs::write(&target, "keep\n").unwrap();
            if kind == "symlink" {
                std::os::unix::fs::symlink(&target, root.join(".gitignore")).unwrap();
            } else {
                assert!(Command::new("mkfifo").arg(root.join(".gitignore")).status().unwrap().success());
            }
            let env = root.join("env");
            fs::create_dir_all(&env).unwrap();
            let mut warned = Vec::new();
            let done = ensure_ignored(root, &env, true, &mut |e| warned.push(e.message)).unwrap();
            assert_eq!(done, Done::InsideEnv(env.join(".gitignore")), "{kind}");
            assert_eq!(warned.len(), 1, "{kind}: {warned:?}");
            assert!(warned[0].ends_with(".gitignore is not a regular file; autovenv leaves it alone"));
            assert_eq!(fs::read_to_string(&target).unwrap(), "keep\n");
        }
    }

    #[test]
    fn appends_once_and_keeps_content() {
        let t = git_repo();
        let root = t.path();
        fs::write(root.join(".gitignore"), "*.pyc").unwrap();
        let env = root.join("env");
        assert_eq!(ensure(root, &env), Done::Appended(root.join(".gitignore")));
        assert_eq!(fs::read_to_string(root.join(".gitignore")).unwrap(), "*.pyc\n/env\n");
        assert_eq!(ensure(root, &env), Done::Nothing);
        assert_eq!(fs::read_to_string(root.join(".gitignore")).unwrap(), "*.pyc\n/env\n");
    }

    #[test]
    fn any_existing_rule_counts() {
        for rule in ["env/", "/env", "env", "env*", "**/env/"] {
            let t = git_repo();
            fs::write(t.path().join(".gitignore"), format!("{rule}\n")).unwrap();
            assert_eq!(ensure(t.path(), &t.path().join("env")), Done::Nothing, "{rule}");
        }
        // info/exclude counts too.
        let t = git_repo();
        fs::write(t.path().join(".git/info/exclude"), "env/\n").unwrap();
        assert_eq!(ensure(t.path(), &t.path().join("env")), Done::Nothing);
        assert!(!t.path().join(".gitignore").exists());
    }

    #[test]
    fn nested_project_gets_its_own_gitignore() {
        let t = git_repo();
        let sub = t.path().join("svc/api");
        fs::create_dir_all(&sub).unwrap();
        assert_eq!(ensure(&sub, &sub.join(".venv")), Done::Appended(sub.join(".gitignore")));
        assert_eq!(fs::read_to_string(sub.join(".gitignore")).unwrap(), "/.venv\n");
        assert!(!t.path().join(".gitignore").exists());
    }

    #[test]
    fn outside_git_nothing_is_written() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(ensure(t.path(), &t.path().join("env")), Done::Nothing);
        assert!(!t.path().join(".gitignore").exists());
    }
}

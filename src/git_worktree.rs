//! Which repository a linked git worktree belongs to, for
//! `trust.worktrees`: read from the files `git worktree add` writes, with
//! no git process and no git library (this runs on the per-prompt path,
//! when a project has no trust record of its own).
//!
//! A worktree's `.git` is a file, `gitdir: <common>/worktrees/<name>`; that
//! folder's `commondir` names the common git folder and its `gitdir` names
//! the worktree's `.git` file back. Anyone can write a `.git` file naming
//! an allowed repository's folders, so the link counts only when it goes
//! both ways (the repository lists this very worktree), every file and
//! folder on the way is the user's own and writable by nobody else, and the
//! common folder is the `.git` of a work tree (its main worktree, whose
//! trust is then checked as usual).

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::trust::me;

/// Far above any real `.git`, `commondir` or `gitdir` file.
const CAP: u64 = 16 << 10;

/// The folder in the main worktree that corresponds to `canonical_root`
/// (a project root in a linked worktree), when the repository really has
/// that worktree; `None` otherwise, or for anything out of the ordinary.
pub(crate) fn main_root(canonical_root: &Path) -> Option<PathBuf> {
    let tree = canonical_root.ancestors().find(|d| d.join(".git").symlink_metadata().is_ok())?;
    let dot_git = tree.join(".git");
    // Both the worktree and the project folder in it must be ours.
    mine(tree, true)?;
    mine(canonical_root, true)?;
    let admin = canonical_dir(&link(&dot_git, tree, Some("gitdir: "))?)?;
    let common = canonical_dir(&link(&admin.join("commondir"), &admin, None)?)?;
    // The admin folder is one of the repository's worktree entries.
    let listed = canonical_dir(&common.join("worktrees"))?;
    if admin.parent()? != listed {
        return None;
    }
    // And it names this worktree's `.git` file back.
    let back = link(&admin.join("gitdir"), &admin, None)?;
    if std::fs::canonicalize(&back).ok()? != dot_git {
        return None;
    }
    // A bare repository has no main worktree whose trust could extend.
    if common.file_name()? != ".git" {
        return None;
    }
    let main = common.parent()?;
    mine(main, true)?;
    let rel = canonical_root.strip_prefix(tree).ok()?;
    // Joining "" would add a trailing '/': another trust key.
    let main_root = if rel.as_os_str().is_empty() { main.to_path_buf() } else { main.join(rel) };
    let canonical = std::fs::canonicalize(&main_root).ok()?;
    (canonical.as_os_str() == main_root.as_os_str() && main_root != canonical_root).then_some(canonical)
}

/// Ours and writable by nobody else: `Some(())`, else `None`.
fn mine(p: &Path, dir: bool) -> Option<()> {
    let m = p.symlink_metadata().ok()?;
    let kind_ok = if dir { m.is_dir() } else { m.is_file() };
    (kind_ok && m.uid() == me() && m.permissions().mode() & 0o022 == 0).then_some(())
}

fn canonical_dir(p: &Path) -> Option<PathBuf> {
    let c = std::fs::canonicalize(p).ok()?;
    mine(&c, true)?;
    Some(c)
}

/// The path a one-line git file holds (after `prefix`), relative to
/// `base` when not absolute. The file must be a regular file of ours,
/// not a symlink, and small.
fn link(file: &Path, base: &Path, prefix: Option<&str>) -> Option<PathBuf> {
    mine(file, false)?;
    let m = file.symlink_metadata().ok()?;
    if m.len() > CAP {
        return None;
    }
    let bytes = crate::fsutil::read_regular(file).ok()??;
    let text = std::str::from_utf8(&bytes).ok()?;
    let line = text.lines().next()?.trim_end();
    let value = match prefix {
        Some(p) => line.strip_prefix(p)?,
        None => line,
    };
    if value.is_empty() {
        return None;
    }
    let path = Path::new(value);
    Some(if path.is_absolute() { path.to_path_buf() } else { base.join(path) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// What `git worktree add ../wt` leaves on disk, written by hand.
    fn layout(t: &Path) -> (PathBuf, PathBuf) {
        let main = t.join("main");
        let wt = t.join("wt");
        let admin = main.join(".git/worktrees/wt");
        fs::create_dir_all(&admin).unwrap();
        fs::create_dir_all(&wt).unwrap();
        fs::write(wt.join(".git"), format!("gitdir: {}\n", admin.display())).unwrap();
        fs::write(admin.join("commondir"), "../..\n").unwrap();
        fs::write(admin.join("gitdir"), format!("{}\n", wt.join(".git").display())).unwrap();
        (main, wt)
    }

    #[test]
    fn a_worktree_leads_to_its_main_worktree() {
        let t = tempfile::tempdir().unwrap();
        let t = fs::canonicalize(t.path()).unwrap();
        let (main, wt) = layout(&t);
        // Byte for byte: the trust key is a hash of the path's bytes.
        assert_eq!(main_root(&wt).unwrap().as_os_str(), main.as_os_str());
        fs::create_dir_all(wt.join("svc/a")).unwrap();
        fs::create_dir_all(main.join("svc/a")).unwrap();
        assert_eq!(main_root(&wt.join("svc/a")), Some(main.join("svc/a")));
        // The main worktree itself is not a linked one.
        assert_eq!(main_root(&main), None);
    }

    #[test]
    fn a_forged_git_file_leads_nowhere() {
        let t = tempfile::tempdir().unwrap();
        let t = fs::canonicalize(t.path()).unwrap();
        let (main, _wt) = layout(&t);
        let forged = t.join("forged");
        fs::create_dir(&forged).unwrap();
        // Pointing at the real worktree's entry: it names another `.git`.
        fs::write(forged.join(".git"), format!("gitdir: {}\n", main.join(".git/worktrees/wt").display())).unwrap();
        assert_eq!(main_root(&forged), None);
        // Pointing at the common folder itself: no `commondir` leads back.
        fs::write(forged.join(".git"), format!("gitdir: {}\n", main.join(".git").display())).unwrap();
        assert_eq!(main_root(&forged), None);
        // An entry made outside `worktrees/` that names this folder back.
        let fake = t.join("fake");
        fs::create_dir(&fake).unwrap();
        fs::write(fake.join("commondir"), format!("{}\n", main.join(".git").display())).unwrap();
        fs::write(fake.join("gitdir"), format!("{}\n", forged.join(".git").display())).unwrap();
        fs::write(forged.join(".git"), format!("gitdir: {}\n", fake.display())).unwrap();
        assert_eq!(main_root(&forged), None);
    }

    #[test]
    fn files_others_can_write_are_not_followed() {
        let t = tempfile::tempdir().unwrap();
        let t = fs::canonicalize(t.path()).unwrap();
        let (main, wt) = layout(&t);
        let admin = main.join(".git/worktrees/wt");
        fs::set_permissions(admin.join("gitdir"), fs::Permissions::from_mode(0o666)).unwrap();
        assert_eq!(main_root(&wt), None);
        fs::set_permissions(admin.join("gitdir"), fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(&admin, fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(main_root(&wt), None);
        fs::set_permissions(&admin, fs::Permissions::from_mode(0o755)).unwrap();
        // A `.git` that is a symlink to a real worktree's file.
        fs::rename(wt.join(".git"), t.join("dotgit")).unwrap();
        std::os::unix::fs::symlink(t.join("dotgit"), wt.join(".git")).unwrap();
        assert_eq!(main_root(&wt), None);
    }
}

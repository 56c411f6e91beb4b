//! The per-prompt pipeline behind `autovenv export`, one module per step:
//! [`discover`] the project root from the working directory (stats only),
//! [`resolve`] it to its canonical path, trust and settings, [`ensure`] a
//! trusted project's env exists and is synced, [`decide`] the variable
//! changes from what the shell has and what it should have, then the caller
//! renders them with [`crate::shell`]. Ensuring comes before deciding
//! because the decision needs to know whether the env is there to activate.
//! Whatever fails, the result is still a valid list of changes (at worst
//! only the bookkeeping); errors go to stderr.

pub(crate) mod decide;
pub(crate) mod discover;
pub(crate) mod ensure;
pub(crate) mod resolve;

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use self::decide::{Current, Target};
use crate::config;
use crate::context::Context;
use crate::env_vars::{self, LOCAL_PWD, LOCAL_STAMP, LOCAL_VENV, LOCAL_WATCH_REST, LOCAL_WATCH_SLOTS};
use crate::msg;
use crate::shell::Change;
use crate::stamp;

/// Compute the changes for the shell, acting on the project as needed.
/// `given_stamp` is the stamp the hook passed in `STAMP_ENV`.
pub(crate) fn changes(ctx: &Context, given_stamp: Option<&std::ffi::OsStr>) -> Vec<Change> {
    let registry = stamp::registry(&ctx.dirs);
    let (stamp, notes) = match stamp::touch_and_read(ctx.dirs.stamps.as_deref(), given_stamp, registry.as_deref()) {
        Some((s, n)) => (Some(s), n),
        None => (None, stamp::Notes::default()),
    };
    let mut cur = resolve::current(ctx, notes.env.as_deref());
    // The hook starts by asking for a stamp; every run gives it one.
    cur.fresh = given_stamp.is_none_or(|s| s.is_empty() || s == stamp::NEW);
    let pwd = working_dir(ctx);
    let mut watch = Watched::default();
    let interrupted = notes.interrupted;
    let mut here = None;
    let target = if let Some(pwd) = pwd.as_deref() {
        watch.add(pwd);
        here = discover::root(pwd, ctx.home());
        match &here {
            Some(root) => target_for(ctx, &cur, root, &mut watch, stamp.as_deref(), interrupted.as_deref()),
            None => Target::None,
        }
    } else {
        watch.add_gone(ctx.var(env_vars::PWD).as_deref());
        Target::None
    };
    // Out of the project whose creation was interrupted: entering it again
    // will retry.
    if let (Some(s), Some(r)) = (stamp.as_deref(), interrupted.as_deref()) {
        if here.as_deref() != Some(r) {
            stamp::set_interrupted(s, None);
        }
    }
    let plan = decide::decide(&cur, &target);
    if let Some(root) = &plan.hint {
        let root = crate::fsutil::tilde(root, ctx.home());
        if ctx.dirs.trust_dir().is_none() {
            // `autovenv allow` cannot work without a trust folder: say so
            // rather than suggest a command that fails.
            msg::info(&format!(
                "{root} is not allowed: HOME is not set, so there are no trust records; set HOME or XDG_DATA_HOME"
            ));
        } else {
            msg::info(&format!("{root} is not allowed; run `autovenv allow` to create and activate its env"));
        }
    }

    let mut out = plan.changes;
    if let Some(d) = plan.deactivate {
        out.push(deactivate_fn(ctx, d));
    }
    if let Some(s) = stamp.as_deref() {
        record_env(s, &cur, &out, notes.env.as_deref());
    }
    let venv_after = out
        .iter()
        .rev()
        .find_map(|c| match c {
            Change::SetEnv(env_vars::VIRTUAL_ENV, v) => Some(Some(v.clone())),
            Change::UnsetEnv(env_vars::VIRTUAL_ENV) => Some(None),
            _ => None,
        })
        .unwrap_or_else(|| cur.get(env_vars::VIRTUAL_ENV).map(std::borrow::ToOwned::to_owned));
    out.push(Change::SetLocal(LOCAL_PWD, ctx.var(env_vars::PWD).unwrap_or_default()));
    out.push(Change::SetLocal(LOCAL_VENV, venv_after.unwrap_or_default()));
    out.push(Change::SetLocal(LOCAL_STAMP, stamp.map(PathBuf::into_os_string).unwrap_or_default()));
    watch.render_into(&mut out);
    out
}

/// The `deactivate` function's change; its body names this program for
/// shells without the hook (`autovenv activate` as a one-shot).
pub(crate) fn deactivate_fn(ctx: &Context, d: decide::DeactivateFn) -> Change {
    match d {
        decide::DeactivateFn::Define => {
            let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("autovenv"));
            Change::DefineDeactivate(crate::shell::hook::program(ctx, &exe).into_os_string())
        }
        decide::DeactivateFn::Drop => Change::DropDeactivate,
    }
}

/// Keep the env this shell now has active in its stamp: leaving removes
/// its PATH entry even once the env folder is gone (see `resolve::current`).
fn record_env(stamp: &Path, cur: &Current, changes: &[Change], recorded: Option<&Path>) {
    let after = changes
        .iter()
        .rev()
        .find_map(|c| match c {
            Change::SetEnv(env_vars::AUTOVENV_ENV, v) => Some(Some(Path::new(v))),
            Change::UnsetEnv(env_vars::AUTOVENV_ENV) => Some(None),
            _ => None,
        })
        .unwrap_or_else(|| cur.get(env_vars::AUTOVENV_ENV).map(Path::new).filter(|_| !cur.env_unverified));
    if after != recorded {
        let mut n = stamp::notes(stamp);
        n.env = after.map(Path::to_path_buf);
        stamp::set_notes(stamp, &n);
    }
}

/// `$PWD` when it names the current directory (it keeps the path the
/// person typed, symlinks and all), else the kernel's answer.
pub(crate) fn working_dir(ctx: &Context) -> Option<PathBuf> {
    let here = std::fs::metadata(".").ok()?;
    if let Some(pwd) = ctx.var(env_vars::PWD).map(PathBuf::from).filter(|p| p.is_absolute()) {
        if std::fs::metadata(&pwd).is_ok_and(|m| m.dev() == here.dev() && m.ino() == here.ino()) {
            return Some(pwd);
        }
    }
    std::env::current_dir().ok()
}

fn target_for(
    ctx: &Context,
    cur: &Current,
    root: &Path,
    watch: &mut Watched,
    stamp: Option<&Path>,
    interrupted: Option<&Path>,
) -> Target {
    watch.add(root);
    // Trust changes are not watched here: `allow` and `deny` expire every
    // shell's stamp instead (stamp::expire_all).
    // Only an existing global config is watched: watching where it would
    // appear (often $HOME itself, whose mtime moves all day) would cost a
    // run on many idle prompts. A new global config is seen at the next cd.
    if let Some(file) = ctx.dirs.config_file().filter(|f| f.exists()) {
        watch.add(&file);
    }
    let project = match resolve::project(ctx, root) {
        Ok(p) => p,
        Err(e) => {
            msg::error(&e);
            return Target::None;
        }
    };
    if !project.trust.is_trusted() {
        return Target::Untrusted { root: root.to_path_buf() };
    }
    // `root` is the path as reached (maybe through a symlink); everything
    // below watches and activates the canonical root whose trust was checked.
    let typed = root;
    let root = project.root.clone();
    if root.as_path() != typed {
        watch.add(&root);
        watch_links(typed, watch);
    }
    for f in config::project_config_files(&root) {
        watch.add(&f);
    }
    for f in crate::python::input_files(&root) {
        watch.add(&f);
    }
    let t = match resolve::trusted(ctx, project) {
        Ok(t) => t,
        Err(e) => {
            msg::error(&e);
            return Target::None;
        }
    };
    let target = Target::Active { root: root.clone(), env: t.env.clone(), prompt: t.prompt() };
    // Someone else's venv is active, or `deactivate` paused this project in
    // this shell: leave it alone, make nothing.
    if cur.foreign_env().is_some() || cur.get(env_vars::AUTOVENV_PAUSED) == Some(root.as_os_str()) {
        return target;
    }
    // Ctrl-C stopped this shell's creation of this env. Starting it again
    // at every prompt would make Ctrl-C useless (bash runs the hook again
    // right after an interrupt): wait until the person enters again (or
    // runs `autovenv sync`).
    if interrupted == Some(typed) {
        if crate::venv::inspect(&t.env) != crate::venv::EnvState::Ready {
            return Target::None;
        }
        if let Some(s) = stamp {
            stamp::set_interrupted(s, None);
        }
    }
    // Entering (not yet active here) also retries an install that Ctrl-C
    // stopped; the prompts after that Ctrl-C do not.
    let entering = cur.get(env_vars::AUTOVENV_ROOT) != Some(root.as_os_str());
    let report = ensure::env(ctx, &t, if entering { ensure::SyncWhen::Entering } else { ensure::SyncWhen::Changed });
    if let Some(e) = &report.error {
        msg::error(e);
    }
    if !report.usable && crate::signals::was_interrupted() {
        if let Some(s) = stamp {
            stamp::set_interrupted(s, Some(typed));
        }
    }
    if let Some(state) = &report.state {
        for s in state.hook_watch() {
            watch.add(&root.join(&s.path));
            // `-nt` follows a symlink: repointing one shows only in its
            // folder's mtime.
            if let Some(dir) = s.link.as_ref().and_then(|_| root.join(&s.path).parent().map(Path::to_path_buf)) {
                watch.add(&dir);
            }
        }
    }
    for p in &report.watch {
        watch.add(p);
    }
    if report.usable {
        target
    } else {
        Target::None
    }
}

/// The folders holding each symlink on the way to `typed`: pointing a link
/// elsewhere (`ln -sfn`) replaces an entry in its folder, which moves that
/// folder's mtime, so the next prompt looks again instead of staying idle
/// on a path that now leads somewhere else.
fn watch_links(typed: &Path, watch: &mut Watched) {
    for p in typed.ancestors() {
        if p.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) {
            if let Some(parent) = p.parent() {
                watch.add(parent);
            }
        }
    }
}

/// Paths whose mtime the hook compares with the stamp (not to be confused
/// with `autovenv watch`, which syncs in the background).
#[derive(Default)]
struct Watched(Vec<OsString>);

impl Watched {
    fn add(&mut self, p: &Path) {
        let p = p.as_os_str().to_owned();
        if !self.0.contains(&p) {
            self.0.push(p);
        }
    }

    /// The current folder is gone (deleted, or renamed so that `$PWD`
    /// names nothing): the hooks count the first watched path missing as a
    /// change, so put the nearest folder that still exists there instead,
    /// or every prompt would run us until a `cd`.
    fn add_gone(&mut self, pwd: Option<&OsStr>) {
        let Some(pwd) = pwd.map(Path::new).filter(|p| p.is_absolute()) else { return };
        if let Some(d) = pwd.ancestors().find(|d| d.is_dir()) {
            self.add(d);
        }
    }

    /// Every slot is set, empty when unused, so the hook never sees a value
    /// left from an earlier run.
    fn render_into(self, out: &mut Vec<Change>) {
        let mut paths = self.0.into_iter();
        for name in LOCAL_WATCH_SLOTS {
            out.push(Change::SetLocal(name, paths.next().unwrap_or_default()));
        }
        out.push(Change::SetLocalList(LOCAL_WATCH_REST, paths.collect()));
    }
}

//! `autovenv watch`: a foreground watcher that syncs allowed projects as
//! their requirements change, so a prompt never waits for an install.
//!
//! It watches the folders holding the requirements files (not the files):
//! editors that save by writing a new file and renaming it over the old
//! one, and a file deleted and made again, are seen that way. After each
//! burst of events (debounced) it runs the same sync as the hook.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::cmd::root_for;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::fsutil::tilde;
use crate::hook_env::ensure;
use crate::hook_env::resolve::{self, Trusted};
use crate::msg;
use crate::sync;

const DEBOUNCE: Duration = Duration::from_millis(300);

struct Watched {
    trusted: Trusted,
    /// Folders being watched for this project.
    dirs: BTreeSet<PathBuf>,
}

pub(crate) fn run(ctx: &Context, dirs: &[PathBuf]) -> Result<Vec<u8>> {
    let roots: Vec<PathBuf> = if dirs.is_empty() {
        vec![root_for(ctx, None)?]
    } else {
        dirs.iter().map(|d| root_for(ctx, Some(d))).collect::<Result<_>>()?
    };
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        // Reads are not changes, and our own sync reads every watched file:
        // counting them made each sync set off the next, forever.
        match ev {
            Ok(ev) if !matches!(ev.kind, notify::EventKind::Access(_)) => {
                let _ = tx.send(ev.paths);
            }
            _ => {}
        }
    })
    .map_err(|e| Error::new(format!("cannot start watching: {e}")))?;

    let mut projects = Vec::new();
    for root in roots {
        let trusted = resolve::trusted(ctx, resolve::project(ctx, &root)?)?;
        projects.push(Watched { trusted, dirs: BTreeSet::new() });
    }
    for p in &mut projects {
        sync_one(ctx, p);
        rewatch(&mut watcher, p, &watched_paths(p));
        msg::info(&format!("watching {}", tilde(&p.trusted.project.root, ctx.home())));
    }
    loop {
        let Ok(first) = rx.recv() else { return Ok(Vec::new()) };
        let mut changed: BTreeSet<PathBuf> = first.into_iter().collect();
        // Editors write in several steps; act once per burst.
        while let Ok(more) = rx.recv_timeout(DEBOUNCE) {
            changed.extend(more);
        }
        for p in &mut projects {
            // A folder on the way to a missing include may have appeared:
            // watch further down, and sync if the include is already there
            // (`mkdir -p` and a write can beat the new watch).
            let paths = watched_paths(p);
            let arrived = rewatch(&mut watcher, p, &paths);
            if arrived || affects(p, &paths, &changed) {
                sync_one(ctx, p);
                rewatch(&mut watcher, p, &watched_paths(p));
            }
        }
    }
}

/// Folders whose events matter: those of the requirements files (and their
/// includes) and the project root (the env folder removed or made). For a
/// file whose folder does not exist yet, the nearest folder above it that
/// does, where the next step of its making will show.
fn wanted_dirs(root: &Path, paths: &BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
    let mut dirs: BTreeSet<PathBuf> =
        paths.iter().filter_map(|f| f.parent()?.ancestors().find(|d| d.is_dir()).map(Path::to_path_buf)).collect();
    dirs.insert(root.to_path_buf());
    dirs
}

/// The files the dependency source reads and those that could change
/// which source wins, missing ones too.
fn watched_paths(p: &Watched) -> BTreeSet<PathBuf> {
    let root = &p.trusted.project.root;
    sync::watched_files_of(root, &p.trusted.settings).iter().map(|f| root.join(f)).collect()
}

/// Watch what is wanted now. Returns whether a watched file that exists sits
/// in a folder not watched before.
fn rewatch(w: &mut notify::RecommendedWatcher, p: &mut Watched, paths: &BTreeSet<PathBuf>) -> bool {
    let want = wanted_dirs(&p.trusted.project.root, paths);
    for gone in p.dirs.difference(&want) {
        let _ = w.unwatch(gone);
    }
    for new in want.difference(&p.dirs) {
        if let Err(e) = w.watch(new, RecursiveMode::NonRecursive) {
            msg::warn(&format!("cannot watch {}: {e}", new.display()));
        }
    }
    let arrived =
        !p.dirs.is_empty() && paths.iter().any(|f| f.is_file() && f.parent().is_some_and(|d| !p.dirs.contains(d)));
    p.dirs = want;
    arrived
}

fn affects(p: &Watched, files: &BTreeSet<PathBuf>, changed: &BTreeSet<PathBuf>) -> bool {
    let root = &p.trusted.project.root;
    let configs = [root.join(crate::config::PROJECT_FILE), root.join(crate::config::PYPROJECT)];
    changed.iter().any(|c| files.contains(c) || configs.contains(c) || c.starts_with(&p.trusted.env))
}

fn sync_one(ctx: &Context, p: &mut Watched) {
    let name = tilde(&p.trusted.project.root, ctx.home());
    // Trust and settings are read again before every sync, not once at
    // start: after `autovenv deny` a running watcher must not install
    // anything more, and an edited config (another
    // requirements list or env_dir) is followed.
    match resolve::project(ctx, &p.trusted.project.root).and_then(|pr| resolve::trusted(ctx, pr)) {
        Ok(t) => p.trusted = t,
        Err(e) => {
            msg::error(&Error { message: format!("{name}: {}; not syncing", e.message), hint: e.hint });
            return;
        }
    }
    let report = ensure::env(ctx, &p.trusted, ensure::SyncWhen::Changed);
    if let Some(e) = report.error {
        msg::error(&Error { message: format!("{name}: {}", e.message), hint: e.hint });
    }
}

//! Where a project's dependencies come from: one `Source` per format
//! (`requirements.txt`, `Pipfile.lock`, `pyproject.toml`, …), each in its
//! own file, and the table `ORDER` that says which one wins when several
//! are present.
//!
//! A source knows the files it reads (the digest covers them and the hook
//! watches them), what else decides its install (groups, extras: in the
//! digest too), how to install (through `sync::install::Installer`, so
//! through `child`), and how to say what it installs. What is common to all
//! (state, digest, the install rule, the "synced …" line, failures
//! recorded once, Ctrl-C) lives in `sync` and is not repeated here.
//!
//! # Adding a source
//!
//! 1. A new file here, `source/<name>.rs`, with a type implementing
//!    [`Source`], a `detect` function (does this project use it? Only
//!    regular files read with a cap, through `fsutil`: it runs after
//!    `allow`, at the prompt that saw a watched file move) and a `marks`
//!    function (the files whose appearance can make it win: stat'ed at
//!    every prompt, so few).
//! 2. One row in [`ORDER`], at its place in the precedence (lock files
//!    first). Its `name` is what `sources = [...]` in the config, `status`
//!    and the state file call it.
//! 3. Its row in the README's and docs/sync.md's source tables, and its
//!    tests (`tests/it/sources.rs` shows the pattern).
//!
//! A lock file that its own tool installs (as `uv.lock`, `poetry.lock`)
//! needs less: a `lockfile::Lock` with its names and its install command;
//! `lockfile::LockSource` is the `Source`.

use std::path::Path;

use crate::config::Settings;
use crate::error::{Error, Result};

use super::install::{Failure, Installer};
use super::Inputs;

mod lockfile;
mod pipfile;
mod poetry_lock;
mod pyproject;
mod requirements;
pub(crate) use requirements::requirement_name;
mod setup;
mod uv_lock;

/// One format a project can declare its dependencies in.
pub(crate) trait Source {
    /// The files it is known by, for status and messages
    /// ("requirements.txt, dev.txt").
    fn label(&self) -> String;
    /// Every file it reads (the digest and the watch list), top-level
    /// first; a bad one (missing include, not UTF-8, not a regular file,
    /// unparsable) is one error naming it.
    fn inputs(&self, root: &Path) -> Result<Inputs>;
    /// The files to watch when `inputs` failed, so that fixing (or
    /// creating) any of them is noticed at the next prompt.
    fn inputs_lenient(&self, root: &Path) -> Vec<String>;
    /// What else decides what it installs (chosen groups, extras), for the
    /// digest; empty when nothing.
    fn digest_extra(&self) -> String {
        String::new()
    }
    /// What it installs, for "synced {summary}: …" ("requirements.txt (2
    /// requirements)"); `None` when there is nothing to install (an empty
    /// file), and then no installer starts.
    fn summary(&self, root: &Path, inputs: &Inputs) -> Option<String>;
    /// Install into the env; only called when `summary` is `Some`.
    fn install(&self, ix: &Installer, inputs: &Inputs) -> std::result::Result<(), Failure>;
}

/// A row's `detect`: this source, when the project at the path uses it.
pub(crate) type Detect = fn(&Path, &Settings) -> Result<Option<Box<dyn Source>>>;

/// The precedence table's rows: see the module doc.
pub(crate) struct Row {
    pub name: &'static str,
    /// The files whose presence can make this source win. Stat'ed only.
    pub marks: fn(&Settings) -> Vec<String>,
    /// This source, when the project at `root` uses it; an error when its
    /// file is there but unusable.
    pub detect: Detect,
}

/// Which source wins when several are present: the first that `detect`s.
/// Lock files first: they say exactly what to install. Then the files a
/// person wrote for the installer, then the project's own metadata, which
/// only names ranges (or, for `setup.py`, only the project).
pub(crate) const ORDER: [Row; 6] = [
    Row { name: "uv.lock", marks: uv_lock::marks, detect: uv_lock::detect },
    Row { name: "poetry.lock", marks: poetry_lock::marks, detect: poetry_lock::detect },
    Row { name: "Pipfile.lock", marks: pipfile::marks, detect: pipfile::detect },
    Row { name: "requirements", marks: requirements::marks, detect: requirements::detect },
    Row { name: "pyproject.toml", marks: pyproject::marks, detect: pyproject::detect },
    Row { name: "setup.py", marks: setup::marks, detect: setup::detect },
];

/// The source in use and why.
pub(crate) struct Chosen {
    /// `None`: the project declares no dependencies (yet).
    pub source: Option<Box<dyn Source>>,
    /// Its row.
    pub row: Option<&'static Row>,
    /// "found at the root", "wins over pyproject.toml", …
    pub why: String,
    /// The files of the rows before it (all rows, when none was found):
    /// one appearing can change the choice.
    pub marks: Vec<String>,
}

impl Chosen {
    /// The row's name, or "none".
    pub(crate) fn name(&self) -> &'static str {
        self.row.map_or("none", |r| r.name)
    }

    /// "requirements.txt", "Pipfile.lock", or "none".
    pub(crate) fn label(&self) -> String {
        self.source.as_ref().map_or_else(|| "none".into(), |s| s.label())
    }

    /// "requirements.txt (found at the root)", for status and messages.
    pub(crate) fn describe(&self) -> String {
        format!("{} ({})", self.label(), self.why)
    }
}

/// The rows in force: `sources = [...]` from the config, else all of
/// `ORDER`.
fn rows(settings: &Settings) -> Vec<&'static Row> {
    match &settings.sources {
        // Names the config checked against `ORDER`.
        Some(names) => names.iter().filter_map(|n| ORDER.iter().find(|r| r.name == n)).collect(),
        None => ORDER.iter().collect(),
    }
}

/// Pick the source for the project at `root`. Reads (capped, regular files
/// only) what a row's `detect` needs; called when a watched file moved, not
/// at every prompt.
pub(crate) fn choose(root: &Path, settings: &Settings) -> std::result::Result<Chosen, (Error, Vec<String>)> {
    let rows = rows(settings);
    let mut marks: Vec<String> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        match (row.detect)(root, settings) {
            Ok(Some(source)) => {
                let beaten: Vec<String> =
                    rows[i + 1..].iter().flat_map(|r| (r.marks)(settings)).filter(|f| root.join(f).is_file()).collect();
                let mut why = if beaten.is_empty() {
                    "found at the root".to_string()
                } else {
                    format!("wins over {}", beaten.join(", "))
                };
                if settings.sources.is_some() {
                    why.push_str(", as `sources` orders them");
                }
                return Ok(Chosen { source: Some(source), row: Some(row), why, marks });
            }
            Ok(None) => marks.extend((row.marks)(settings)),
            Err(e) => {
                marks.extend((row.marks)(settings));
                return Err((e, marks));
            }
        }
    }
    Ok(Chosen { source: None, row: None, why: "no dependency file found".into(), marks })
}

/// The settings that choose the source and what it installs, as one
/// string the state records: compared at every prompt, so cheap.
pub(crate) fn fingerprint(settings: &Settings) -> String {
    format!("{:?} {:?} {:?} {:?}", settings.requirements, settings.sources, settings.groups, settings.extras)
}

/// There, whatever it is (a folder or a FIFO too: reading it then says
/// what is wrong); a dangling symlink is not.
pub(super) fn exists(path: &Path) -> bool {
    !matches!(std::fs::metadata(path), Err(e) if e.kind() == std::io::ErrorKind::NotFound)
}

/// PEP 503: `Foo.Bar_baz` → `foo-bar-baz` (package, extra and group names).
pub(crate) fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

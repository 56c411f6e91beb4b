//! A lock file its own tool installs (`uv.lock`, `poetry.lock`), as one
//! source type: the lock beside its `pyproject.toml` and the tool's own
//! config file, all read (regular files, capped) before the tool starts,
//! the `groups` / `extras` keys passed on to it, and the summary. Each
//! lock's file says only what differs: its names and its tool's command.

use std::cell::OnceCell;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::config::{self, Settings};
use crate::error::{Error, Result};

use super::super::install::{Failure, Installer};
use super::super::Inputs;
use super::Source;

/// One tool's lock file.
pub(super) struct Lock {
    /// "uv.lock"
    pub name: &'static str,
    /// "uv": named in the hints.
    pub tool: &'static str,
    /// What the tool does with the lock, for the hint: "syncs".
    pub verb: &'static str,
    /// The project's own config file of the tool ("uv.toml"), which may
    /// appear later.
    pub tool_config: &'static str,
    /// Whether a `[[package]]` entry counts as a locked distribution in
    /// the summary (uv's lock lists the project itself too).
    pub counts: fn(&DeTable) -> bool,
    /// The tool's install into the env, with the chosen groups and extras.
    pub install: fn(&Selection, &Installer) -> std::result::Result<(), Failure>,
}

/// The source for any `Lock`.
pub(super) struct LockSource {
    lock: &'static Lock,
    selection: Selection,
    /// The number of locked packages, from the one parse `inputs` does.
    count: OnceCell<usize>,
}

impl LockSource {
    pub(super) fn new(lock: &'static Lock, selection: Selection) -> LockSource {
        LockSource { lock, selection, count: OnceCell::new() }
    }

    /// A row's `detect`: this lock's source when the lock is there.
    pub(super) fn detect(lock: &'static Lock, root: &Path, s: &Settings) -> Option<Box<dyn Source>> {
        lock.present(root).then(|| Box::new(LockSource::new(lock, Selection::of(s))) as Box<dyn Source>)
    }
}

impl Source for LockSource {
    fn label(&self) -> String {
        self.lock.name.into()
    }

    fn inputs(&self, root: &Path) -> Result<Inputs> {
        self.lock.inputs(root, &self.count)
    }

    fn inputs_lenient(&self, _root: &Path) -> Vec<String> {
        self.lock.files()
    }

    fn digest_extra(&self) -> String {
        self.selection.digest()
    }

    fn summary(&self, root: &Path, _inputs: &Inputs) -> Option<String> {
        let n = self.count.get().copied().or_else(|| self.lock.read(root).ok()).unwrap_or(0);
        Some(format!("{} ({})", self.lock.name, super::super::install::plural(n, "locked package")))
    }

    fn install(&self, ix: &Installer, _inputs: &Inputs) -> std::result::Result<(), Failure> {
        (self.lock.install)(&self.selection, ix)
    }
}

impl Lock {
    /// Everything the tool reads from the project: the digest and the watch list.
    pub(super) fn files(&self) -> Vec<String> {
        vec![self.name.into(), config::PYPROJECT.into(), self.tool_config.into()]
    }

    /// Present in any form: a lock that is a FIFO or too large is this
    /// source's error to report, not a reason to fall back to another one.
    pub(super) fn present(&self, root: &Path) -> bool {
        std::fs::symlink_metadata(root.join(self.name)).is_ok()
    }

    /// The lock, parsed once (a large project's lock is megabytes): a lock
    /// that is not TOML is one error naming its line, before the tool is
    /// started at all. The number of locked packages, for the summary.
    pub(super) fn read(&self, root: &Path) -> Result<usize> {
        let path = root.join(self.name);
        let text = super::super::inputs::read_text_up_to(&path, crate::fsutil::LOCK_READ_CAP)?;
        let doc = config::parse_toml(&path, &text)
            .map_err(|e| e.with_hint(format!("run `{} lock` to write it again", self.tool)))?;
        let Some(DeValue::Array(packages)) = doc.get_ref().get("package").map(Spanned::get_ref) else {
            return Ok(0);
        };
        Ok(packages.iter().filter(|p| matches!(p.get_ref(), DeValue::Table(t) if (self.counts)(t))).count())
    }

    /// The source's inputs: the lock must parse and have its
    /// `pyproject.toml`; the tool's config file must be readable if
    /// present. The lock's package count is kept in `count`.
    pub(super) fn inputs(&self, root: &Path, count: &OnceCell<usize>) -> Result<Inputs> {
        let n = self.read(root)?;
        let _ = count.set(n);
        if config::read_toml_text(&root.join(config::PYPROJECT))?.is_none() {
            return Err(Error::new(format!("{} has no pyproject.toml beside it", root.join(self.name).display()))
                .with_hint(format!(
                    "{} {} a lock with its project's pyproject.toml: restore it, or remove {}",
                    self.tool, self.verb, self.name
                )));
        }
        config::read_toml_text(&root.join(self.tool_config))?;
        Ok(Inputs { reqs: self.files(), ..Inputs::default() })
    }

    /// The tool is not on PATH. Recorded like any failure, so only a
    /// change of the files or `autovenv sync` tries again.
    pub(super) fn tool_missing(&self, how: &str) -> Failure {
        Failure::Failed(
            Error::new(format!(
                "{} is installed with {}, which is not on PATH; install {} ({how})",
                self.name, self.tool, self.tool
            ))
            .with_hint("then run `autovenv sync`"),
        )
    }

    /// The tool refused the lock as out of date with `pyproject.toml`.
    /// Relocking changes the lock, so the next prompt installs it.
    pub(super) fn stale(&self) -> Failure {
        Failure::Failed(
            Error::new(format!("{} is out of date with pyproject.toml; run `{} lock`", self.name, self.tool))
                .with_hint("the next prompt after it installs the new lock"),
        )
    }
}

/// The `groups` and `extras` keys, as the tool gets them.
pub(super) struct Selection {
    /// Exactly these dependency groups; `None`: the tool's own default groups.
    pub groups: Option<Vec<String>>,
    pub extras: Vec<String>,
}

impl Selection {
    pub(super) fn of(s: &Settings) -> Selection {
        Selection { groups: s.groups.clone(), extras: s.extras.clone() }
    }

    /// For the digest: a change of choice installs again.
    pub(super) fn digest(&self) -> String {
        format!("groups={:?} extras={:?}", self.groups, self.extras)
    }
}

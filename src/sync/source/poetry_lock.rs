//! `poetry.lock` (with the project's `pyproject.toml`): what `poetry
//! install` would install, into autovenv's env, with the poetry on PATH
//! (`poetry sync` in exact mode). poetry never makes an env of its own
//! here, and never rewrites the lock: one out of date with
//! `pyproject.toml` is one error saying to run `poetry lock`.

use std::path::Path;
use std::time::Duration;

use crate::child;
use crate::config::{Settings, SyncMode};
use crate::error::Result;

use super::super::install::{self, Failure, Installer};
use super::lockfile::{Lock, LockSource, Selection};
use super::Source;

const LOCK: &str = "poetry.lock";

static THE_LOCK: Lock =
    Lock { name: LOCK, tool: "poetry", verb: "installs", tool_config: "poetry.toml", counts: |_| true, install };

pub(super) fn marks(_: &Settings) -> Vec<String> {
    vec![LOCK.into()]
}

pub(super) fn detect(root: &Path, s: &Settings) -> Result<Option<Box<dyn Source>>> {
    Ok(LockSource::detect(&THE_LOCK, root, s))
}

/// `poetry install` (`poetry sync` in exact mode) into the env.
fn install(selection: &Selection, ix: &Installer) -> std::result::Result<(), Failure> {
    let job = ix.job;
    // The system's poetry, not one the env's own `bin/` holds.
    let Some(poetry) = crate::context::Context::from_process().find_program("poetry") else {
        return Err(THE_LOCK.tool_missing("`pipx install poetry`"));
    };
    let sub = if ix.mode() == SyncMode::Exact { "sync" } else { "install" };
    let mut cmd = child::poetry(&poetry, job.root, job.env, &[sub, "--no-interaction"]);
    // `main` is the project's own dependencies, always installed.
    if let Some(groups) = &selection.groups {
        let only: Vec<&str> = std::iter::once("main").chain(groups.iter().map(String::as_str)).collect();
        cmd.arg("--only").arg(only.join(","));
    }
    for e in &selection.extras {
        cmd.arg("--extras").arg(e);
    }
    match install::run(&mut cmd, &format!("poetry {sub}"), LOCK) {
        Err(Failure::Failed(_)) if lock_is_stale(&poetry, job.root, job.env) => Err(THE_LOCK.stale()),
        other => other,
    }
}

/// After a failed install: does the lock no longer stand for
/// `pyproject.toml`? (poetry has said why above; this picks the one line
/// to record.) Only the failure path pays for it.
fn lock_is_stale(poetry: &Path, root: &Path, env: &Path) -> bool {
    let cmd = child::poetry(poetry, root, env, &["check", "--lock", "--no-interaction"]);
    match child::captured(cmd, Duration::from_secs(60)) {
        Ok(out) => !out.success && String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).contains(LOCK),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::Inputs;
    use std::fs;

    #[test]
    fn inputs_need_a_readable_lock_and_its_pyproject() {
        let t = tempfile::tempdir().unwrap();
        let src = LockSource::new(&THE_LOCK, Selection { groups: None, extras: Vec::new() });
        let lock = "[[package]]\nname = \"six\"\nversion = \"1.16.0\"\n\n[metadata]\nlock-version = \"2.1\"\n";
        fs::write(t.path().join(LOCK), lock).unwrap();
        let e = src.inputs(t.path()).unwrap_err();
        assert!(e.message.ends_with("poetry.lock has no pyproject.toml beside it"), "{}", e.message);
        fs::write(t.path().join("pyproject.toml"), "[project]\nname = \"app\"\n").unwrap();
        assert_eq!(src.inputs(t.path()).unwrap().files(), ["poetry.lock", "pyproject.toml", "poetry.toml"]);
        assert_eq!(src.summary(t.path(), &Inputs::default()).unwrap(), "poetry.lock (1 locked package)");
        fs::write(t.path().join(LOCK), "[metadata\n").unwrap();
        let e = src.inputs(t.path()).unwrap_err();
        assert!(e.message.contains("poetry.lock line 1: invalid TOML"), "{}", e.message);
        assert!(e.hint.unwrap().contains("poetry lock"));
    }
}

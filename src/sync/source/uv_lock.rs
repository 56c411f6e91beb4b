//! `uv.lock` (with the project's `pyproject.toml`): what `uv sync` would
//! install, into autovenv's env (`UV_PROJECT_ENVIRONMENT`), and never a
//! rewrite of the lock (`--locked`): a lock out of date with
//! `pyproject.toml` is one error saying to run `uv lock`.
//!
//! uv's own settings decide the rest, as they do for `uv sync`: its default
//! groups, its indexes, the project itself installed editable when it is a
//! package (its build backend runs: the project is allowed by then).

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::de::{DeTable, DeValue};

use crate::child;
use crate::config::{self, Settings, SyncMode};
use crate::error::{Error, Result};
use crate::venv;

use super::super::install::{self, Failure, Installer};
use super::lockfile::{Lock, LockSource, Selection};
use super::Source;

const LOCK: &str = "uv.lock";

static THE_LOCK: Lock =
    Lock { name: LOCK, tool: "uv", verb: "syncs", tool_config: "uv.toml", counts: is_a_distribution, install };

pub(super) fn marks(_: &Settings) -> Vec<String> {
    vec![LOCK.into()]
}

pub(super) fn detect(root: &Path, s: &Settings) -> Result<Option<Box<dyn Source>>> {
    Ok(LockSource::detect(&THE_LOCK, root, s))
}

/// `uv sync --locked` into the env.
fn install(selection: &Selection, ix: &Installer) -> std::result::Result<(), Failure> {
    let job = ix.job;
    let Some(uv) = job.uv else {
        return Err(THE_LOCK.tool_missing("`pipx install uv`, or see https://docs.astral.sh/uv/"));
    };
    if let Some(ws) = workspace_above(job.root) {
        return Err(Failure::Failed(
            Error::new(format!(
                "{} above the project declares a uv workspace, so uv would sync that workspace's lock instead of {}",
                ws.display(),
                job.root.join(LOCK).display()
            ))
            .with_hint(
                "make the project a workspace of its own (an empty [tool.uv.workspace] in its pyproject.toml) or move it out",
            ),
        ));
    }
    let mut cmd = child::uv(uv, job.root, job.uv_config, &["sync", "--locked"]);
    cmd.arg("--python").arg(venv::python(job.env));
    if ix.mode() != SyncMode::Exact {
        cmd.arg("--inexact");
    }
    if let Some(groups) = &selection.groups {
        cmd.arg("--no-default-groups");
        for g in groups {
            cmd.arg("--group").arg(g);
        }
    }
    for e in &selection.extras {
        cmd.arg("--extra").arg(e);
    }
    // This env, whatever the shell has active.
    cmd.env("UV_PROJECT_ENVIRONMENT", job.env).env("VIRTUAL_ENV", job.env);
    let _pip = ix.seed_alongside();
    match install::run(&mut cmd, "uv sync", LOCK) {
        Err(Failure::Failed(_)) if lock_is_stale(uv, job.root, job.uv_config) => Err(THE_LOCK.stale()),
        other => other,
    }
}

/// A locked distribution, not the project itself or one of its workspace
/// members (sources `virtual` or `editable`).
fn is_a_distribution(package: &DeTable) -> bool {
    match package.get("source").map(toml::Spanned::get_ref) {
        Some(DeValue::Table(src)) => !(src.contains_key("virtual") || src.contains_key("editable")),
        _ => true,
    }
}

/// After a failed `uv sync --locked`: does the lock no longer stand for
/// `pyproject.toml`? (uv has said why above; this picks the one line to
/// record.) Offline and captured: only the failure path pays for it.
fn lock_is_stale(uv: &Path, root: &Path, config: &child::UvConfig) -> bool {
    let mut cmd = child::uv(uv, root, config, &["lock", "--check", "--offline", "--quiet"]);
    cmd.env_remove("VIRTUAL_ENV");
    match child::captured(cmd, Duration::from_secs(60)) {
        Ok(out) => !out.success,
        Err(_) => false,
    }
}

/// The first `pyproject.toml` above `root` that declares a uv workspace:
/// uv walks up from the project and, found one that claims it, syncs that
/// workspace's lock and builds its members: code from outside the project.
/// A project that is a workspace root itself is where uv stops.
fn workspace_above(root: &Path) -> Option<PathBuf> {
    if declares_workspace(&root.join(config::PYPROJECT)) {
        return None;
    }
    root.ancestors().skip(1).map(|d| d.join(config::PYPROJECT)).find(|p| declares_workspace(p))
}

fn declares_workspace(pyproject: &Path) -> bool {
    let Ok(Some(text)) = config::read_toml_text(pyproject) else { return false };
    let Ok(doc) = text.parse::<toml::Table>() else { return false };
    doc.get("tool").and_then(|t| t.get("uv")).and_then(|u| u.get("workspace")).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::Inputs;
    use std::fs;

    const LOCKED: &str = "version = 1\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n\n\
                          [[package]]\nname = \"six\"\nversion = \"1.16.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n";

    #[test]
    fn inputs_need_a_readable_lock_and_its_pyproject() {
        let t = tempfile::tempdir().unwrap();
        let src = LockSource::new(&THE_LOCK, Selection { groups: None, extras: Vec::new() });
        fs::write(t.path().join(LOCK), LOCKED).unwrap();
        let e = src.inputs(t.path()).unwrap_err();
        assert!(e.message.ends_with("uv.lock has no pyproject.toml beside it"), "{}", e.message);
        fs::write(t.path().join("pyproject.toml"), "[project]\nname = \"app\"\n").unwrap();
        assert_eq!(src.inputs(t.path()).unwrap().files(), ["uv.lock", "pyproject.toml", "uv.toml"]);
        assert_eq!(src.summary(t.path(), &Inputs::default()).unwrap(), "uv.lock (1 locked package)");
        fs::write(t.path().join(LOCK), "version = 1\n[[package]\n").unwrap();
        let e = src.inputs(t.path()).unwrap_err();
        assert!(e.message.contains("uv.lock line 2: invalid TOML"), "{}", e.message);
        assert!(e.hint.unwrap().contains("uv lock"));
    }

    #[test]
    fn a_lock_of_many_megabytes_is_read_and_counted_once() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("pyproject.toml"), "[project]\nname = \"app\"\n").unwrap();
        let mut lock = String::from(LOCKED);
        let wheel = "    { url = \"https://files.example/p-1.0-py3-none-any.whl\", hash = \"sha256:00\", size = 1 },\n";
        let mut n = 1;
        while lock.len() as u64 <= crate::fsutil::READ_CAP {
            n += 1;
            lock += &format!("\n[[package]]\nname = \"p{n}\"\nversion = \"1.0\"\nwheels = [\n{}]\n", wheel.repeat(50));
        }
        fs::write(t.path().join(LOCK), &lock).unwrap();
        let src = LockSource::new(&THE_LOCK, Selection { groups: None, extras: Vec::new() });
        src.inputs(t.path()).unwrap();
        // Counted from the parse `inputs` did: the file is not read again.
        fs::remove_file(t.path().join(LOCK)).unwrap();
        let want = format!("uv.lock ({n} locked packages)");
        assert_eq!(src.summary(t.path(), &Inputs::default()).unwrap(), want);
    }

    #[test]
    fn a_workspace_above_is_found() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("outer/app");
        fs::create_dir_all(&root).unwrap();
        fs::write(t.path().join("pyproject.toml"), "[project]\nname = \"x\"\n").unwrap();
        assert_eq!(workspace_above(&root), None);
        fs::write(t.path().join("outer/pyproject.toml"), "[tool.uv.workspace]\nmembers = [\"*\"]\n").unwrap();
        assert_eq!(workspace_above(&root), Some(t.path().join("outer/pyproject.toml")));
        // A project that is a workspace root itself is where uv stops.
        fs::write(root.join("pyproject.toml"), "[tool.uv.workspace]\n").unwrap();
        assert_eq!(workspace_above(&root), None);
    }
}

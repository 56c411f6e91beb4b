//! `setup.py` (or a declarative `setup.cfg`) alone: the project, installed editable (its
//! dependencies are whatever its build says). Building it runs `setup.py`:
//! code from the folder, which is why all of this waits for `allow`.

use std::ffi::OsString;
use std::path::Path;

use crate::config::Settings;
use crate::error::Result;

use super::super::install::{Failure, Installer};
use super::super::Inputs;
use super::{exists, Source};

const FILES: [&str; 2] = ["setup.py", "setup.cfg"];

pub(super) struct Setup {
    /// The one of `FILES` that makes it a project.
    found: &'static str,
}

pub(super) fn marks(_: &Settings) -> Vec<String> {
    FILES.iter().map(ToString::to_string).collect()
}

/// `setup.py`; or a `setup.cfg` with a `[metadata]` section beside a
/// `pyproject.toml` (setuptools' declarative form). A `setup.cfg` that only
/// configures tools (flake8, pytest) is not a project to install: pip
/// would refuse a folder with neither `setup.py` nor `pyproject.toml`.
pub(super) fn detect(root: &Path, _: &Settings) -> Result<Option<Box<dyn Source>>> {
    if exists(&root.join(FILES[0])) {
        return Ok(Some(Box::new(Setup { found: FILES[0] })));
    }
    let cfg = root.join(FILES[1]);
    if !exists(&cfg) || !exists(&root.join("pyproject.toml")) {
        return Ok(None);
    }
    let text = super::super::inputs::read_requirements(&cfg)?;
    let declarative = text.lines().any(|l| l.trim() == "[metadata]");
    Ok(declarative.then(|| Box::new(Setup { found: FILES[1] }) as Box<dyn Source>))
}

impl Source for Setup {
    fn label(&self) -> String {
        self.found.into()
    }

    fn inputs(&self, root: &Path) -> Result<Inputs> {
        // Both, and pyproject.toml (its [build-system]): each decides what
        // the build installs. Read only by the build, but each must be a
        // regular file within the cap for the digest.
        let files: Vec<String> = FILES.iter().chain(&["pyproject.toml"]).map(ToString::to_string).collect();
        for f in &files {
            crate::fsutil::read_regular(&root.join(f))?;
        }
        Ok(Inputs { reqs: files, ..Inputs::default() })
    }

    fn inputs_lenient(&self, _root: &Path) -> Vec<String> {
        FILES.iter().chain(&["pyproject.toml"]).map(ToString::to_string).collect()
    }

    fn summary(&self, _root: &Path, _inputs: &Inputs) -> Option<String> {
        Some(format!("{} (the project editable)", self.found))
    }

    fn install(&self, ix: &Installer, _inputs: &Inputs) -> std::result::Result<(), Failure> {
        // The project's name is only known to its build: `exact` with pip
        // keeps what was installed from the root folder, and what it needs.
        let args: Vec<OsString> = vec!["-e".into(), ".".into()];
        let root = ix.job.root.to_str().map(|r| vec![r.to_string()]);
        ix.pip_install(&args, true, root, self.found)
    }
}

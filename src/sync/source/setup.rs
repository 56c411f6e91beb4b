//! `setup.py` / `setup.cfg` alone: the project, installed editable (its
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
    /// The one of `FILES` found first.
    found: &'static str,
}

pub(super) fn marks(_: &Settings) -> Vec<String> {
    FILES.iter().map(ToString::to_string).collect()
}

pub(super) fn detect(root: &Path, _: &Settings) -> Result<Option<Box<dyn Source>>> {
    Ok(FILES.iter().find(|f| exists(&root.join(f))).map(|f| Box::new(Setup { found: f }) as Box<dyn Source>))
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
        // cannot match it and removes nothing (uv's `--exact` can).
        let args: Vec<OsString> = vec!["-e".into(), ".".into()];
        ix.pip_install(&args, true, None, self.found)
    }
}

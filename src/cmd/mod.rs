//! One module per command, each with a `run` that main dispatches to, and
//! the helpers they share: which project a DIR argument names, and how an
//! ensure report becomes the command's result.

pub(crate) mod activate;
pub(crate) mod add;
pub(crate) mod allow;
pub(crate) mod completions;
pub(crate) mod deny;
pub(crate) mod doctor;
pub(crate) mod exec;
pub(crate) mod export;
pub(crate) mod freeze;
pub(crate) mod hook;
pub(crate) mod remove;
pub(crate) mod reqedit;
pub(crate) mod status;
pub(crate) mod sync;
pub(crate) mod watch;

use std::path::{Path, PathBuf};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::fsutil::tilde;
use crate::hook_env::{self, discover, ensure};

/// The project root for a command's optional DIR argument.
pub(crate) fn root_for(ctx: &Context, dir: Option<&Path>) -> Result<PathBuf> {
    let dir = match dir {
        Some(d) => std::path::absolute(d).map_err(|e| Error::io(format!("cannot resolve {}", d.display()), e))?,
        None => hook_env::working_dir(ctx).ok_or_else(|| Error::new("the current directory is gone"))?,
    };
    if !dir.is_dir() {
        return Err(Error::new(format!("{} is not a directory", dir.display())));
    }
    discover::root(&dir, ctx.home()).ok_or_else(|| {
        Error::new(format!("{} is not in a Python project", tilde(&dir, ctx.home()))).with_hint(
            "a project has requirements.txt, pyproject.toml, setup.py, setup.cfg, Pipfile, .python-version or .autovenv.toml",
        )
    })
}

pub(crate) fn report_result(report: ensure::Report) -> Result<Vec<u8>> {
    match report.error {
        Some(e) => Err(e),
        None => Ok(Vec::new()),
    }
}

pub(crate) fn no_home() -> Error {
    Error::new("HOME is not set, so there is no place for trust records").with_hint("set HOME or XDG_DATA_HOME")
}

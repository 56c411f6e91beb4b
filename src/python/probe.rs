//! Running a candidate once to learn its real version and the interpreter a
//! venv should be built from: a name or folder that lies is never trusted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::specifier::{is_version, leading_version};
use super::Interpreter;
use crate::child;
use crate::error::{Error, Result};

/// What running a candidate told us.
#[derive(Debug)]
pub(super) struct Probe {
    pub(super) version: Vec<u64>,
    pub(super) version_text: String,
    pub(super) executable: PathBuf,
}

impl Probe {
    pub(super) fn into_interpreter(self, source: &str) -> Interpreter {
        Interpreter { path: self.executable, version: self.version_text, source: source.to_string() }
    }
}

/// Prints the version, then the interpreter to build a venv from:
/// `sys._base_executable` (3.11+ sets it to the base interpreter even inside
/// a venv). Before 3.11 it is just `sys.executable`, which inside a venv is
/// the venv's own python, so that case falls back to the base prefix's
/// `pythonX.Y`. Not `realpath`: Homebrew's real path contains the patch
/// version, and an env pointing there breaks on every `brew upgrade`.
/// `-I` (isolated) keeps the current directory, possibly a project that
/// ships an `os.py`, off sys.path, and ignores PYTHONHOME and friends.
pub(super) const PROBE: &str = "import os, sys
v = sys.version_info
exe = getattr(sys, '_base_executable', '') or sys.executable
if sys.prefix != sys.base_prefix and exe.startswith(sys.prefix + os.sep):
    base = os.path.join(sys.base_prefix, 'bin', 'python%d.%d' % v[:2])
    if os.path.exists(base):
        exe = base
print('%d.%d.%d' % v[:3])
print(exe)";

/// Generous: a cold pyenv shim on a slow disk takes a second or two, but a
/// hung "python" must not hang the prompt forever.
pub(super) const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `python -I -c PROBE`. Errors read as the end of a sentence that
/// starts with the interpreter's name ("… did not run: …").
pub(super) fn probe(python: &Path) -> Result<Probe> {
    let mut cmd = Command::new(python);
    cmd.args(["-I", "-c", PROBE]);
    let out = child::captured(cmd, PROBE_TIMEOUT).map_err(|e| Error::new(format!("did not run: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.success {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error output");
        return Err(Error::new(format!("did not run as Python ({}): {}", out.status, why.trim())));
    }
    let mut lines = stdout.lines();
    let version_text = lines.next().unwrap_or("").trim().to_string();
    let executable = PathBuf::from(lines.next().unwrap_or("").trim());
    let version = leading_version(&version_text);
    if version.len() != 3 || !is_version(&version_text) {
        return Err(Error::new(format!("did not answer like Python (printed {:?})", stdout.trim())));
    }
    // An interpreter that cannot tell its own path (embedded, odd builds):
    // the file we ran is the best we know.
    let executable =
        if executable.is_absolute() { executable } else { std::path::absolute(python).unwrap_or(python.into()) };
    Ok(Probe { version, version_text, executable })
}

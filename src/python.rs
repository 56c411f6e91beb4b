// TEMPORARY stub, replaced by the wt-config branch.
#![allow(dead_code)]
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use crate::error::{Error, Result};

pub struct Interpreter { pub path: PathBuf, pub version: String, pub source: String }
pub enum Request { Version(String), Path(PathBuf), Name(String) }
pub fn requested(_root: &Path, _p: Option<&str>) -> Result<Option<(Request, String)>> { Ok(None) }
pub fn find(_req: Option<&(Request, String)>, path_var: &OsStr, _pyenv: Option<&Path>, _uv: Option<&Path>) -> Result<Interpreter> {
    let exe = std::env::split_paths(path_var).map(|d| d.join("python3")).find(|p| p.exists())
        .ok_or_else(|| Error::new("python3 was not found on PATH"))?;
    let out = Command::new(&exe).args(["-c", "import sys; print(sys.executable); print('%d.%d.%d' % sys.version_info[:3])"]).output().map_err(|e| Error::io("cannot run python3", e))?;
    let s = String::from_utf8_lossy(&out.stdout).to_string();
    let mut l = s.lines();
    Ok(Interpreter { path: l.next().unwrap_or_default().into(), version: l.next().unwrap_or_default().into(), source: "python3 on PATH".into() })
}
pub fn version_of(python: &Path) -> Result<String> {
    let out = Command::new(python).args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]).output().map_err(|e| Error::io(format!("cannot run {}", python.display()), e))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

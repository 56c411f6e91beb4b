//! A creation that failed, recorded outside the env folder (which may not
//! exist) in `$XDG_STATE_HOME/autovenv/failed/<key>.json`, with the stats of
//! everything it depended on: the project's config and `.python-version`,
//! the global config, the interpreter, every folder on PATH (a Python or uv
//! appearing there changes the folder) and pyenv's versions folder. While
//! none of them moved, prompts and entries say it failed instead of running
//! the creator again; `autovenv sync` and `autovenv allow` retry.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::fsutil::write_atomic;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub error: String,
    pub hint: Option<String>,
    /// The PATH the interpreter and creator were looked for on.
    pub path_var: String,
    pub inputs: Vec<Input>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Input {
    /// The path's bytes: a folder name need not be UTF-8.
    pub path: Vec<u8>,
    /// `None`: it did not exist.
    pub mtime_ns: Option<i128>,
    pub size: u64,
}

impl Input {
    pub(crate) fn of(path: &Path) -> Input {
        let bytes = path.as_os_str().as_bytes().to_vec();
        match fs::metadata(path) {
            Ok(m) => Input {
                path: bytes,
                mtime_ns: Some(i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec())),
                size: m.size(),
            },
            Err(_) => Input { path: bytes, mtime_ns: None, size: 0 },
        }
    }
}

/// Where the record of the project with trust key `key` lives.
pub(crate) fn file(state_dir: Option<&Path>, key: &str) -> Option<PathBuf> {
    state_dir.map(|d| d.join("failed").join(format!("{key}.json")))
}

pub(crate) fn read(file: &Path) -> Option<Record> {
    // Our own small file; a cap keeps a replaced one from costing much.
    fs::symlink_metadata(file).ok().filter(|m| m.is_file() && m.len() < 1 << 20)?;
    serde_json::from_slice(&fs::read(file).ok()?).ok()
}

pub(crate) fn write(file: &Path, err: &Error, path_var: &str, inputs: &[PathBuf]) {
    let record = Record {
        error: err.message.clone(),
        hint: err.hint.clone(),
        path_var: path_var.to_string(),
        inputs: inputs.iter().map(|p| Input::of(p)).collect(),
    };
    let written = serde_json::to_vec_pretty(&record)
        .map_err(|e| Error::new(e.to_string()))
        .and_then(|json| write_atomic(file, &json));
    if let Err(e) = written {
        crate::msg::warn(&format!("cannot record the failure: {}", e.message));
    }
}

pub(crate) fn clear(file: &Path) {
    let _ = fs::remove_file(file);
}

/// Nothing the failed creation depended on has changed since.
pub(crate) fn still_holds(r: &Record, path_var: &str, inputs: &[PathBuf]) -> bool {
    r.path_var == path_var
        && inputs.iter().all(|p| r.inputs.iter().any(|i| i.path == p.as_os_str().as_bytes()))
        && r.inputs.iter().all(|i| Input::of(Path::new(OsStr::from_bytes(&i.path))) == *i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_of_any_input_ends_it() {
        let t = tempfile::tempdir().unwrap();
        let s = tempfile::tempdir().unwrap();
        let f = s.path().join("failed/k.json");
        let pv = t.path().join(".python-version");
        let inputs = vec![pv.clone(), t.path().to_path_buf()];
        write(&f, &Error::new("no Python 3.99").with_hint("h"), "/bin", &inputs);
        let r = read(&f).unwrap();
        assert_eq!(r.error, "no Python 3.99");
        assert!(still_holds(&r, "/bin", &inputs));
        assert!(!still_holds(&r, "/usr/bin:/bin", &inputs), "another PATH");
        assert!(!still_holds(&r, "/bin", &[pv.clone(), t.path().join("other")]), "another input");
        fs::write(&pv, "3.12\n").unwrap();
        assert!(!still_holds(&r, "/bin", &inputs), ".python-version appeared");
        clear(&f);
        assert!(read(&f).is_none());
    }

    #[test]
    fn a_path_that_is_not_utf8_is_recorded() {
        let t = tempfile::tempdir().unwrap();
        let odd = t.path().join(OsStr::from_bytes(b"caf\xe9"));
        fs::create_dir(&odd).unwrap();
        let f = t.path().join("k.json");
        write(&f, &Error::new("failed"), "/bin", std::slice::from_ref(&odd));
        let r = read(&f).expect("recorded");
        assert!(still_holds(&r, "/bin", &[odd]));
    }
}

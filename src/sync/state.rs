//! The state file inside the env: what was installed from which files, the
//! stats the per-prompt check compares, and the digest computed when a stat
//! moved.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::SyncMode;
use crate::error::Result;
use crate::fsutil::write_atomic;

pub(crate) const STATE_FILE: &str = ".autovenv-state";

/// What the last sync left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct State {
    pub digest: String,
    /// `None` when the install succeeded; the installer's failure otherwise.
    pub error: Option<String>,
    /// What to do about `error`, when the source knows better than "fix
    /// the file" (run `uv lock`, install poetry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    pub mode: String,
    /// Every file the digest covers, top-level ones first, with its stats.
    pub files: Vec<Stat>,
    /// Ctrl-C stopped the install of the files as `files` describes them.
    /// `digest` is then still the last one installed (the new one is not
    /// recorded); the stats are the new ones, so the prompts that follow in
    /// this shell do not start the install again (a Ctrl-C at every prompt
    /// would be a loop). Entering the project again, `autovenv sync`, or
    /// another change of a watched file retries.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Includes that are URLs: the installer fetches them, nothing here
    /// can watch them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    /// The source installed from (`source::Row::name`); empty before sources.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// The settings that chose the source and what it installs
    /// (`source::fingerprint`): a config edit is a change.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub settings: String,
    /// Files that would make another source win if they appeared or
    /// changed (a `Pipfile.lock` next to `requirements.txt`): stat'ed like
    /// `files`, not in the digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Stat>,
}

impl State {
    /// Every file the prompt stats.
    pub(crate) fn watched(&self) -> impl Iterator<Item = &Stat> {
        self.files.iter().chain(&self.marks)
    }

    /// The files the hook watches: the files and marks that exist or sit
    /// below the root. A missing one at the root (a `uv.toml` not written
    /// yet) needs no watching of its own: the hook watches the root folder,
    /// whose mtime moves when the file appears. Every watched path costs
    /// every idle prompt.
    pub(crate) fn hook_watch(&self) -> impl Iterator<Item = &Stat> {
        let shown = |m: &&Stat| m.mtime_ns.is_some() || m.path.contains('/');
        self.files.iter().chain(&self.marks).filter(shown)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Stat {
    /// Relative to the project root.
    pub path: String,
    /// `None`: the file did not exist (a top-level file may appear later).
    pub mtime_ns: Option<i128>,
    pub size: u64,
    /// A symlink's target: repointing it at a file of the same size and
    /// mtime (two files of one archive, `cp -p`) is still a change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ino: u64,
}

pub(super) fn is_zero(n: &u64) -> bool {
    *n == 0
}

pub(crate) fn state_path(env: &Path) -> PathBuf {
    env.join(STATE_FILE)
}

pub(crate) fn read_state(env: &Path) -> Option<State> {
    let bytes = crate::fsutil::read_regular(&state_path(env)).ok()??;
    serde_json::from_slice(&bytes).ok()
}

pub(super) fn write_state(env: &Path, state: &State) -> Result<()> {
    let json = serde_json::to_vec_pretty(state).expect("state serialises");
    write_atomic(&state_path(env), &json)
}

pub(super) fn stat_of(root: &Path, rel: &str) -> Stat {
    let path = root.join(rel);
    let link = fs::read_link(&path).ok().map(|t| t.to_string_lossy().into_owned());
    match fs::metadata(&path) {
        Ok(m) => Stat {
            path: rel.to_string(),
            mtime_ns: Some(i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec())),
            size: m.size(),
            link,
            ino: m.ino(),
        },
        Err(_) => Stat { path: rel.to_string(), mtime_ns: None, size: 0, link, ino: 0 },
    }
}

/// The cheap check: stats only, no reading, no hashing. `settings` is
/// `source::fingerprint` of the settings in force.
pub(crate) fn stats_unchanged(root: &Path, state: &State, settings: &str, mode: SyncMode) -> bool {
    state.mode == mode.as_str() && state.settings == settings && state.watched().all(|s| stat_of(root, &s.path) == *s)
}

/// sha256 over the Python version, the mode, what else the source says
/// decides its install (`extra`: groups, extras; empty for none) and every
/// file, path and content.
pub(crate) fn digest(
    root: &Path,
    python_version: &str,
    mode: SyncMode,
    extra: &str,
    files: &[String],
) -> Result<String> {
    let mut h = Sha256::new();
    h.update(b"autovenv-sync-1\0");
    h.update(python_version.as_bytes());
    h.update(b"\0");
    h.update(mode.as_str().as_bytes());
    // Left out when empty, so that a requirements project's digest is the
    // one it had before there were sources (no reinstall on upgrade).
    if !extra.is_empty() {
        h.update(b"\0extra\0");
        h.update(extra.as_bytes());
    }
    for f in files {
        h.update(b"\0");
        h.update(f.as_bytes());
        h.update(b"\0");
        // Hashed only: the lock files among them may be large.
        match crate::fsutil::read_regular_up_to(&root.join(f), crate::fsutil::LOCK_READ_CAP)? {
            Some(c) => {
                h.update((c.len() as u64).to_le_bytes());
                h.update(&c);
            }
            None => h.update(b"absent"),
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

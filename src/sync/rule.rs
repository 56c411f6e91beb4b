//! The install rule, written once: whether what the env has stands for
//! what the project declares, or an install is due. `hook_env::ensure`
//! (every prompt), `sync::sync` (under the lock) and `autovenv status`
//! (read-only) all ask here.

use std::path::Path;

use crate::config::{Settings, SyncMode};

use super::{source, stats_unchanged, State};

/// How hard to try the install when nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum When {
    /// A prompt: only when the digest moved; a recorded failure is not retried.
    Changed,
    /// Entering the project (`cd` in): also retry an interrupted install.
    Entering,
    /// `autovenv sync`: also retry when the last install of these files failed.
    RetryFailed,
    /// `autovenv sync --force`: always.
    Force,
}

/// Whether the recorded outcome stands for an unchanged digest at `when`:
/// a failure stays recorded (not retried until the files change) except
/// for `autovenv sync`; an interrupted install waits for the next entry.
pub(crate) fn settled(state: &State, when: When) -> bool {
    match when {
        When::Changed => true,
        When::Entering => !state.interrupted,
        When::RetryFailed => state.error.is_none() && !state.interrupted,
        When::Force => false,
    }
}

/// The per-prompt answer, from stats only: `true` when nothing is to do.
/// Sync off is always up to date; no state is never.
pub(crate) fn up_to_date(root: &Path, settings: &Settings, state: Option<&State>, when: When) -> bool {
    if settings.sync == SyncMode::Off {
        return true;
    }
    state.is_some_and(|s| settled(s, when) && stats_unchanged(root, s, &source::fingerprint(settings), settings.sync))
}

/// After the stats moved: whether the new digest is the one recorded (a
/// `touch`, a change undone, a `git checkout` back): then nothing installs.
pub(crate) fn same_digest(state: Option<&State>, digest: &str, when: When) -> bool {
    state.is_some_and(|s| !s.digest.is_empty() && s.digest == digest && settled(s, when))
}

//! Render: the only place that knows shell syntax. Each shell's file holds its
//! quoting and its renderer; this file only dispatches.
//!
//! Contract shared by every renderer:
//! - Output is one statement per change, each ending in `\n`, nothing else, so
//!   an empty plan renders to nothing and the hook's `eval` is a no-op.
//! - Values round-trip byte-exactly, UTF-8 or not, with one exception forced
//!   on us by Unix itself: a NUL byte cannot live in an environment variable,
//!   a path, or a bash variable, so NUL bytes are dropped (as bash does when
//!   it reads a NUL from `$(…)`). The OS never hands us such values.
//! - Fish only: empty entries of `PATH`/`CDPATH` come back as `.` (see `fish`).
//! - Names must be ASCII identifiers; anything else panics rather than emit
//!   code built from it, leaving stdout empty.

use std::ffi::OsString;

// Public so that code outside `render` (the hook scripts, which embed the
// binary's path) can quote for a shell too.
pub mod bash;
pub mod fish;
pub mod json;
pub mod zsh;

/// A shell we render code for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// One thing the shell must do. Names are ASCII identifiers chosen by us;
/// values are arbitrary bytes (Unix paths).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Exported environment variable (PATH included).
    SetEnv(&'static str, OsString),
    UnsetEnv(&'static str),
    /// Shell variable, not exported (hook bookkeeping such as `__autovenv_pwd`).
    SetLocal(&'static str, OsString),
    /// Shell array/list variable, not exported.
    SetLocalList(&'static str, Vec<OsString>),
}

/// Render the changes as code for `shell`. Bytes, because values may not be UTF-8.
pub fn render(shell: Shell, changes: &[Change]) -> Vec<u8> {
    for change in changes {
        check_name(change.name());
    }
    match shell {
        Shell::Bash => bash::render(changes),
        Shell::Zsh => zsh::render(changes),
        Shell::Fish => fish::render(changes),
    }
}

/// Render the environment changes as one JSON object for tools; see [`json::render`]
/// for how values that are not UTF-8 are represented.
pub fn render_json(changes: &[Change]) -> String {
    json::render(changes)
}

impl Change {
    fn name(&self) -> &'static str {
        match self {
            Change::SetEnv(name, _)
            | Change::UnsetEnv(name)
            | Change::SetLocal(name, _)
            | Change::SetLocalList(name, _) => name,
        }
    }
}

/// Names are pasted into code unquoted, so one that is not an identifier would
/// be code injection. They are our own constants, so this is a bug, not input:
/// panic before anything reaches stdout.
fn check_name(name: &str) {
    let mut bytes = name.bytes();
    let ok = bytes.next().is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric());
    assert!(ok, "autovenv bug: {name:?} is not a valid variable name");
}

/// The bytes of a value as the shell should see them: NUL cannot exist in a
/// shell variable or the environment, so it is dropped (see module docs).
fn value_bytes(value: &[u8]) -> impl Iterator<Item = u8> + '_ {
    value.iter().copied().filter(|&b| b != 0)
}

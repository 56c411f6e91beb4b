//! Render: the only place that knows shell syntax. Each shell's module holds
//! all that is particular to it behind [`Syntax`] (its quoting, its renderer,
//! its hook file in `hooks/`, its rc files); this file lists the shells once,
//! in [`Shell::ALL`], and dispatches.
//!
//! Contract shared by every renderer:
//! - Output is one statement per change, each ending in `\n`, nothing else, so
//!   an empty plan renders to nothing and the hook's `eval` is a no-op.
//! - Values round-trip byte-exactly, UTF-8 or not, with one exception forced
//!   on us by Unix itself: a NUL byte cannot live in an environment variable,
//!   a path, or a bash variable, so NUL bytes are dropped (as bash does when
//!   it reads a NUL from `$(…)`). The OS never hands us such values.
//! - Fish only: empty entries of `PATH`/`CDPATH` come back as `.` (see `fish`).
//! - What a shell cannot hold at all (nushell: bytes that are not UTF-8;
//!   xonsh: `$NAME` and `=~`, which it expands in `PATH`) its
//!   [`Syntax::can_hold`] refuses, and `hook_env` activates nothing then.
//! - Names must be ASCII identifiers; anything else panics rather than emit
//!   code built from it, leaving stdout empty.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::context::Context;

// Public so that code outside `render` (the hook scripts, which embed the
// binary's path) can quote for a shell too.
pub(crate) mod bash;
pub(crate) mod elvish;
pub(crate) mod fish;
pub(crate) mod hook;
pub(crate) mod json;
pub(crate) mod nu;
pub(crate) mod tcsh;
pub(crate) mod xonsh;
pub(crate) mod zsh;

/// A shell we render code for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shell {
    Bash,
    Zsh,
    Fish,
    Nu,
    Xonsh,
    Elvish,
    Tcsh,
}

impl Shell {
    /// Every shell, in the order help and listings show them.
    pub(crate) const ALL: [Shell; 7] =
        [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::Nu, Shell::Xonsh, Shell::Elvish, Shell::Tcsh];

    /// The module that knows this shell.
    pub(crate) fn syntax(self) -> &'static dyn Syntax {
        match self {
            Shell::Bash => &bash::Bash,
            Shell::Zsh => &zsh::Zsh,
            Shell::Fish => &fish::Fish,
            Shell::Nu => &nu::Nu,
            Shell::Xonsh => &xonsh::Xonsh,
            Shell::Elvish => &elvish::Elvish,
            Shell::Tcsh => &tcsh::Tcsh,
        }
    }

    /// Its name on the command line, and its program's name.
    pub(crate) fn name(self) -> &'static str {
        self.syntax().name()
    }

    pub(crate) fn from_name(name: &str) -> Option<Shell> {
        Shell::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl clap::ValueEnum for Shell {
    fn value_variants<'a>() -> &'a [Self] {
        &Shell::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// What a shell's module provides: everything about that shell that the rest
/// of the program needs.
pub(crate) trait Syntax: Sync {
    /// As typed after `autovenv hook`, and the name of the shell's program.
    fn name(&self) -> &'static str;
    /// Its hook file, embedded.
    fn hook(&self) -> &'static hook::Template;
    /// One value as a word the shell reads back as exactly these bytes.
    fn quote(&self, value: &[u8]) -> Vec<u8>;
    /// The changes as code, one statement each (see the module docs).
    fn render(&self, changes: &[Change]) -> Vec<u8>;
    /// The files the shell reads at start that may hold the hook line.
    fn rc_files(&self, ctx: &Context) -> Vec<PathBuf>;
    /// The line that loads the hook, for the rc file.
    fn rc_line(&self) -> &'static str;
    /// The command that reloads the rc file in a running shell.
    fn reload(&self) -> &'static str;
    /// The command that runs `rc` (one of `rc_files`) in a running shell.
    fn reload_file(&self, rc: &str) -> String {
        format!("source {rc}")
    }
    /// Whether this shell can hold the value byte for byte in a variable.
    fn can_hold(&self, _value: &[u8]) -> bool {
        true
    }
}

/// One thing the shell must do. Names are ASCII identifiers chosen by us;
/// values are arbitrary bytes (Unix paths).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Exported environment variable (PATH included).
    SetEnv(&'static str, OsString),
    UnsetEnv(&'static str),
    /// Shell variable, not exported (hook bookkeeping such as `__autovenv_pwd`).
    SetLocal(&'static str, OsString),
    /// Shell array/list variable, not exported.
    SetLocalList(&'static str, Vec<OsString>),
    /// Define the shell's `deactivate` function unless one exists. Run, it
    /// sets `AUTOVENV_PAUSED` to `$AUTOVENV_ROOT` and runs the hook (or,
    /// where no hook is loaded, `export` through this program's path), so
    /// the env is left as leaving the project would leave it. It must do
    /// nothing when called as `deactivate nondestructive`: that is how a
    /// venv's `bin/activate` clears the way before it activates.
    DefineDeactivate(OsString),
    /// Remove `deactivate` if it is the one `DefineDeactivate` made (its body
    /// names `AUTOVENV_PAUSED`); anyone else's stays.
    DropDeactivate,
}

/// Render the changes as code for `shell`. Bytes, because values may not be UTF-8.
pub(crate) fn render(shell: Shell, changes: &[Change]) -> Vec<u8> {
    for change in changes {
        check_name(change.name());
    }
    shell.syntax().render(changes)
}

/// Render the environment changes as one JSON object for tools; see [`json::render`]
/// for how values that are not UTF-8 are represented.
pub(crate) fn render_json(changes: &[Change]) -> String {
    json::render(changes)
}

impl Change {
    fn name(&self) -> &'static str {
        match self {
            Change::SetEnv(name, _)
            | Change::UnsetEnv(name)
            | Change::SetLocal(name, _)
            | Change::SetLocalList(name, _) => name,
            Change::DefineDeactivate(_) | Change::DropDeactivate => "deactivate",
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

#[cfg(test)]
pub(crate) mod testkit;

/// `template` with the program's path, quoted by `quote_into`, in place of
/// `@AUTOVENV@`: the `deactivate` that `export` defines (bash, zsh, fish,
/// xonsh).
pub(super) fn with_program(
    out: &mut Vec<u8>,
    template: &str,
    program: &std::ffi::OsStr,
    quote_into: fn(&mut Vec<u8>, &[u8]),
) {
    let (head, tail) = template.split_once("@AUTOVENV@").expect("placeholder");
    out.extend_from_slice(head.as_bytes());
    quote_into(out, std::os::unix::ffi::OsStrExt::as_bytes(program));
    out.extend_from_slice(tail.as_bytes());
}

/// One value quoted for `shell`, e.g. the binary's path in the hook.
pub(crate) fn quote(shell: Shell, value: &[u8]) -> Vec<u8> {
    shell.syntax().quote(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_shell_says_how_to_run_an_rc_file_again() {
        let got: Vec<String> = Shell::ALL.iter().map(|s| s.syntax().reload_file("~/rc")).collect();
        let want = [
            "source ~/rc",
            "source ~/rc",
            "source ~/rc",
            "exec nu",
            "source ~/rc",
            "eval (slurp < ~/rc)",
            "source ~/rc",
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn empty_plan_renders_nothing() {
        for shell in Shell::ALL {
            assert!(render(shell, &[]).is_empty());
        }
    }

    #[test]
    #[should_panic(expected = "not a valid variable name")]
    fn bad_name_panics_before_rendering() {
        render(Shell::Bash, &[Change::UnsetEnv("X;touch pwned")]);
    }

    /// Every shell renders its `deactivate` code, program path quoted, as
    /// code its parser takes (`testkit` skips a shell not installed). Except
    /// nushell, which cannot define a command at run time: its hook defines
    /// `deactivate` (and the `autovenv` wrapper) once, and the changes render
    /// as nothing.
    #[test]
    fn deactivate_fn_renders_for_every_shell() {
        let changes = [Change::DefineDeactivate("/opt/it's here/autovenv".into()), Change::DropDeactivate];
        for shell in Shell::ALL {
            let code = String::from_utf8(render(shell, &changes)).unwrap();
            if shell == Shell::Elvish {
                // The hook defines and removes it (see elvish.rs); the code says which.
                assert_eq!(code, "var __autovenv_deactivate = define\nvar __autovenv_deactivate = drop\n");
                let hook =
                    String::from_utf8(hook::render(shell, std::path::Path::new("/opt/it's here/autovenv"))).unwrap();
                for part in
                    ["AUTOVENV_PAUSED", "nondestructive", "edit:add-var deactivate~", "edit:del-var deactivate~"]
                {
                    assert!(hook.contains(part), "elvish hook lacks {part}: {hook}");
                }
                assert!(hook.contains("here/autovenv'") && hook.contains("$__autovenv_bin export "), "{hook}");
                testkit::check_syntax(shell, &changes);
                continue;
            }
            if shell == Shell::Nu {
                assert_eq!(code, "", "nu renders nothing for them");
                let hook = include_str!("hooks/autovenv.nu");
                assert!(hook.contains("\ndef --env deactivate [mode?: string] {"), "nu's hook defines it");
                assert!(hook.contains("AUTOVENV_PAUSED") && hook.contains("nondestructive"), "nu's hook: {hook}");
                assert!(hook.contains("\ndef --env --wrapped autovenv [...rest] {"), "nu's hook wraps autovenv");
                continue;
            }
            assert!(code.contains("AUTOVENV_PAUSED") && code.contains("nondestructive"), "{shell:?}: {code}");
            // xonsh runs the program from Python: the words are list items.
            let export = if shell == Shell::Xonsh { "'export', 'xonsh'" } else { " export " };
            assert!(code.contains("here/autovenv") && code.contains(export), "{shell:?}: {code}");
            testkit::check_syntax(shell, &changes);
        }
    }

    /// Their round-trip tests hold every byte sequence without NUL, so
    /// neither refuses a value.
    #[test]
    fn elvish_and_tcsh_hold_every_value() {
        for shell in [Shell::Elvish, Shell::Tcsh] {
            for value in testkit::hostile_values() {
                assert!(shell.syntax().can_hold(&value), "{shell:?} {value:?}");
            }
        }
    }

    #[test]
    fn nul_is_dropped_and_syntax_survives() {
        let changes = [Change::SetEnv("A", "a\0'b".into())];
        assert_eq!(render(Shell::Bash, &changes), b"export A='a'\\''b'\n");
        assert_eq!(render(Shell::Fish, &changes), b"set -gx A 'a\\'b'\n");
    }
}

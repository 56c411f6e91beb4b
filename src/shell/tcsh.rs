//! tcsh (6.x).
//!
//! The hook runs the code with `source` of a file, never with `eval` of a
//! backquote, nor `source /dev/stdin` from a pipe: a command substitution
//! breaks its output into words at newlines, so no value holding a newline
//! survives it, and tcsh 6.24 reading a pipe loses or repeats bytes where
//! an escape crosses its 4 KiB read buffer (a regular file it can seek in
//! is read right). Between single quotes tcsh takes every byte literally
//! except three: `'` ends the quotes (written `'\''`), `!` starts a history
//! substitution even there and even in a sourced file (written `\!`), and a
//! newline ends the command unless a backslash comes before it (`\` then
//! the newline is a newline in the value). With that, every byte sequence
//! without NUL round-trips, in UTF-8 and C locales (tests below).
//!
//! The hook (`hooks/autovenv.tcsh`) is one alias of one-line commands
//! (tcsh has no functions, and an alias holds no loop): a one-line `if`
//! substitutes its command's variables even when false, so `$VIRTUAL_ENV`
//! (maybe unset) is read through `eval`; values go through `:q""` (`"$x"`
//! fails on a newline, `:q` alone drops an empty value). The hook must fit
//! in 4 KiB, the rc line's one read of a pipe, so these notes live here.
//! `$$` stays the shell's in a backquote or `( … )` subshell, whose
//! `cwdcmd` still runs the hook: the hook passes it as `AUTOVENV_PID`, and
//! `export` started by another process (a subshell) does nothing, as bash's
//! and fish's hooks do nothing in one.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::hook::Template;
use super::{value_bytes, Change, Syntax};
use crate::context::Context;

/// tcsh, through [`Syntax`].
pub(crate) struct Tcsh;

static HOOK: Template = Template::new(include_str!("hooks/autovenv.tcsh"));

impl Syntax for Tcsh {
    fn name(&self) -> &'static str {
        "tcsh"
    }
    fn hook(&self) -> &'static Template {
        &HOOK
    }
    fn quote(&self, value: &[u8]) -> Vec<u8> {
        quote(value)
    }
    fn render(&self, changes: &[Change]) -> Vec<u8> {
        render(changes)
    }
    fn rc_files(&self, ctx: &Context) -> Vec<PathBuf> {
        let home = ctx.home().map(Path::to_path_buf).unwrap_or_default();
        [".tcshrc", ".cshrc", ".login"].iter().map(|f| home.join(f)).collect()
    }
    fn rc_line(&self) -> &'static str {
        "autovenv hook tcsh | source /dev/stdin"
    }
    fn reload(&self) -> &'static str {
        "source ~/.tcshrc"
    }
}

/// Quote `value` as one tcsh word that reads back as exactly these bytes
/// in a sourced file (see module docs).
pub(crate) fn quote(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    quote_into(&mut out, value);
    out
}

fn quote_into(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'\'');
    for b in value_bytes(value) {
        match b {
            b'\'' => out.extend_from_slice(b"'\\''"),
            b'!' | b'\n' => out.extend_from_slice(&[b'\\', b]),
            b => out.push(b),
        }
    }
    out.push(b'\'');
}

/// `set` and `setenv` assign globals (tcsh has no functions, so no other
/// scope); `unset`/`unsetenv` of a variable that is not set is silent.
pub(crate) fn render(changes: &[Change]) -> Vec<u8> {
    let mut out = Vec::new();
    for change in changes {
        match change {
            Change::SetEnv(name, value) => {
                out.extend_from_slice(format!("setenv {name} ").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::UnsetEnv(name) => out.extend_from_slice(format!("unsetenv {name}").as_bytes()),
            Change::SetLocal(name, value) => {
                out.extend_from_slice(format!("set {name} = ").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::SetLocalList(name, values) => {
                out.extend_from_slice(format!("set {name} = (").as_bytes());
                for value in values {
                    out.push(b' ');
                    quote_into(&mut out, value.as_bytes());
                }
                out.extend_from_slice(b" )");
            }
            Change::DefineDeactivate(program) => {
                let mut program_word = Vec::new();
                quote_into(&mut program_word, program.as_bytes());
                let body = DEACTIVATE_BODY.replace("@AUTOVENV@", &String::from_utf8_lossy(&program_word));
                out.extend_from_slice(b"if ( \"`alias deactivate`\" == \"\" ) alias deactivate ");
                quote_into(&mut out, body.as_bytes());
            }
            Change::DropDeactivate => out.extend_from_slice(DROP_DEACTIVATE.as_bytes()),
        }
        out.push(b'\n');
    }
    out
}

/// The body of `deactivate` (see `Change::DefineDeactivate`), an alias:
/// tcsh has no functions. `!*` are its arguments. A one-line `if`
/// substitutes its command's variables even when false, hence the `eval`
/// of a constant for `AUTOVENV_ROOT`, which may be unset, and `eval` for an
/// alias (not expanded there otherwise). With the hook it
/// reruns it (an empty `__autovenv_pwd` is never idle); without, it sources
/// what `export` prints, through a file (see module docs).
const DEACTIVATE_BODY: &str = "set __autovenv_d = 1; if ( \"!*\" == nondestructive ) set __autovenv_d = 0; \
if ( $__autovenv_d ) setenv AUTOVENV_PAUSED ''; \
if ( $__autovenv_d && $?AUTOVENV_ROOT ) eval setenv AUTOVENV_PAUSED \\$AUTOVENV_ROOT:q'\"\"'; \
if ( $__autovenv_d && ! $?__autovenv_code ) set __autovenv_code = \"`mktemp`\"; \
if ( $__autovenv_d && $?__autovenv_bin ) set __autovenv_pwd = ''; \
if ( $__autovenv_d && $?__autovenv_bin ) eval __autovenv_hook; \
if ( $__autovenv_d && ! $?__autovenv_bin ) @AUTOVENV@ export tcsh >! $__autovenv_code:q; \
if ( $__autovenv_d && ! $?__autovenv_bin ) source $__autovenv_code:q";

/// Only ours goes: its body names `AUTOVENV_PAUSED`. The backquote forks a
/// subshell (no program), on the runs that leave a project only.
const DROP_DEACTIVATE: &str = "if ( \"`alias deactivate`\" =~ *AUTOVENV_PAUSED* ) unalias deactivate";

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, Variant};
    use super::super::{render, Change, Shell};
    use proptest::prelude::*;

    const VARIANTS: &[Variant] = &[Variant::PLAIN, Variant { args: &[], prelude: "", env: &[("LC_ALL", "C")] }];

    #[test]
    fn renders_one_statement_per_change() {
        let changes = [
            Change::SetEnv("A", "x y!".into()),
            Change::UnsetEnv("B"),
            Change::SetLocal("c", "it's\n".into()),
            Change::SetLocalList("d", vec!["a".into(), "".into()]),
            Change::SetLocalList("e", vec![]),
        ];
        let want = "setenv A 'x y\\!'\nunsetenv B\nset c = 'it'\\''s\\\n'\nset d = ( 'a' '' )\nset e = ( )\n";
        assert_eq!(String::from_utf8(render(Shell::Tcsh, &changes)).unwrap(), want);
    }

    /// The rc line sources the hook from a pipe, which tcsh reads right only
    /// within its first 4 KiB (see module docs): the hook must fit, with
    /// room for a long path to the binary.
    #[test]
    fn hook_fits_in_one_read_of_a_pipe() {
        let program = std::path::PathBuf::from(format!("/{}/autovenv", "d".repeat(300)));
        let hook = super::super::hook::render(Shell::Tcsh, &program);
        assert!(hook.len() < 4096, "the tcsh hook is {} bytes", hook.len());
    }

    #[test]
    fn hostile_values_round_trip() {
        let values = testkit::hostile_values();
        testkit::check_syntax(Shell::Tcsh, &testkit::changes_for(&values));
        for variant in VARIANTS {
            testkit::check_roundtrip(Shell::Tcsh, variant, &values);
        }
    }

    #[test]
    fn unset_of_missing_variable_is_silent() {
        let changes = [Change::UnsetEnv("AUTOVENV_NEVER"), Change::UnsetEnv("AUTOVENV_GONE")];
        let Some(got) = testkit::eval(Shell::Tcsh, &Variant::PLAIN, &changes, &[]) else {
            return;
        };
        assert!(!got.env.contains_key(&b"AUTOVENV_GONE"[..]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_bytes_round_trip(values in testkit::arbitrary_values(16)) {
            testkit::check_roundtrip(Shell::Tcsh, &Variant::PLAIN, &values);
        }
    }
}

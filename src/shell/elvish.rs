//! elvish (0.19+).
//!
//! Elvish strings are byte strings, so every value without NUL round-trips,
//! UTF-8 or not: valid UTF-8 between single quotes (where only `'` is
//! special, written `''`), every other byte as a `"\xHH"` piece, the pieces
//! joined into one compound word. Environment variables go through
//! `set-env`/`unset-env`; `$paths` is elvish's view of `PATH` as a list, so
//! setting `PATH` byte for byte gives the list back element for element.
//!
//! Elvish's `eval` runs code in a namespace of its own: it cannot assign the
//! hook's variables. So the hook keeps them in a namespace, evals the code in
//! it, and keeps the namespace the code leaves (`&on-end`); the code declares
//! each variable it sets with `var`.
//!
//! Nor can code evaluated there define a function the person can call: only
//! `edit:add-var` reaches the interactive namespace, and only from the
//! hook. So `Change::DefineDeactivate`/`DropDeactivate` set
//! `__autovenv_deactivate` to `define`/`drop`, and the hook, after the
//! code, adds or deletes `deactivate` (a closure of the hook file) there.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::hook::Template;
use super::{value_bytes, Change, Syntax};
use crate::context::Context;

/// elvish, through [`Syntax`].
pub(crate) struct Elvish;

static HOOK: Template = Template::new(include_str!("hooks/autovenv.elv"));

impl Syntax for Elvish {
    fn name(&self) -> &'static str {
        "elvish"
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
        let conf = ctx.var("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from);
        vec![conf.join("elvish").join("rc.elv"), home.join(".elvish").join("rc.elv")]
    }
    fn rc_line(&self) -> &'static str {
        "eval (autovenv hook elvish | slurp)"
    }
    fn reload(&self) -> &'static str {
        "eval (slurp < ~/.config/elvish/rc.elv)"
    }
    fn reload_file(&self, rc: &str) -> String {
        format!("eval (slurp < {rc})")
    }
}

/// Quote `value` as one elvish word that reads back as exactly these bytes.
pub(crate) fn quote(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    quote_into(&mut out, value);
    out
}

fn quote_into(out: &mut Vec<u8>, value: &[u8]) {
    let bytes: Vec<u8> = value_bytes(value).collect();
    if bytes.is_empty() {
        out.extend_from_slice(b"''");
        return;
    }
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if !valid.is_empty() {
            out.push(b'\'');
            out.extend_from_slice(valid.replace('\'', "''").as_bytes());
            out.push(b'\'');
        }
        if !chunk.invalid().is_empty() {
            out.push(b'"');
            for b in chunk.invalid() {
                out.extend_from_slice(format!("\\x{b:02x}").as_bytes());
            }
            out.push(b'"');
        }
    }
}

/// `set-env` and `unset-env` (silent for a variable that is not set) for
/// the environment; `var` for the hook's own variables (see module docs).
pub(crate) fn render(changes: &[Change]) -> Vec<u8> {
    let mut out = Vec::new();
    for change in changes {
        match change {
            Change::SetEnv(name, value) => {
                out.extend_from_slice(format!("set-env {name} ").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::UnsetEnv(name) => out.extend_from_slice(format!("unset-env {name}").as_bytes()),
            Change::SetLocal(name, value) => {
                out.extend_from_slice(format!("var {name} = ").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::SetLocalList(name, values) => {
                out.extend_from_slice(format!("var {name} = [").as_bytes());
                for value in values {
                    out.push(b' ');
                    quote_into(&mut out, value.as_bytes());
                }
                out.extend_from_slice(b" ]");
            }
            // The hook defines and removes `deactivate` itself (see the
            // module docs): the code only says which.
            Change::DefineDeactivate(_) => out.extend_from_slice(b"var __autovenv_deactivate = define"),
            Change::DropDeactivate => out.extend_from_slice(b"var __autovenv_deactivate = drop"),
        }
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, Variant};
    use super::super::{render, Change, Shell};
    use proptest::prelude::*;

    const VARIANTS: &[Variant] = &[Variant::PLAIN, Variant { args: &[], prelude: "", env: &[("LC_ALL", "C")] }];

    #[test]
    fn renders_one_statement_per_change() {
        let changes = [
            Change::SetEnv("A", "x y".into()),
            Change::SetEnv("P", std::ffi::OsStr::from_bytes(b"a\xffb'").into()),
            Change::UnsetEnv("B"),
            Change::SetLocal("c", "it's".into()),
            Change::SetLocal("e", "".into()),
            Change::SetLocalList("d", vec!["a".into(), "".into()]),
        ];
        let want = "set-env A 'x y'\nset-env P 'a'\"\\xff\"'b'''\nunset-env B\nvar c = 'it''s'\nvar e = ''\n\
                    var d = [ 'a' '' ]\n";
        assert_eq!(String::from_utf8(render(Shell::Elvish, &changes)).unwrap(), want);
    }

    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn hostile_values_round_trip() {
        let values = testkit::hostile_values();
        testkit::check_syntax(Shell::Elvish, &testkit::changes_for(&values));
        for variant in VARIANTS {
            testkit::check_roundtrip(Shell::Elvish, variant, &values);
        }
    }

    #[test]
    fn unset_of_missing_variable_is_silent() {
        let changes = [Change::UnsetEnv("AUTOVENV_NEVER"), Change::UnsetEnv("AUTOVENV_GONE")];
        let Some(got) = testkit::eval(Shell::Elvish, &Variant::PLAIN, &changes, &[]) else {
            return;
        };
        assert!(!got.env.contains_key(&b"AUTOVENV_GONE"[..]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_bytes_round_trip(values in testkit::arbitrary_values(16)) {
            testkit::check_roundtrip(Shell::Elvish, &Variant::PLAIN, &values);
        }
    }
}

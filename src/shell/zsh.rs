//! zsh (5.1+), whatever options the user has set.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::hook::Template;
use super::{bash, Change, Syntax};
use crate::context::Context;

/// zsh, through [`Syntax`].
pub(crate) struct Zsh;

static HOOK: Template = Template::new(include_str!("hooks/autovenv.zsh"));

impl Syntax for Zsh {
    fn name(&self) -> &'static str {
        "zsh"
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
        let zdot = ctx.var("ZDOTDIR").map_or(home, PathBuf::from);
        [".zshrc", ".zprofile", ".zshenv", ".zlogin"].iter().map(|f| zdot.join(f)).collect()
    }
    fn rc_line(&self) -> &'static str {
        r#"eval "$(autovenv hook zsh)""#
    }
    fn reload(&self) -> &'static str {
        "source ~/.zshrc"
    }
}

/// Quote `value` as one zsh word that reads back as exactly these bytes.
///
/// Same form as bash: within single quotes zsh is literal too. `RC_QUOTES`
/// would read `''` *inside* quotes as a quote, but this form never puts two
/// quotes next to each other inside a quoted run: every closing `'` is followed
/// by `\'`, a separator or the end (`''\'''` for `'` reads back right either way).
pub(crate) fn quote(value: &[u8]) -> Vec<u8> {
    bash::quote(value)
}

/// Every assignment goes through `typeset -g` (`export` is `typeset -gx`):
/// `-g` reaches the global from inside the hook function, and assigning via
/// typeset keeps `WARN_CREATE_GLOBAL` and `WARN_NESTED_VAR` quiet, which a
/// plain `NAME=…` would trip. Arrays use typeset's reserved-word form
/// `typeset -ga NAME=( … )` (zsh 5.1+) in one statement for the same reason;
/// it is unaffected by `KSH_ARRAYS`, `SH_WORD_SPLIT` or any `emulate` mode.
pub(crate) fn render(changes: &[Change]) -> Vec<u8> {
    let mut out = Vec::new();
    for change in changes {
        match change {
            Change::SetEnv(name, value) => {
                out.extend_from_slice(format!("export {name}=").as_bytes());
                bash::quote_into(&mut out, value.as_bytes());
            }
            // `-v`: parameters only, never a function of the same name.
            Change::UnsetEnv(name) => out.extend_from_slice(format!("unset -v {name}").as_bytes()),
            Change::SetLocal(name, value) => {
                out.extend_from_slice(format!("typeset -g {name}=").as_bytes());
                bash::quote_into(&mut out, value.as_bytes());
            }
            Change::SetLocalList(name, values) => {
                out.extend_from_slice(format!("typeset -ga {name}=(").as_bytes());
                bash::list_into(&mut out, values);
                out.push(b')');
            }
            Change::DefineDeactivate(program) => {
                super::with_program(&mut out, DEFINE_DEACTIVATE, program, bash::quote_into);
            }
            Change::DropDeactivate => out.extend_from_slice(DROP_DEACTIVATE.as_bytes()),
        }
        out.push(b'\n');
    }
    out
}

/// `deactivate` (see `Change::DefineDeactivate`), with our own options
/// whatever the person's, and `typeset -g` for `WARN_CREATE_GLOBAL`.
const DEFINE_DEACTIVATE: &str = "if (( ! ${+functions[deactivate]} )); then function deactivate { \
emulate -L zsh; if [[ ${1-} != nondestructive ]]; then typeset -gx AUTOVENV_PAUSED=\"${AUTOVENV_ROOT-}\"; \
if (( ${+functions[__autovenv_hook]} )); then typeset -g __autovenv_pwd=''; __autovenv_hook; \
else eval \"$(@AUTOVENV@ export zsh)\"; fi; fi; }; fi";

/// Only ours goes (its body names `AUTOVENV_PAUSED`).
const DROP_DEACTIVATE: &str = "if [[ ${functions[deactivate]-} == *AUTOVENV_PAUSED* ]]; then unfunction deactivate; fi";

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, Variant};
    use super::super::{render, Change, Shell};
    use proptest::prelude::*;

    /// Options users set that break careless quoting or scoping.
    const VARIANTS: &[Variant] = &[
        Variant::PLAIN,
        Variant {
            args: &[],
            prelude:
                "setopt RC_QUOTES KSH_ARRAYS SH_WORD_SPLIT NO_UNSET EXTENDED_GLOB WARN_CREATE_GLOBAL WARN_NESTED_VAR",
            env: &[],
        },
        Variant { args: &[], prelude: "emulate sh; setopt NO_GLOB RC_QUOTES", env: &[] },
        Variant { args: &[], prelude: "emulate ksh", env: &[("LC_ALL", "C")] },
    ];

    #[test]
    fn renders_one_statement_per_change() {
        let changes = [
            Change::SetEnv("A", "x y".into()),
            Change::UnsetEnv("B"),
            Change::SetLocal("c", "it's".into()),
            Change::SetLocalList("d", vec!["a".into(), "".into()]),
        ];
        let want = "export A='x y'\nunset -v B\ntypeset -g c='it'\\''s'\ntypeset -ga d=( 'a' '' )\n";
        assert_eq!(String::from_utf8(render(Shell::Zsh, &changes)).unwrap(), want);
    }

    #[test]
    fn hostile_values_round_trip() {
        let values = testkit::hostile_values();
        testkit::check_syntax(Shell::Zsh, &testkit::changes_for(&values));
        for variant in VARIANTS {
            testkit::check_roundtrip(Shell::Zsh, variant, &values);
        }
    }

    #[test]
    fn unset_of_missing_variable_is_silent() {
        let changes = [Change::UnsetEnv("AUTOVENV_NEVER"), Change::UnsetEnv("AUTOVENV_GONE")];
        let Some(got) = testkit::eval(Shell::Zsh, &VARIANTS[1], &changes, &[]) else {
            return;
        };
        assert!(!got.env.contains_key(&b"AUTOVENV_GONE"[..]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_bytes_round_trip(values in testkit::arbitrary_values(16)) {
            testkit::check_roundtrip(Shell::Zsh, &VARIANTS[1], &values);
        }
    }
}

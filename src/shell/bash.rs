//! bash, down to 3.2 (macOS's /bin/bash), in any mode a user may have set.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::hook::Template;
use super::{value_bytes, Change, Syntax};
use crate::context::Context;

/// bash, through [`Syntax`].
pub(crate) struct Bash;

static HOOK: Template = Template::new(include_str!("hooks/autovenv.bash"));

impl Syntax for Bash {
    fn name(&self) -> &'static str {
        "bash"
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
        [".bashrc", ".bash_profile", ".bash_login", ".profile"].iter().map(|f| home.join(f)).collect()
    }
    fn rc_line(&self) -> &'static str {
        r#"eval "$(autovenv hook bash)""#
    }
    fn reload(&self) -> &'static str {
        "source ~/.bashrc"
    }
}

/// Quote `value` as one word that bash (or any POSIX shell) reads back as
/// exactly these bytes.
///
/// Between single quotes every byte is literal — newline, `!`, `$`, `\`,
/// invalid UTF-8 — and nothing (no option, no history expansion, which in any
/// case never applies to `eval`'d text) can change that. Only `'` itself cannot
/// appear inside, so it becomes `'\''`: close, escaped quote, reopen.
pub(crate) fn quote(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    quote_into(&mut out, value);
    out
}

pub(super) fn quote_into(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'\'');
    for b in value_bytes(value) {
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
}

/// The hook evals this inside a function, so assignments must reach the global
/// scope. `declare -g` would say so but needs bash 4.2; a plain `NAME=…` does
/// the same on every version because bash is dynamically scoped and the hook
/// declares no local of these names. `unset -v`, because a bare `unset` falls
/// back to removing a *function* of that name when no variable exists.
pub(crate) fn render(changes: &[Change]) -> Vec<u8> {
    let mut out = Vec::new();
    for change in changes {
        match change {
            Change::SetEnv(name, value) => {
                out.extend_from_slice(format!("export {name}=").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::UnsetEnv(name) => out.extend_from_slice(format!("unset -v {name}").as_bytes()),
            Change::SetLocal(name, value) => {
                out.extend_from_slice(format!("{name}=").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::SetLocalList(name, values) => {
                out.extend_from_slice(format!("{name}=(").as_bytes());
                list_into(&mut out, values);
                out.push(b')');
            }
            Change::DefineDeactivate(program) => super::with_program(&mut out, DEFINE_DEACTIVATE, program, quote_into),
            Change::DropDeactivate => out.extend_from_slice(DROP_DEACTIVATE.as_bytes()),
        }
        out.push(b'\n');
    }
    out
}

/// `deactivate` (see `Change::DefineDeactivate`). The `function` keyword,
/// because an alias named `deactivate` would be expanded in `deactivate() {`;
/// `${1-}` and `${AUTOVENV_ROOT-}` for `set -u`.
const DEFINE_DEACTIVATE: &str = "if ! declare -F deactivate >/dev/null; then function deactivate { \
if [[ ${1-} != nondestructive ]]; then export AUTOVENV_PAUSED=\"${AUTOVENV_ROOT-}\"; \
if declare -F __autovenv_hook >/dev/null; then __autovenv_pwd=''; __autovenv_hook; \
else eval \"$(@AUTOVENV@ export bash)\"; fi; fi; }; fi";

/// Only ours goes: bash shows a function's body only on stdout, hence the
/// command substitution (it runs on a prompt that left a project, never on
/// an idle one).
const DROP_DEACTIVATE: &str =
    "if declare -F deactivate >/dev/null && [[ $(declare -f deactivate) == *AUTOVENV_PAUSED* ]]; \
then unset -f deactivate; fi";

/// ` 'a' 'b' ` — each element quoted, so empty ones stay elements.
pub(super) fn list_into(out: &mut Vec<u8>, values: &[std::ffi::OsString]) {
    for value in values {
        out.push(b' ');
        quote_into(out, value.as_bytes());
    }
    out.push(b' ');
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, Variant};
    use super::super::{render, Change, Shell};
    use proptest::prelude::*;

    /// Settings users have that break careless quoting.
    const VARIANTS: &[Variant] = &[
        Variant::PLAIN,
        Variant { args: &[], prelude: "set -u; set -H; set -o history; shopt -s extglob nullglob failglob", env: &[] },
        Variant { args: &["--posix"], prelude: "set -u", env: &[] },
        Variant { args: &[], prelude: "", env: &[("LC_ALL", "C")] },
    ];

    #[test]
    fn renders_one_statement_per_change() {
        let changes = [
            Change::SetEnv("A", "x y".into()),
            Change::UnsetEnv("B"),
            Change::SetLocal("c", "it's".into()),
            Change::SetLocalList("d", vec!["a".into(), "".into()]),
            Change::SetLocalList("e", vec![]),
        ];
        let want = "export A='x y'\nunset -v B\nc='it'\\''s'\nd=( 'a' '' )\ne=( )\n";
        assert_eq!(String::from_utf8(render(Shell::Bash, &changes)).unwrap(), want);
    }

    #[test]
    fn hostile_values_round_trip() {
        let values = testkit::hostile_values();
        testkit::check_syntax(Shell::Bash, &testkit::changes_for(&values));
        for variant in VARIANTS {
            testkit::check_roundtrip(Shell::Bash, variant, &values);
        }
    }

    #[test]
    fn unset_of_missing_variable_is_silent() {
        let changes = [Change::UnsetEnv("AUTOVENV_NEVER"), Change::UnsetEnv("AUTOVENV_GONE")];
        let Some(got) = testkit::eval(Shell::Bash, &VARIANTS[1], &changes, &[]) else {
            return;
        };
        assert!(!got.env.contains_key(&b"AUTOVENV_GONE"[..]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_bytes_round_trip(values in testkit::arbitrary_values(16)) {
            testkit::check_roundtrip(Shell::Bash, &Variant::PLAIN, &values);
        }
    }
}

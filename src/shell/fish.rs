//! fish (3.x).
//!
//! What round-trips, established against fish 3.6 (tests below keep it so):
//! every byte sequence without NUL, in fish variables and in the environment
//! of child processes. Fish decodes source as UTF-8 and stores each byte it
//! cannot decode (and the bytes of any character in the ranges it reserves
//! for this and for internal use, U+F600.. and U+FDD0..) as a private-use
//! character that it turns back into that byte when printing or exporting, so
//! raw bytes inside quotes come back intact (tested in C.UTF-8 and C locales).
//!
//! What does not: fish itself rewrites an empty entry of `PATH` or `CDPATH` to
//! `.` whenever either is set, and does the same to the `PATH` it inherits at
//! startup. So `SetEnv("PATH", "a::b")` exports `a:.:b` — the same directories
//! to search, different bytes; no code we could emit avoids it. Other `…PATH`
//! variables keep their empty entries.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::hook::Template;
use super::{value_bytes, Change, Syntax};
use crate::context::Context;

/// fish, through [`Syntax`].
pub(crate) struct Fish;

static HOOK: Template = Template::new(include_str!("hooks/autovenv.fish"));

impl Syntax for Fish {
    fn name(&self) -> &'static str {
        "fish"
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
        let conf = ctx.var("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from).join("fish");
        let mut files = vec![conf.join("config.fish")];
        if let Ok(entries) = std::fs::read_dir(conf.join("conf.d")) {
            let mut more: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            more.sort();
            files.extend(more);
        }
        files
    }
    fn rc_line(&self) -> &'static str {
        "autovenv hook fish | source"
    }
    fn reload(&self) -> &'static str {
        "source ~/.config/fish/config.fish"
    }
}

/// Quote `value` as one fish word that reads back as exactly these bytes.
///
/// Fish's single quotes know two escapes, `\\` and `\'`; every other byte,
/// newline included, is literal.
pub(crate) fn quote(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 2);
    quote_into(&mut out, value);
    out
}

fn quote_into(out: &mut Vec<u8>, value: &[u8]) {
    out.push(b'\'');
    for b in value_bytes(value) {
        if b == b'\\' || b == b'\'' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'\'');
}

/// `set` stops reading options at the variable name, so values that look like
/// options (`-e`, `--`) are safe after it. `-g` reaches the global scope from
/// inside the hook function.
pub(crate) fn render(changes: &[Change]) -> Vec<u8> {
    let mut out = Vec::new();
    for change in changes {
        match change {
            Change::SetEnv(name, value) => {
                out.extend_from_slice(format!("set -gx {name}").as_bytes());
                for element in env_elements(name, value.as_bytes()) {
                    out.push(b' ');
                    quote_into(&mut out, element);
                }
            }
            // Erasing a variable that does not exist is silent (status 4);
            // `-g` so a same-named local of the calling function is left alone.
            Change::UnsetEnv(name) => out.extend_from_slice(format!("set -e -g {name}").as_bytes()),
            Change::SetLocal(name, value) => {
                out.extend_from_slice(format!("set -g {name} ").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::SetLocalList(name, values) => {
                out.extend_from_slice(format!("set -g {name}").as_bytes());
                for value in values {
                    out.push(b' ');
                    quote_into(&mut out, value.as_bytes());
                }
            }
            Change::DefineDeactivate(program) => super::with_program(&mut out, DEFINE_DEACTIVATE, program, quote_into),
            Change::DropDeactivate => out.extend_from_slice(DROP_DEACTIVATE.as_bytes()),
        }
        out.push(b'\n');
    }
    out
}

/// `deactivate` (see `Change::DefineDeactivate`).
const DEFINE_DEACTIVATE: &str = "if not functions -q deactivate
function deactivate --description 'autovenv: deactivate until you leave this project'
if test \"$argv[1]\" != nondestructive
set -gx AUTOVENV_PAUSED \"$AUTOVENV_ROOT\"
if functions -q __autovenv_hook
set -g __autovenv_pwd ''
__autovenv_hook
else
@AUTOVENV@ export fish | source
end
end
end
end";

/// Only ours goes (its body names `AUTOVENV_PAUSED`).
const DROP_DEACTIVATE: &str =
    "if functions -q deactivate; and string match -q '*AUTOVENV_PAUSED*' -- (functions deactivate)
functions -e deactivate
end";

/// Fish keeps a variable whose name ends in `PATH` as a list, splits it on `:`
/// on import and joins it with `:` on export; we hand it the list it would have
/// made, so `$PATH` in fish holds entries and children see the original string.
/// An empty value is the empty list: a single empty element would make `PATH`
/// become `.` (see module docs), while an empty list exports as the empty string.
fn env_elements<'a>(name: &str, value: &'a [u8]) -> Vec<&'a [u8]> {
    if !name.ends_with("PATH") {
        vec![value]
    } else if value.is_empty() {
        Vec::new()
    } else {
        value.split(|&b| b == b':').collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, Probe, Variant};
    use super::super::{render, Change, Shell};
    use proptest::prelude::*;

    const VARIANTS: &[Variant] = &[Variant::PLAIN, Variant { args: &[], prelude: "", env: &[("LC_ALL", "C")] }];

    #[test]
    fn renders_one_statement_per_change() {
        let changes = [
            Change::SetEnv("A", "x\\y".into()),
            Change::SetEnv("PATH", "/a::/b".into()),
            Change::SetEnv("PATH", "".into()),
            Change::UnsetEnv("B"),
            Change::SetLocal("c", "it's".into()),
            Change::SetLocalList("d", vec!["a".into(), "".into()]),
            Change::SetLocalList("e", vec![]),
        ];
        let want = "set -gx A 'x\\\\y'\nset -gx PATH '/a' '' '/b'\nset -gx PATH\nset -e -g B\n\
                    set -g c 'it\\'s'\nset -g d 'a' ''\nset -g e\n";
        assert_eq!(String::from_utf8(render(Shell::Fish, &changes)).unwrap(), want);
    }

    #[test]
    fn hostile_values_round_trip() {
        let values = testkit::hostile_values();
        testkit::check_syntax(Shell::Fish, &testkit::changes_for(&values));
        for variant in VARIANTS {
            testkit::check_roundtrip(Shell::Fish, variant, &values);
        }
    }

    /// The exported string is what we asked for, except that fish writes `.`
    /// for an empty entry of PATH (and only PATH/CDPATH).
    #[test]
    fn path_lists_export_as_the_original_string() {
        for (value, path) in [("", ""), (":", ".:."), ("/a::/b", "/a:.:/b"), ("/x:", "/x:."), ("/x", "/x")] {
            let changes = [Change::SetEnv("PATH", value.into()), Change::SetEnv("AUTOVENV_XPATH", value.into())];
            let probes = [Probe::List("AUTOVENV_XPATH")];
            let Some(got) = testkit::eval(Shell::Fish, &Variant::PLAIN, &changes, &probes) else {
                return;
            };
            assert_eq!(got.env[&b"PATH"[..]], path.as_bytes(), "PATH={value:?}");
            assert_eq!(got.env[&b"AUTOVENV_XPATH"[..]], value.as_bytes(), "AUTOVENV_XPATH={value:?}");
            let entries = if value.is_empty() { 0 } else { value.split(':').count() };
            assert_eq!(got.values[0].len(), entries, "fish should hold {value:?} as a list");
        }
    }

    #[test]
    fn unset_of_missing_variable_is_silent() {
        let changes = [Change::UnsetEnv("AUTOVENV_NEVER"), Change::UnsetEnv("AUTOVENV_GONE")];
        let Some(got) = testkit::eval(Shell::Fish, &Variant::PLAIN, &changes, &[]) else {
            return;
        };
        assert!(!got.env.contains_key(&b"AUTOVENV_GONE"[..]));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn arbitrary_bytes_round_trip(values in testkit::arbitrary_values(16)) {
            testkit::check_roundtrip(Shell::Fish, &Variant::PLAIN, &values);
        }
    }
}

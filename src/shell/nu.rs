//! nushell (0.100 and later; the program is `nu`).
//!
//! nushell cannot evaluate text at run time, so what `export nu` prints is
//! data: one JSON object per change, `{"op":"set"|"unset"|"local","name":…,
//! "value":…}`, which the hook's `__autovenv_apply` carries out with
//! `load-env`, `hide-env` and an update of its bookkeeping record. JSON
//! strings hold any Unicode text exactly, so there is no quoting to get
//! wrong.
//!
//! What nushell cannot hold: bytes that are not UTF-8 (its strings and its
//! environment are UTF-8 text), so [`Syntax::can_hold`] refuses them and
//! such a project is not activated. `PATH` is a list in nushell: it is
//! handed over as the list of its `:`-separated entries (empty ones kept),
//! which nushell joins back to the same string for other programs; an empty
//! `PATH` is the empty list.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::hook::Template;
use super::{value_bytes, Change, Syntax};
use crate::context::Context;

/// nushell, through [`Syntax`].
pub(crate) struct Nu;

static HOOK: Template = Template::new(include_str!("hooks/autovenv.nu"));

impl Syntax for Nu {
    fn name(&self) -> &'static str {
        "nu"
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
    fn can_hold(&self, value: &[u8]) -> bool {
        std::str::from_utf8(value).is_ok()
    }
    fn rc_files(&self, ctx: &Context) -> Vec<PathBuf> {
        let home = ctx.home().map(Path::to_path_buf).unwrap_or_default();
        let conf = ctx.var("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from).join("nushell");
        let data = ctx.var("XDG_DATA_HOME").map_or_else(|| home.join(".local/share"), PathBuf::from).join("nushell");
        vec![conf.join("config.nu"), conf.join("env.nu"), data.join("vendor/autoload/autovenv.nu")]
    }
    fn rc_line(&self) -> &'static str {
        "autovenv hook nu | save -f ($nu.data-dir | path join vendor/autoload/autovenv.nu)"
    }
    fn reload(&self) -> &'static str {
        "exec nu"
    }
    // nushell sources only files it knows when it parses: a new one.
    fn reload_file(&self, _rc: &str) -> String {
        "exec nu".into()
    }
}

/// The text of `value` (lossy where it is not UTF-8, which [`Nu::can_hold`]
/// keeps out of the environment).
fn text(value: &[u8]) -> String {
    let bytes: Vec<u8> = value_bytes(value).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A nushell double-quoted string: JSON's escapes are nushell's too, except
/// that nushell spells a code point `\u{…}`.
pub(crate) fn quote(value: &[u8]) -> Vec<u8> {
    let mut out = String::from("\"");
    for c in text(value).chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out.into_bytes()
}

fn json(value: &[u8]) -> String {
    serde_json::Value::String(text(value)).to_string()
}

fn json_list<'a>(values: impl Iterator<Item = &'a [u8]>) -> String {
    let items: Vec<String> = values.map(json).collect();
    format!("[{}]", items.join(","))
}

pub(crate) fn render(changes: &[Change]) -> Vec<u8> {
    let mut out = String::new();
    for change in changes {
        let (op, name, value) = match change {
            Change::SetEnv(name, value) if *name == "PATH" => {
                let v = value.as_bytes();
                let entries: Vec<&[u8]> = if v.is_empty() { Vec::new() } else { v.split(|&b| b == b':').collect() };
                ("set", name, Some(json_list(entries.into_iter())))
            }
            Change::SetEnv(name, value) => ("set", name, Some(json(value.as_bytes()))),
            Change::UnsetEnv(name) => ("unset", name, None),
            Change::SetLocal(name, value) => ("local", name, Some(json(value.as_bytes()))),
            Change::SetLocalList(name, values) => ("local", name, Some(json_list(values.iter().map(|v| v.as_bytes())))),
            // nushell cannot define a command at run time: its `deactivate`
            // is defined in the hook and acts only while an env is active.
            Change::DefineDeactivate(_) | Change::DropDeactivate => continue,
        };
        out.push_str(&format!(r#"{{"op":"{op}","name":"{name}""#));
        if let Some(v) = value {
            out.push_str(&format!(r#","value":{v}"#));
        }
        out.push_str("}\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, Variant};
    use super::super::{render, Change, Shell};
    use proptest::prelude::*;

    /// nushell expands a leading `~` in each entry of its PATH list when it
    /// hands PATH to a program (its list keeps the `~`); the round trip goes
    /// through PATH, so such entries are left out of it.
    fn in_path(values: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        values.into_iter().filter(|v| !v.split(|&b| b == b':').any(|e| e.starts_with(b"~"))).collect()
    }

    #[test]
    fn renders_one_object_per_change() {
        let changes = [
            Change::SetEnv("A", "x\"y".into()),
            Change::SetEnv("PATH", "/a::/b".into()),
            Change::SetEnv("PATH", "".into()),
            Change::UnsetEnv("B"),
            Change::SetLocal("c", "it's\n".into()),
            Change::SetLocalList("d", vec!["a".into(), "".into()]),
        ];
        let want = "{\"op\":\"set\",\"name\":\"A\",\"value\":\"x\\\"y\"}\n\
                    {\"op\":\"set\",\"name\":\"PATH\",\"value\":[\"/a\",\"\",\"/b\"]}\n\
                    {\"op\":\"set\",\"name\":\"PATH\",\"value\":[]}\n\
                    {\"op\":\"unset\",\"name\":\"B\"}\n\
                    {\"op\":\"local\",\"name\":\"c\",\"value\":\"it's\\n\"}\n\
                    {\"op\":\"local\",\"name\":\"d\",\"value\":[\"a\",\"\"]}\n";
        assert_eq!(String::from_utf8(render(Shell::Nu, &changes)).unwrap(), want);
    }

    #[test]
    fn holds_text_only() {
        let nu = Shell::Nu.syntax();
        assert!(nu.can_hold("/a/é 🐍\n$(x)".as_bytes()));
        assert!(!nu.can_hold(b"/a\xff"));
    }

    #[test]
    fn hostile_values_round_trip() {
        let values = in_path(testkit::holdable(Shell::Nu, testkit::hostile_values()));
        testkit::check_syntax(Shell::Nu, &testkit::changes_for(&values));
        testkit::check_roundtrip(Shell::Nu, &Variant::PLAIN, &values);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn arbitrary_text_round_trips(values in testkit::arbitrary_values(16)) {
            testkit::check_roundtrip(Shell::Nu, &Variant::PLAIN, &in_path(testkit::holdable(Shell::Nu, values)));
        }
    }
}

//! JSON for tools (editors, scripts): what the environment should become.

use super::Change;
use serde_json::{Map, Value};
use std::os::unix::ffi::OsStrExt;

/// One object mapping each changed environment variable to its new value,
/// followed by a newline; shell-only variables (`SetLocal*`) are left out.
///
/// - set, value valid UTF-8: a string, `{"VIRTUAL_ENV": "/p/env"}`
/// - unset: `null`
/// - set, value not valid UTF-8: an array of its bytes, `{"X": [47, 255]}`.
///   JSON strings cannot carry such bytes, and replacing them (U+FFFD) would
///   hand the tool a different path without telling it; a different type makes
///   it notice. NUL bytes are dropped, as for the shells.
///
/// When a name appears twice the last change wins, as it would in a shell.
pub(crate) fn render(changes: &[Change]) -> String {
    let mut object = Map::new();
    for change in changes {
        let (name, value) = match change {
            Change::SetEnv(name, value) => (name, value_json(value.as_bytes())),
            Change::UnsetEnv(name) => (name, Value::Null),
            Change::SetLocal(..) | Change::SetLocalList(..) | Change::DefineDeactivate(_) | Change::DropDeactivate => {
                continue
            }
        };
        object.insert(name.to_string(), value);
    }
    let mut out = Value::Object(object).to_string();
    out.push('\n');
    out
}

fn value_json(value: &[u8]) -> Value {
    let bytes: Vec<u8> = super::value_bytes(value).collect();
    match String::from_utf8(bytes) {
        Ok(text) => Value::String(text),
        Err(err) => err.into_bytes().into_iter().map(Value::from).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{render_json, Change};
    use serde_json::{json, Value};
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    #[test]
    fn env_changes_become_one_object() {
        let changes = [
            Change::SetEnv("VIRTUAL_ENV", "/p/env \"q\" \n".into()),
            Change::UnsetEnv("PYTHONHOME"),
            Change::SetEnv("RAW", OsString::from_vec(b"/a\xff\xc3".to_vec())),
            Change::SetLocal("__autovenv_pwd", "/p".into()),
            Change::SetLocalList("__autovenv_list", vec!["x".into()]),
            Change::SetEnv("TWICE", "first".into()),
            Change::UnsetEnv("TWICE"),
        ];
        let out = render_json(&changes);
        assert!(out.ends_with("}\n") && out.matches('\n').count() == 1);
        let parsed: Value = serde_json::from_str(&out).unwrap();
        let want = json!({
            "VIRTUAL_ENV": "/p/env \"q\" \n",
            "PYTHONHOME": null,
            "RAW": [47, 97, 255, 195],
            "TWICE": null,
        });
        assert_eq!(parsed, want);
    }

    #[test]
    fn no_changes_is_an_empty_object() {
        assert_eq!(render_json(&[]), "{}\n");
    }
}

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
pub fn render(changes: &[Change]) -> String {
    let mut object = Map::new();
    for change in changes {
        let (name, value) = match change {
            Change::SetEnv(name, value) => (name, value_json(value.as_bytes())),
            Change::UnsetEnv(name) => (name, Value::Null),
            Change::SetLocal(..) | Change::SetLocalList(..) => continue,
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

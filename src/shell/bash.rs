//! bash, down to 3.2 (macOS's /bin/bash), in any mode a user may have set.

use super::{value_bytes, Change};
use std::os::unix::ffi::OsStrExt;

/// Quote `value` as one word that bash (or any POSIX shell) reads back as
/// exactly these bytes.
///
/// Between single quotes every byte is literal — newline, `!`, `$`, `\`,
/// invalid UTF-8 — and nothing (no option, no history expansion, which in any
/// case never applies to `eval`'d text) can change that. Only `'` itself cannot
/// appear inside, so it becomes `'\''`: close, escaped quote, reopen.
pub fn quote(value: &[u8]) -> Vec<u8> {
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
pub fn render(changes: &[Change]) -> Vec<u8> {
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
        }
        out.push(b'\n');
    }
    out
}

/// ` 'a' 'b' ` — each element quoted, so empty ones stay elements.
pub(super) fn list_into(out: &mut Vec<u8>, values: &[std::ffi::OsString]) {
    for value in values {
        out.push(b' ');
        quote_into(out, value.as_bytes());
    }
    out.push(b' ');
}

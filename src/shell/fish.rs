//! fish (3.x).
//!
//! What round-trips, established against fish 3.6 (tests below keep it so):
//! every byte sequence without NUL, in fish variables and in the environment
//! of child processes. Fish decodes source as UTF-8 and stores each byte it
//! cannot decode (and each character of its own private-use ranges) as a
//! private-use character it turns back into that byte when printing or
//! exporting, so raw bytes inside quotes come back intact, in any locale.
//!
//! What does not: fish itself rewrites an empty entry of `PATH` or `CDPATH` to
//! `.` whenever either is set, and does the same to the `PATH` it inherits at
//! startup. So `SetEnv("PATH", "a::b")` exports `a:.:b` — the same directories
//! to search, different bytes; no code we could emit avoids it. Other `…PATH`
//! variables keep their empty entries.

use super::{value_bytes, Change};
use std::os::unix::ffi::OsStrExt;

/// Quote `value` as one fish word that reads back as exactly these bytes.
///
/// Fish's single quotes know two escapes, `\\` and `\'`; every other byte,
/// newline included, is literal.
pub fn quote(value: &[u8]) -> Vec<u8> {
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
pub fn render(changes: &[Change]) -> Vec<u8> {
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
        }
        out.push(b'\n');
    }
    out
}

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

//! zsh (5.1+), whatever options the user has set.

use super::{bash, Change};
use std::os::unix::ffi::OsStrExt;

/// Quote `value` as one zsh word that reads back as exactly these bytes.
///
/// Same form as bash: within single quotes zsh is literal too. `RC_QUOTES`
/// would read `''` *inside* quotes as a quote, but this form never puts two
/// quotes next to each other inside a quoted run: every closing `'` is followed
/// by `\'`, a separator or the end (`''\'''` for `'` reads back right either way).
pub fn quote(value: &[u8]) -> Vec<u8> {
    bash::quote(value)
}

/// Every assignment goes through `typeset -g` (`export` is `typeset -gx`):
/// `-g` reaches the global from inside the hook function, and assigning via
/// typeset keeps `WARN_CREATE_GLOBAL` and `WARN_NESTED_VAR` quiet, which a
/// plain `NAME=…` would trip. Arrays use typeset's reserved-word form
/// `typeset -ga NAME=( … )` (zsh 5.1+) in one statement for the same reason;
/// it is unaffected by `KSH_ARRAYS`, `SH_WORD_SPLIT` or any `emulate` mode.
pub fn render(changes: &[Change]) -> Vec<u8> {
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
        }
        out.push(b'\n');
    }
    out
}

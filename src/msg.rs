//! Words for the person: stderr, one line each, prefixed `autovenv: `.
//! stdout is reserved for shell code, so nothing here may ever print there.

use std::io::{IsTerminal, Write};

use crate::error::Error;

pub fn info(line: &str) {
    emit("", line);
}

pub fn warn(line: &str) {
    emit(&paint("warning: ", "33"), line);
}

pub fn error(err: &Error) {
    emit(&paint("error: ", "31"), &err.message);
    if let Some(h) = &err.hint {
        emit(&paint("hint: ", "36"), h);
    }
}

/// A warning from an error, hint kept.
pub fn warn_error(err: &Error) {
    warn(&err.message);
    if let Some(h) = &err.hint {
        emit(&paint("hint: ", "36"), h);
    }
}

fn emit(label: &str, line: &str) {
    // A closed stderr must not turn into a panic at the prompt.
    let _ = writeln!(std::io::stderr().lock(), "autovenv: {label}{line}");
}

/// Colour only for a person at a terminal who has not asked for none.
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn paint(text: &str, code: &str) -> String {
    if color() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

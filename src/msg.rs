//! Words for the person: stderr, one line each, prefixed `autovenv: `.
//! stdout is reserved for shell code, so nothing here may ever print there.
//!
//! Every line is escaped on its way out (see `escape`): messages carry
//! folder names and file contents, and those can hold terminal escape
//! sequences.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io::{IsTerminal, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::error::Error;

pub(crate) fn info(line: &str) {
    emit("", line);
}

pub(crate) fn warn(line: &str) {
    emit(&paint("warning: ", "33"), line);
}

pub(crate) fn error(err: &Error) {
    emit(&paint("error: ", "31"), &err.message);
    if let Some(h) = &err.hint {
        emit(&paint("hint: ", "36"), h);
    }
}

/// A warning from an error, hint kept.
pub(crate) fn warn_error(err: &Error) {
    warn(&err.message);
    if let Some(h) = &err.hint {
        emit(&paint("hint: ", "36"), h);
    }
}

fn emit(label: &str, line: &str) {
    // A closed stderr must not turn into a panic at the prompt.
    let _ = writeln!(std::io::stderr().lock(), "autovenv: {label}{}", escape(line));
}

/// `text` with every character that a terminal acts on instead of showing
/// written out visibly, as `ls` and git do: C0 controls (ESC, newline, …),
/// DEL, C1 controls (U+009B is a one-character CSI) and the bidirectional
/// overrides and isolates that make a name read differently from what it
/// is. A folder name is free to hold any of them, and printed raw it can
/// set the window title, write to the clipboard (OSC 52), clear the screen
/// or overwrite a line to fake another message. A backslash is left alone,
/// so escaping twice changes nothing.
pub(crate) fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A path for a message: under home as `~/…`, escaped, and bytes that are
/// not UTF-8 shown as `\xHH` rather than lost.
pub(crate) fn path(p: &Path, home: Option<&Path>) -> String {
    let (prefix, rest) = match home.and_then(|h| p.strip_prefix(h).ok()) {
        Some(rest) if rest.as_os_str().is_empty() => return "~".into(),
        Some(rest) => ("~/", rest.as_os_str()),
        None => ("", p.as_os_str()),
    };
    let mut out = prefix.to_string();
    out.push_str(&os(rest));
    out
}

/// Any value from the file system or a file, escaped; see `path`.
pub(crate) fn os(value: &OsStr) -> String {
    let mut out = String::new();
    for chunk in value.as_bytes().utf8_chunks() {
        out.push_str(&escape(chunk.valid()));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let _ = match c {
        '\n' => write!(out, "\\n"),
        '\t' => write!(out, "\\t"),
        '\r' => write!(out, "\\r"),
        c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
        c => write!(out, "\\u{{{:04x}}}", c as u32),
    };
}

/// Colour only for a person at a terminal who has not asked for none.
pub(crate) fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stderr().is_terminal()
}

fn paint(text: &str, code: &str) -> String {
    if color() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on() {
        let cases = [
            ("plain ~/code/app é ✓", "plain ~/code/app é ✓"),
            ("osc52\x1b]52;c;ZWNobyBoaQ==\x07", "osc52\\x1b]52;c;ZWNobyBoaQ==\\x07"),
            ("title\x1b]0;pwned\x1b\\", "title\\x1b]0;pwned\\x1b\\"),
            ("clear\x1b[2J", "clear\\x1b[2J"),
            ("csi\u{9b}2J", "csi\\u{009b}2J"),
            ("del\x7f", "del\\x7f"),
            ("rlo\u{202e}txt.exe", "rlo\\u{202e}txt.exe"),
            ("iso\u{2066}x\u{2069}", "iso\\u{2066}x\\u{2069}"),
            ("line\nautovenv: allowed\r\t", "line\\nautovenv: allowed\\r\\t"),
        ];
        for (raw, want) in cases {
            assert_eq!(escape(raw), want, "{raw:?}");
            assert_eq!(escape(want), want, "escaping twice changes nothing");
        }
    }

    #[test]
    fn paths_keep_tilde_and_show_bad_bytes() {
        let h = Path::new("/home/me");
        assert_eq!(path(Path::new("/home/me/a\x1b[2Jb"), Some(h)), "~/a\\x1b[2Jb");
        assert_eq!(path(Path::new("/home/me"), Some(h)), "~");
        assert_eq!(path(Path::new(OsStr::from_bytes(b"/srv/\xff\x1b")), Some(h)), "/srv/\\xff\\x1b");
    }
}

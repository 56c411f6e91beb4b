//! Reading TOML files so that every error names the file and the line:
//! shared by the config and by python's `requires-python`.

use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::error::{Error, Result};

/// Reads a TOML file as text. `Ok(None)` when it does not exist.
pub(crate) fn read_toml_text(path: &Path) -> Result<Option<String>> {
    match crate::fsutil::read_regular(path)? {
        Some(bytes) => {
            String::from_utf8(bytes).map(Some).map_err(|_| Error::new(format!("{} is not valid UTF-8", path.display())))
        }
        None => Ok(None),
    }
}

/// Parses a whole document; a syntax error becomes one line naming the file
/// and the line (toml's own rendering is a multi-line snippet).
pub(crate) fn parse_toml<'a>(path: &Path, text: &'a str) -> Result<Spanned<DeTable<'a>>> {
    DeTable::parse(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        let mut msg = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        // toml says only "duplicate key"; the span holds which one.
        if msg == "duplicate key" {
            if let Some(key) = e.span().and_then(|s| text.get(s)).filter(|k| !k.is_empty()) {
                msg = format!("duplicate key '{key}'");
            }
        }
        Error::new(format!("{} line {line}: invalid TOML: {msg}", path.display()))
    })
}

/// 1-based line of a byte offset. An offset at the very end of a file that
/// ends in a newline belongs to the last line, not to a phantom one after it.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    if offset == text.len() && text.ends_with('\n') && offset > 0 {
        offset -= 1;
    }
    text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1
}

/// "a string", "an integer", … for "(got …)". The type, not the value: the
/// line number already points at it.
pub(crate) fn describe(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_numbers() {
        assert_eq!(line_of("a\nb\n", 0), 1);
        assert_eq!(line_of("a\nb\n", 2), 2);
        assert_eq!(line_of("a\nb\n", 4), 2, "EOF after a final newline is the last line");
        assert_eq!(line_of("a\nb", 3), 2);
    }
}

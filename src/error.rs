//! One error type for the whole binary: a message, an optional cause chain
//! folded into the message, and an optional hint telling the person what to do.
//! Rendered as `autovenv: error: …` and `autovenv: hint: …` on stderr.

use std::fmt;

#[derive(Debug)]
pub(crate) struct Error {
    pub message: String,
    pub hint: Option<String>,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Error { message: message.into(), hint: None }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `what: cause` — keeps the chain on one line, as ripgrep does.
    pub(crate) fn io(what: impl fmt::Display, err: std::io::Error) -> Self {
        Error::new(format!("{what}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

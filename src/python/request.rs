//! What a project asks for: the config's `python`, `.python-version`, or
//! `requires-python` in pyproject.toml, in that order of precedence.

use std::path::{Path, PathBuf};

use toml::de::DeValue;

use super::specifier::parse_specifiers;
use crate::config::{self, line_of, parse_toml, read_toml_text};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// "3", "3.12", "3.12.1": the newest installed interpreter whose version
    /// starts with these numbers.
    Version(String),
    /// An interpreter file; relative paths were made absolute by `requested`.
    Path(PathBuf),
    /// "pypy3", "python3.12", or a pyenv version folder name ("3.12-dev").
    Name(String),
    /// A PEP 440 specifier set, from `requires-python` (or `python = ">=3.10"`).
    Specifier(String),
}

/// Where a request came from; its `Display` is how messages name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// `python = "…"` in the project's or the global config (the value as written).
    Config(String),
    /// `.python-version`; `system` when it says pyenv's "system".
    PythonVersionFile { system: bool },
    /// `requires-python` in pyproject.toml (the specifier, trimmed).
    RequiresPython(String),
}

impl Source {
    /// What to edit to ask for another Python, for hints.
    pub fn what_to_change(&self) -> &'static str {
        match self {
            Source::Config(_) => "`python` in the autovenv config",
            Source::PythonVersionFile { .. } => PYTHON_VERSION_FILE,
            Source::RequiresPython(_) => "requires-python in pyproject.toml",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Config(value) => write!(f, "config python = {value:?}"),
            Source::PythonVersionFile { system: false } => f.write_str(PYTHON_VERSION_FILE),
            Source::PythonVersionFile { system: true } => write!(f, "{PYTHON_VERSION_FILE} (system)"),
            Source::RequiresPython(spec) => write!(f, "requires-python {spec} in pyproject.toml"),
        }
    }
}

pub(super) const PYTHON_VERSION_FILE: &str = ".python-version";

/// The files that can change which Python a project asks for (for change
/// detection), those that exist.
pub fn input_files(root: &Path) -> Vec<PathBuf> {
    [PYTHON_VERSION_FILE, config::PYPROJECT].iter().map(|f| root.join(f)).filter(|p| p.exists()).collect()
}

/// What the project asks for, and where that came from. `None`: nothing
/// asked, use `python3` on PATH.
/// `global`: `settings_python` came from the global config only.
pub fn requested(root: &Path, settings_python: Option<&str>, global: bool) -> Result<Option<(Request, Source)>> {
    let config = |value: &str| {
        let source = Source::Config(value.to_string());
        from_config(root, value, &source).map(|r| Some((r, source)))
    };
    if let Some(value) = settings_python.filter(|_| !global) {
        return config(value);
    }
    if let Some(found) = from_python_version_file(root)? {
        return Ok(Some(found));
    }
    if let Some(value) = settings_python {
        return config(value);
    }
    from_requires_python(root)
}

/// pyenv's rule: the first word of the first non-empty line that is not a
/// comment. (pyenv allows several versions, one per line; only the first
/// builds the env.)
pub(super) fn from_python_version_file(root: &Path) -> Result<Option<(Request, Source)>> {
    let path = root.join(PYTHON_VERSION_FILE);
    let text = match crate::fsutil::read_regular(&path)? {
        Some(bytes) => {
            String::from_utf8(bytes).map_err(|_| Error::new(format!("{} is not valid UTF-8", path.display())))?
        }
        None => return Ok(None),
    };
    let first = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| line.split_whitespace().next().map(|w| (i + 1, w)))
        .find(|(_, word)| !word.starts_with('#'));
    let Some((line, word)) = first else {
        return Ok(None); // empty or only comments: pyenv ignores it too
    };
    if word == "system" {
        // pyenv's "system": the python3 on PATH that is not a pyenv shim.
        return Ok(Some((Request::Name("python3".into()), Source::PythonVersionFile { system: true })));
    }
    // pyenv refuses paths here (a version is a folder name under
    // versions/); so do we, rather than run a file the repo points at.
    if word.contains('/') || word == "." || word == ".." {
        return Err(Error::new(format!("{} line {line}: {word:?} is not a Python version or name", path.display()))
            .with_hint("write a version such as 3.12, as `pyenv local` or `uv python pin` would"));
    }
    let req = if is_version(word) { Request::Version(word.into()) } else { Request::Name(word.into()) };
    Ok(Some((req, Source::PythonVersionFile { system: false })))
}

/// The config's `python`: a version, a specifier, a path (has a `/`;
/// relative to the project root), or else a name.
pub(super) fn from_config(root: &Path, value: &str, source: &Source) -> Result<Request> {
    let value = value.trim();
    // There is no HOME here to expand against, and "/p/~/bin/python" would
    // be a baffling "does not exist"; say it plainly instead.
    if value.starts_with('~') {
        return Err(Error::new(format!("{source}: ~ is not expanded here"))
            .with_hint("write the full path, or a version such as \"3.12\""));
    }
    if value.contains('/') {
        return Ok(Request::Path(root.join(value)));
    }
    if is_version(value) {
        return Ok(Request::Version(value.into()));
    }
    if value.starts_with(['<', '>', '=', '!', '~']) {
        parse_specifiers(value).map_err(|why| {
            Error::new(format!("{source} is not a version specifier autovenv understands: {why}"))
                .with_hint(SPECIFIER_HINT)
        })?;
        return Ok(Request::Specifier(value.into()));
    }
    if value.is_empty() || value == "." || value == ".." {
        return Err(Error::new(format!("{source} is not a Python version, name or path")));
    }
    Ok(Request::Name(value.into()))
}

pub(super) const SPECIFIER_HINT: &str = "write it like \">=3.10\", \">=3.10,<3.13\", \"==3.12.*\" or \"~=3.11\"";

/// `project.requires-python` from pyproject.toml. The rest of the file is
/// none of our business, but a syntax error is still an error (see config).
pub(super) fn from_requires_python(root: &Path) -> Result<Option<(Request, Source)>> {
    let path = root.join(config::PYPROJECT);
    let Some(text) = read_toml_text(&path)? else {
        return Ok(None);
    };
    let doc = parse_toml(&path, &text)?;
    let Some(DeValue::Table(project)) = doc.get_ref().get("project").map(|v| v.get_ref()) else {
        return Ok(None);
    };
    let Some((key, value)) = project.get_key_value("requires-python") else {
        return Ok(None);
    };
    let at = format!("{} line {}", path.display(), line_of(&text, key.span().start));
    let DeValue::String(spec) = value.get_ref() else {
        return Err(Error::new(format!(
            "'requires-python' in {at} must be a string (got {})",
            config::describe(value.get_ref())
        ))
        .with_hint(SPECIFIER_HINT));
    };
    let spec = spec.trim();
    parse_specifiers(spec).map_err(|why| {
        Error::new(format!("'requires-python' in {at} is not a version specifier autovenv understands: {why}"))
            .with_hint(SPECIFIER_HINT)
    })?;
    Ok(Some((Request::Specifier(spec.into()), Source::RequiresPython(spec.into()))))
}

/// "3", "3.12", "3.12.1".
pub(super) fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

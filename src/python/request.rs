//! What a project asks for: the config's `python`, `.python-version`, or
//! `requires-python` in pyproject.toml, in that order of precedence.

use std::path::{Path, PathBuf};

use toml::de::DeValue;

use super::specifier::{is_version, parse_specifiers};
use crate::config::{self, line_of, parse_toml, read_toml_text};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Request {
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
pub(crate) enum Source {
    /// `python = "…"` in the project's or the global config (the value as written).
    Config(String),
    /// `.python-version`; `system` when it says pyenv's "system".
    PythonVersionFile { system: bool },
    /// `requires-python` in pyproject.toml (the specifier, trimmed).
    RequiresPython(String),
}

impl Source {
    /// What to edit to ask for another Python, for hints.
    pub(crate) fn what_to_change(&self) -> &'static str {
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
pub(crate) fn input_files(root: &Path) -> Vec<PathBuf> {
    [PYTHON_VERSION_FILE, config::PYPROJECT].iter().map(|f| root.join(f)).filter(|p| p.exists()).collect()
}

/// What the project asks for, and where that came from. `None`: nothing
/// asked, use `python3` on PATH.
/// `global`: `settings_python` came from the global config only.
pub(crate) fn requested(root: &Path, settings_python: Option<&str>, global: bool) -> Result<Option<(Request, Source)>> {
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
    let Some(DeValue::Table(project)) = doc.get_ref().get("project").map(toml::Spanned::get_ref) else {
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

#[cfg(test)]
mod tests {
    use std::fs;
    use std::process::Command;

    use super::*;

    fn req(r: Request, source: Source) -> (Request, Source) {
        (r, source)
    }

    fn pv() -> Source {
        Source::PythonVersionFile { system: false }
    }

    fn cfg(value: &str) -> Source {
        Source::Config(value.into())
    }

    #[test]
    fn sources_name_themselves_and_what_to_edit() {
        let cases = [
            (cfg("3.12"), "config python = \"3.12\"", "`python` in the autovenv config"),
            (pv(), ".python-version", ".python-version"),
            (Source::PythonVersionFile { system: true }, ".python-version (system)", ".python-version"),
            (
                Source::RequiresPython(">=3.10".into()),
                "requires-python >=3.10 in pyproject.toml",
                "requires-python in pyproject.toml",
            ),
        ];
        for (source, text, edit) in cases {
            assert_eq!((source.to_string().as_str(), source.what_to_change()), (text, edit));
        }
    }

    #[test]
    fn python_version_file_rules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |text: &str| fs::write(root.join(".python-version"), text).unwrap();
        let get = || requested(root, None, false).unwrap().unwrap();
        write("# pinned for CI\n\n  3.12.1  # a comment\n3.11\n");
        assert_eq!(get(), req(Request::Version("3.12.1".into()), pv()));
        write("pypy3.10-7.3.15\r\n");
        assert_eq!(get(), req(Request::Name("pypy3.10-7.3.15".into()), pv()));
        write("system\n");
        assert_eq!(get(), req(Request::Name("python3".into()), Source::PythonVersionFile { system: true }));
        // Empty or comments only: ignored, as pyenv does.
        write("\n# nothing\n");
        assert_eq!(requested(root, None, false).unwrap(), None);
        // A FIFO is refused, not waited on.
        fs::remove_file(root.join(".python-version")).unwrap();
        assert!(Command::new("mkfifo").arg(root.join(".python-version")).status().unwrap().success());
        let e = requested(root, None, false).unwrap_err();
        assert!(e.message.ends_with(".python-version is not a regular file"), "{}", e.message);
        fs::remove_file(root.join(".python-version")).unwrap();
        write("\n../../bin/evil\n");
        let e = requested(root, None, false).unwrap_err();
        assert_eq!(
            e.message,
            format!("{}/.python-version line 2: \"../../bin/evil\" is not a Python version or name", root.display())
        );
        fs::write(root.join(".python-version"), b"3.1\xff\n").unwrap();
        let e = requested(root, None, false).unwrap_err();
        assert_eq!(e.message, format!("{}/.python-version is not valid UTF-8", root.display()));
    }

    #[test]
    fn precedence_config_then_python_version_then_requires_python() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        assert_eq!(requested(root, None, false).unwrap(), None);
        fs::write(root.join("pyproject.toml"), "[project]\nname = \"x\"\nrequires-python = \">=3.10\"\n").unwrap();
        assert_eq!(
            requested(root, None, false).unwrap().unwrap(),
            req(Request::Specifier(">=3.10".into()), Source::RequiresPython(">=3.10".into()))
        );
        assert_eq!(
            requested(root, Some("3.12"), false).unwrap().unwrap(),
            req(Request::Version("3.12".into()), cfg("3.12"))
        );
        fs::write(root.join(".python-version"), "3.11\n").unwrap();
        assert_eq!(
            requested(root, Some("3.12"), false).unwrap().unwrap(),
            req(Request::Version("3.12".into()), cfg("3.12")),
            "autovenv's own setting wins over pyenv's file"
        );
        assert_eq!(requested(root, None, false).unwrap().unwrap(), req(Request::Version("3.11".into()), pv()));
        assert_eq!(
            requested(root, Some("3.12"), true).unwrap().unwrap(),
            req(Request::Version("3.11".into()), pv()),
            "a global default does not override the project's file"
        );
        assert_eq!(input_files(root), vec![root.join(".python-version"), root.join("pyproject.toml")]);
    }

    #[test]
    fn config_python_forms() {
        let root = Path::new("/p");
        let get = |v: &str| requested(root, Some(v), false).map(|r| r.unwrap().0);
        assert_eq!(get("3").unwrap(), Request::Version("3".into()));
        assert_eq!(get("pypy3").unwrap(), Request::Name("pypy3".into()));
        assert_eq!(get("python3.12").unwrap(), Request::Name("python3.12".into()));
        assert_eq!(get("/opt/py/bin/python3").unwrap(), Request::Path("/opt/py/bin/python3".into()));
        assert_eq!(get("tools/python").unwrap(), Request::Path("/p/tools/python".into()));
        assert_eq!(get(">=3.10,<3.13").unwrap(), Request::Specifier(">=3.10,<3.13".into()));
        assert_eq!(
            get(">=3.1x").unwrap_err().message,
            "config python = \">=3.1x\" is not a version specifier autovenv understands: '3.1x' after >= is not a version like 3.10 (pre-releases are not supported)"
        );
        assert_eq!(get("..").unwrap_err().message, "config python = \"..\" is not a Python version, name or path");
        assert_eq!(
            get("~/py/bin/python3").unwrap_err().message,
            "config python = \"~/py/bin/python3\": ~ is not expanded here"
        );
    }

    #[test]
    fn requires_python_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let pyproject = root.join("pyproject.toml");
        fs::write(&pyproject, "[project]\nname = \"x\"\nrequires-python = \"=>3.10\"\n").unwrap();
        assert_eq!(
            requested(root, None, false).unwrap_err().message,
            format!("'requires-python' in {} line 3 is not a version specifier autovenv understands: '=>3.10' does not start with an operator (>=, >, <=, <, ==, !=, ~=)", pyproject.display())
        );
        fs::write(&pyproject, "[project]\nrequires-python = 3.10\n").unwrap();
        assert_eq!(
            requested(root, None, false).unwrap_err().message,
            format!("'requires-python' in {} line 2 must be a string (got a float)", pyproject.display())
        );
        // Other tools' tables, and a pyproject without [project], are fine.
        fs::write(&pyproject, "[tool.poetry]\nname = 1\n[build-system]\nrequires = []\n").unwrap();
        assert_eq!(requested(root, None, false).unwrap(), None);
    }
}

//! Which Python interpreter builds a project's env.
//!
//! The request comes from, in order: the project config's `python`
//! (autovenv's own setting, the most specific instruction), `.python-version`
//! (pyenv's file), the global config's `python` (a default for every
//! project), `requires-python` in pyproject.toml; with none of them,
//! `python3` on PATH. A range (`requires-python`) is met by `python3` on PATH when it
//! can be: that is the user's choice, the one `python3 -m venv` and uv take. Candidates are found on PATH (`python3`,
//! `python3.N`), in pyenv's versions folder and through `uv python find`;
//! whatever is chosen is run once to learn its real version and path, so a
//! name or folder that lies about its version is never trusted. A request
//! that cannot be met is an error: no env is built with a different Python.
//!
//! Everything here runs interpreters, so callers only call `find` for
//! projects the user has allowed (a `.python-version` could name a path).
//! Nothing is ever passed to a shell: requests only become file names,
//! `Command` arguments and, for uv, version strings that were parsed first.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use toml::de::DeValue;

use crate::config::{self, line_of, parse_toml, read_toml_text};
use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interpreter {
    /// The interpreter to build a venv from: `sys._base_executable`, so a
    /// pyenv shim, or a venv's own `bin/python`, is resolved to the real
    /// installation (symlinks are kept: see `PROBE`).
    pub path: PathBuf,
    /// "3.11.7"
    pub version: String,
    /// Where the request came from, for messages: ".python-version",
    /// `config python = "3.12"`, "requires-python >=3.10 in pyproject.toml",
    /// "python3 on PATH".
    pub source: String,
}

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

const PYTHON_VERSION_FILE: &str = ".python-version";

/// The files that can change which Python a project asks for (for change
/// detection), those that exist.
pub fn input_files(root: &Path) -> Vec<PathBuf> {
    [PYTHON_VERSION_FILE, config::PYPROJECT].iter().map(|f| root.join(f)).filter(|p| p.exists()).collect()
}

/// What the project asks for, and where that came from. `None`: nothing
/// asked, use `python3` on PATH.
/// `global`: `settings_python` came from the global config only.
pub fn requested(root: &Path, settings_python: Option<&str>, global: bool) -> Result<Option<(Request, String)>> {
    let config = |value: &str| {
        let source = format!("config python = {value:?}");
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
fn from_python_version_file(root: &Path) -> Result<Option<(Request, String)>> {
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
    let source = PYTHON_VERSION_FILE.to_string();
    if word == "system" {
        // pyenv's "system": the python3 on PATH that is not a pyenv shim.
        return Ok(Some((Request::Name("python3".into()), format!("{source} (system)"))));
    }
    // pyenv refuses paths here (a version is a folder name under
    // versions/); so do we, rather than run a file the repo points at.
    if word.contains('/') || word == "." || word == ".." {
        return Err(Error::new(format!("{} line {line}: {word:?} is not a Python version or name", path.display()))
            .with_hint("write a version such as 3.12, as `pyenv local` or `uv python pin` would"));
    }
    let req = if is_version(word) { Request::Version(word.into()) } else { Request::Name(word.into()) };
    Ok(Some((req, source)))
}

/// The config's `python`: a version, a specifier, a path (has a `/`;
/// relative to the project root), or else a name.
fn from_config(root: &Path, value: &str, source: &str) -> Result<Request> {
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

const SPECIFIER_HINT: &str = "write it like \">=3.10\", \">=3.10,<3.13\", \"==3.12.*\" or \"~=3.11\"";

/// `project.requires-python` from pyproject.toml. The rest of the file is
/// none of our business, but a syntax error is still an error (see config).
fn from_requires_python(root: &Path) -> Result<Option<(Request, String)>> {
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
    Ok(Some((Request::Specifier(spec.into()), format!("requires-python {spec} in pyproject.toml"))))
}

/// "3", "3.12", "3.12.1".
fn is_version(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 3 && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------
// Version specifiers (the PEP 440 subset requires-python uses in practice:
// release numbers only; no pre-releases, epochs, local versions or `===`).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Ge,
    Gt,
    Le,
    Lt,
    Eq,
    Ne,
    Compatible,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Clause {
    op: Op,
    version: Vec<u64>,
    /// `==3.12.*` / `!=3.12.*`
    wildcard: bool,
}

/// Comma-separated clauses; an empty string is the empty set, which allows
/// every version (as in PEP 440).
fn parse_specifiers(s: &str) -> Result<Vec<Clause>, String> {
    if s.trim().is_empty() {
        return Ok(Vec::new());
    }
    s.split(',').map(|c| parse_clause(c.trim())).collect()
}

fn parse_clause(c: &str) -> Result<Clause, String> {
    if c.is_empty() {
        return Err("empty clause between commas".into());
    }
    if c.starts_with("===") {
        return Err(format!("'{c}': arbitrary equality (===) is not supported"));
    }
    // Two-character operators first, so ">=" is not read as ">".
    const OPS: &[(&str, Op)] = &[
        ("~=", Op::Compatible),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("<", Op::Lt),
        (">", Op::Gt),
    ];
    let Some((op_text, op, rest)) = OPS.iter().find_map(|(t, op)| c.strip_prefix(t).map(|r| (*t, *op, r.trim())))
    else {
        return Err(format!("'{c}' does not start with an operator (>=, >, <=, <, ==, !=, ~=)"));
    };
    let (number, wildcard) = match rest.strip_suffix(".*") {
        Some(n) => (n, true),
        None => (rest, false),
    };
    if wildcard && !matches!(op, Op::Eq | Op::Ne) {
        return Err(format!("'{c}': .* only goes with == and !="));
    }
    let version: Option<Vec<u64>> =
        number.split('.').map(|p| if p.bytes().all(|b| b.is_ascii_digit()) { p.parse().ok() } else { None }).collect();
    let Some(version) = version.filter(|v| !v.is_empty()) else {
        return Err(format!("'{rest}' after {op_text} is not a version like 3.10 (pre-releases are not supported)"));
    };
    if op == Op::Compatible && version.len() < 2 {
        return Err(format!("'{c}': ~= needs at least two numbers, like ~=3.10"));
    }
    Ok(Clause { op, version, wildcard })
}

/// Compare release numbers, the shorter padded with `pad` (0 for real
/// versions; u64::MAX for the top of a partly known one).
fn cmp_padded(a: &[u64], b: &[u64], pad_a: u64, pad_b: u64) -> std::cmp::Ordering {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| a.get(i).copied().unwrap_or(pad_a).cmp(&b.get(i).copied().unwrap_or(pad_b)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

/// The first `prefix.len()` numbers of `v` (zero-padded) equal `prefix`.
fn has_prefix(v: &[u64], prefix: &[u64]) -> bool {
    prefix.iter().enumerate().all(|(i, p)| v.get(i).copied().unwrap_or(0) == *p)
}

impl Clause {
    fn matches(&self, v: &[u64]) -> bool {
        use std::cmp::Ordering::*;
        let ord = cmp_padded(v, &self.version, 0, 0);
        match (self.op, self.wildcard) {
            (Op::Eq, true) => has_prefix(v, &self.version),
            (Op::Ne, true) => !has_prefix(v, &self.version),
            (Op::Eq, false) => ord == Equal,
            (Op::Ne, false) => ord != Equal,
            (Op::Ge, _) => ord != Less,
            (Op::Gt, _) => ord == Greater,
            (Op::Le, _) => ord != Greater,
            (Op::Lt, _) => ord == Less,
            // ~=3.10.2 means >=3.10.2, ==3.10.*
            (Op::Compatible, _) => ord != Less && has_prefix(v, &self.version[..self.version.len() - 1]),
        }
    }

    /// Could some version starting with `known` (e.g. [3, 12] from a file
    /// named python3.12) match? Decides which candidates are worth running;
    /// the run decides. Exact for every operator but `!=`, which never rules
    /// out a whole range.
    fn may_match(&self, known: &[u64]) -> bool {
        use std::cmp::Ordering::*;
        let common = known.len().min(self.version.len());
        let same_start = known[..common] == self.version[..common];
        let low = cmp_padded(known, &self.version, 0, 0); // known.0.0 vs V
        let high = cmp_padded(known, &self.version, u64::MAX, 0); // known.∞.∞ vs V
        match (self.op, self.wildcard) {
            (Op::Eq, true) => same_start,
            (Op::Eq, false) => low != Greater && high != Less,
            (Op::Ne, _) => true,
            (Op::Ge, _) => high != Less,
            (Op::Gt, _) => high == Greater,
            (Op::Le, _) => low != Greater,
            (Op::Lt, _) => low == Less,
            (Op::Compatible, _) => {
                let stem = &self.version[..self.version.len() - 1];
                let c = known.len().min(stem.len());
                high != Less && known[..c] == stem[..c]
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Finding an interpreter.

/// Finds the interpreter for `req` (`None`: `python3` on PATH). `path_var`
/// is the PATH to search; `pyenv_root` is `$PYENV_ROOT` (or `~/.pyenv`) if
/// the caller wants pyenv's versions searched; `uv` is uv's path if present.
pub fn find(
    req: Option<&(Request, String)>,
    path_var: &OsStr,
    pyenv_root: Option<&Path>,
    uv: Option<&Path>,
) -> Result<Interpreter> {
    let search = Search::new(path_var, pyenv_root, uv);
    let Some((req, source)) = req else {
        return search.default_python3();
    };
    let source = source.as_str();
    match req {
        Request::Path(path) => {
            if !path.exists() {
                return Err(Error::new(format!("{} was requested by {source} but it does not exist", path.display()))
                    .with_hint(format!("install it there, or change {}", what_to_change(source))));
            }
            let probe = probe(path)
                .map_err(|e| Error::new(format!("{} was requested by {source} but {}", path.display(), e.message)))?;
            Ok(probe.into_interpreter(source))
        }
        Request::Version(v) => {
            // "3.12" is "==3.12.*": any 3.12.x, the newest wins.
            let clauses = parse_specifiers(&format!("=={v}.*"))
                .map_err(|why| Error::new(format!("{source}: {v:?} is not a Python version: {why}")))?;
            search.newest(&clauses, Some(v)).map(|p| p.into_interpreter(source)).ok_or_else(|| {
                search.not_found(
                    &format!("Python {v} was requested by {source} but no such interpreter was found"),
                    source,
                    v,
                )
            })
        }
        Request::Specifier(s) => {
            let clauses = parse_specifiers(s).map_err(|why| {
                Error::new(format!("{source} is not a version specifier autovenv understands: {why}"))
            })?;
            let fits = |p: &Probe| clauses.iter().all(|c| c.matches(&p.version));
            let mut why_not = String::new();
            if let Some(own) = first_on(&search.dirs, "python3").and_then(|p| probe(&p).ok()) {
                if fits(&own) {
                    return Ok(own.into_interpreter(&format!("python3 on PATH, which satisfies {source}")));
                }
                why_not = format!("; python3 on PATH is {}", own.version_text);
            }
            let chosen = format!("the newest that satisfies {source}{why_not}");
            search.newest(&clauses, Some(s)).map(|p| p.into_interpreter(&chosen)).ok_or_else(|| {
                search.not_found(&format!("no installed Python satisfies {source}"), source, &format!("'{s}'"))
            })
        }
        Request::Name(name) => search.by_name(name, source),
    }
}

/// Where to look, shared by the strategies below.
struct Search<'a> {
    /// PATH entries, absolute ones only: an empty or relative entry means
    /// "the current directory", i.e. the project itself, whose files must
    /// not be run just because they are called python3.
    dirs: Vec<PathBuf>,
    /// Same, without pyenv's shims: a shim runs whatever version pyenv picks
    /// for the current directory, not the one its name says; pyenv's real
    /// interpreters are searched in `versions/` instead.
    dirs_no_shims: Vec<PathBuf>,
    pyenv_versions: Option<PathBuf>,
    uv: Option<&'a Path>,
}

/// What running a candidate told us.
#[derive(Debug)]
struct Probe {
    version: Vec<u64>,
    version_text: String,
    executable: PathBuf,
}

impl Probe {
    fn into_interpreter(self, source: &str) -> Interpreter {
        Interpreter { path: self.executable, version: self.version_text, source: source.to_string() }
    }
}

struct Candidate {
    path: PathBuf,
    /// The leading version numbers its name tells (python3.12: [3, 12];
    /// versions/3.11.7: [3, 11, 7]; uv's answer: []). Only a guide.
    known: Vec<u64>,
}

impl<'a> Search<'a> {
    fn new(path_var: &OsStr, pyenv_root: Option<&Path>, uv: Option<&'a Path>) -> Self {
        let dirs: Vec<PathBuf> = std::env::split_paths(path_var).filter(|d| d.is_absolute()).collect();
        let shims = pyenv_root.map(|r| r.join("shims"));
        let shims_real = shims.as_ref().and_then(|s| s.canonicalize().ok());
        let dirs_no_shims = dirs
            .iter()
            .filter(|d| {
                let is_shims = shims.as_deref() == Some(d.as_path())
                    || (shims_real.is_some() && d.canonicalize().ok() == shims_real);
                !is_shims
            })
            .cloned()
            .collect();
        Search { dirs, dirs_no_shims, pyenv_versions: pyenv_root.map(|r| r.join("versions")), uv }
    }

    /// No request: the first python3 on PATH, shims included (a shim is how
    /// a pyenv user's python3 is found, and the probe resolves it). If there
    /// is none, the newest interpreter found anywhere else.
    fn default_python3(&self) -> Result<Interpreter> {
        if let Some(path) = first_on(&self.dirs, "python3") {
            // It exists but does not run: say so rather than quietly picking
            // another Python than the one the user gets in this shell.
            return probe(&path)
                .map(|p| p.into_interpreter("python3 on PATH"))
                .map_err(|e| Error::new(format!("python3 on PATH ({}) {}", path.display(), e.message)));
        }
        let source = "newest Python found (no python3 on PATH)";
        self.newest(&[], None).map(|p| p.into_interpreter(source)).ok_or_else(|| {
            Error::new(format!("no Python was found ({})", self.looked()))
                .with_hint("install Python 3 (e.g. `uv python install`), or set `python` in .autovenv.toml")
        })
    }

    fn by_name(&self, name: &str, source: &str) -> Result<Interpreter> {
        // A pyenv version folder ("3.12-dev", "pypy3.10-7.3.15", "miniconda3-latest").
        // Only a plain folder name, so the join stays inside versions/.
        let plain = !name.contains('/') && name != "." && name != "..";
        let in_pyenv = self.pyenv_versions.as_ref().filter(|_| plain).and_then(|v| pyenv_exe(&v.join(name)));
        let on_path = || first_on(&self.dirs_no_shims, name);
        if let Some(path) = in_pyenv.or_else(on_path) {
            let probe = probe(&path).map_err(|e| {
                Error::new(format!("{name} was requested by {source}, but {} {}", path.display(), e.message))
            })?;
            return Ok(probe.into_interpreter(source));
        }
        // "python3.12" can also be met by pyenv's or uv's 3.12.
        if let Some(v) = name.strip_prefix("python").filter(|v| is_version(v) && v.contains('.')) {
            let clauses = parse_specifiers(&format!("=={v}.*")).unwrap_or_default();
            if let Some(p) = self.newest(&clauses, Some(v)) {
                return Ok(p.into_interpreter(source));
            }
        }
        Err(self.not_found(
            &format!("{name} was requested by {source} but no such interpreter was found"),
            source,
            name,
        ))
    }

    /// The newest verified interpreter matching all `clauses`. Candidates
    /// are tried from the highest version they could be; once the best
    /// verified one beats what every remaining candidate could be, the rest
    /// are not run.
    ///
    /// uv is asked twice over: its managed installs are listed like pyenv's
    /// (`uv python dir`, ~10 ms), and only when nothing else fits is `uv
    /// python find` run, with `uv_request` (None: uv's default). That last
    /// call can take half a second (it queries every python on PATH, and
    /// fails outright on a pyenv shim for a version pyenv has not selected),
    /// so it is a last resort rather than one more candidate.
    fn newest(&self, clauses: &[Clause], uv_request: Option<&str>) -> Option<Probe> {
        let may = |known: &[u64]| clauses.iter().all(|c| c.may_match(known));
        let mut cands = Vec::new();
        for dir in &self.dirs_no_shims {
            // Python 3 only: venv needs it. Minors up to 40 cover decades.
            for minor in 0..=40u64 {
                if may(&[3, minor]) {
                    let path = dir.join(format!("python3.{minor}"));
                    cands.push(Candidate { path, known: vec![3, minor] });
                }
            }
            if may(&[3]) {
                cands.push(Candidate { path: dir.join("python3"), known: vec![3] });
            }
        }
        // Only folders named by a version: pyenv's "3.12.1", "3.13t", uv's
        // "cpython-3.12.7-linux-x86_64-gnu". Others (pypy, conda,
        // virtualenvs) are used when asked for by name.
        let mut installs = |dir: &Path, prefix: &str| {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let name = entry.file_name();
                let Some(version) = name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
                    continue;
                };
                let known = leading_version(version);
                if known.is_empty() || !may(&known) {
                    continue;
                }
                if let Some(path) = pyenv_exe(&entry.path()) {
                    cands.push(Candidate { path, known });
                }
            }
        };
        if let Some(versions) = &self.pyenv_versions {
            installs(versions, "");
        }
        if let Some(dir) = self.uv.and_then(uv_python_dir) {
            installs(&dir, "cpython-");
        }
        cands.retain(|c| is_executable(&c.path));
        // Highest possible version first; ties keep the order above.
        cands.sort_by(|a, b| cmp_padded(&b.known, &a.known, u64::MAX, u64::MAX));

        let fits = |p: &Probe| clauses.iter().all(|c| c.matches(&p.version));
        let mut seen = HashSet::new();
        let mut best: Option<Probe> = None;
        for cand in cands {
            if let Some(b) = &best {
                if cmp_padded(&cand.known, &b.version, u64::MAX, 0).is_le() {
                    break;
                }
            }
            let real = cand.path.canonicalize().unwrap_or_else(|_| cand.path.clone());
            if !seen.insert(real) {
                continue;
            }
            // A candidate that does not run (a broken install) is skipped:
            // it is not the one asked for, and others may be.
            let Ok(p) = probe(&cand.path) else { continue };
            let newer = best.as_ref().is_none_or(|b| cmp_padded(&p.version, &b.version, 0, 0).is_gt());
            if fits(&p) && newer {
                best = Some(p);
            }
        }
        if best.is_none() {
            let found = self.uv.and_then(|uv| uv_find(uv, uv_request));
            best = found.and_then(|path| probe(&path).ok()).filter(|p| fits(p));
        }
        best
    }

    /// "on PATH, in /root/.pyenv/versions, and with uv"
    fn looked(&self) -> String {
        let mut places = vec!["looked on PATH".to_string()];
        if let Some(v) = &self.pyenv_versions {
            places.push(format!("in {}", v.display()));
        }
        if self.uv.is_some() {
            places.push("with uv".to_string());
        }
        match places.len() {
            1 => places.remove(0),
            2 => places.join(" and "),
            _ => {
                let last = places.pop().unwrap_or_default();
                format!("{}, and {last}", places.join(", "))
            }
        }
    }

    /// `what` is the sentence; the places looked and a hint are added.
    /// pyenv only installs exact names, so it is suggested for those only.
    fn not_found(&self, what: &str, source: &str, install: &str) -> Error {
        let how = if install.starts_with('\'') {
            format!("`uv python install {install}`")
        } else {
            format!("`uv python install {install}` or `pyenv install {install}`")
        };
        Error::new(format!("{what} ({})", self.looked()))
            .with_hint(format!("install it (e.g. {how}), or change {}", what_to_change(source)))
    }
}

/// The thing to edit, from the request's source text.
fn what_to_change(source: &str) -> &'static str {
    if source.starts_with(PYTHON_VERSION_FILE) {
        ".python-version"
    } else if source.starts_with("config") {
        "`python` in the autovenv config"
    } else if source.starts_with("requires-python") {
        "requires-python in pyproject.toml"
    } else {
        "the request"
    }
}

/// "3.12.1" → [3, 12, 1]; "3.13t" → [3, 13]; "3.12-dev" → [3, 12]; "pypy3.10" → [].
fn leading_version(name: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for part in name.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        match digits.parse() {
            Ok(n) => out.push(n),
            Err(_) => break,
        }
        if digits.len() != part.len() {
            break;
        }
    }
    out
}

/// A pyenv version folder's interpreter: bin/python3, else bin/python.
fn pyenv_exe(version_dir: &Path) -> Option<PathBuf> {
    ["python3", "python"].iter().map(|n| version_dir.join("bin").join(n)).find(|p| is_executable(p))
}

fn first_on(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Where uv keeps the Pythons it installed (`uv python dir`; it honours
/// UV_PYTHON_INSTALL_DIR and XDG_DATA_HOME, so we need not).
fn uv_python_dir(uv: &Path) -> Option<PathBuf> {
    let mut cmd = Command::new(uv);
    cmd.args(["python", "dir", "--no-config"]).current_dir("/");
    let out = run(cmd, PROBE_TIMEOUT).ok().filter(|o| o.success)?;
    let text = String::from_utf8(out.stdout).ok()?;
    let path = PathBuf::from(text.lines().next()?.trim());
    path.is_absolute().then_some(path)
}

/// `uv python find`, never downloading anything, not looking at a project
/// (cwd is `/`, `--no-project --no-config`) nor at an active env.
fn uv_find(uv: &Path, request: Option<&str>) -> Option<PathBuf> {
    let mut cmd = Command::new(uv);
    cmd.args(["python", "find", "--no-python-downloads", "--no-project", "--no-config", "--quiet"])
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX")
        .current_dir("/");
    if let Some(r) = request {
        cmd.arg("--").arg(r);
    }
    let out = run(cmd, PROBE_TIMEOUT).ok()?;
    if !out.success {
        return None;
    }
    let line = String::from_utf8(out.stdout).ok()?;
    let path = PathBuf::from(line.lines().next()?.trim());
    path.is_absolute().then_some(path)
}

// ---------------------------------------------------------------------------
// Running a candidate.

/// Prints the version, then the interpreter to build a venv from:
/// `sys._base_executable` (3.11+ sets it to the base interpreter even inside
/// a venv). Before 3.11 it is just `sys.executable`, which inside a venv is
/// the venv's own python, so that case falls back to the base prefix's
/// `pythonX.Y`. Not `realpath`: Homebrew's real path contains the patch
/// version, and an env pointing there breaks on every `brew upgrade`.
/// `-I` (isolated) keeps the current directory, possibly a project that
/// ships an `os.py`, off sys.path, and ignores PYTHONHOME and friends.
const PROBE: &str = "import os, sys
v = sys.version_info
exe = getattr(sys, '_base_executable', '') or sys.executable
if sys.prefix != sys.base_prefix and exe.startswith(sys.prefix + os.sep):
    base = os.path.join(sys.base_prefix, 'bin', 'python%d.%d' % v[:2])
    if os.path.exists(base):
        exe = base
print('%d.%d.%d' % v[:3])
print(exe)";

/// Generous: a cold pyenv shim on a slow disk takes a second or two, but a
/// hung "python" must not hang the prompt forever.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs `python -I -c PROBE`. Errors read as the end of a sentence that
/// starts with the interpreter's name ("… did not run: …").
fn probe(python: &Path) -> Result<Probe> {
    let mut cmd = Command::new(python);
    cmd.args(["-I", "-c", PROBE]);
    let out = run(cmd, PROBE_TIMEOUT).map_err(|e| Error::new(format!("did not run: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.success {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no error output");
        return Err(Error::new(format!("did not run as Python ({}): {}", out.status, why.trim())));
    }
    let mut lines = stdout.lines();
    let version_text = lines.next().unwrap_or("").trim().to_string();
    let executable = PathBuf::from(lines.next().unwrap_or("").trim());
    let version = leading_version(&version_text);
    if version.len() != 3 || !is_version(&version_text) {
        return Err(Error::new(format!("did not answer like Python (printed {:?})", stdout.trim())));
    }
    // An interpreter that cannot tell its own path (embedded, odd builds):
    // the file we ran is the best we know.
    let executable =
        if executable.is_absolute() { executable } else { std::path::absolute(python).unwrap_or(python.into()) };
    Ok(Probe { version, version_text, executable })
}

struct Output {
    success: bool,
    status: String,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Runs a command with stdin closed and a time limit. The pipes are drained
/// by threads so a chatty child cannot block on a full pipe, and read with a
/// deadline too, in case the child left a grandchild holding them open. On
/// timeout the child (still unreaped, so its pid is still ours) is killed.
fn run(mut cmd: Command, limit: Duration) -> std::io::Result<Output> {
    let deadline = Instant::now() + limit;
    let timed_out =
        || std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no answer within {} s", limit.as_secs()));
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
    // The child's exit closes its stdout: wait for that instead of polling
    // (naps of up to 20 ms cost the first entry a few of them).
    let left = deadline.saturating_duration_since(Instant::now());
    let stdout: Vec<u8> = match stdout.recv_timeout(left) {
        Ok(bytes) => bytes,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(timed_out());
        }
    };
    let mut nap = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(timed_out());
        }
        std::thread::sleep(nap);
        nap = (nap * 2).min(Duration::from_millis(20));
    };
    let collect = |rx: std::sync::mpsc::Receiver<Vec<u8>>| {
        // A short grace period: the child has exited, its pipes are closing.
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(200));
        rx.recv_timeout(left).map_err(|_| timed_out())
    };
    let stderr = collect(stderr)?;
    Ok(Output { success: status.success(), status: status.to_string(), stdout, stderr })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    /// A fake interpreter: answers the real probe (and only it: it checks
    /// for `-I -c` and the probe's code) with `version` and its own path.
    /// Written via `cp` so no write handle to it ever exists in this
    /// multi-threaded test process (a fork elsewhere inheriting one would
    /// make exec fail with ETXTBSY).
    fn fake(dir: &Path, name: &str, version: &str) -> PathBuf {
        let body = format!(
            "#!/bin/sh\n[ \"$1\" = -I ] && [ \"$2\" = -c ] || exit 9\ncase \"$3\" in *_base_executable*) ;; *) exit 9 ;; esac\necho {version}\necho \"$0\"\n"
        );
        script(dir, name, &body)
    }

    fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
        fs::create_dir_all(dir).unwrap();
        let src = dir.join(format!(".{name}.src"));
        fs::write(&src, body).unwrap();
        let dst = dir.join(name);
        assert!(Command::new("cp").arg(&src).arg(&dst).status().unwrap().success());
        fs::set_permissions(&dst, fs::Permissions::from_mode(0o755)).unwrap();
        fs::remove_file(src).unwrap();
        dst
    }

    fn req(r: Request, source: &str) -> (Request, String) {
        (r, source.to_string())
    }

    /// The real python3 this machine runs, resolved by the code under test.
    fn real_python() -> Interpreter {
        let path = std::env::var_os("PATH").expect("PATH");
        find(None, &path, None, None).expect("these tests need a real python3 on PATH")
    }

    fn real_uv() -> Option<PathBuf> {
        std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("uv")).find(|p| is_executable(p))
    }

    #[test]
    fn specifier_table() {
        let v = |s: &str| leading_version(s);
        let cases: &[(&str, &str, bool)] = &[
            (">=3.10", "3.10.0", true),
            (">=3.10", "3.9.18", false),
            (">3.10", "3.10.0", false),
            (">3.10", "3.10.1", true),
            ("<=3.12", "3.12.0", true),
            ("<=3.12", "3.12.1", false),
            ("<3.13", "3.12.9", true),
            ("<3.13", "3.13.0", false),
            ("==3.12", "3.12.0", true),
            ("==3.12", "3.12.1", false),
            ("==3.12.*", "3.12.7", true),
            ("==3.12.*", "3.13.0", false),
            ("!=3.12.*", "3.12.7", false),
            ("!=3.12.*", "3.11.7", true),
            ("!=3.11.7", "3.11.7", false),
            ("!=3.11.7", "3.11.8", true),
            ("~=3.10", "3.13.0", true),
            ("~=3.10", "4.0.0", false),
            ("~=3.10", "3.9.0", false),
            ("~=3.10.2", "3.10.5", true),
            ("~=3.10.2", "3.11.0", false),
            ("~=3.10.2", "3.10.1", false),
            (">=3.8, <3.12, !=3.9.*", "3.9.1", false),
            (">=3.8, <3.12, !=3.9.*", "3.10.1", true),
            (">=3.8,<3.12", "3.12.0", false),
            (" >= 3.10 ", "3.11.0", true),
            ("", "2.7.18", true),
        ];
        for (spec, version, want) in cases {
            let clauses = parse_specifiers(spec).unwrap_or_else(|e| panic!("{spec}: {e}"));
            let got = clauses.iter().all(|c| c.matches(&v(version)));
            assert_eq!(got, *want, "{spec} vs {version}");
        }
    }

    #[test]
    fn specifier_parse_errors() {
        let cases: &[(&str, &str)] = &[
            ("=>3.10", "'=>3.10' does not start with an operator (>=, >, <=, <, ==, !=, ~=)"),
            ("3.10", "'3.10' does not start with an operator (>=, >, <=, <, ==, !=, ~=)"),
            (">=3.10,", "empty clause between commas"),
            (">=3.*", "'>=3.*': .* only goes with == and !="),
            ("~=3", "'~=3': ~= needs at least two numbers, like ~=3.10"),
            (">=3.10rc1", "'3.10rc1' after >= is not a version like 3.10 (pre-releases are not supported)"),
            (">=", "'' after >= is not a version like 3.10 (pre-releases are not supported)"),
            ("===3.10", "'===3.10': arbitrary equality (===) is not supported"),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_specifiers(spec).unwrap_err(), *want, "{spec}");
        }
    }

    #[test]
    fn may_match_prunes_only_impossible_ranges() {
        let may = |spec: &str, known: &[u64]| parse_specifiers(spec).unwrap().iter().all(|c| c.may_match(known));
        assert!(may(">=3.10", &[3]));
        assert!(may(">=3.10", &[3, 10]));
        assert!(!may(">=3.10", &[3, 9]));
        assert!(!may(">3.10", &[3, 9]));
        assert!(may(">3.10.2", &[3, 10]));
        assert!(may("<3.10.5", &[3, 10]));
        assert!(!may("<3.10", &[3, 10]));
        assert!(may("<=3.10", &[3, 10]));
        assert!(may("==3.12.1", &[3, 12]));
        assert!(!may("==3.12.1", &[3, 11]));
        assert!(!may("==3.12.1", &[3, 12, 2]));
        assert!(may("==3.12.*", &[3]));
        assert!(!may("==3.12.*", &[3, 11, 9]));
        assert!(may("!=3.12.*", &[3, 12]));
        assert!(may("~=3.10", &[3, 12]));
        assert!(!may("~=3.10.2", &[3, 11]));
        assert!(may(">3.10.2,<3.10.5", &[3, 10]));
        assert!(may("", &[]));
    }

    #[test]
    fn leading_versions_and_version_strings() {
        assert_eq!(leading_version("3.12.1"), vec![3, 12, 1]);
        assert_eq!(leading_version("3.13t"), vec![3, 13]);
        assert_eq!(leading_version("3.12-dev"), vec![3, 12]);
        assert_eq!(leading_version("pypy3.10-7.3.15"), Vec::<u64>::new());
        assert!(is_version("3") && is_version("3.12") && is_version("3.12.1"));
        assert!(!is_version("3.12.1.1") && !is_version("3.") && !is_version("3.x") && !is_version(""));
    }

    #[test]
    fn python_version_file_rules() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |text: &str| fs::write(root.join(".python-version"), text).unwrap();
        let get = || requested(root, None, false).unwrap().unwrap();
        write("# pinned for CI\n\n  3.12.1  # a comment\n3.11\n");
        assert_eq!(get(), req(Request::Version("3.12.1".into()), ".python-version"));
        write("pypy3.10-7.3.15\r\n");
        assert_eq!(get(), req(Request::Name("pypy3.10-7.3.15".into()), ".python-version"));
        write("system\n");
        assert_eq!(get(), req(Request::Name("python3".into()), ".python-version (system)"));
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
            req(Request::Specifier(">=3.10".into()), "requires-python >=3.10 in pyproject.toml")
        );
        assert_eq!(
            requested(root, Some("3.12"), false).unwrap().unwrap(),
            req(Request::Version("3.12".into()), "config python = \"3.12\"")
        );
        fs::write(root.join(".python-version"), "3.11\n").unwrap();
        assert_eq!(
            requested(root, Some("3.12"), false).unwrap().unwrap(),
            req(Request::Version("3.12".into()), "config python = \"3.12\""),
            "autovenv's own setting wins over pyenv's file"
        );
        assert_eq!(
            requested(root, None, false).unwrap().unwrap(),
            req(Request::Version("3.11".into()), ".python-version")
        );
        assert_eq!(
            requested(root, Some("3.12"), true).unwrap().unwrap(),
            req(Request::Version("3.11".into()), ".python-version"),
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

    /// A PATH dir and a pyenv root full of fake interpreters.
    struct Zoo {
        _dir: tempfile::TempDir,
        bin: PathBuf,
        pyenv: PathBuf,
    }

    fn zoo() -> Zoo {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let pyenv = dir.path().join("pyenv");
        fake(&bin, "python3.10", "3.10.4");
        fake(&bin, "python3.12", "3.12.2");
        fake(&bin, "python3.13", "3.13.1");
        fake(&pyenv.join("versions/3.12.5/bin"), "python3", "3.12.5");
        fake(&pyenv.join("versions/3.9.18/bin"), "python3", "3.9.18");
        fake(&pyenv.join("versions/pypy3.10-7.3.15/bin"), "python", "3.10.13");
        Zoo { bin, pyenv, _dir: dir }
    }

    impl Zoo {
        fn find(&self, r: Request, source: &str) -> Result<Interpreter> {
            find(Some(&req(r, source)), self.bin.as_os_str(), Some(&self.pyenv), None)
        }
    }

    #[test]
    fn requires_python_picks_the_newest_satisfying() {
        let z = zoo();
        let src = "requires-python >=3.10 in pyproject.toml";
        let got = z.find(Request::Specifier(">=3.10".into()), src).unwrap();
        let why = format!("the newest that satisfies {src}");
        assert_eq!(got, Interpreter { path: z.bin.join("python3.13"), version: "3.13.1".into(), source: why });
        // Below 3.13 the pyenv 3.12.5 beats PATH's 3.12.2.
        let got = z.find(Request::Specifier(">=3.10,<3.13".into()), "s").unwrap();
        assert_eq!((got.path, got.version), (z.pyenv.join("versions/3.12.5/bin/python3"), "3.12.5".into()));
        let got = z.find(Request::Specifier("<3.10".into()), "s").unwrap();
        assert_eq!(got.version, "3.9.18");
        let e = z.find(Request::Specifier(">=3.14".into()), src).unwrap_err();
        assert_eq!(
            e.message,
            format!("no installed Python satisfies {src} (looked on PATH and in {}/versions)", z.pyenv.display())
        );
        assert_eq!(
            e.hint.as_deref(),
            Some("install it (e.g. `uv python install '>=3.14'`), or change requires-python in pyproject.toml")
        );
    }

    #[test]
    fn a_range_takes_python3_on_path_when_it_fits() {
        let z = zoo();
        fake(&z.bin, "python3", "3.11.7");
        let src = "requires-python >=3.8 in pyproject.toml";
        let got = z.find(Request::Specifier(">=3.8".into()), src).unwrap();
        assert_eq!((got.version.as_str(), got.path), ("3.11.7", z.bin.join("python3")));
        assert_eq!(got.source, format!("python3 on PATH, which satisfies {src}"));
        let src = "requires-python >=3.12 in pyproject.toml";
        let got = z.find(Request::Specifier(">=3.12".into()), src).unwrap();
        assert_eq!(got.version, "3.13.1");
        assert_eq!(got.source, format!("the newest that satisfies {src}; python3 on PATH is 3.11.7"));
    }

    #[test]
    fn the_version_is_verified_by_running_it() {
        let z = zoo();
        // A python3.14 that is really 3.9: its name is not believed.
        fake(&z.bin, "python3.14", "3.9.1");
        let e = z.find(Request::Version("3.14".into()), ".python-version").unwrap_err();
        assert!(e.message.starts_with("Python 3.14 was requested by .python-version but no such"), "{}", e.message);
        // A broken newest candidate is skipped, not fatal.
        script(&z.bin, "python3.15", "#!/bin/sh\necho 'No module named encodings' >&2\nexit 1\n");
        let got = z.find(Request::Specifier(">=3.12".into()), "s").unwrap();
        assert_eq!(got.version, "3.13.1");
    }

    #[test]
    fn version_requests_take_the_newest_patch() {
        let z = zoo();
        let got = z.find(Request::Version("3.12".into()), ".python-version").unwrap();
        assert_eq!((got.version.as_str(), got.source.as_str()), ("3.12.5", ".python-version"));
        let got = z.find(Request::Version("3.12.2".into()), ".python-version").unwrap();
        assert_eq!(got.path, z.bin.join("python3.12"));
        let got = z.find(Request::Version("3".into()), "config python = \"3\"").unwrap();
        assert_eq!(got.version, "3.13.1");
    }

    #[test]
    fn unmet_version_error_text() {
        let z = zoo();
        let e = z.find(Request::Version("3.99".into()), ".python-version").unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "Python 3.99 was requested by .python-version but no such interpreter was found (looked on PATH and in {}/versions)",
                z.pyenv.display()
            )
        );
        assert_eq!(
            e.hint.as_deref(),
            Some("install it (e.g. `uv python install 3.99` or `pyenv install 3.99`), or change .python-version")
        );
        let e =
            find(Some(&req(Request::Version("3.99".into()), "config python = \"3.99\"")), OsStr::new(""), None, None)
                .unwrap_err();
        assert_eq!(
            e.message,
            "Python 3.99 was requested by config python = \"3.99\" but no such interpreter was found (looked on PATH)"
        );
        assert!(e.hint.unwrap().ends_with("or change `python` in the autovenv config"));
    }

    #[test]
    fn unmet_with_real_uv_downloads_nothing() {
        let Some(uv) = real_uv() else {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "uv not found; CI must install it");
            eprintln!("SKIPPED: uv not found (this would fail with CI=true)");
            return;
        };
        let z = zoo();
        let start = Instant::now();
        let r = req(Request::Version("3.99".into()), ".python-version");
        let e = find(Some(&r), z.bin.as_os_str(), Some(&z.pyenv), Some(&uv)).unwrap_err();
        assert!(
            e.message.ends_with(&format!("(looked on PATH, in {}/versions, and with uv)", z.pyenv.display())),
            "{}",
            e.message
        );
        assert!(start.elapsed() < Duration::from_secs(8), "uv must not have tried a download");
    }

    /// A fake uv: `python dir` names a folder of managed installs, `python
    /// find` answers from a table, and both refuse to work unless downloads
    /// are off. Every call's arguments are logged.
    fn fake_uv(dir: &Path, managed: &Path, finds: &[(&str, &Path)]) -> PathBuf {
        let mut body = format!(
            "#!/bin/sh\necho \"$*\" >> {log}\n[ \"$1 $2\" = 'python dir' ] && {{ echo {managed}; exit 0; }}\n[ \"$UV_PYTHON_DOWNLOADS\" = never ] || exit 9\ncase \"$*\" in *--no-python-downloads*) ;; *) exit 9 ;; esac\ncase \"$*\" in\n",
            log = dir.join("uv.log").display(),
            managed = managed.display()
        );
        for (req, path) in finds {
            body.push_str(&format!("  *'-- {req}') echo {} ; exit 0 ;;\n", path.display()));
        }
        body.push_str("esac\necho 'error: No interpreter found' >&2\nexit 2\n");
        script(dir, "uv", &body)
    }

    #[test]
    fn uv_managed_installs_and_uv_find_as_last_resort() {
        let z = zoo();
        let dir = tempfile::tempdir().unwrap();
        let managed = dir.path().join("managed");
        fake(&managed.join("cpython-3.14.2-linux-x86_64-gnu/bin"), "python3", "3.14.2");
        fake(&managed.join("pypy-3.15.0-linux-x86_64-gnu/bin"), "python3", "3.15.0");
        let elsewhere = fake(&dir.path().join("elsewhere"), "python3", "3.16.1");
        let uv = fake_uv(dir.path(), &managed, &[("3.16", &elsewhere), ("3.17", &elsewhere)]);
        let find_with_uv = |r: Request| find(Some(&req(r, "s")), z.bin.as_os_str(), Some(&z.pyenv), Some(&uv));
        // The managed 3.14 is the newest; pypy is not picked up by version.
        let got = find_with_uv(Request::Specifier(">=3.10".into())).unwrap();
        assert_eq!(got.path, managed.join("cpython-3.14.2-linux-x86_64-gnu/bin/python3"));
        let log = fs::read_to_string(dir.path().join("uv.log")).unwrap();
        assert!(!log.contains("find"), "uv python find is only a last resort: {log}");
        // Nothing else has 3.16: uv python find does, without downloading.
        let got = find_with_uv(Request::Version("3.16".into())).unwrap();
        assert_eq!((got.path, got.version), (elsewhere, "3.16.1".into()));
        let log = fs::read_to_string(dir.path().join("uv.log")).unwrap();
        assert!(log.contains("python find --no-python-downloads --no-project --no-config --quiet -- 3.16"), "{log}");
        // uv's answer is verified too: a 3.16 offered for 3.17 is refused.
        let e = find_with_uv(Request::Version("3.17".into())).unwrap_err();
        assert!(e.message.starts_with("Python 3.17 was requested by s but no such"), "{}", e.message);
        assert!(fs::read_to_string(dir.path().join("uv.log")).unwrap().contains("-- 3.17"));
    }

    #[test]
    fn names_paths_and_pyenv_folders() {
        let z = zoo();
        let got = z.find(Request::Name("pypy3.10-7.3.15".into()), ".python-version").unwrap();
        assert_eq!((got.path, got.version), (z.pyenv.join("versions/pypy3.10-7.3.15/bin/python"), "3.10.13".into()));
        // python3.12 exists on PATH: that file, not a newer 3.12 elsewhere.
        assert_eq!(z.find(Request::Name("python3.12".into()), "s").unwrap().version, "3.12.2");
        fs::remove_file(z.bin.join("python3.12")).unwrap();
        assert_eq!(z.find(Request::Name("python3.12".into()), "s").unwrap().version, "3.12.5");
        let p = z.bin.join("python3.10");
        assert_eq!(z.find(Request::Path(p.clone()), "config python = \"x\"").unwrap().path, p);
        let e = z.find(Request::Path(z.bin.join("nope")), "config python = \"bin/nope\"").unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "{} was requested by config python = \"bin/nope\" but it does not exist",
                z.bin.join("nope").display()
            )
        );
        let e = z.find(Request::Name("pypy3".into()), ".python-version").unwrap_err();
        assert!(e.message.starts_with("pypy3 was requested by .python-version but no such interpreter was found"));
    }

    #[test]
    fn shell_metacharacters_stay_inert() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let marker = root.join("pwned");
        fs::write(root.join(".python-version"), format!("$(touch {m});touch {m}`touch {m}`\n", m = marker.display()))
            .unwrap();
        let r = requested(root, None, false).unwrap().unwrap();
        assert!(matches!(&r.0, Request::Name(n) if n.starts_with("$(touch")));
        let z = zoo();
        let uv = real_uv();
        let e = find(Some(&r), z.bin.as_os_str(), Some(&z.pyenv), uv.as_deref()).unwrap_err();
        assert!(e.message.contains("was requested by .python-version but no such interpreter"), "{}", e.message);
        assert!(!marker.exists());
    }

    #[test]
    fn pyenv_shims_are_skipped_for_versions_but_resolved_for_python3() {
        let real = real_python();
        let dir = tempfile::tempdir().unwrap();
        let pyenv = dir.path().join("pyenv");
        let shims = pyenv.join("shims");
        // A shim: a script that execs the real interpreter, as pyenv's do.
        let body = format!("#!/bin/sh\nexec {} \"$@\"\n", real.path.display());
        script(&shims, "python3", &body);
        fake(&shims, "python3.13", "3.13.1");
        let got = find(None, shims.as_os_str(), Some(&pyenv), None).unwrap();
        assert_eq!(got.path, real.path, "the shim resolves to the interpreter behind it");
        assert_eq!((got.version, got.source.as_str()), (real.version.clone(), "python3 on PATH"));
        // For a version, a shim's name says nothing: not used.
        let r = req(Request::Version("3.13".into()), ".python-version");
        assert!(find(Some(&r), shims.as_os_str(), Some(&pyenv), None).is_err());
        // Without knowing pyenv's root it is an ordinary PATH entry.
        assert_eq!(find(Some(&r), shims.as_os_str(), None, None).unwrap().version, "3.13.1");
    }

    #[test]
    fn real_interpreter_met_by_major_minor() {
        let real = real_python();
        // Here python3 on PATH is a pyenv shim script; what we record must
        // be the interpreter itself.
        let head = fs::read(&real.path).unwrap();
        assert!(!head.starts_with(b"#!"), "{} is a script, not an interpreter", real.path.display());
        let mm: Vec<&str> = real.version.split('.').take(2).collect();
        let mm = mm.join(".");
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join(".python-version"), format!("{mm}\n")).unwrap();
        let bin = root.join("bin");
        fs::create_dir(&bin).unwrap();
        std::os::unix::fs::symlink(&real.path, bin.join(format!("python{mm}"))).unwrap();
        let r = requested(root, None, false).unwrap();
        let got = find(r.as_ref(), bin.as_os_str(), None, None).unwrap();
        assert_eq!((got.version.as_str(), got.source.as_str()), (real.version.as_str(), ".python-version"));
        assert_eq!(probe(&got.path).unwrap().version_text, real.version);
        let r = req(Request::Version("3.99".into()), ".python-version");
        assert!(find(Some(&r), bin.as_os_str(), None, None).is_err());
    }

    #[test]
    fn a_venv_python_resolves_to_its_base() {
        let real = real_python();
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("v");
        let ok = Command::new(&real.path).args(["-m", "venv", "--without-pip"]).arg(&venv).status().unwrap();
        assert!(ok.success());
        let p = probe(&venv.join("bin/python3")).unwrap();
        assert!(!p.executable.starts_with(&venv), "{} is inside the venv", p.executable.display());
        assert_eq!(p.version_text, real.version);
    }

    #[test]
    fn default_python3_and_fallbacks() {
        let z = zoo();
        fake(&z.bin, "python3", "3.11.9");
        let got = find(None, z.bin.as_os_str(), Some(&z.pyenv), None).unwrap();
        assert_eq!((got.version.as_str(), got.source.as_str()), ("3.11.9", "python3 on PATH"));
        // No python3: the newest found anywhere, said as such.
        fs::remove_file(z.bin.join("python3")).unwrap();
        let got = find(None, z.bin.as_os_str(), Some(&z.pyenv), None).unwrap();
        assert_eq!((got.version.as_str(), got.source.as_str()), ("3.13.1", "newest Python found (no python3 on PATH)"));
        // A python3 that does not run is an error, not a silent substitute.
        script(&z.bin, "python3", "#!/bin/sh\necho 'pyenv: version `3.99'\"'\"' is not installed' >&2\nexit 1\n");
        let e = find(None, z.bin.as_os_str(), Some(&z.pyenv), None).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "python3 on PATH ({}) did not run as Python (exit status: 1): pyenv: version `3.99' is not installed",
                z.bin.join("python3").display()
            )
        );
        let e = find(None, OsStr::new(""), None, None).unwrap_err();
        assert_eq!(e.message, "no Python was found (looked on PATH)");
    }

    #[test]
    fn relative_path_entries_are_never_searched() {
        let s = Search::new(&OsString::from("rel/bin::/usr/bin:."), None, None);
        assert_eq!(s.dirs, vec![PathBuf::from("/usr/bin")]);
    }

    #[test]
    fn hung_commands_time_out() {
        let mut cmd = Command::new("sleep");
        cmd.arg("5");
        let start = Instant::now();
        let e = run(cmd, Duration::from_millis(200)).err().expect("timeout");
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}

//! Finding an interpreter that meets a request: on PATH, in pyenv's versions
//! folder, among uv's Pythons and through `uv python find`.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::probe::{probe, Probe, PROBE_TIMEOUT};
use super::request::{Request, Source};
use super::specifier::{cmp_padded, is_version, leading_version, parse_specifiers, Clause};
use super::Interpreter;
use crate::child;
use crate::error::{Error, Result};

/// Finds the interpreter for `req` (`None`: `python3` on PATH). `path_var`
/// is the PATH to search; `pyenv_root` is `$PYENV_ROOT` (or `~/.pyenv`) if
/// the caller wants pyenv's versions searched; `uv` is uv's path if present.
pub(crate) fn find(
    req: Option<&(Request, Source)>,
    path_var: &OsStr,
    pyenv_root: Option<&Path>,
    uv: Option<&Path>,
) -> Result<Interpreter> {
    let search = Search::new(path_var, pyenv_root, uv);
    let Some((req, source)) = req else {
        return search.default_python3();
    };
    let change = source.what_to_change();
    let source = source.to_string();
    let source = source.as_str();
    match req {
        Request::Path(path) => {
            if !path.exists() {
                return Err(Error::new(format!("{} was requested by {source} but it does not exist", path.display()))
                    .with_hint(format!("install it there, or change {change}")));
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
                    change,
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
                search.not_found(&format!("no installed Python satisfies {source}"), change, &format!("'{s}'"))
            })
        }
        Request::Name(name) => search.by_name(name, source, change),
    }
}

/// `python3` on PATH handed to uv without running it first, and the check
/// its version must pass once uv has made the env (read from `pyvenv.cfg`).
/// uv asks the interpreter for its version itself and keeps the answer in
/// its cache, so a first entry starts one Python fewer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unprobed {
    pub path: PathBuf,
    /// Why it was chosen, as `Interpreter::source` says it.
    pub source: String,
    clauses: Vec<Clause>,
}

impl Unprobed {
    /// Would the probe have taken it for this request? When not, the
    /// caller throws the env away and searches as usual.
    pub(crate) fn accepts(&self, version: &str) -> bool {
        let v: Vec<u64> = version.split('.').map_while(|p| p.parse().ok()).collect();
        !v.is_empty() && self.clauses.iter().all(|c| c.matches(&v))
    }
}

/// The unprobed choice for `req`, where it is the same one `find` makes:
/// no request, or a range (`requires-python`), which `python3` on PATH
/// meets when its version fits. Exact versions, names and paths are
/// searched for, so they are probed.
pub(crate) fn unprobed(req: Option<&(Request, Source)>, path_var: &OsStr) -> Option<Unprobed> {
    let (source, clauses) = match req {
        None => ("python3 on PATH".to_string(), Vec::new()),
        Some((Request::Specifier(s), source)) => {
            (format!("python3 on PATH, which satisfies {source}"), parse_specifiers(s).ok()?)
        }
        Some(_) => return None,
    };
    Some(Unprobed { path: plain_python3(path_var)?, source, clauses })
}

/// The `python3` on PATH when it can be handed to uv without running it
/// first: a native executable (not a script such as a pyenv shim, whose
/// answer depends on the folder) that is not a venv's own interpreter.
/// `None`: probe as usual.
pub(super) fn plain_python3(path_var: &OsStr) -> Option<PathBuf> {
    let dirs: Vec<PathBuf> = std::env::split_paths(path_var).filter(|d| d.is_absolute()).collect();
    let found = first_on(&dirs, "python3")?;
    let real = found.canonicalize().ok()?;
    let in_venv = |p: &Path| p.parent().and_then(Path::parent).is_some_and(|prefix| prefix.join("pyvenv.cfg").exists());
    if in_venv(&found) || in_venv(&real) || !is_native(&real) {
        return None;
    }
    Some(found)
}

fn is_native(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 4];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok()
        && (magic == *b"\x7fELF" || magic == [0xcf, 0xfa, 0xed, 0xfe] || magic == [0xca, 0xfe, 0xba, 0xbe])
}

/// Where to look, shared by the strategies below.
pub(super) struct Search<'a> {
    /// PATH entries, absolute ones only: an empty or relative entry means
    /// "the current directory", i.e. the project itself, whose files must
    /// not be run just because they are called python3.
    pub(super) dirs: Vec<PathBuf>,
    /// Same, without pyenv's shims: a shim runs whatever version pyenv picks
    /// for the current directory, not the one its name says; pyenv's real
    /// interpreters are searched in `versions/` instead.
    dirs_no_shims: Vec<PathBuf>,
    pyenv_versions: Option<PathBuf>,
    uv: Option<&'a Path>,
}

pub(super) struct Candidate {
    path: PathBuf,
    /// The leading version numbers its name tells (python3.12: [3, 12];
    /// versions/3.11.7: [3, 11, 7]; uv's answer: []). Only a guide.
    known: Vec<u64>,
}

impl<'a> Search<'a> {
    pub(super) fn new(path_var: &OsStr, pyenv_root: Option<&Path>, uv: Option<&'a Path>) -> Self {
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

    fn by_name(&self, name: &str, source: &str, change: &str) -> Result<Interpreter> {
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
            change,
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
    fn not_found(&self, what: &str, change: &str, install: &str) -> Error {
        let how = if install.starts_with('\'') {
            format!("`uv python install {install}`")
        } else {
            format!("`uv python install {install}` or `pyenv install {install}`")
        };
        Error::new(format!("{what} ({})", self.looked()))
            .with_hint(format!("install it (e.g. {how}), or change {change}"))
    }
}

/// A pyenv version folder's interpreter: bin/python3, else bin/python.
pub(super) fn pyenv_exe(version_dir: &Path) -> Option<PathBuf> {
    ["python3", "python"].iter().map(|n| version_dir.join("bin").join(n)).find(|p| is_executable(p))
}

pub(super) fn first_on(dirs: &[PathBuf], name: &str) -> Option<PathBuf> {
    dirs.iter().map(|d| d.join(name)).find(|p| is_executable(p))
}

pub(super) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Where uv keeps the Pythons it installed (`uv python dir`; it honours
/// UV_PYTHON_INSTALL_DIR and XDG_DATA_HOME, so we need not).
pub(super) fn uv_python_dir(uv: &Path) -> Option<PathBuf> {
    let mut cmd = Command::new(uv);
    cmd.args(["python", "dir", "--no-config"]).current_dir("/");
    let out = child::captured(cmd, PROBE_TIMEOUT).ok().filter(|o| o.success)?;
    let text = String::from_utf8(out.stdout).ok()?;
    let path = PathBuf::from(text.lines().next()?.trim());
    path.is_absolute().then_some(path)
}

/// `uv python find`, never downloading anything, not looking at a project
/// (cwd is `/`, `--no-project --no-config`) nor at an active env.
pub(super) fn uv_find(uv: &Path, request: Option<&str>) -> Option<PathBuf> {
    let mut cmd = Command::new(uv);
    cmd.args(["python", "find", "--no-python-downloads", "--no-project", "--no-config", "--quiet"])
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env_remove("VIRTUAL_ENV")
        .env_remove("CONDA_PREFIX")
        .current_dir("/");
    if let Some(r) = request {
        cmd.arg("--").arg(r);
    }
    let out = child::captured(cmd, PROBE_TIMEOUT).ok()?;
    if !out.success {
        return None;
    }
    let line = String::from_utf8(out.stdout).ok()?;
    let path = PathBuf::from(line.lines().next()?.trim());
    path.is_absolute().then_some(path)
}

//! Finding the real programs the sandbox links to, once per test process,
//! and the one rule for a missing tool: skip locally, fail in CI.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::shell::Kind;

/// The real programs on this machine (never shims or wrapper scripts).
#[derive(Debug)]
pub(crate) struct Tools {
    /// The interpreter itself, symlinks resolved (not a pyenv shim).
    pub python: PathBuf,
    /// "3.11"
    pub python_version: String,
    /// `sys.base_prefix`, a valid value for PYTHONHOME.
    pub python_prefix: String,
    /// The interpreter's `ensurepip/_bundled` wheels (pip, setuptools).
    pub bundled_wheels: Vec<PathBuf>,
    pub uv: Option<PathBuf>,
    /// An interpreter that runs poetry as `python -m poetry` (`AVTEST_POETRY_PYTHON`,
    /// else the test Python, else the one behind `poetry` on PATH).
    pub poetry_python: Option<PathBuf>,
    pub git: Option<PathBuf>,
    pub bash: Option<PathBuf>,
    pub zsh: Option<PathBuf>,
    pub fish: Option<PathBuf>,
    pub nu: Option<PathBuf>,
    /// The xonsh script beside its Python (not pyenv's shim).
    pub xonsh: Option<PathBuf>,
    pub elvish: Option<PathBuf>,
    pub tcsh: Option<PathBuf>,
    /// `env`, by absolute path, so the harness can dump the environment
    /// even when the shell's PATH is wrong.
    pub env: PathBuf,
}

pub(crate) fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Tools> = OnceLock::new();
    TOOLS.get_or_init(find_tools)
}

fn host_path() -> Vec<PathBuf> {
    std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default()
}

/// First executable `name` on the host PATH (may be a script).
pub(super) fn which(name: &str) -> Option<PathBuf> {
    host_path().into_iter().map(|d| d.join(name)).find(|p| is_executable(p))
}

pub(super) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// A compiled program rather than a `#!` script (pyenv shims are scripts that
/// would look for pyenv's own state, which the sandbox does not have).
fn is_native_binary(p: &Path) -> bool {
    let mut magic = [0u8; 4];
    let Ok(mut f) = fs::File::open(p) else { return false };
    if f.read_exact(&mut magic).is_err() {
        return false;
    }
    matches!(magic, [0x7f, b'E', b'L', b'F'] | [0xcf, 0xfa, 0xed, 0xfe] | [0xca, 0xfe, 0xba, 0xbe])
}

fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn find_tools() -> Tools {
    // The interpreter: `AVTEST_PYTHON`, else whatever `python3` on PATH runs.
    let py = std::env::var_os("AVTEST_PYTHON").map_or_else(|| "python3".into(), PathBuf::from);
    let probe = "import sys, os, ensurepip\n\
                 print(sys.executable)\n\
                 print('%d.%d' % sys.version_info[:2])\n\
                 print(sys.base_prefix)\n\
                 print(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'))";
    let out = output_of(Command::new(&py).args(["-c", probe]))
        .unwrap_or_else(|| panic!("cannot run {py:?} -c …: the tests need a real Python 3 with ensurepip"));
    let lines: Vec<&str> = out.lines().collect();
    let python = fs::canonicalize(lines[0]).expect("canonical sys.executable");
    let bundled_dir = PathBuf::from(lines[3]);
    let mut bundled_wheels: Vec<PathBuf> = fs::read_dir(&bundled_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", bundled_dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "whl"))
        .collect();
    bundled_wheels.sort();

    Tools {
        python_version: lines[1].to_string(),
        python_prefix: lines[2].to_string(),
        bundled_wheels,
        uv: find_uv(&python),
        poetry_python: find_poetry_python(&python),
        git: which("git").map(|p| fs::canonicalize(p).unwrap()),
        bash: which("bash"),
        zsh: which("zsh"),
        fish: which("fish"),
        nu: which("nu"),
        xonsh: which("xonsh").and_then(|x| real_xonsh(&x)),
        elvish: which("elvish"),
        tcsh: which("tcsh"),
        env: ["/usr/bin/env", "/bin/env"]
            .iter()
            .map(PathBuf::from)
            .find(|p| is_executable(p))
            .expect("no /usr/bin/env"),
        python,
    }
}

/// The xonsh script beside the Python that runs it: a wrapper on PATH
/// (pyenv's shim) needs state the sandbox does not pass on.
fn real_xonsh(found: &Path) -> Option<PathBuf> {
    let exe = output_of(Command::new(found).args(["--no-rc", "-c", "import sys; print(sys.executable)"]))?;
    let script = Path::new(exe.trim()).parent()?.join("xonsh");
    is_executable(&script).then_some(script)
}

/// The real uv binary: `AVTEST_UV`, else the first native `uv` on PATH, else
/// the one the `uv` Python package ships (that is where pyenv's shim leads).
fn find_uv(python: &Path) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AVTEST_UV") {
        return Some(PathBuf::from(p));
    }
    let on_path = host_path().into_iter().map(|d| d.join("uv")).find(|p| is_executable(p) && is_native_binary(p));
    let from_pkg = || {
        let s = output_of(Command::new(python).args(["-c", "import uv; print(uv.find_uv_bin())"]))?;
        let p = PathBuf::from(s.trim());
        is_native_binary(&p).then_some(p)
    };
    let uv = on_path.or_else(from_pkg)?;
    let uv = fs::canonicalize(uv).ok()?;
    output_of(Command::new(&uv).arg("--version"))?;
    Some(uv)
}

/// An interpreter in which `import poetry` works: the tests run poetry as
/// `<python> -m poetry`, never through a shim script.
fn find_poetry_python(python: &Path) -> Option<PathBuf> {
    let has_poetry = |py: &Path| output_of(Command::new(py).args(["-c", "import poetry.console"])).is_some();
    if let Some(p) = std::env::var_os("AVTEST_POETRY_PYTHON") {
        return Some(PathBuf::from(p));
    }
    if has_poetry(python) {
        return Some(python.to_path_buf());
    }
    // A `poetry` script elsewhere (pipx): the interpreter its `#!` names.
    let script = fs::read_to_string(which("poetry")?).ok()?;
    let py = PathBuf::from(script.lines().next()?.strip_prefix("#!")?.split_whitespace().next()?);
    (py.is_absolute() && has_poetry(&py)).then_some(py)
}

/// Something a test needs from the machine.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Need {
    Shell(Kind),
    Uv,
    Git,
    Poetry,
}

impl Need {
    fn present(self) -> bool {
        let t = tools();
        match self {
            Need::Shell(k) => k.path().is_some(),
            Need::Uv => t.uv.is_some(),
            Need::Git => t.git.is_some(),
            Need::Poetry => t.poetry_python.is_some(),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Need::Shell(k) => k.name(),
            Need::Uv => "uv",
            Need::Git => "git",
            Need::Poetry => "poetry",
        }
    }
}

/// `true` when the test should return early because something is missing.
/// With `CI=true` a missing tool is a failure instead: CI must install it.
pub(crate) fn should_skip(needs: &[Need]) -> bool {
    let missing: Vec<&str> = needs.iter().filter(|n| !n.present()).map(|n| n.name()).collect();
    if missing.is_empty() {
        return false;
    }
    let what = missing.join(", ");
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{what} not found; CI must install it");
    eprintln!("SKIPPED: {what} not found (this would fail with CI=true)");
    true
}

//! The env folder: what state it is in, and making it.
//!
//! autovenv marks the envs it makes (`.autovenv` inside the env) so it can
//! tell its own half-made or broken env, which it may delete and rebuild,
//! from a folder someone else made, which it never deletes.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::child::{self, exit_text, UvConfig};
use crate::error::{Error, Result};

/// Written once creation finished: this env is autovenv's.
pub(crate) const OWNER_MARK: &str = ".autovenv";
/// Present while creating: if it survives, creation was killed.
pub(crate) const CREATING_MARK: &str = ".autovenv-creating";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum EnvState {
    Missing,
    Ready,
    /// Ours, and creation never finished.
    Incomplete,
    /// A venv whose interpreter is gone (e.g. the Python it linked to was
    /// upgraded away). `owned` says whether autovenv may rebuild it.
    Broken {
        owned: bool,
    },
    /// Something that is not a venv: a file, or a folder without `pyvenv.cfg`.
    Foreign(&'static str),
}

/// A handful of stats: this runs on every `export` inside an active project.
pub(crate) fn inspect(env: &Path) -> EnvState {
    let meta = match env.symlink_metadata() {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return EnvState::Missing,
        Err(_) => return EnvState::Foreign("cannot be read"),
    };
    if !meta.is_dir() && !env.is_dir() {
        return EnvState::Foreign("is not a folder");
    }
    // Empty: killed between making the folder and marking it, a gap no
    // mark can close. Removing an empty folder loses nothing.
    if env.join(CREATING_MARK).exists() || is_empty_dir(env) {
        return EnvState::Incomplete;
    }
    if !env.join("pyvenv.cfg").exists() {
        return EnvState::Foreign("is not a virtual environment (no pyvenv.cfg)");
    }
    // `exists` follows the symlink chain: a dangling interpreter link fails.
    if !python(env).exists() {
        return EnvState::Broken { owned: env.join(OWNER_MARK).exists() };
    }
    EnvState::Ready
}

fn is_empty_dir(p: &Path) -> bool {
    fs::read_dir(p).is_ok_and(|mut d| d.next().is_none())
}

/// Where an env keeps its programs: the one place that names the folder
/// (`Scripts` on Windows).
pub(crate) fn bin_dir(env: &Path) -> PathBuf {
    env.join("bin")
}

pub(crate) fn python(env: &Path) -> PathBuf {
    bin_dir(env).join("python")
}

/// The interpreter version an env was made with, from its `pyvenv.cfg`
/// (`version` from venv, `version_info` from uv and virtualenv), so the
/// version is known without starting Python.
pub(crate) fn version(env: &Path) -> Option<String> {
    let cfg = String::from_utf8(crate::fsutil::read_regular(&env.join("pyvenv.cfg")).ok()??).ok()?;
    cfg.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        matches!(k.trim(), "version" | "version_info").then(|| {
            // virtualenv writes 3.11.7.final.0; keep the release part.
            v.trim().split('.').take(3).collect::<Vec<_>>().join(".")
        })
    })
}

/// How to make an env.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Maker {
    /// `uv venv`: about 20x faster than `python -m venv`; pip is added
    /// from the interpreter's bundled wheel (see `Pip`).
    Uv(PathBuf),
    Venv,
    Virtualenv,
}

impl Maker {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Maker::Uv(_) => "uv",
            Maker::Venv => "venv",
            Maker::Virtualenv => "virtualenv",
        }
    }
}

/// Remove an env autovenv made. Refuses anything without our marks, so a
/// bug elsewhere can never delete a folder the user made.
pub(crate) fn remove_owned(env: &Path) -> Result<()> {
    if is_empty_dir(env) {
        return fs::remove_dir(env).map_err(|e| Error::io(format!("cannot remove {}", env.display()), e));
    }
    if !env.join(OWNER_MARK).exists() && !env.join(CREATING_MARK).exists() {
        return Err(Error::new(format!("{} was not made by autovenv; not removing it", env.display())));
    }
    fs::remove_dir_all(env).map_err(|e| Error::io(format!("cannot remove {}", env.display()), e))
}

/// Where pip for a new env comes from, said in the "creating" line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Pip {
    /// The maker puts it in (`python -m venv`, virtualenv).
    ByMaker,
    /// The interpreter's own bundled wheel, installed by the first `uv pip
    /// install` together with the requirements: no network, no second run.
    Wheel(PathBuf),
    /// No bundled wheel to be found: `python -m ensurepip` in the new env.
    Ensurepip,
}

impl Pip {
    pub(crate) fn describe(&self) -> String {
        match self {
            Pip::ByMaker => String::new(),
            Pip::Wheel(w) => {
                let name = w.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let version = name.split('-').nth(1).unwrap_or("");
                format!(", pip {version} from the interpreter's bundled wheel")
            }
            Pip::Ensurepip => ", pip from ensurepip".into(),
        }
    }
}

/// How pip gets into an env `maker` makes from `interpreter` (Python
/// `version`, "3.11.7"): never from the network.
pub(crate) fn pip_source(maker: &Maker, interpreter: &Path, version: &str) -> Pip {
    if !matches!(maker, Maker::Uv(_)) {
        return Pip::ByMaker;
    }
    match bundled_pip(interpreter, version) {
        Some(w) => Pip::Wheel(w),
        None => Pip::Ensurepip,
    }
}

/// `ensurepip/_bundled/pip-*.whl` of the interpreter's standard library
/// (found from its path, without running it), or Debian's copy.
fn bundled_pip(interpreter: &Path, version: &str) -> Option<PathBuf> {
    let xy: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let mut dirs = Vec::new();
    for exe in [Some(interpreter.to_path_buf()), fs::canonicalize(interpreter).ok()].into_iter().flatten() {
        if let Some(prefix) = exe.parent().and_then(Path::parent) {
            dirs.push(prefix.join("lib").join(format!("python{xy}")).join("ensurepip/_bundled"));
        }
    }
    dirs.push(PathBuf::from("/usr/share/python-wheels"));
    dirs.iter().find_map(|d| {
        let mut wheels: Vec<PathBuf> = fs::read_dir(d)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("pip-") && n.ends_with(".whl"))
            })
            .collect();
        wheels.sort();
        wheels.pop()
    })
}

/// What a new env is made from, and where.
pub(crate) struct Make<'a> {
    pub root: &'a Path,
    pub env: &'a Path,
    pub interpreter: &'a Path,
    pub version: Version<'a>,
    pub maker: &'a Maker,
    pub uv_config: &'a UvConfig,
    /// The project's trust key, written in the marks: an env outside the
    /// project is used only by the project that made it.
    pub project_key: &'a str,
}

/// What is known of the interpreter's version before the env is made.
pub(crate) enum Version<'a> {
    /// Probed: "3.11.7".
    Known(&'a str),
    /// Left to the maker, and read from the new env's `pyvenv.cfg`; the
    /// env is kept only when the check passes.
    Checked(&'a dyn Fn(&str) -> bool),
}

/// A new env, or why there is none.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Made {
    /// Made, and where its pip comes from.
    Env(Pip),
    /// The unprobed interpreter was this version, which failed the check:
    /// the env was removed and nothing announced.
    Unfit(String),
}

/// Make a new env at `env` (which must not exist) from `interpreter`.
/// `announce` gets the Python version and where pip comes from as soon as
/// both are known: before the maker runs when the version was known, else
/// right after. The maker's output goes to stderr: stdout belongs to the
/// shell. With `Pip::Wheel` the env is left without pip: the caller's first
/// install adds it.
pub(crate) fn create(m: &Make, announce: &mut dyn FnMut(&str, &Pip)) -> Result<Made> {
    let env = m.env;
    // An env outside the project may be the first in its folder (the cache).
    if let Some(parent) = env.parent().filter(|p| !p.exists()) {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
    }
    let mut pip = match m.version {
        Version::Known(v) => {
            let pip = pip_source(m.maker, m.interpreter, v);
            announce(v, &pip);
            Some(pip)
        }
        Version::Checked(_) => None,
    };
    fs::create_dir(env).map_err(|e| Error::io(format!("cannot create {}", env.display()), e))?;
    let project = crate::env_location::project_line(m.project_key);
    crate::fsutil::write_nofollow(&env.join(CREATING_MARK), project.as_bytes())?;
    let mut cmd = match m.maker {
        Maker::Uv(uv) => {
            // Not `--seed`: with an empty cache it needs the network.
            let mut c = child::uv(uv, m.root, m.uv_config, &["venv"]);
            c.args(["--allow-existing", "--no-project", "--quiet", "--python"]).arg(m.interpreter).arg(env);
            c
        }
        Maker::Venv => child::python(m.interpreter, m.root, &["-m".as_ref(), "venv".as_ref(), env.as_os_str()]),
        Maker::Virtualenv => child::python(
            m.interpreter,
            m.root,
            &["-m".as_ref(), "virtualenv".as_ref(), "--quiet".as_ref(), env.as_os_str()],
        ),
    };
    run_maker(&mut cmd, env, m.maker.name())?;
    if !python(env).exists() {
        return Err(Error::new(format!("{} made {} without bin/python", m.maker.name(), env.display())));
    }
    let pip = match pip.take() {
        Some(pip) => pip,
        None => {
            let version = version(env).unwrap_or_default();
            if let Version::Checked(fits) = m.version {
                if !fits(&version) {
                    remove_owned(env)?;
                    return Ok(Made::Unfit(version));
                }
            }
            let base = base_interpreter(env).unwrap_or_else(|| m.interpreter.to_path_buf());
            let pip = pip_source(m.maker, &base, &version);
            announce(&version, &pip);
            pip
        }
    };
    if matches!(pip, Pip::Wheel(_)) {
        // What `uv venv --seed` writes: `uv pip install --exact` then keeps
        // pip, which no requirements file lists.
        let cfg = env.join("pyvenv.cfg");
        let text = fs::read_to_string(&cfg).unwrap_or_default();
        if !text.lines().any(|l| l.split('=').next().is_some_and(|k| k.trim() == "seed")) {
            let sep = if text.is_empty() || text.ends_with('\n') { "" } else { "\n" };
            fs::write(&cfg, format!("{text}{sep}seed = true\n"))
                .map_err(|e| Error::io(format!("cannot write {}", cfg.display()), e))?;
        }
    }
    if pip == Pip::Ensurepip {
        let mut c =
            child::python(&python(env), m.root, &["-m".as_ref(), "ensurepip".as_ref(), "--default-pip".as_ref()]);
        run_maker(&mut c, env, "ensurepip")?;
    }
    let mark = format!("made by autovenv; safe to delete\n{project}");
    crate::fsutil::write_nofollow(&env.join(OWNER_MARK), mark.as_bytes())?;
    fs::remove_file(env.join(CREATING_MARK)).map_err(|e| Error::io(format!("cannot write in {}", env.display()), e))?;
    Ok(Made::Env(pip))
}

/// The interpreter an env was made from, from `home` in its `pyvenv.cfg`
/// (the folder of the base interpreter).
fn base_interpreter(env: &Path) -> Option<PathBuf> {
    let cfg = String::from_utf8(crate::fsutil::read_regular(&env.join("pyvenv.cfg")).ok()??).ok()?;
    let home = cfg.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "home").then(|| PathBuf::from(v.trim()))
    })?;
    Some(home.join("python3"))
}

fn run_maker(cmd: &mut Command, env: &Path, name: &str) -> Result<()> {
    let status = child::run_to_end(cmd).map_err(|e| Error::io(format!("cannot run {name}"), e))?;
    if !status.success() && crate::signals::was_interrupted() {
        return Err(Error::new(format!("creating {} was interrupted", env.display())));
    }
    if !status.success() {
        return Err(Error::new(format!("creating {} with {name} failed ({})", env.display(), exit_text(status))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn states() {
        let t = tempfile::tempdir().unwrap();
        let env = t.path().join("env");
        assert_eq!(inspect(&env), EnvState::Missing);
        fs::write(&env, "").unwrap();
        assert!(matches!(inspect(&env), EnvState::Foreign(_)));
        fs::remove_file(&env).unwrap();
        fs::create_dir(&env).unwrap();
        // Killed between the folder and its mark: remade, and removing it
        // removes nothing else.
        assert_eq!(inspect(&env), EnvState::Incomplete);
        remove_owned(&env).unwrap();
        assert_eq!(inspect(&env), EnvState::Missing);
        fs::create_dir(&env).unwrap();
        fs::write(env.join("notes.txt"), "").unwrap();
        assert!(matches!(inspect(&env), EnvState::Foreign(_)));
        assert!(remove_owned(&env).is_err());
        fs::remove_file(env.join("notes.txt")).unwrap();
        fs::write(env.join(CREATING_MARK), "").unwrap();
        assert_eq!(inspect(&env), EnvState::Incomplete);
        fs::remove_file(env.join(CREATING_MARK)).unwrap();
        fs::write(env.join("pyvenv.cfg"), "home = /nowhere\n").unwrap();
        fs::create_dir(env.join("bin")).unwrap();
        symlink("/nowhere/python3", env.join("bin/python")).unwrap();
        assert_eq!(inspect(&env), EnvState::Broken { owned: false });
        fs::write(env.join(OWNER_MARK), "").unwrap();
        assert_eq!(inspect(&env), EnvState::Broken { owned: true });
        fs::remove_file(env.join("bin/python")).unwrap();
        symlink("/bin/sh", env.join("bin/python")).unwrap();
        assert_eq!(inspect(&env), EnvState::Ready);
    }

    #[test]
    fn version_from_each_makers_cfg() {
        let t = tempfile::tempdir().unwrap();
        for (cfg, want) in [
            ("home = /x\nversion = 3.11.7\n", "3.11.7"),
            ("home = /x\nuv = 0.13.9\nversion_info = 3.12.1\n", "3.12.1"),
            ("version_info = 3.10.4.final.0\n", "3.10.4"),
        ] {
            fs::write(t.path().join("pyvenv.cfg"), cfg).unwrap();
            assert_eq!(version(t.path()).as_deref(), Some(want));
        }
    }

    #[test]
    fn never_removes_a_folder_it_did_not_make() {
        let t = tempfile::tempdir().unwrap();
        let env = t.path().join("env");
        fs::create_dir(&env).unwrap();
        fs::write(env.join("precious"), "").unwrap();
        assert!(remove_owned(&env).is_err());
        assert!(env.join("precious").exists());
    }
}

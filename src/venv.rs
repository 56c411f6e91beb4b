//! The env folder: what state it is in, and making it.
//!
//! autovenv marks the envs it makes (`.autovenv` inside the env) so it can
//! tell its own half-made or broken env, which it may delete and rebuild,
//! from a folder someone else made, which it never deletes.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// Written once creation finished: this env is autovenv's.
pub const OWNER_MARK: &str = ".autovenv";
/// Present while creating: if it survives, creation was killed.
pub const CREATING_MARK: &str = ".autovenv-creating";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvState {
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
pub fn inspect(env: &Path) -> EnvState {
    let meta = match env.symlink_metadata() {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return EnvState::Missing,
        Err(_) => return EnvState::Foreign("cannot be read"),
    };
    if !meta.is_dir() && !env.is_dir() {
        return EnvState::Foreign("is not a folder");
    }
    if env.join(CREATING_MARK).exists() {
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

pub fn python(env: &Path) -> PathBuf {
    env.join("bin").join("python")
}

/// The interpreter version an env was made with, from its `pyvenv.cfg`
/// (`version` from venv, `version_info` from uv and virtualenv), so the
/// version is known without starting Python.
pub fn version(env: &Path) -> Option<String> {
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
pub enum Maker {
    /// `uv venv --seed`: about 20x faster than `python -m venv`, pip included.
    Uv(PathBuf),
    Venv,
    Virtualenv,
}

impl Maker {
    pub fn name(&self) -> &'static str {
        match self {
            Maker::Uv(_) => "uv",
            Maker::Venv => "venv",
            Maker::Virtualenv => "virtualenv",
        }
    }
}

/// Remove an env autovenv made. Refuses anything without our marks, so a
/// bug elsewhere can never delete a folder the user made.
pub fn remove_owned(env: &Path) -> Result<()> {
    if !env.join(OWNER_MARK).exists() && !env.join(CREATING_MARK).exists() {
        return Err(Error::new(format!("{} was not made by autovenv; not removing it", env.display())));
    }
    fs::remove_dir_all(env).map_err(|e| Error::io(format!("cannot remove {}", env.display()), e))
}

/// Make a new env at `env` (which must not exist) from `interpreter`.
/// The maker's output goes to stderr: stdout belongs to the shell.
pub fn create(env: &Path, interpreter: &Path, maker: &Maker) -> Result<()> {
    fs::create_dir(env).map_err(|e| Error::io(format!("cannot create {}", env.display()), e))?;
    crate::fsutil::write_nofollow(&env.join(CREATING_MARK), b"")?;
    let mut cmd = match maker {
        Maker::Uv(uv) => {
            let mut c = Command::new(uv);
            c.args(["venv", "--seed", "--allow-existing", "--no-project", "--quiet", "--python"])
                .arg(interpreter)
                .arg(env);
            c
        }
        Maker::Venv => {
            let mut c = Command::new(interpreter);
            c.args(["-m", "venv"]).arg(env);
            c
        }
        Maker::Virtualenv => {
            let mut c = Command::new(interpreter);
            c.args(["-m", "virtualenv", "--quiet"]).arg(env);
            c
        }
    };
    let status = {
        // Ctrl-C stops the maker, not autovenv, which still reports and
        // gives the shell its bookkeeping (see signals.rs and export.rs).
        let _guard = crate::signals::DeferInterrupt::new();
        cmd.stdin(Stdio::null())
            .stdout(stderr_stdio())
            .status()
            .map_err(|e| Error::io(format!("cannot run {}", maker.name()), e))?
    };
    if !status.success() && crate::signals::was_interrupted() {
        return Err(Error::new(format!("creating {} was interrupted", env.display()))
            .with_hint("it is made the next time you enter the project, or run `autovenv sync`"));
    }
    if !status.success() {
        return Err(Error::new(format!(
            "creating {} with {} failed ({})",
            env.display(),
            maker.name(),
            exit_text(status)
        ))
        .with_hint("see the output above; run `autovenv sync` to retry"));
    }
    if !python(env).exists() {
        return Err(Error::new(format!("{} made {} without bin/python", maker.name(), env.display())));
    }
    crate::fsutil::write_nofollow(&env.join(OWNER_MARK), b"made by autovenv; safe to delete\n")?;
    fs::remove_file(env.join(CREATING_MARK)).map_err(|e| Error::io(format!("cannot write in {}", env.display()), e))?;
    Ok(())
}

/// A child's stdout, pointed at our stderr.
pub fn stderr_stdio() -> Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => Stdio::from(fd),
        Err(_) => Stdio::null(),
    }
}

pub fn exit_text(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => format!("exited {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "failed".into(),
    }
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
        assert!(matches!(inspect(&env), EnvState::Foreign(_)));
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

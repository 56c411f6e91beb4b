//! A throw-away home for one test: its own HOME, XDG dirs, PATH, wheels and
//! projects, and the complete environment every child process gets.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use tempfile::TempDir;

use super::tools::tools;
use super::wheel::build_wheel;

/// Whether the sandbox's PATH has `uv` on it (and so which creator and
/// installer autovenv picks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Uv {
    Yes,
    No,
}

/// Files whose presence makes a directory a project.
pub(crate) const PROJECT_MARKERS: &[&str] =
    &["requirements.txt", "pyproject.toml", "setup.py", "setup.cfg", ".python-version", ".autovenv.toml", "Pipfile"];

pub(crate) fn autovenv_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_autovenv"))
}

pub(crate) struct Sandbox {
    /// Shared with every `Shell` started here, so the directory outlives them.
    pub(crate) dir: Arc<TempDir>,
    root: PathBuf,
    uv: Uv,
}

impl Sandbox {
    /// Build the sandbox. Panics if `Uv::Yes` and no uv is installed: call
    /// `should_skip(&[Need::Uv])` first.
    pub(crate) fn new(uv: Uv) -> Sandbox {
        let t = tools();
        let mut dir = tempfile::Builder::new().prefix("avt-").tempdir().expect("tempdir");
        if std::env::var_os("AVTEST_KEEP").is_some() {
            dir.disable_cleanup(true);
            eprintln!("AVTEST_KEEP: sandbox kept at {}", dir.path().display());
        }
        // Canonical, so the shell's logical $PWD equals the physical path
        // (on macOS /var is a symlink to /private/var).
        let root = fs::canonicalize(dir.path()).unwrap();
        let sb = Sandbox { dir: Arc::new(dir), root, uv };

        for d in
            ["home", "xdg/data", "xdg/config", "xdg/state", "xdg/cache", "xdg/runtime", "bin", "work", "wheels", "tmp"]
        {
            fs::create_dir_all(sb.root.join(d)).unwrap();
        }
        fs::set_permissions(sb.runtime_dir(), fs::Permissions::from_mode(0o700)).unwrap();

        let ver = &t.python_version;
        for name in ["python3".to_string(), format!("python{ver}")] {
            symlink(&t.python, sb.bin().join(name)).unwrap();
        }
        if let Some(git) = &t.git {
            symlink(git, sb.bin().join("git")).unwrap();
        }
        symlink(autovenv_bin(), sb.bin().join("autovenv")).unwrap();
        match (uv, &t.uv) {
            (Uv::Yes, Some(real)) => symlink(real, sb.bin().join("uv")).unwrap(),
            (Uv::Yes, None) => panic!("Sandbox::new(Uv::Yes) but no uv found; check should_skip(&[Need::Uv]) first"),
            (Uv::No, _) => {}
        }
        sb.check_uv_visibility();
        sb.check_no_project_above();

        // Offline seeding for `uv venv --seed` (pip, setuptools and, for
        // Python < 3.12, wheel) and for pip: the interpreter's own bundled
        // wheels plus a stand-in `wheel` distribution built here.
        for w in &t.bundled_wheels {
            fs::copy(w, sb.wheels().join(w.file_name().unwrap())).unwrap();
        }
        build_wheel(&sb.wheels(), "wheel", "0.0.1", &[]);

        fs::write(
            sb.home().join(".gitconfig"),
            "[user]\n\temail = tests@autovenv.invalid\n\tname = autovenv tests\n\
             [init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        )
        .unwrap();
        sb
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }
    pub(crate) fn uv(&self) -> Uv {
        self.uv
    }
    pub(crate) fn home(&self) -> PathBuf {
        self.root.join("home")
    }
    pub(crate) fn work(&self) -> PathBuf {
        self.root.join("work")
    }
    pub(crate) fn bin(&self) -> PathBuf {
        self.root.join("bin")
    }
    pub(crate) fn wheels(&self) -> PathBuf {
        self.root.join("wheels")
    }
    pub(crate) fn xdg_data(&self) -> PathBuf {
        self.root.join("xdg/data")
    }
    pub(crate) fn xdg_config(&self) -> PathBuf {
        self.root.join("xdg/config")
    }
    pub(crate) fn xdg_state(&self) -> PathBuf {
        self.root.join("xdg/state")
    }
    pub(crate) fn xdg_cache(&self) -> PathBuf {
        self.root.join("xdg/cache")
    }
    pub(crate) fn runtime_dir(&self) -> PathBuf {
        self.root.join("xdg/runtime")
    }
    /// Where autovenv keeps trust records.
    pub(crate) fn trust_dir(&self) -> PathBuf {
        self.xdg_data().join("autovenv")
    }
    /// `<sandbox>/bin:/usr/local/bin:/usr/bin:/bin`
    pub(crate) fn path_var(&self) -> String {
        format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin().display())
    }

    /// The complete environment for child processes: nothing is inherited.
    pub(crate) fn env(&self) -> Vec<(OsString, OsString)> {
        let wheels = self.wheels();
        let s = |p: PathBuf| p.into_os_string();
        let user = std::env::var_os("USER").unwrap_or_else(|| "tester".into());
        vec![
            ("HOME".into(), s(self.home())),
            ("USER".into(), user.clone()),
            ("LOGNAME".into(), user),
            ("SHELL".into(), "/bin/sh".into()),
            ("TERM".into(), "dumb".into()),
            ("LANG".into(), "C.UTF-8".into()),
            ("PATH".into(), self.path_var().into()),
            ("TMPDIR".into(), s(self.root.join("tmp"))),
            ("XDG_DATA_HOME".into(), s(self.xdg_data())),
            ("XDG_CONFIG_HOME".into(), s(self.xdg_config())),
            ("XDG_STATE_HOME".into(), s(self.xdg_state())),
            ("XDG_CACHE_HOME".into(), s(self.xdg_cache())),
            ("XDG_RUNTIME_DIR".into(), s(self.runtime_dir())),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
            ("UV_OFFLINE".into(), "1".into()),
            ("UV_NO_CONFIG".into(), "1".into()),
            ("UV_PYTHON_DOWNLOADS".into(), "never".into()),
            ("UV_FIND_LINKS".into(), s(wheels.clone())),
            ("UV_CACHE_DIR".into(), s(self.xdg_cache().join("uv"))),
            ("PIP_NO_INDEX".into(), "1".into()),
            ("PIP_FIND_LINKS".into(), s(wheels)),
            ("PIP_DISABLE_PIP_VERSION_CHECK".into(), "1".into()),
        ]
    }

    /// `program` (looked up on the sandbox PATH) with the sandbox
    /// environment, run in `work/`.
    pub(crate) fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let program = program.as_ref();
        let resolved = if Path::new(program).is_absolute() {
            PathBuf::from(program)
        } else {
            self.path_var()
                .split(':')
                .map(|d| Path::new(d).join(program))
                .find(|p| super::tools::is_executable(p))
                .unwrap_or_else(|| panic!("{program:?} is not on the sandbox PATH {}", self.path_var()))
        };
        let mut cmd = Command::new(resolved);
        cmd.env_clear().envs(self.env()).current_dir(self.work());
        cmd
    }

    /// The autovenv binary under test, with the sandbox environment.
    pub(crate) fn autovenv(&self) -> Command {
        self.command(autovenv_bin())
    }

    /// Run and require success; returns stdout. Panics with both streams.
    pub(crate) fn run_ok(&self, cmd: &mut Command) -> String {
        let out = cmd.output().unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
        check_output(cmd, &out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Build a wheel into the sandbox's `wheels/` (the find-links dir).
    pub(crate) fn wheel(&self, name: &str, version: &str, deps: &[&str]) -> PathBuf {
        build_wheel(&self.wheels(), name, version, deps)
    }

    /// Start describing a project at `work/<name>`.
    pub(crate) fn project(&self, name: &str) -> super::project::ProjectBuilder<'_> {
        super::project::ProjectBuilder::new(self, self.work().join(name))
    }

    /// Make a venv by hand (not through autovenv): `uv venv` when this
    /// sandbox has uv, else `python3 -m venv`.
    pub(crate) fn make_venv(&self, dir: &Path) {
        let mut cmd = match self.uv {
            Uv::Yes => {
                let mut c = self.command("uv");
                c.args(["venv", "--quiet", "--seed"]).arg(dir);
                c
            }
            Uv::No => {
                let mut c = self.command("python3");
                c.args(["-m", "venv"]).arg(dir);
                c
            }
        };
        self.run_ok(&mut cmd);
    }

    fn check_uv_visibility(&self) {
        let found: Vec<PathBuf> =
            self.path_var().split(':').map(|d| Path::new(d).join("uv")).filter(|p| p.exists()).collect();
        match self.uv {
            Uv::No if !found.is_empty() => panic!(
                "the no-uv sandbox can still find uv at {found:?}; its PATH {} must not contain uv",
                self.path_var()
            ),
            Uv::Yes if found.first() != Some(&self.bin().join("uv")) => {
                panic!("the uv sandbox must find uv in its bin/ first, found {found:?}")
            }
            _ => {}
        }
    }

    /// A stray `requirements.txt` (or `.git`) in /tmp would make the "outside"
    /// directory part of a project and every test meaningless; refuse to run
    /// in such a place.
    fn check_no_project_above(&self) {
        for dir in self.root.ancestors() {
            for m in PROJECT_MARKERS {
                let p = dir.join(m);
                assert!(!p.exists(), "{} exists above the sandbox; set TMPDIR elsewhere", p.display());
            }
            let git = dir.join(".git");
            assert!(
                !git.exists(),
                "{} exists above the sandbox (a git work tree); set TMPDIR elsewhere",
                git.display()
            );
            for e in ["env", ".venv", "venv"] {
                let p = dir.join(e).join("pyvenv.cfg");
                assert!(!p.exists(), "{} exists above the sandbox; set TMPDIR elsewhere", p.display());
            }
        }
    }
}

pub(crate) fn check_output(cmd: &Command, out: &Output) {
    assert!(
        out.status.success(),
        "{cmd:?} failed ({})\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

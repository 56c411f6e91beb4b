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
//! name or folder that lies about its version is never trusted. The one
//! exception is `unprobed`: a native `python3` on PATH handed to uv, which
//! runs it itself; the version uv found is checked before the env is kept. A request
//! that cannot be met is an error: no env is built with a different Python.
//!
//! Everything here runs interpreters, so callers only call `find` for
//! projects the user has allowed (a `.python-version` could name a path).
//! Nothing is ever passed to a shell: requests only become file names,
//! `Command` arguments and, for uv, version strings that were parsed first.

mod probe;
mod request;
mod search;
mod specifier;

use std::path::PathBuf;

pub(crate) use request::{input_files, requested, Request, Source};
pub(crate) use search::{find, unprobed};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Interpreter {
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

#[cfg(test)]
mod tests {
    use super::probe::*;
    use super::request::*;
    use super::search::*;
    use super::*;
    use std::ffi::OsStr;
    use std::path::Path;
    use std::process::Command;
    use std::time::{Duration, Instant};

    use crate::error::Result;
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

    fn req(r: Request, source: Source) -> (Request, Source) {
        (r, source)
    }

    fn pv() -> Source {
        Source::PythonVersionFile { system: false }
    }

    fn cfg(value: &str) -> Source {
        Source::Config(value.into())
    }

    /// The real python3 this machine runs, resolved by the code under test.
    fn real_python() -> Interpreter {
        let path = std::env::var_os("PATH").expect("PATH");
        find(None, &path, None, None).expect("these tests need a real python3 on PATH")
    }

    fn real_uv() -> Option<PathBuf> {
        std::env::split_paths(&std::env::var_os("PATH")?).map(|d| d.join("uv")).find(|p| is_executable(p))
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
        fn find(&self, r: Request, source: Source) -> Result<Interpreter> {
            find(Some(&req(r, source)), self.bin.as_os_str(), Some(&self.pyenv), None)
        }
    }

    #[test]
    fn requires_python_picks_the_newest_satisfying() {
        let z = zoo();
        let src = "requires-python >=3.10 in pyproject.toml";
        let got = z.find(Request::Specifier(">=3.10".into()), Source::RequiresPython(">=3.10".into())).unwrap();
        let why = format!("the newest that satisfies {src}");
        assert_eq!(got, Interpreter { path: z.bin.join("python3.13"), version: "3.13.1".into(), source: why });
        // Below 3.13 the pyenv 3.12.5 beats PATH's 3.12.2.
        let got = z.find(Request::Specifier(">=3.10,<3.13".into()), cfg("s")).unwrap();
        assert_eq!((got.path, got.version), (z.pyenv.join("versions/3.12.5/bin/python3"), "3.12.5".into()));
        let got = z.find(Request::Specifier("<3.10".into()), cfg("s")).unwrap();
        assert_eq!(got.version, "3.9.18");
        let e = z.find(Request::Specifier(">=3.14".into()), Source::RequiresPython(">=3.10".into())).unwrap_err();
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
        let got = z.find(Request::Specifier(">=3.8".into()), Source::RequiresPython(">=3.8".into())).unwrap();
        assert_eq!((got.version.as_str(), got.path), ("3.11.7", z.bin.join("python3")));
        assert_eq!(got.source, format!("python3 on PATH, which satisfies {src}"));
        let src = "requires-python >=3.12 in pyproject.toml";
        let got = z.find(Request::Specifier(">=3.12".into()), Source::RequiresPython(">=3.12".into())).unwrap();
        assert_eq!(got.version, "3.13.1");
        assert_eq!(got.source, format!("the newest that satisfies {src}; python3 on PATH is 3.11.7"));
    }

    #[test]
    fn the_version_is_verified_by_running_it() {
        let z = zoo();
        // A python3.14 that is really 3.9: its name is not believed.
        fake(&z.bin, "python3.14", "3.9.1");
        let e = z.find(Request::Version("3.14".into()), pv()).unwrap_err();
        assert!(e.message.starts_with("Python 3.14 was requested by .python-version but no such"), "{}", e.message);
        // A broken newest candidate is skipped, not fatal.
        script(&z.bin, "python3.15", "#!/bin/sh\necho 'No module named encodings' >&2\nexit 1\n");
        let got = z.find(Request::Specifier(">=3.12".into()), cfg("s")).unwrap();
        assert_eq!(got.version, "3.13.1");
    }

    #[test]
    fn version_requests_take_the_newest_patch() {
        let z = zoo();
        let got = z.find(Request::Version("3.12".into()), pv()).unwrap();
        assert_eq!((got.version.as_str(), got.source.as_str()), ("3.12.5", ".python-version"));
        let got = z.find(Request::Version("3.12.2".into()), pv()).unwrap();
        assert_eq!(got.path, z.bin.join("python3.12"));
        let got = z.find(Request::Version("3".into()), cfg("3")).unwrap();
        assert_eq!(got.version, "3.13.1");
    }

    #[test]
    fn unmet_version_error_text() {
        let z = zoo();
        let e = z.find(Request::Version("3.99".into()), pv()).unwrap_err();
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
        let e = find(Some(&req(Request::Version("3.99".into()), cfg("3.99"))), OsStr::new(""), None, None).unwrap_err();
        assert_eq!(
            e.message,
            "Python 3.99 was requested by config python = \"3.99\" but no such interpreter was found (looked on PATH)"
        );
        assert!(e.hint.unwrap().ends_with("or change `python` in the autovenv config"));
    }

    #[test]
    #[allow(clippy::print_stderr)] // a skipped test says so on the test's output
    fn unmet_with_real_uv_downloads_nothing() {
        let Some(uv) = real_uv() else {
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "uv not found; CI must install it");
            eprintln!("SKIPPED: uv not found (this would fail with CI=true)");
            return;
        };
        let z = zoo();
        let start = Instant::now();
        let r = req(Request::Version("3.99".into()), pv());
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
        let find_with_uv = |r: Request| find(Some(&req(r, cfg("s"))), z.bin.as_os_str(), Some(&z.pyenv), Some(&uv));
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
        assert!(
            e.message.starts_with("Python 3.17 was requested by config python = \"s\" but no such"),
            "{}",
            e.message
        );
        assert!(fs::read_to_string(dir.path().join("uv.log")).unwrap().contains("-- 3.17"));
    }

    #[test]
    fn names_paths_and_pyenv_folders() {
        let z = zoo();
        let got = z.find(Request::Name("pypy3.10-7.3.15".into()), pv()).unwrap();
        assert_eq!((got.path, got.version), (z.pyenv.join("versions/pypy3.10-7.3.15/bin/python"), "3.10.13".into()));
        // python3.12 exists on PATH: that file, not a newer 3.12 elsewhere.
        assert_eq!(z.find(Request::Name("python3.12".into()), cfg("s")).unwrap().version, "3.12.2");
        fs::remove_file(z.bin.join("python3.12")).unwrap();
        assert_eq!(z.find(Request::Name("python3.12".into()), cfg("s")).unwrap().version, "3.12.5");
        let p = z.bin.join("python3.10");
        assert_eq!(z.find(Request::Path(p.clone()), cfg("x")).unwrap().path, p);
        let e = z.find(Request::Path(z.bin.join("nope")), cfg("bin/nope")).unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "{} was requested by config python = \"bin/nope\" but it does not exist",
                z.bin.join("nope").display()
            )
        );
        let e = z.find(Request::Name("pypy3".into()), pv()).unwrap_err();
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
        let r = req(Request::Version("3.13".into()), pv());
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
        let r = req(Request::Version("3.99".into()), pv());
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
    fn only_a_native_non_venv_python3_goes_unprobed() {
        let real = real_python();
        let dir = tempfile::tempdir().unwrap();
        let native = dir.path().join("native");
        fs::create_dir(&native).unwrap();
        std::os::unix::fs::symlink(&real.path, native.join("python3")).unwrap();
        assert_eq!(plain_python3(native.as_os_str()), Some(native.join("python3")));

        // A script (a pyenv shim is one) answers per folder: probe it.
        let shim = dir.path().join("shim");
        script(&shim, "python3", &format!("#!/bin/sh\nexec {} \"$@\"\n", real.path.display()));
        assert_eq!(plain_python3(shim.as_os_str()), None);

        // A venv's own python must be resolved to its base by the probe.
        let venv = dir.path().join("v");
        let ok = Command::new(&real.path).args(["-m", "venv", "--without-pip"]).arg(&venv).status().unwrap();
        assert!(ok.success());
        assert_eq!(plain_python3(venv.join("bin").as_os_str()), None);

        // First on PATH wins, and a relative entry is never searched.
        let both = std::env::join_paths([Path::new("shim"), &shim, &native]).unwrap();
        assert_eq!(plain_python3(&both), None);
    }

    #[test]
    fn a_range_goes_unprobed_and_is_checked_afterwards() {
        let real = real_python();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(&real.path, dir.path().join("python3")).unwrap();
        let path = dir.path().as_os_str();
        let u = unprobed(None, path).unwrap();
        assert_eq!((u.path.clone(), u.source.as_str()), (dir.path().join("python3"), "python3 on PATH"));
        assert!(u.accepts("3.11.7") && !u.accepts(""), "no request takes any version uv reports");

        let range = req(Request::Specifier(">=3.10,<3.13".into()), Source::RequiresPython(">=3.10,<3.13".into()));
        let u = unprobed(Some(&range), path).unwrap();
        assert_eq!(u.source, "python3 on PATH, which satisfies requires-python >=3.10,<3.13 in pyproject.toml");
        assert!(u.accepts("3.10.0") && u.accepts("3.12.9"));
        assert!(!u.accepts("3.9.18") && !u.accepts("3.13.0") && !u.accepts("garbage"));

        // What is searched for, rather than taken from PATH, is probed.
        for r in [
            req(Request::Version("3.12".into()), pv()),
            req(Request::Name("pypy3".into()), cfg("pypy3")),
            req(Request::Path(real.path.clone()), pv()),
        ] {
            assert_eq!(unprobed(Some(&r), path), None, "{r:?}");
        }
        // An unparsable range is left to the search, which says what is wrong.
        let bad = req(Request::Specifier(">=x".into()), cfg(">=x"));
        assert_eq!(unprobed(Some(&bad), path), None);
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
}

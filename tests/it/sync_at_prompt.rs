//! The requirements sync engine in real shells: what is watched,
//! when the installer runs (and, counted, when it does not), failures,
//! Ctrl-C, repair, the project lock, exact mode, and bad input.
//!
//! Installer starts are counted, not guessed: with uv, the sandbox's `uv`
//! is a shim script that appends its arguments to a log and execs the real
//! uv; on the pip path, a `.pth` file in the env's site-packages logs every
//! start of the env's Python (`python -m pip` is one). Conventions as in
//! `enter_and_leave.rs`: the shell starts in `<sandbox>/work`; wheels are
//! built into the sandbox's find-links dir; nothing touches the network.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;

/// Replace the sandbox's `uv` symlink with a script that logs each call
/// (one line: its arguments) and then runs the real uv. For `uv pip
/// install`: when the file `<log>.sleep` exists, it first touches
/// `<log>.started` and sleeps as many seconds as that file says (a slow
/// install to press Ctrl-C in); and it logs `OVERLAP` if another install
/// is running at the same time (`<log>.running` exists).
pub(crate) fn uv_shim(sb: &Sandbox) -> PathBuf {
    let real = tools_uv();
    let log = sb.root().join("uv-calls.log");
    let shim = sb.bin().join("uv");
    fs::remove_file(&shim).unwrap();
    let l = log.display();
    fs::write(
        &shim,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{l}'\n\
             if [ \"$1\" = venv ] && [ -e '{l}.sleep-venv' ]; then : > '{l}.started'; sleep 60; fi\n\
             [ \"$1 $2\" = 'pip install' ] || exec '{real}' \"$@\"\n\
             mkdir '{l}.running' 2>/dev/null || echo OVERLAP >> '{l}'\n\
             if [ -e '{l}.sleep' ]; then : > '{l}.started'; sleep \"$(cat '{l}.sleep')\"; fi\n\
             '{real}' \"$@\"; rc=$?\n\
             rmdir '{l}.running'\n\
             exit $rc\n",
            real = real.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&shim, fs::Permissions::from_mode(0o755)).unwrap();
    log
}

fn tools_uv() -> PathBuf {
    // The real uv the sandbox linked to before the shim replaced it.
    let out = std::process::Command::new("python3").args(["-c", "import uv; print(uv.find_uv_bin())"]).output();
    let from_env = std::env::var_os("AVTEST_UV").map(PathBuf::from);
    from_env
        .or_else(|| {
            let o = out.ok()?;
            o.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        })
        .filter(|p| p.exists())
        .or_else(|| {
            std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("uv")).find(|p| p.exists()))
        })
        .expect("a real uv")
}

/// The logged calls whose arguments start with `prefix` (`"pip install"`, `"venv"`).
pub(crate) fn calls(log: &Path, prefix: &str) -> Vec<String> {
    fs::read_to_string(log).unwrap_or_default().lines().filter(|l| l.starts_with(prefix)).map(String::from).collect()
}

pub(crate) fn site_packages(env: &Path) -> PathBuf {
    let lib = env.join("lib");
    let py = fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("python"))
        .expect("lib/python3.X");
    py.join("site-packages")
}

/// Is the distribution `name` installed in `env` (its import package exists)?
pub(crate) fn installed(env: &Path, name: &str) -> bool {
    env.join("lib").exists() && site_packages(env).join(normalize(name)).join("__init__.py").is_file()
}

/// Log every start of `env`'s Python (pip path: the installer is
/// `<env>/bin/python -m pip`) to the returned file.
pub(crate) fn python_logger(env: &Path) -> PathBuf {
    let log = env
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join(format!("python-starts-{}.log", env.parent().unwrap().file_name().unwrap().to_string_lossy()));
    fs::write(
        site_packages(env).join("avt_count_starts.pth"),
        format!("import sys; open({:?}, 'a').write(' '.join(sys.argv) + '\\n')\n", log.display().to_string()),
    )
    .unwrap();
    log
}

pub(crate) fn lines(log: &Path) -> usize {
    fs::read_to_string(log).map_or(0, |s| s.lines().count())
}

fn state(p: &Project) -> serde_json::Value {
    let text = fs::read_to_string(p.env_dir().join(".autovenv-state")).expect("state file");
    serde_json::from_str(&text).unwrap()
}

/// The first line of requirements.txt as `ProjectBuilder` writes them.
fn header(sb: &Sandbox) -> String {
    format!("--no-index\n--find-links {}\n", sb.wheels().display())
}

/// Write a watched file the way an editor does, a moment after the last
/// prompt: file mtimes come from a coarse clock (a few ms), and the hook
/// compares them with the stamp the last prompt touched.
pub(crate) fn edit(path: &Path, text: &str) {
    std::thread::sleep(Duration::from_millis(20));
    fs::write(path, text).unwrap();
}

fn setup(kind: Kind, uv: Uv) -> Option<Sandbox> {
    sandbox_with(&[Need::Shell(kind)], uv, &["mypkg", "other"])
}

fn active(sh: &mut Shell, p: &Project) -> bool {
    sh.var_str("VIRTUAL_ENV").as_deref() == Some(p.env_str().as_str())
}

fn autovenv_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains("autovenv: ")).collect()
}

// ---------------------------------------------------------------------------

/// Editing a file that requirements.txt includes (`-r reqs/base.txt`) is
/// noticed at the next prompt, without a cd, and installs the new package;
/// ten idle prompts after that start no installer (and no autovenv).
fn include_edit_installs_at_next_prompt(kind: Kind) {
    let Some(sb) = setup(kind, Uv::Yes) else { return };
    let log = uv_shim(&sb);
    let p = sb.project("app").require("-r reqs/base.txt").file("reqs/base.txt", "mypkg==1.0\n").create();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    assert!(out.contains("synced requirements.txt"), "{out}");
    sh.run("true");
    assert!(active(&mut sh, &p));
    assert!(installed(&p.env_dir(), "mypkg") && !installed(&p.env_dir(), "other"));
    let first = calls(&log, "pip install");
    // The new env's pip (the interpreter's bundled wheel) goes in with the requirements.
    let first: Vec<String> =
        first.iter().map(|c| c.split(' ').filter(|a| !a.ends_with(".whl")).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(first, [format!("pip install --python {}/bin/python -r requirements.txt", p.env_str())]);

    edit(&p.path("reqs/base.txt"), "mypkg==1.0\nother==1.0\n");
    let out = sh.run("true");
    assert!(installed(&p.env_dir(), "other"), "the next prompt installed `other`; output:\n{out}");
    assert_eq!(calls(&log, "pip install").len(), 2, "one more install");
    let said = autovenv_lines(&out);
    assert_eq!(said.len(), 1, "one summary line: {said:?}");
    assert!(said[0].contains("synced requirements.txt"), "{said:?}");
    assert!(active(&mut sh, &p), "still active");

    // Ten idle prompts: no installer, not even an autovenv process (the
    // shim logs every uv call; every run of `autovenv export` touches this
    // shell's stamp file, and its mtime does not move; the state file is
    // never rewritten).
    if kind == Kind::Tcsh {
        // tcsh compares whole seconds: the first prompt in the second of
        // the last run runs it once more.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        sh.run("true");
    }
    let stamp = if kind == Kind::Elvish {
        // The hook's variables are its own there: the shell's one stamp.
        let dir = sb.runtime_dir().join("autovenv");
        let mut files: Vec<PathBuf> =
            fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
        assert_eq!(files.len(), 1, "one shell, one stamp: {files:?}");
        files.pop().unwrap()
    } else {
        PathBuf::from(sh.var_str("__autovenv_stamp").expect("the hook's stamp"))
    };
    let mtime = |f: &Path| fs::metadata(f).unwrap().modified().unwrap();
    let (stamp_mtime, state_mtime) = (mtime(&stamp), mtime(&p.env_dir().join(".autovenv-state")));
    let before = fs::read_to_string(&log).unwrap();
    for _ in 0..10 {
        let out = sh.run("true");
        assert!(out.trim().is_empty(), "an idle prompt prints nothing: {out:?}");
    }
    assert_eq!(fs::read_to_string(&log).unwrap(), before, "no uv call on idle prompts");
    assert_eq!(mtime(&stamp), stamp_mtime, "autovenv did not run on idle prompts");
    assert_eq!(mtime(&p.env_dir().join(".autovenv-state")), state_mtime);

    // Touching without changing, and leaving and coming back (autovenv runs
    // then): same digest, no installer.
    edit(&p.path("reqs/base.txt"), "mypkg==1.0\nother==1.0\n");
    let out = sh.run("true");
    assert!(autovenv_lines(&out).is_empty(), "{out}");
    sh.cd(&sb.work());
    let out = sh.cd(p.root());
    assert!(autovenv_lines(&out).is_empty(), "{out}");
    assert!(active(&mut sh, &p));
    assert_eq!(calls(&log, "pip install").len(), 2, "no installer for an unchanged digest");

    // An include added later (relative to the including file) is watched
    // from then on: editing it is noticed at the next prompt too.
    sb.wheel("third", "1.0", &[]);
    edit(&p.path("reqs/base.txt"), "mypkg==1.0\nother==1.0\n-r more/extra.txt\n");
    fs::create_dir_all(p.path("reqs/more")).unwrap();
    fs::write(p.path("reqs/more/extra.txt"), "# nothing yet\n").unwrap();
    sh.run("true");
    assert_eq!(calls(&log, "pip install").len(), 3);
    edit(&p.path("reqs/more/extra.txt"), "third==1.0\n");
    let out = sh.run("true");
    assert!(installed(&p.env_dir(), "third"), "{out}");
}

/// A requirement that cannot be installed: the installer's error and one
/// retry hint, once; later prompts (and re-entry) do not retry; the env
/// stays active; `autovenv sync` retries; fixing the file syncs.
#[test]
fn failing_requirement_reported_once_then_fixed() {
    let kind = Kind::Bash;
    let Some(sb) = setup(kind, Uv::Yes) else { return };
    let log = uv_shim(&sb);
    let p = sb.project("app").require("mypkg==1.0").create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    assert!(active(&mut sh, &p));

    let req = p.path("requirements.txt");
    edit(&req, &format!("{}mypkg==1.0\nnosuchpkg==9.9\n", header(&sb)));
    let out = sh.run("true");
    assert!(out.contains("nosuchpkg"), "the installer's own error is shown:\n{out}");
    let said = autovenv_lines(&out);
    assert!(said.iter().any(|l| l.contains("error: installing requirements.txt failed")), "{said:?}");
    assert!(said.iter().any(|l| l.contains("hint:") && l.contains("autovenv sync")), "{said:?}");
    assert!(active(&mut sh, &p), "the env stays active after a failed install");
    assert_eq!(state(&p)["error"].as_str().map(|e| e.contains("failed")), Some(true), "failure recorded");
    let n = calls(&log, "pip install").len();

    for _ in 0..5 {
        assert_eq!(sh.run("true").trim(), "", "not reported again");
    }
    sh.cd(&sb.work());
    let out = sh.cd(p.root());
    assert!(autovenv_lines(&out).is_empty(), "re-entry does not retry: {out}");
    assert_eq!(calls(&log, "pip install").len(), n, "no retry until the file changes");
    assert!(active(&mut sh, &p));

    // `autovenv sync` retries (and fails again, saying so).
    let out = sh.run("autovenv sync");
    assert_eq!(calls(&log, "pip install").len(), n + 1, "`autovenv sync` retries a failed install: {out}");
    assert!(out.contains("failed"), "{out}");
    let out = sh.run("echo $?");
    assert_eq!(out.trim(), "1", "`autovenv sync` reports the failure in its status");

    // Fixing the file syncs at the next prompt.
    sb.wheel("nosuchpkg", "9.9", &[]);
    edit(&req, &format!("{}mypkg==1.0\nnosuchpkg==9.9 # now built\n", header(&sb)));
    let out = sh.run("true");
    assert!(out.contains("synced requirements.txt"), "{out}");
    assert!(installed(&p.env_dir(), "nosuchpkg"));
    assert_eq!(state(&p)["error"], serde_json::Value::Null);

    // `autovenv sync DIR` with nothing to do runs no installer; `--force` does.
    let n = calls(&log, "pip install").len();
    sh.cd(&sb.work());
    let out = sh.run("autovenv sync app && echo done");
    assert_eq!(out.trim(), "done");
    assert_eq!(calls(&log, "pip install").len(), n);
    let out = sh.run("autovenv sync app --force");
    assert!(out.contains("synced requirements.txt"), "{out}");
    assert_eq!(calls(&log, "pip install").len(), n + 1);
}

/// Ctrl-C while the installer runs: the installer stops, the shell is
/// usable, the env is active (at the latest at the next prompt), the digest
/// is not recorded, the same shell does not start the install again at every
/// prompt, and the next entry retries.
fn ctrl_c_during_install(kind: Kind) {
    let Some(sb) = setup(kind, Uv::Yes) else { return };
    let log = uv_shim(&sb);
    let p = sb.project("app").require("mypkg==1.0").create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let digest = state(&p)["digest"].clone();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());

    // Make the next install slow, then change the requirements.
    let started = sb.root().join("uv-calls.log.started");
    fs::write(sb.root().join("uv-calls.log.sleep"), "60").unwrap();
    edit(&p.path("requirements.txt"), &format!("{}mypkg==1.0\nother==1.0\n", header(&sb)));
    let t0 = Instant::now();
    sh.start_line("true");
    while !started.exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "the install never started:\n{}", sh.transcript());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    sh.send_raw(b"\x03");
    let out = sh.finish("true");
    if std::env::var_os("AVTEST_SHOW").is_some() {
        eprintln!("=== {} after Ctrl-C ===\n{out}\n===", kind.name());
    }
    assert!(t0.elapsed() < Duration::from_secs(30), "Ctrl-C stopped the 60 s install");
    assert!(out.contains("interrupted"), "autovenv says the install was interrupted:\n{out}");
    fs::remove_file(sb.root().join("uv-calls.log.sleep")).unwrap();
    fs::remove_file(&started).unwrap();
    // The shim died with its sleep, before it could clean up.
    let _ = fs::remove_dir(sb.root().join("uv-calls.log.running"));
    let n = calls(&log, "pip install").len();

    // The shell works; the env is active by the next prompt; nothing is
    // installed again on the following prompts.
    assert_eq!(sh.run("echo alive").trim(), "alive");
    assert!(active(&mut sh, &p), "the env stays active after Ctrl-C");
    for _ in 0..3 {
        sh.run("true");
    }
    // Runs of autovenv that are not an entry: a file made in the root (its
    // mtime is watched), a cd within the project.
    sh.run("mkdir sub; touch notes.txt");
    sh.cd(&p.path("sub"));
    sh.cd(p.root());
    assert_eq!(calls(&log, "pip install").len(), n, "the same shell does not retry at every prompt");
    let status = sh.run("autovenv status --json");
    assert!(status.contains(r#""sync": "stale""#) && status.contains("interrupted"), "{status}");
    assert!(!installed(&p.env_dir(), "other"));
    let st = state(&p);
    assert_eq!(st["digest"], digest, "the new digest is not recorded");

    // The next entry retries, and this time it completes.
    sh.cd(&sb.work());
    let out = sh.cd(p.root());
    assert!(out.contains("synced requirements.txt"), "the next entry retries:\n{out}");
    assert!(installed(&p.env_dir(), "other"));
    assert_ne!(state(&p)["digest"], digest);
    assert!(active(&mut sh, &p));
}

per_shell!(include_edit_installs_at_next_prompt, ctrl_c_during_install, ctrl_c_during_creation);

/// Ctrl-C while the env is being created (at the first entry): the shell
/// stays usable, nothing half-made is activated, and the next entry
/// rebuilds the env, saying why.
fn ctrl_c_during_creation(kind: Kind) {
    let Some(sb) = setup(kind, Uv::Yes) else { return };
    let log = uv_shim(&sb);
    fs::create_dir_all(sb.xdg_config().join("autovenv")).unwrap();
    fs::write(
        sb.xdg_config().join("autovenv/config.toml"),
        format!("[trust]\nprefixes = [{:?}]\n", sb.work().display().to_string()),
    )
    .unwrap();
    let p = sb.project("app").require("mypkg==1.0").create();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let started = sb.root().join("uv-calls.log.started");
    fs::write(sb.root().join("uv-calls.log.sleep-venv"), "").unwrap();
    let cd = format!("cd {}", sh.qp(p.root()));
    let t0 = Instant::now();
    sh.start_line(&cd);
    while !started.exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "creation never started:\n{}", sh.transcript());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    sh.send_raw(b"\x03");
    let out = sh.finish(&cd);
    assert!(t0.elapsed() < Duration::from_secs(30), "Ctrl-C stopped the creation");
    fs::remove_file(sb.root().join("uv-calls.log.sleep-venv")).unwrap();
    fs::remove_file(&started).unwrap();
    assert!(out.contains("creating") && out.contains("was interrupted"), "{out}");
    assert_eq!(calls(&log, "venv").len(), 1);

    // The shell works; the prompts that follow do not start the creation
    // again (it would only be interrupted again); nothing half-made is active.
    assert_eq!(sh.run("echo alive").trim(), "alive");
    for _ in 0..3 {
        assert_eq!(sh.run("true").trim(), "");
    }
    assert_eq!(calls(&log, "venv").len(), 1, "no new creation at the following prompts");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);

    // The next entry makes the env.
    sh.cd(&sb.work());
    let out = sh.cd(p.root());
    assert!(out.contains("creating env/") && out.contains("synced requirements.txt"), "{out}");
    assert!(active(&mut sh, &p) && installed(&p.env_dir(), "mypkg"));
}

/// A dangling interpreter link (the Python it pointed to was upgraded away)
/// and a half-made env are rebuilt at entry, with the reason, then re-synced.
#[test]
fn broken_and_half_made_envs_are_rebuilt() {
    let kind = Kind::Bash;
    let Some(sb) = setup(kind, Uv::Yes) else { return };
    let p = sb.project("app").require("mypkg==1.0").create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let mut sh = Shell::start(kind, &sb, "", &sb.work());

    let py = p.env_dir().join("bin/python");
    fs::remove_file(&py).unwrap();
    std::os::unix::fs::symlink("/nonexistent/python3.99", &py).unwrap();
    let out = sh.cd(p.root());
    assert!(out.contains("rebuilding env/: its Python interpreter is gone"), "{out}");
    assert!(out.contains("synced requirements.txt"), "re-synced:\n{out}");
    assert!(py.exists() && installed(&p.env_dir(), "mypkg"));
    assert!(active(&mut sh, &p));
    assert_eq!(sh.run("python -c 'import mypkg; print(mypkg.VERSION)'").trim(), "1.0");

    // Killed during creation: the creating mark survived.
    sh.cd(&sb.work());
    fs::write(p.env_dir().join(".autovenv-creating"), "").unwrap();
    let out = sh.cd(p.root());
    assert!(out.contains("rebuilding env/: its creation was interrupted"), "{out}");
    assert!(!p.env_dir().join(".autovenv-creating").exists() && installed(&p.env_dir(), "mypkg"));
    assert!(active(&mut sh, &p));
}

/// An `env/` autovenv did not make is reported and left untouched: a plain
/// folder, and a venv of someone else's whose interpreter is gone.
#[test]
fn foreign_env_folder_is_untouched() {
    let kind = Kind::Bash;
    let Some(sb) = setup(kind, Uv::Yes) else { return };
    let p = sb.project("app").require("mypkg==1.0").file("env/precious.txt", "mine\n").create();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    assert!(out.contains("is not a virtual environment") && out.contains("untouched"), "{out}");
    // A prompt within the stamp's margin (20 ms, src/stamp.rs) of the trust
    // change runs the binary once more; no person types that fast, this pty does.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let out = sh.run("true");
    assert!(!active(&mut sh, &p), "not activated: {out}");
    let names: Vec<_> = fs::read_dir(p.env_dir()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["precious.txt"], "nothing added to the folder");
    assert_eq!(p.read("env/precious.txt").as_deref(), Some("mine\n"));
    assert_eq!(sh.run("echo ok").trim(), "ok");

    // Someone else's venv with a dangling interpreter: reported, not deleted.
    fs::remove_file(p.env_dir().join("precious.txt")).unwrap();
    fs::remove_dir(p.env_dir()).unwrap();
    sb.make_venv(&p.env_dir());
    fs::write(p.env_dir().join("precious.txt"), "mine\n").unwrap();
    let py = p.env_dir().join("bin/python");
    fs::remove_file(&py).unwrap();
    std::os::unix::fs::symlink("/nonexistent/python3.99", &py).unwrap();
    sh.cd(&sb.work());
    let out = sh.cd(p.root());
    assert!(out.contains("interpreter is gone") && out.contains("will not delete it"), "{out}");
    assert_eq!(p.read("env/precious.txt").as_deref(), Some("mine\n"));
    assert!(py.symlink_metadata().is_ok() && !py.exists(), "the link is left as it was");
}

/// Two processes entering a new project at once make one whole env: one
/// creation, one install, the other waits with a message.
#[test]
fn two_processes_entering_make_one_env() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    sb.wheel("mypkg", "1.0", &[]);
    let log = uv_shim(&sb);
    // Trusted by prefix, so entering (not `allow`) is what creates the env.
    fs::create_dir_all(sb.xdg_config().join("autovenv")).unwrap();
    fs::write(
        sb.xdg_config().join("autovenv/config.toml"),
        format!("[trust]\nprefixes = [{:?}]\n", sb.work().display().to_string()),
    )
    .unwrap();
    let p = sb.project("app").require("mypkg==1.0").create();
    let spawn = || {
        let mut c = sb.autovenv();
        c.args(["export", "bash"]).current_dir(p.root()).env("PWD", p.root());
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let err = format!("{}{}", String::from_utf8_lossy(&a.stderr), String::from_utf8_lossy(&b.stderr));
    for o in [&a, &b] {
        assert!(o.status.success(), "{err}");
        let code = String::from_utf8_lossy(&o.stdout);
        assert!(code.contains(&format!("VIRTUAL_ENV='{}'", p.env_str())), "both activate:\n{code}\n{err}");
        assert!(!code.contains("Installed") && !code.contains("mypkg"), "installer output is not on stdout:\n{code}");
    }
    assert_eq!(err.matches("creating env/").count(), 1, "{err}");
    assert_eq!(err.matches("synced requirements.txt").count(), 1, "{err}");
    assert!(err.contains("waiting: another autovenv is working on"), "{err}");
    assert_eq!(calls(&log, "venv").len(), 1, "one creation");
    assert_eq!(calls(&log, "pip install").len(), 1, "one installer");
    assert!(installed(&p.env_dir(), "mypkg") && p.env_dir().join(".autovenv").exists());
    assert_eq!(state(&p)["error"], serde_json::Value::Null);

    // Never two installers on one env: two forced syncs at once, each
    // install held open for 0.5 s, run one after the other.
    fs::write(sb.root().join("uv-calls.log.sleep"), "0.5").unwrap();
    let sync = || {
        let mut c = sb.autovenv();
        c.args(["sync", "--force"]).current_dir(p.root()).env("PWD", p.root());
        c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
    };
    let (a, b) = (sync(), sync());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let err = format!("{}{}", String::from_utf8_lossy(&a.stderr), String::from_utf8_lossy(&b.stderr));
    assert!(a.status.success() && b.status.success(), "{err}");
    assert_eq!(calls(&log, "pip install").len(), 3, "{err}");
    assert!(err.contains("waiting: another autovenv is working on"), "{err}");
    assert!(calls(&log, "OVERLAP").is_empty(), "two installers ran at once:\n{err}");
}

/// `sync = "exact"` removes what the files no longer list, keeps the
/// dependencies of what they list.
fn exact_mode_removes_unlisted(uv: Uv) {
    let kind = Kind::Bash;
    let Some(sb) = setup(kind, uv) else { return };
    sb.wheel("dep", "1.0", &[]);
    sb.wheel("withdep", "1.0", &["dep"]);
    let p = sb
        .project("app")
        .require("withdep==1.0")
        .require("other==1.0")
        .file(".autovenv.toml", "sync = \"exact\"\n")
        .create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let env = p.env_dir();
    assert!(installed(&env, "withdep") && installed(&env, "dep") && installed(&env, "other"));
    let mut sh = Shell::start(kind, &sb, "", p.root());
    assert!(active(&mut sh, &p));

    edit(&p.path("requirements.txt"), &format!("{}withdep==1.0\nmypkg==1.0\n", header(&sb)));
    let out = sh.run("true");
    assert!(!installed(&env, "other"), "the unlisted package is removed:\n{out}");
    assert!(installed(&env, "mypkg") && installed(&env, "withdep") && installed(&env, "dep"), "{out}");
    assert!(installed(&env, "pip") || site_packages(&env).join("pip").exists(), "pip stays");
    assert_eq!(sh.run("python -m pip --version >/dev/null && echo ok").trim(), "ok");
}

#[test]
fn exact_mode_removes_unlisted_with_uv() {
    exact_mode_removes_unlisted(Uv::Yes);
}

#[test]
fn exact_mode_removes_unlisted_with_pip() {
    exact_mode_removes_unlisted(Uv::No);
}

/// The pip path end to end: `python -m venv`, `python -m pip install`; an
/// include edited is installed at the next prompt; idle prompts start no
/// Python at all; a failure is reported once and not retried.
#[test]
fn pip_path_include_edit_idle_and_failure() {
    let kind = Kind::Bash;
    let Some(sb) = setup(kind, Uv::No) else { return };
    let p = sb.project("app").require("-r base.txt").file("base.txt", "mypkg==1.0\n").create();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    assert!(out.contains("(venv)") && out.contains("synced requirements.txt"), "{out}");
    let starts = python_logger(&p.env_dir());
    sh.run("true");
    assert!(active(&mut sh, &p) && installed(&p.env_dir(), "mypkg"));

    edit(&p.path("base.txt"), "mypkg==1.0\nother==1.0\n");
    let out = sh.run("true");
    assert!(installed(&p.env_dir(), "other"), "{out}");
    let log = fs::read_to_string(&starts).unwrap_or_default();
    assert!(log.lines().any(|l| l.contains("pip")), "installed by the env's python -m pip: {log:?}");

    let n = lines(&starts);
    for _ in 0..10 {
        sh.run("true");
    }
    assert_eq!(lines(&starts), n, "ten idle prompts start no Python");

    edit(&p.path("base.txt"), "mypkg==1.0\nother==1.0\nnosuchpkg\n");
    let out = sh.run("true");
    assert!(out.contains("error: installing requirements.txt failed (pip install exited 1)"), "{out}");
    let n = lines(&starts);
    for _ in 0..3 {
        assert_eq!(sh.run("true").trim(), "");
    }
    sh.cd(&sb.work());
    sh.cd(p.root());
    assert_eq!(lines(&starts), n, "no retry of the failed install");
    assert!(active(&mut sh, &p));
}

/// Bad input never breaks the shell or loses anything: a clear error (file
/// and line), the env stays usable, fixing the file syncs.
#[test]
fn bad_input_is_a_clear_error() {
    let kind = Kind::Bash;
    let Some(sb) = setup(kind, Uv::Yes) else { return };
    let p = sb.project("app").require("mypkg==1.0").create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let mut sh = Shell::start(kind, &sb, "", p.root());
    assert!(active(&mut sh, &p));
    let req = p.path("requirements.txt");
    let good = format!("{}mypkg==1.0\n", header(&sb));

    fs::write(p.path("a.txt"), "-r requirements.txt\n").unwrap();
    let mut latin1 = good.clone().into_bytes();
    latin1.extend_from_slice(b"caf\xe9\n");
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("missing include", format!("{good}-r missing.txt\n").into(), "requirements.txt line 4: included file"),
        (
            "include cycle",
            format!("{good}-r a.txt\n").into(),
            "requirements include cycle: requirements.txt -> a.txt -> requirements.txt",
        ),
        ("non-UTF-8", latin1, "requirements.txt line 4 is not valid UTF-8"),
    ];
    for (what, bytes, want) in cases {
        std::thread::sleep(Duration::from_millis(20));
        fs::write(&req, &bytes).unwrap();
        let out = sh.run("true");
        assert!(out.contains(want), "{what}: {out}");
        let errors = autovenv_lines(&out).iter().filter(|l| l.contains("error:")).count();
        assert_eq!(errors, 1, "{what}: one error\n{out}");
        assert!(active(&mut sh, &p), "{what}: still active");
        assert_eq!(sh.run("echo ok").trim(), "ok");
        assert!(installed(&p.env_dir(), "mypkg"), "{what}: nothing lost");
        assert_eq!(fs::read(&req).unwrap(), bytes, "{what}: the file is untouched");
        edit(&req, &good);
        sh.run("true");
    }

    // A missing include in a folder that does not exist yet: reported once;
    // creating it is noticed at the next prompt, without a cd.
    edit(&req, &format!("{good}-r extra/more.txt\n"));
    let out = sh.run("true");
    assert!(out.contains("included file") && out.contains("extra/more.txt"), "{out}");
    assert_eq!(sh.run("true").trim(), "", "reported once");
    assert!(state(&p)["error"].is_string(), "the problem is recorded");
    fs::create_dir(p.path("extra")).unwrap();
    edit(&p.path("extra/more.txt"), "other==1.0\n");
    let out = sh.run("true");
    assert!(installed(&p.env_dir(), "other"), "creating the include installs it:\n{out}");
    edit(&req, &good);
    sh.run("true");

    // A directory where requirements.txt should be.
    fs::remove_file(&req).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    fs::create_dir(&req).unwrap();
    let out = sh.run("true");
    assert!(out.contains("requirements.txt is not a regular file"), "{out}");
    assert!(active(&mut sh, &p));
    fs::remove_dir(&req).unwrap();

    // A FIFO: opening it would block the prompt forever.
    std::thread::sleep(Duration::from_millis(20));
    let mkfifo = std::process::Command::new("mkfifo").arg(&req).status().unwrap();
    assert!(mkfifo.success());
    let out = sh.run("true");
    assert!(out.contains("requirements.txt is not a regular file"), "{out}");
    assert_eq!(sh.run("echo ok").trim(), "ok");
    fs::remove_file(&req).unwrap();
    edit(&req, &good);
    sh.run("true");

    // Unreadable (meaningless as root, who reads anything).
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        edit(&req, &format!("{good}other==1.0\n"));
        fs::set_permissions(&req, fs::Permissions::from_mode(0o000)).unwrap();
        let out = sh.run("true");
        assert!(out.contains("cannot read") && out.contains("requirements.txt"), "{out}");
        assert!(active(&mut sh, &p));
        fs::set_permissions(&req, fs::Permissions::from_mode(0o644)).unwrap();
    }

    // 10,000 lines: comments, blanks, repeats; installs what they say.
    let mut big = good.clone();
    for i in 0..10_000 {
        big.push_str(&match i % 3 {
            0 => format!("# comment {i}\n"),
            1 => "\n".to_string(),
            _ => "mypkg>=1.0\n".to_string(),
        });
    }
    big.push_str("bigpkg==1.0\n");
    sb.wheel("bigpkg", "1.0", &[]);
    edit(&req, &big);
    let out = sh.run("true");
    assert!(out.contains("synced requirements.txt"), "{out}");
    assert!(installed(&p.env_dir(), "bigpkg"));
    assert_eq!(fs::read_to_string(&req).unwrap(), big, "the file is untouched");
    assert_eq!(sh.run("echo ok").trim(), "ok");
}

// ------------------------------------------------ nushell and xonsh

mod list_shells {
    use super::*;

    #[test]
    fn nu_ctrl_c_during_install() {
        ctrl_c_during_install(Kind::Nu);
    }

    #[test]
    fn xonsh_ctrl_c_during_install() {
        ctrl_c_during_install(Kind::Xonsh);
    }
}

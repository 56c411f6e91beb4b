//! uv.lock and poetry.lock projects in real shells: what `uv sync` and
//! `poetry install` would install goes into autovenv's env, at the first
//! entry after `allow`, and again at the next prompt after an edit, a
//! relock or a branch switch; idle prompts start no installer; a lock that
//! is out of date, broken, or needs a tool that is missing is one error,
//! reported once.
//!
//! The projects are made here: wheels built by the harness into the
//! sandbox's find-links folder, locks made by the real `uv lock` (offline,
//! `UV_FIND_LINKS`) and the real `poetry lock` (dependencies as `file:`
//! URLs of those wheels, so nothing is looked up on an index). Installer
//! starts are counted with logging wrappers in the sandbox's `bin/` that
//! run the real uv and the real poetry.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common::*;

/// Replace the sandbox's `name` with a script that appends each call's
/// arguments to `<sandbox>/<name>-calls.log`, then runs `exec` (a command
/// line prefix, quoted). A call whose first argument is `slow` sleeps first
/// when `<log>.sleep` exists (touching `<log>.started`), to press Ctrl-C in.
fn logging_wrapper(sb: &Sandbox, name: &str, exec: &str, slow: &str) -> PathBuf {
    let log = sb.root().join(format!("{name}-calls.log"));
    let path = sb.bin().join(name);
    let _ = fs::remove_file(&path);
    let l = log.display();
    fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{l}'\n\
             if [ \"$1\" = '{slow}' ] && [ -e '{l}.sleep' ]; then : > '{l}.started'; sleep \"$(cat '{l}.sleep')\"; fi\n\
             exec {exec} \"$@\"\n"
        ),
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    log
}

fn real_uv() -> PathBuf {
    tools().uv.clone().expect("uv (checked by should_skip)")
}

fn uv_wrapper(sb: &Sandbox) -> PathBuf {
    logging_wrapper(sb, "uv", &format!("'{}'", real_uv().display()), "sync")
}

/// poetry on the sandbox's PATH, as `<python> -m poetry`, logged.
fn poetry_wrapper(sb: &Sandbox) -> PathBuf {
    let py = tools().poetry_python.clone().expect("poetry (checked by should_skip)");
    logging_wrapper(sb, "poetry", &format!("'{}' -m poetry", py.display()), "install")
}

/// The logged calls whose arguments start with `prefix`.
fn calls(log: &Path, prefix: &str) -> Vec<String> {
    fs::read_to_string(log).unwrap_or_default().lines().filter(|l| l.starts_with(prefix)).map(String::from).collect()
}

fn site_packages(env: &Path) -> PathBuf {
    let lib = env.join("lib");
    let py = fs::read_dir(&lib)
        .unwrap_or_else(|e| panic!("{}: {e}", lib.display()))
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("python"))
        .expect("lib/python3.X");
    py.join("site-packages")
}

/// The version of `name` installed in the env (the wheels' `VERSION`), if any.
fn version(p: &Project, name: &str) -> Option<String> {
    if !p.env_dir().join("lib").exists() {
        return None;
    }
    let text = fs::read_to_string(site_packages(&p.env_dir()).join(normalize(name)).join("__init__.py")).ok()?;
    Some(text.trim().trim_start_matches("VERSION = ").trim_matches('"').to_string())
}

fn active(sh: &mut Shell, p: &Project) -> bool {
    sh.var_str("VIRTUAL_ENV").as_deref() == Some(p.env_str().as_str())
}

fn autovenv_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains("autovenv: ")).collect()
}

/// Write a watched file a moment after the last prompt (see
/// `sync_at_prompt::edit`).
fn edit(path: &Path, text: &str) {
    std::thread::sleep(Duration::from_millis(20));
    fs::write(path, text).unwrap();
}

fn toml_list(items: &[&str]) -> String {
    format!("[{}]", items.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join(", "))
}

/// A uv project (not a package: uv installs only its dependencies) with a
/// `dev` dependency group, which `uv sync` installs by default.
fn uv_pyproject(deps: &[&str], dev: &[&str]) -> String {
    format!(
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\ndependencies = {}\n\n\
         [dependency-groups]\ndev = {}\n",
        toml_list(deps),
        toml_list(dev)
    )
}

/// The real `uv lock`, offline, against the sandbox's wheels (the sandbox
/// environment sets `UV_OFFLINE` and `UV_FIND_LINKS`), never logged.
fn uv_lock(sb: &Sandbox, root: &Path) {
    let mut cmd = sb.command(real_uv());
    cmd.args(["lock", "--quiet"]).current_dir(root);
    sb.run_ok(&mut cmd);
}

/// `pyproject.toml` + `uv.lock` written and locked.
fn uv_project(sb: &Sandbox, name: &str, deps: &[&str], dev: &[&str]) -> Project {
    let p = sb.project(name).no_requirements().file("pyproject.toml", &uv_pyproject(deps, dev)).create();
    uv_lock(sb, p.root());
    p
}

/// `pyproject.toml` changed and relocked, a moment after the last prompt.
fn relock_uv(sb: &Sandbox, p: &Project, deps: &[&str], dev: &[&str]) {
    edit(&p.path("pyproject.toml"), &uv_pyproject(deps, dev));
    uv_lock(sb, p.root());
}

/// `name @ file:///…/name-1.0-py3-none-any.whl`: poetry locks it with the
/// wheel's hash and needs no index.
fn wheel_dep(sb: &Sandbox, name: &str, version: &str) -> String {
    let whl = sb.wheels().join(format!("{}-{version}-py3-none-any.whl", normalize(name)));
    assert!(whl.is_file(), "{} is built", whl.display());
    format!("{name} @ file://{}", whl.display())
}

/// A poetry project in non-package mode (poetry installs only the
/// dependencies) with PEP 621 dependencies.
fn poetry_pyproject(deps: &[String]) -> String {
    let deps: Vec<&str> = deps.iter().map(String::as_str).collect();
    format!(
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\ndependencies = {}\n\n\
         [tool.poetry]\npackage-mode = false\n",
        toml_list(&deps)
    )
}

/// The real `poetry lock`, run so that it makes no env of its own.
fn poetry_lock(sb: &Sandbox, root: &Path) {
    let py = tools().poetry_python.clone().expect("poetry");
    let mut cmd = sb.command(py);
    cmd.args(["-m", "poetry", "lock", "--no-interaction"]).env("POETRY_VIRTUALENVS_CREATE", "false").current_dir(root);
    sb.run_ok(&mut cmd);
}

fn poetry_project(sb: &Sandbox, name: &str, deps: &[String]) -> Project {
    let p = sb.project(name).no_requirements().file("pyproject.toml", &poetry_pyproject(deps)).create();
    poetry_lock(sb, p.root());
    p
}

fn git(sb: &Sandbox, root: &Path, args: &[&str]) {
    let mut cmd = sb.command("git");
    cmd.args(args).current_dir(root);
    sb.run_ok(&mut cmd);
}

fn setup(needs: &[Need]) -> Option<Sandbox> {
    let sb = sandbox_with(needs, Uv::Yes, &["mypkg", "other", "third"])?;
    sb.wheel("mypkg", "2.0", &[]);
    Some(sb)
}

/// Ten prompts with nothing changed: nothing printed, no installer started.
fn idle_prompts(sh: &mut Shell, log: &Path) {
    let before = fs::read_to_string(log).unwrap_or_default();
    for _ in 0..10 {
        let out = sh.run("true");
        assert!(out.trim().is_empty(), "an idle prompt prints nothing: {out:?}");
    }
    assert_eq!(fs::read_to_string(log).unwrap_or_default(), before, "no call on idle prompts");
}

// ------------------------------------------------------------------ uv.lock

/// Nothing before `allow`; `allow` installs what `uv sync` would (the
/// dependencies and the default `dev` group) with one `uv sync --locked`;
/// idle prompts, a rewrite of the lock with the same content and a
/// re-entry start no installer; a relock after an edit installs the
/// difference at the next prompt.
fn uv_lock_first_entry_then_edit(kind: Kind) {
    let Some(sb) = setup(&[Need::Shell(kind)]) else { return };
    let log = uv_wrapper(&sb);
    let p = uv_project(&sb, "app", &["mypkg==1.0"], &["other"]);
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let out = sh.cd(p.root());
    assert!(out.contains("is not allowed"), "{out}");
    assert!(calls(&log, "").is_empty() && !p.env_dir().exists(), "nothing runs before allow");

    let out = sh.run("autovenv allow");
    assert!(out.contains("uv.lock"), "the summary names the lock:\n{out}");
    assert_eq!(version(&p, "mypkg").as_deref(), Some("1.0"), "{out}");
    assert_eq!(version(&p, "other").as_deref(), Some("1.0"), "the default dev group: {out}");
    let syncs = calls(&log, "sync");
    assert_eq!(syncs.len(), 1, "{syncs:?}");
    assert!(syncs[0].contains("--locked") && syncs[0].contains(&format!("--python {}/bin/python", p.env_str())));
    assert!(p.env_dir().join("bin/pip").exists(), "pip is in the env as with any source");
    assert_eq!(fs::read_to_string(p.path("pyproject.toml")).unwrap(), uv_pyproject(&["mypkg==1.0"], &["other"]));
    sh.run("true");
    assert!(active(&mut sh, &p));
    let status = sh.run("autovenv status --json");
    assert!(status.contains("uv.lock"), "status names the source: {status}");

    idle_prompts(&mut sh, &log);
    let lock = fs::read_to_string(p.path("uv.lock")).unwrap();
    edit(&p.path("uv.lock"), &lock);
    let out = sh.run("true");
    assert!(autovenv_lines(&out).is_empty(), "{out}");
    sh.cd(&sb.work());
    let out = sh.cd(p.root());
    assert!(autovenv_lines(&out).is_empty(), "{out}");
    assert_eq!(calls(&log, "sync").len(), 1, "no installer for an unchanged lock");

    relock_uv(&sb, &p, &["mypkg==1.0", "third"], &["other"]);
    let out = sh.run("true");
    assert_eq!(version(&p, "third").as_deref(), Some("1.0"), "the next prompt installed `third`:\n{out}");
    assert_eq!(calls(&log, "sync").len(), 2);
    let said = autovenv_lines(&out);
    assert_eq!(said.len(), 1, "one summary line: {said:?}");
    assert!(active(&mut sh, &p));
    idle_prompts(&mut sh, &log);

    if kind == Kind::Elvish {
        return; // the hook's watch list lives in a namespace of the hook
    }
    // uv.toml (the project's uv config) is read by the digest; while it is
    // missing the hook watches it only through the root folder, and its
    // appearing is seen at the next prompt.
    let names = sh.var_names("__autovenv_watch");
    let watched: Vec<String> = names.iter().filter_map(|n| sh.var_str(n)).collect();
    let watched = watched.join("\n");
    assert!(!watched.contains("uv.toml") && watched.contains("uv.lock"), "{watched}");
    edit(&p.path("uv.toml"), "# project settings\n");
    sh.run("true");
    assert_eq!(calls(&log, "sync").len(), 3, "a new uv.toml syncs again");
    idle_prompts(&mut sh, &log);
}

per_shell!(uv_lock_first_entry_then_edit);

/// Two branches of a real git repository with different locks: a checkout
/// installs the other branch's lock at the next prompt, and back.
#[test]
fn uv_lock_branch_switch() {
    let kind = Kind::Bash;
    let Some(sb) = setup(&[Need::Shell(kind), Need::Git]) else { return };
    let log = uv_wrapper(&sb);
    let p =
        sb.project("app").no_requirements().git().file("pyproject.toml", &uv_pyproject(&["mypkg==2.0"], &[])).create();
    uv_lock(&sb, p.root());
    git(&sb, p.root(), &["checkout", "-q", "-b", "new"]);
    git(&sb, p.root(), &["add", "pyproject.toml", "uv.lock"]);
    git(&sb, p.root(), &["commit", "-q", "-m", "new"]);
    git(&sb, p.root(), &["checkout", "-q", "-b", "main"]);
    fs::write(p.path("pyproject.toml"), uv_pyproject(&["mypkg==1.0"], &[])).unwrap();
    uv_lock(&sb, p.root());
    git(&sb, p.root(), &["commit", "-q", "-am", "main"]);

    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    sh.run("autovenv allow");
    assert_eq!(version(&p, "mypkg").as_deref(), Some("1.0"));
    std::thread::sleep(Duration::from_millis(20));
    let out = sh.run("git checkout -q new");
    assert_eq!(version(&p, "mypkg").as_deref(), Some("2.0"), "the checkout's prompt installed the new lock:\n{out}");
    std::thread::sleep(Duration::from_millis(20));
    let out = sh.run("git checkout -q main");
    assert_eq!(version(&p, "mypkg").as_deref(), Some("1.0"), "and back:\n{out}");
    assert_eq!(calls(&log, "sync").len(), 3);
    idle_prompts(&mut sh, &log);
    assert!(active(&mut sh, &p));
}

/// A `pyproject.toml` edited without `uv lock`: one error saying the lock
/// is out of date and what to run, nothing installed, not repeated by the
/// prompts after it or by entering again; `uv lock` then installs at the
/// next prompt. A lock that is not TOML is likewise one error naming it.
#[test]
fn uv_lock_out_of_date_is_one_error() {
    let kind = Kind::Zsh;
    let Some(sb) = setup(&[Need::Shell(kind)]) else { return };
    let log = uv_wrapper(&sb);
    let p = uv_project(&sb, "app", &["mypkg==1.0"], &[]);
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    sh.run("autovenv allow");
    let lock = fs::read_to_string(p.path("uv.lock")).unwrap();

    edit(&p.path("pyproject.toml"), &uv_pyproject(&["mypkg==1.0", "third"], &[]));
    let out = sh.run("true");
    let said = autovenv_lines(&out);
    let errors: Vec<&&str> = said.iter().filter(|l| l.contains("error:")).collect();
    assert_eq!(errors.len(), 1, "one error:\n{out}");
    assert!(errors[0].contains("uv.lock is out of date"), "{out}");
    assert!(out.contains("uv lock"), "says what to run:\n{out}");
    // The lock's own hint, not "fix the file": relocking is the fix.
    let hint = "hint: the next prompt after it installs the new lock";
    assert!(out.contains(hint), "{out}");
    assert!(sh.run("autovenv status").contains("the next prompt after it installs the new lock"), "status keeps it");
    assert_eq!(version(&p, "third"), None);
    assert_eq!(fs::read_to_string(p.path("uv.lock")).unwrap(), lock, "the lock is never rewritten");
    let n = calls(&log, "").len();
    idle_prompts(&mut sh, &log);
    sh.cd(&sb.work());
    sh.cd(p.root());
    assert_eq!(calls(&log, "").len(), n, "not retried by entering again");
    assert!(active(&mut sh, &p), "the env stays active");

    uv_lock(&sb, p.root());
    let out = sh.run("true");
    assert_eq!(version(&p, "third").as_deref(), Some("1.0"), "relocked: installed at the next prompt:\n{out}");

    edit(&p.path("uv.lock"), "version = 1\n[[package]\n");
    let out = sh.run("true");
    let errors: Vec<&str> = autovenv_lines(&out).into_iter().filter(|l| l.contains("error:")).collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(errors[0].contains("uv.lock"), "names the file: {out}");
    idle_prompts(&mut sh, &log);
    assert!(active(&mut sh, &p));
}

/// `sync = "exact"`: what the lock no longer lists is removed (pip stays);
/// the default (additive) keeps it, as `uv sync --inexact` does.
#[test]
fn uv_lock_exact_and_additive() {
    let kind = Kind::Bash;
    let Some(sb) = setup(&[Need::Shell(kind)]) else { return };
    let log = uv_wrapper(&sb);
    let exact = uv_project(&sb, "exact", &["mypkg==1.0", "other"], &[]);
    fs::write(exact.path(".autovenv.toml"), "sync = \"exact\"\n").unwrap();
    let additive = uv_project(&sb, "additive", &["mypkg==1.0", "other"], &[]);
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    for p in [&exact, &additive] {
        sh.cd(p.root());
        sh.run("autovenv allow");
        assert_eq!(version(p, "other").as_deref(), Some("1.0"));
        relock_uv(&sb, p, &["mypkg==1.0"], &[]);
        sh.run("true");
    }
    assert_eq!(version(&exact, "other"), None, "exact: removed");
    assert!(exact.env_dir().join("bin/pip").exists(), "exact keeps the env's pip");
    assert_eq!(version(&additive, "other").as_deref(), Some("1.0"), "additive: kept");
    let syncs = calls(&log, "sync");
    assert_eq!(syncs.len(), 4, "{syncs:?}");
    assert!(!syncs[0].contains("--inexact") && syncs[2].contains("--inexact"), "{syncs:?}");
}

/// Ctrl-C while `uv sync` runs stops it, not the shell; the env stays
/// active; the prompts after it do not start it again; entering again does.
#[test]
fn uv_lock_ctrl_c() {
    let kind = Kind::Bash;
    let Some(sb) = setup(&[Need::Shell(kind)]) else { return };
    let log = uv_wrapper(&sb);
    let p = uv_project(&sb, "app", &["mypkg==1.0"], &[]);
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());

    let started = sb.root().join("uv-calls.log.started");
    fs::write(sb.root().join("uv-calls.log.sleep"), "60").unwrap();
    relock_uv(&sb, &p, &["mypkg==1.0", "other"], &[]);
    let t0 = Instant::now();
    sh.start_line("true");
    while !started.exists() {
        assert!(t0.elapsed() < Duration::from_secs(30), "uv sync never started:\n{}", sh.transcript());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    sh.send_raw(b"\x03");
    let out = sh.finish("true");
    assert!(t0.elapsed() < Duration::from_secs(30), "Ctrl-C stopped the 60 s install");
    assert!(out.contains("interrupted"), "{out}");
    fs::remove_file(sb.root().join("uv-calls.log.sleep")).unwrap();
    let n = calls(&log, "sync").len();
    assert_eq!(sh.run("echo alive").trim(), "alive");
    assert!(active(&mut sh, &p));
    for _ in 0..3 {
        sh.run("true");
    }
    assert_eq!(calls(&log, "sync").len(), n, "not restarted at every prompt");
    assert_eq!(version(&p, "other"), None);
    sh.cd(&sb.work());
    sh.cd(p.root());
    assert_eq!(version(&p, "other").as_deref(), Some("1.0"), "the next entry installs");
}

/// A uv.lock project on a machine without uv: the env is made (with
/// `python -m venv`) and one error names what to install, once.
#[test]
fn uv_lock_without_uv_is_one_error() {
    let kind = Kind::Bash;
    if should_skip(&[Need::Shell(kind), Need::Uv]) {
        return;
    }
    let with_uv = Sandbox::new(Uv::Yes);
    with_uv.wheel("mypkg", "1.0", &[]);
    let sb = Sandbox::new(Uv::No);
    sb.wheel("mypkg", "1.0", &[]);
    let p = sb.project("app").no_requirements().file("pyproject.toml", &uv_pyproject(&["mypkg==1.0"], &[])).create();
    // Locked by another sandbox's uv: the lock names that sandbox's wheels.
    uv_lock(&with_uv, p.root());
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    let errors: Vec<&str> = autovenv_lines(&out).into_iter().filter(|l| l.contains("error:")).collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(errors[0].contains("uv.lock") && errors[0].contains("uv"), "{out}");
    assert!(out.contains("install uv"), "names what to install:\n{out}");
    assert!(out.contains("hint: then run `autovenv sync`"), "a new uv on PATH is not a change of the files:\n{out}");
    assert!(active(&mut sh, &p), "the env is made and active");
    for _ in 0..3 {
        let out = sh.run("true");
        assert!(out.trim().is_empty(), "reported once: {out:?}");
    }
}

// -------------------------------------------------------------- poetry.lock

/// `allow` installs the lock with `poetry install` into autovenv's env
/// (poetry makes no env of its own); idle prompts start no poetry; a
/// relock installs the difference at the next prompt; a pyproject.toml
/// edited without `poetry lock` is one error, reported once.
#[test]
fn poetry_lock_first_entry_edit_and_stale_lock() {
    let kind = Kind::Zsh;
    let Some(sb) = setup(&[Need::Shell(kind), Need::Poetry]) else { return };
    let log = poetry_wrapper(&sb);
    let p = poetry_project(&sb, "app", &[wheel_dep(&sb, "mypkg", "1.0")]);
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let out = sh.cd(p.root());
    assert!(out.contains("is not allowed") && calls(&log, "").is_empty(), "{out}");

    // A `poetry env use` record for the project, its env since deleted:
    // poetry would install elsewhere (the system's Python, or a new env of
    // its own) rather than into the active venv.
    let poetry_envs = sb.xdg_cache().join("pypoetry/virtualenvs");
    fs::create_dir_all(&poetry_envs).unwrap();
    let env_name = format!(
        "from poetry.utils.env import EnvManager; print(EnvManager.generate_env_name('app', {:?}))",
        p.root().display().to_string()
    );
    let mut name = sb.command(tools().poetry_python.clone().unwrap());
    name.args(["-c", &env_name]);
    let env_name = sb.run_ok(&mut name).trim().to_string();
    let py = &tools().python_version;
    fs::write(poetry_envs.join("envs.toml"), format!("[{env_name}]\nminor = \"{py}\"\npatch = \"{py}.0\"\n")).unwrap();

    let out = sh.run("autovenv allow");
    assert!(out.contains("poetry.lock"), "the summary names the lock:\n{out}");
    assert_eq!(version(&p, "mypkg").as_deref(), Some("1.0"), "{out}");
    assert_eq!(calls(&log, "install").len(), 1, "{:?}", calls(&log, ""));
    assert!(p.env_dir().join("bin/pip").exists());
    assert!(
        fs::read_dir(&poetry_envs).unwrap().all(|e| !e.unwrap().path().is_dir()),
        "poetry made an env of its own in {}",
        poetry_envs.display()
    );
    sh.run("true");
    assert!(active(&mut sh, &p));
    idle_prompts(&mut sh, &log);

    edit(
        &p.path("pyproject.toml"),
        &poetry_pyproject(&[wheel_dep(&sb, "mypkg", "1.0"), wheel_dep(&sb, "other", "1.0")]),
    );
    poetry_lock(&sb, p.root());
    let out = sh.run("true");
    assert_eq!(version(&p, "other").as_deref(), Some("1.0"), "installed at the next prompt:\n{out}");
    assert_eq!(calls(&log, "install").len(), 2);
    idle_prompts(&mut sh, &log);

    edit(
        &p.path("pyproject.toml"),
        &poetry_pyproject(&[
            wheel_dep(&sb, "mypkg", "1.0"),
            wheel_dep(&sb, "other", "1.0"),
            wheel_dep(&sb, "third", "1.0"),
        ]),
    );
    let out = sh.run("true");
    let errors: Vec<&str> = autovenv_lines(&out).into_iter().filter(|l| l.contains("error:")).collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(errors[0].contains("poetry.lock is out of date"), "{out}");
    assert!(out.contains("poetry lock"), "says what to run:\n{out}");
    let n = calls(&log, "").len();
    idle_prompts(&mut sh, &log);
    assert_eq!(calls(&log, "").len(), n);
    poetry_lock(&sb, p.root());
    let out = sh.run("true");
    assert_eq!(version(&p, "third").as_deref(), Some("1.0"), "relocked: installed:\n{out}");
    assert!(active(&mut sh, &p));
}

/// Two branches with different poetry locks, in exact mode: the checkout
/// installs the other lock at the next prompt and removes what it does not
/// list (`poetry sync`), keeping pip.
#[test]
fn poetry_lock_branch_switch_exact() {
    let kind = Kind::Bash;
    let Some(sb) = setup(&[Need::Shell(kind), Need::Git, Need::Poetry]) else { return };
    let log = poetry_wrapper(&sb);
    let p = sb
        .project("app")
        .no_requirements()
        .git()
        .file(".autovenv.toml", "sync = \"exact\"\n")
        .file("pyproject.toml", &poetry_pyproject(&[wheel_dep(&sb, "mypkg", "2.0")]))
        .create();
    poetry_lock(&sb, p.root());
    git(&sb, p.root(), &["checkout", "-q", "-b", "new"]);
    git(&sb, p.root(), &["add", "pyproject.toml", "poetry.lock", ".autovenv.toml"]);
    git(&sb, p.root(), &["commit", "-q", "-m", "new"]);
    git(&sb, p.root(), &["checkout", "-q", "-b", "main"]);
    fs::write(
        p.path("pyproject.toml"),
        poetry_pyproject(&[wheel_dep(&sb, "mypkg", "1.0"), wheel_dep(&sb, "other", "1.0")]),
    )
    .unwrap();
    poetry_lock(&sb, p.root());
    git(&sb, p.root(), &["commit", "-q", "-am", "main"]);

    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    sh.run("autovenv allow");
    assert_eq!((version(&p, "mypkg").as_deref(), version(&p, "other").as_deref()), (Some("1.0"), Some("1.0")));
    std::thread::sleep(Duration::from_millis(20));
    let out = sh.run("git checkout -q new");
    assert_eq!(version(&p, "mypkg").as_deref(), Some("2.0"), "{out}");
    assert_eq!(version(&p, "other"), None, "exact: what the lock does not list is removed:\n{out}");
    assert!(p.env_dir().join("bin/pip").exists(), "pip stays");
    let runs = calls(&log, "");
    assert!(runs.iter().all(|c| c.starts_with("sync")), "exact mode runs `poetry sync`: {runs:?}");
    assert_eq!(runs.len(), 2, "{runs:?}");
    idle_prompts(&mut sh, &log);
}

/// A poetry.lock project without poetry on PATH: one error naming what to
/// install, once; the env is still made and active.
#[test]
fn poetry_lock_without_poetry_is_one_error() {
    let kind = Kind::Bash;
    let Some(sb) = setup(&[Need::Shell(kind), Need::Poetry]) else { return };
    let p = poetry_project(&sb, "app", &[wheel_dep(&sb, "mypkg", "1.0")]);
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    let errors: Vec<&str> = autovenv_lines(&out).into_iter().filter(|l| l.contains("error:")).collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(errors[0].contains("poetry.lock") && errors[0].contains("poetry"), "{out}");
    assert!(out.contains("pipx install poetry"), "names what to install:\n{out}");
    assert!(active(&mut sh, &p));
    for _ in 0..3 {
        let out = sh.run("true");
        assert!(out.trim().is_empty(), "reported once: {out:?}");
    }
}

/// The `groups` and `extras` keys choose what `uv sync` installs: exactly
/// the groups listed (not uv's default `dev`), and the extras listed.
#[test]
fn uv_lock_groups_and_extras() {
    let Some(sb) = setup(&[]) else { return };
    let log = uv_wrapper(&sb);
    let pyproject = "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\n\
                     dependencies = [\"mypkg==1.0\"]\n\n[project.optional-dependencies]\nfast = [\"third\"]\n\n\
                     [dependency-groups]\ndev = [\"other\"]\ndocs = [\"mypkg\"]\n";
    let p = sb.project("app").no_requirements().file("pyproject.toml", pyproject).create();
    uv_lock(&sb, p.root());
    fs::write(p.path(".autovenv.toml"), "groups = [\"docs\"]\nextras = [\"fast\"]\n").unwrap();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    assert_eq!(version(&p, "third").as_deref(), Some("1.0"), "the extra");
    assert_eq!(version(&p, "other"), None, "not the default dev group");
    let syncs = calls(&log, "sync");
    assert!(syncs[0].contains("--no-default-groups --group docs --extra fast"), "{syncs:?}");
}

//! Dependency sources other than requirements.txt, in real shells with real
//! uv (and pip where it differs): `pyproject.toml` (dependencies, dependency
//! groups, extras, the project editable), `setup.py` alone, `Pipfile.lock`
//! with real hashes of the wheels the test builds; which source wins and
//! what `status` says. For each: the first entry installs, an edit (or a
//! branch switch) installs the difference at the next prompt, idle prompts
//! start no installer (counted with `sync_at_prompt`'s uv shim), and a
//! broken file is one error.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::common::cli::status_json;
use crate::common::*;
use crate::sync_at_prompt::{calls, edit, installed, lines, python_logger, site_packages, uv_shim};

fn git(sb: &Sandbox, dir: &Path, args: &[&str]) -> String {
    let mut cmd = sb.command("git");
    cmd.args(["-c", "user.name=t", "-c", "user.email=t@t"]).args(args).current_dir(dir);
    sb.run_ok(&mut cmd)
}

fn autovenv_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains("autovenv: ")).collect()
}

fn active(sh: &mut Shell, p: &Project) -> bool {
    sh.var_str("VIRTUAL_ENV").as_deref() == Some(p.env_str().as_str())
}

/// Ten idle prompts: nothing printed, no installer started.
fn idle(sh: &mut Shell, log: &Path) {
    let before = fs::read_to_string(log).unwrap_or_default();
    for _ in 0..10 {
        assert_eq!(sh.run("true").trim(), "", "an idle prompt prints nothing");
    }
    assert_eq!(fs::read_to_string(log).unwrap_or_default(), before, "no uv call on idle prompts");
}

fn pyproject(deps: &[&str], dev: &[&str]) -> String {
    let q = |v: &[&str]| v.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join(", ");
    format!(
        "[project]\nname = \"app\"\nversion = \"0.1\"\ndependencies = [{}]\n\n[dependency-groups]\ndev = [{}]\n",
        q(deps),
        q(dev)
    )
}

/// A pyproject.toml project without a lock, in a git repo: first entry
/// installs the dependencies and the `dev` group; idle prompts and a
/// `touch` start nothing; an edit installs the difference at the next
/// prompt; a branch switch with other dependencies syncs; a broken
/// `[project]` is one error, then fixed.
#[test]
fn pyproject_entry_edit_branch_idle_and_error() {
    let kind = Kind::Bash;
    let Some(sb) = sandbox_with(&[Need::Shell(kind), Need::Git], Uv::Yes, &["mypkg", "other", "third", "fourth"])
    else {
        return;
    };
    let log = uv_shim(&sb);
    let p = sb
        .project("app")
        .no_requirements()
        .file("pyproject.toml", &pyproject(&["mypkg==1.0"], &["other==1.0"]))
        .file(".gitignore", "/env\n")
        .git()
        .create();
    git(&sb, p.root(), &["add", "-A"]);
    git(&sb, p.root(), &["commit", "-qm", "one"]);
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    assert!(out.contains("synced pyproject.toml (2 requirements; groups: dev)"), "{out}");
    assert!(installed(&p.env_dir(), "mypkg") && installed(&p.env_dir(), "other"), "{out}");
    assert!(active(&mut sh, &p));
    let st = status_json(&sb, p.root(), &[]);
    assert_eq!(st["source"]["name"], "pyproject.toml", "{st}");
    assert_eq!(st["source"]["files"], serde_json::json!(["pyproject.toml"]), "{st}");
    assert_eq!(st["sync"], "ok", "{st}");
    sh.run("true");
    let n = calls(&log, "pip install").len();
    idle(&mut sh, &log);

    // Touched, not changed; left and entered again: nothing.
    edit(&p.path("pyproject.toml"), &pyproject(&["mypkg==1.0"], &["other==1.0"]));
    assert!(autovenv_lines(&sh.run("true")).is_empty());
    sh.cd(&sb.work());
    sh.cd(p.root());
    assert_eq!(calls(&log, "pip install").len(), n, "no installer for an unchanged digest");

    // An edit: the difference at the next prompt, one line.
    edit(&p.path("pyproject.toml"), &pyproject(&["mypkg==1.0", "third==1.0"], &["other==1.0"]));
    let out = sh.run("true");
    assert!(installed(&p.env_dir(), "third"), "{out}");
    let said = autovenv_lines(&out);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("1 package installed"), "{said:?}");

    // A branch with other dependencies: the switch syncs at the next prompt.
    git(&sb, p.root(), &["commit", "-qam", "two"]);
    git(&sb, p.root(), &["checkout", "-qb", "other"]);
    fs::write(p.path("pyproject.toml"), pyproject(&["fourth==1.0"], &[])).unwrap();
    git(&sb, p.root(), &["commit", "-qam", "three"]);
    git(&sb, p.root(), &["checkout", "-q", "main"]);
    sh.run("true");
    let out = sh.run("git checkout -q other") + &sh.run("true");
    assert!(installed(&p.env_dir(), "fourth"), "{out}");
    idle(&mut sh, &log);

    // Broken: one error naming the file, the env stays active; fixed: synced.
    edit(&p.path("pyproject.toml"), "[project]\nname = \"app\"\ndependencies = \"fourth\"\n");
    let out = sh.run("true");
    assert!(out.contains("pyproject.toml has project.dependencies that is not a list of strings"), "{out}");
    assert_eq!(sh.run("true").trim(), "", "reported once");
    assert!(active(&mut sh, &p));
    let n = calls(&log, "pip install").len();
    edit(&p.path("pyproject.toml"), &pyproject(&["fourth==1.0", "mypkg==1.0"], &[]));
    let out = sh.run("true");
    assert!(out.contains("synced pyproject.toml"), "{out}");
    assert_eq!(calls(&log, "pip install").len(), n + 1);

    // A requirements.txt appearing wins over pyproject.toml from the next
    // prompt on (the hook watches the root, not each missing file).
    edit(
        &p.path("requirements.txt"),
        "third==1.0
",
    );
    let out = sh.run("true");
    assert!(out.contains("synced requirements.txt (1 requirement)"), "{out}");
    idle(&mut sh, &log);
}

pub(crate) const BUILD_SYSTEM: &str =
    "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n";

/// A package: the project itself goes in editable, with the groups and
/// extras the config chooses (and not `dev` once `groups` says otherwise).
#[test]
fn pyproject_package_editable_with_groups_and_extras() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg", "other", "third", "socks"]) else { return };
    let text = format!(
        "{BUILD_SYSTEM}\n[project]\nname = \"app\"\nversion = \"0.1\"\n\
         [project.optional-dependencies]\nSocks = [\"socks==1.0\"]\n\
         [dependency-groups]\ndev = [\"other==1.0\"]\ntest = [{{include-group = \"dev\"}}, \"third==1.0\"]\n"
    );
    let p = sb
        .project("app")
        .no_requirements()
        .file("pyproject.toml", &text)
        .file("backend.py", BACKEND_PY)
        .file(".autovenv.toml", "groups = [\"test\"]\nextras = [\"socks\"]\n")
        .create();
    let out = sb.autovenv().arg("allow").arg(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("synced pyproject.toml (2 requirements; the project editable; groups: test; extras: socks)"),
        "{err}"
    );
    for pkg in ["other", "third"] {
        assert!(installed(&p.env_dir(), pkg), "{pkg}: {err}");
    }
    assert!(p.path("builds.log").is_file(), "the backend built the project");
    let py = p.env_dir().join("bin/python");
    let mut cmd = sb.command(&py);
    cmd.args(["-c", "import importlib.metadata as m; print(m.version('app'))"]);
    assert_eq!(sb.run_ok(&mut cmd).trim(), "0.1");

    // Unknown group: one clear error with what there is.
    fs::write(p.path(".autovenv.toml"), "groups = [\"lint\"]\n").unwrap();
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("dependency group 'lint' is not in") && err.contains("it has: dev, test"), "{err}");
}

/// `setup.py` alone (here with an in-tree backend in a pyproject.toml that
/// has no `[project]`): the project editable; editing setup.py rebuilds it.
#[test]
fn setup_py_alone_is_installed_editable() {
    let kind = Kind::Bash;
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    let log = uv_shim(&sb);
    let p = sb
        .project("app")
        .no_requirements()
        .file("setup.py", "# setup(name='app')\n")
        .file("pyproject.toml", BUILD_SYSTEM)
        .file("backend.py", BACKEND_PY)
        .create();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    assert!(out.contains("synced setup.py (the project editable)"), "{out}");
    assert_eq!(fs::read_to_string(p.path("builds.log")).unwrap().lines().count(), 1);
    let st = status_json(&sb, p.root(), &[]);
    assert_eq!(st["source"]["name"], "setup.py", "{st}");
    sh.run("true");
    idle(&mut sh, &log);
    edit(&p.path("setup.py"), "# setup(name='app', version='0.2')\n");
    let out = sh.run("true");
    assert!(out.contains("synced setup.py"), "{out}");
    assert_eq!(fs::read_to_string(p.path("builds.log")).unwrap().lines().count(), 2, "rebuilt");
}

/// `sync = "exact"` with pip for a `setup.py` project, whose name only its
/// build knows: what was installed by hand is removed, the project (found
/// by the folder it was installed from) is kept.
#[test]
fn setup_py_exact_with_pip_keeps_the_project() {
    let Some(sb) = sandbox_with(&[], Uv::No, &["other"]) else { return };
    let p = sb
        .project("app")
        .no_requirements()
        .file("setup.py", "# setup(name='app')\n")
        .file("pyproject.toml", BUILD_SYSTEM)
        .file("backend.py", BACKEND_PY)
        .file(".autovenv.toml", "sync = \"exact\"\n")
        .create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let pip = p.env_dir().join("bin/python");
    let links = sb.wheels();
    sb.run_ok(
        std::process::Command::new(&pip)
            .args(["-m", "pip", "install", "-q", "--no-index", "--find-links"])
            .arg(&links)
            .arg("other"),
    );
    assert!(installed(&p.env_dir(), "other"));
    edit(&p.path("setup.py"), "# setup(name='app', version='0.2')\n");
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("exact sync skipped"), "{err}");
    assert!(!installed(&p.env_dir(), "other"), "installed by hand, listed nowhere: removed\n{err}");
    assert!(site_packages(&p.env_dir()).join("app.pth").is_file(), "the project stays:\n{err}");
}

/// The same for a requirements file with `-e .` (the project itself, by
/// the folder it was installed from) beside a named requirement.
#[test]
fn editable_line_exact_with_pip_keeps_the_project() {
    let Some(sb) = sandbox_with(&[], Uv::No, &["mypkg", "other"]) else { return };
    let p = sb
        .project("app")
        .require("mypkg==1.0")
        .require("-e .")
        .file("pyproject.toml", BUILD_SYSTEM)
        .file("backend.py", BACKEND_PY)
        .file(".autovenv.toml", "sync = \"exact\"\n")
        .create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let python = p.env_dir().join("bin/python");
    let mut pip = std::process::Command::new(&python);
    pip.args(["-m", "pip", "install", "-q", "--no-index", "--find-links"]).arg(sb.wheels()).arg("other");
    sb.run_ok(&mut pip);
    let req = p.read("requirements.txt").unwrap();
    edit(&p.path("requirements.txt"), &format!("{req}# touched\n"));
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !err.contains("exact sync skipped"), "{err}");
    assert!(!installed(&p.env_dir(), "other"), "installed by hand, listed nowhere: removed\n{err}");
    assert!(installed(&p.env_dir(), "mypkg"), "{err}");
    assert!(site_packages(&p.env_dir()).join("app.pth").is_file(), "the project stays:\n{err}");
}

fn sha256_of(path: &Path) -> String {
    Sha256::digest(fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A `Pipfile.lock` as pipenv writes it, with the real hashes of `wheels`
/// in `default` and of `dev` in `develop`.
fn pipfile_lock(default: &[(&str, &Path)], develop: &[(&str, &Path)]) -> String {
    let section = |entries: &[(&str, &Path)]| {
        entries
            .iter()
            .map(|(name, wheel)| {
                format!(
                    "    {name:?}: {{\"hashes\": [\"sha256:{}\"], \"index\": \"pypi\", \"version\": \"==1.0\"}}",
                    sha256_of(wheel)
                )
            })
            .collect::<Vec<_>>()
            .join(",\n")
    };
    format!(
        "{{\n  \"_meta\": {{\"hash\": {{\"sha256\": \"0\"}}, \"pipfile-spec\": 6, \"requires\": {{}}, \"sources\": []}},\n  \
         \"default\": {{\n{}\n  }},\n  \"develop\": {{\n{}\n  }}\n}}\n",
        section(default),
        section(develop)
    )
}

/// Pipfile.lock: the pinned `default` packages, hashes checked; `develop`
/// when `groups` says so (a config edit syncs at the next prompt); a hash
/// that does not match is one error; a Pipfile without lock says what to run.
fn pipfile_lock_installs_pinned_and_verified(uv: Uv) {
    let kind = Kind::Bash;
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], uv, &[]) else { return };
    let mypkg = sb.wheel("mypkg", "1.0", &[]);
    let other = sb.wheel("other", "1.0", &[]);
    let tool = sb.wheel("tool", "1.0", &[]);
    let p = sb
        .project("app")
        .no_requirements()
        .file("Pipfile", "[packages]\nmypkg = \"*\"\nother = \"*\"\n[dev-packages]\ntool = \"*\"\n")
        .file("Pipfile.lock", &pipfile_lock(&[("mypkg", &mypkg), ("other", &other)], &[("tool", &tool)]))
        .create();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    assert!(out.contains("synced Pipfile.lock (2 packages, default)"), "{out}");
    assert!(installed(&p.env_dir(), "mypkg") && installed(&p.env_dir(), "other") && !installed(&p.env_dir(), "tool"));
    assert_eq!(sh.run("python -m pip --version >/dev/null && echo ok").trim(), "ok", "the env has its pip");
    let starts = python_logger(&p.env_dir());
    sh.run("true");
    let n = lines(&starts);
    for _ in 0..5 {
        assert_eq!(sh.run("true").trim(), "");
    }
    assert_eq!(lines(&starts), n, "idle prompts start no Python");

    edit(&p.path(".autovenv.toml"), "groups = [\"develop\"]\n");
    let out = sh.run("true");
    assert!(installed(&p.env_dir(), "tool"), "{out}");

    // A lock whose hash does not match the wheel: one error, not retried.
    let bad = pipfile_lock(&[("mypkg", &mypkg), ("other", &mypkg)], &[("tool", &tool)]);
    fs::remove_dir_all(p.env_dir()).unwrap();
    edit(&p.path("Pipfile.lock"), &bad);
    let out = sh.run("autovenv sync");
    assert!(out.contains("error: installing Pipfile.lock failed"), "{out}");
    assert!(!installed(&p.env_dir(), "other"), "a wheel whose hash differs is not installed");
    assert_eq!(sh.run("true").trim(), "", "reported once");

    // A Pipfile without its lock.
    fs::remove_file(p.path("Pipfile.lock")).unwrap();
    let out = sh.run("true");
    assert!(out.contains("Pipfile has no Pipfile.lock next to it") && out.contains("pipenv lock"), "{out}");
    assert_eq!(sh.run("true").trim(), "", "reported once");
}

#[test]
fn pipfile_lock_installs_pinned_and_verified_with_uv() {
    pipfile_lock_installs_pinned_and_verified(Uv::Yes);
}

#[test]
fn pipfile_lock_installs_pinned_and_verified_with_pip() {
    pipfile_lock_installs_pinned_and_verified(Uv::No);
}

/// `sync = "exact"` with uv and a Pipfile.lock entry without hashes (as
/// pipenv writes for some indexes): it is installed in a run of its own
/// after the hash-checked one, so an exact first run would remove it and
/// every sync would install it again. It stays; what leaves the lock is
/// removed all the same.
#[test]
fn pipfile_lock_exact_keeps_entries_without_hashes() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &[]) else { return };
    let mypkg = sb.wheel("mypkg", "1.0", &[]);
    let tool = sb.wheel("tool", "1.0", &[]);
    sb.wheel("other", "1.0", &[]);
    let lock = |default: &[(&str, &Path)]| {
        // `other` pinned, without hashes, after the hashed ones.
        let text = pipfile_lock(default, &[]);
        text.replacen("\"default\": {\n", "\"default\": {\n    \"other\": {\"version\": \"==1.0\"},\n", 1)
    };
    let p = sb
        .project("app")
        .no_requirements()
        .file(".autovenv.toml", "sync = \"exact\"\n")
        .file("Pipfile.lock", &lock(&[("mypkg", &mypkg)]))
        .create();
    let out = sb.autovenv().arg("allow").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(installed(&p.env_dir(), "mypkg") && installed(&p.env_dir(), "other"));
    let other = site_packages(&p.env_dir()).join("other-1.0.dist-info");
    let ino = |f: &Path| std::os::unix::fs::MetadataExt::ino(&fs::metadata(f).unwrap());
    let first = ino(&other);

    fs::write(p.path("Pipfile.lock"), lock(&[("mypkg", &mypkg), ("tool", &tool)])).unwrap();
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(installed(&p.env_dir(), "tool"));
    assert_eq!(ino(&other), first, "the entry without hashes is not installed again");

    fs::write(p.path("Pipfile.lock"), lock(&[("mypkg", &mypkg)])).unwrap();
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!installed(&p.env_dir(), "tool"), "exact: what left the lock is removed:\n{err}");
    assert!(installed(&p.env_dir(), "other") && installed(&p.env_dir(), "mypkg"), "{err}");
    assert_eq!(ino(&other), first, "{err}");
    assert!(p.env_dir().join("bin/pip").exists(), "the env's pip stays");
}

/// Which source wins, and `sources` to choose another; status says which
/// and why; a misspelt source name is a config error with a suggestion.
#[test]
fn precedence_status_and_the_sources_key() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg", "other"]) else { return };
    let p = sb.project("app").require("mypkg==1.0").file("pyproject.toml", &pyproject(&["other==1.0"], &[])).create();
    let out = sb.autovenv().arg("allow").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(installed(&p.env_dir(), "mypkg") && !installed(&p.env_dir(), "other"));
    let st = status_json(&sb, p.root(), &[]);
    assert_eq!(st["source"]["name"], "requirements", "{st}");
    assert_eq!(st["source"]["why"], "wins over pyproject.toml", "{st}");
    let human = sb.run_ok(sb.autovenv().arg("status").arg(p.root()));
    assert!(human.contains("source        requirements.txt (wins over pyproject.toml)"), "{human}");

    fs::write(p.path(".autovenv.toml"), "sources = [\"pyproject.toml\", \"requirements\"]\n").unwrap();
    let st = status_json(&sb, p.root(), &[]);
    assert_eq!(st["source"]["name"], "pyproject.toml", "{st}");
    assert_eq!(st["sync"], "stale", "{st}");
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(installed(&p.env_dir(), "other"));

    fs::write(p.path(".autovenv.toml"), "sources = [\"pyprojct.toml\"]\n").unwrap();
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("'sources' in ") && err.contains("(got \"pyprojct.toml\"; did you mean \"pyproject.toml\"?)"),
        "{err}"
    );
}

/// `sync = "exact"` for pyproject.toml, with pip: a dependency dropped
/// from the list is uninstalled.
#[test]
fn pyproject_exact_with_pip_removes_what_is_dropped() {
    let Some(sb) = sandbox_with(&[], Uv::No, &["mypkg", "other"]) else { return };
    let p = sb
        .project("app")
        .no_requirements()
        .file("pyproject.toml", &pyproject(&["mypkg==1.0", "other==1.0"], &[]))
        .file(".autovenv.toml", "sync = \"exact\"\n")
        .create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    assert!(installed(&p.env_dir(), "other"));
    edit(&p.path("pyproject.toml"), &pyproject(&["mypkg==1.0"], &[]));
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!installed(&p.env_dir(), "other") && installed(&p.env_dir(), "mypkg"));
}

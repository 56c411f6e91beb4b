//! What real repositories do to autovenv, offline: a tracked `.gitignore`
//! and `git checkout`/`rebase`, a pyenv machine with several Pythons and
//! `requires-python`, `-c` includes that are `file:` and `http:` URLs or
//! hold `${VAR}`, and an editable project whose own `setup.py` changes
//! between two commits. Conventions as in `enter_and_leave.rs`: wheels
//! built into the sandbox's find-links dir; nothing touches the network.

use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

fn git(sb: &Sandbox, dir: &Path, args: &[&str]) -> String {
    let mut cmd = sb.command("git");
    cmd.args(args).current_dir(dir);
    sb.run_ok(&mut cmd)
}

/// `autovenv ARGS` run in `dir`: (success, stdout, stderr).
fn autovenv(sb: &Sandbox, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = sb.autovenv().args(args).current_dir(dir).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn allow(sb: &Sandbox, dir: &Path) -> String {
    let (ok, _, err) = autovenv(sb, dir, &["allow"]);
    assert!(ok, "autovenv allow failed:\n{err}");
    err
}

/// The version of `name` installed in the env, from its dist-info folder.
fn installed_version(env: &Path, name: &str) -> Option<String> {
    let lib = fs::read_dir(env.join("lib")).ok()?.flatten().next()?.path().join("site-packages");
    fs::read_dir(lib).ok()?.flatten().find_map(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.strip_prefix(&format!("{name}-"))?.strip_suffix(".dist-info").map(String::from)
    })
}

fn env_python_version(env: &Path) -> String {
    let cfg = fs::read_to_string(env.join("pyvenv.cfg")).unwrap();
    cfg.lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            matches!(k.trim(), "version" | "version_info")
                .then(|| v.trim().split('.').take(3).collect::<Vec<_>>().join("."))
        })
        .unwrap()
}

// ---------------------------------------------------------------------------
// .gitignore

/// A tracked `.gitignore` that does not mention the env: autovenv must not
/// touch it (a modified tracked file makes `git checkout` and `git rebase`
/// refuse), and `git status` never shows the env, before or after.
#[test]
fn tracked_gitignore_checkout_and_rebase_stay_possible() {
    let Some(sb) = sandbox_with(&[Need::Git], Uv::Yes, &["mypkg"]) else { return };
    let proj = sb.project("flask").require("mypkg==1.0").file(".gitignore", "*.pyc\n").git().create();
    let root = proj.root();
    git(&sb, root, &["add", "-A"]);
    git(&sb, root, &["commit", "-qm", "3.0"]);
    git(&sb, root, &["checkout", "-qb", "old"]);
    fs::write(root.join(".gitignore"), "*.pyc\n*.log\nbuild/\n").unwrap();
    git(&sb, root, &["commit", "-qam", "2.3 ignores more"]);
    git(&sb, root, &["checkout", "-q", "main"]);
    fs::write(root.join("README"), "main\n").unwrap();
    git(&sb, root, &["add", "README"]);
    git(&sb, root, &["commit", "-qm", "readme"]);

    let err = allow(&sb, root);
    assert_eq!(installed_version(&proj.env_dir(), "mypkg").as_deref(), Some("1.0"), "{err}");
    assert_eq!(proj.read(".gitignore").unwrap(), "*.pyc\n", "the tracked .gitignore is untouched:\n{err}");
    assert_eq!(git(&sb, root, &["status", "--porcelain", "--ignored=no"]), "", "git status is clean:\n{err}");

    git(&sb, root, &["checkout", "-q", "old"]);
    assert_eq!(git(&sb, root, &["status", "--porcelain"]), "");
    git(&sb, root, &["checkout", "-q", "main"]);
    git(&sb, root, &["rebase", "-q", "old"]);
    assert_eq!(git(&sb, root, &["status", "--porcelain"]), "", "after the rebase too");
    let tracked = proj.read(".gitignore").unwrap();

    // Checked again whenever the env is: an env that lost its own
    // .gitignore (python -m venv makes none) is ignored again, said once.
    fs::remove_file(proj.env_dir().join(".gitignore")).unwrap();
    assert_eq!(git(&sb, root, &["status", "--porcelain"]), "?? env/\n");
    let (ok, _, err) = autovenv(&sb, root, &["sync"]);
    assert!(ok, "{err}");
    assert_eq!(err.matches("kept env/ out of git").count(), 1, "{err}");
    assert_eq!(git(&sb, root, &["status", "--porcelain"]), "");
    let (_, _, err) = autovenv(&sb, root, &["sync"]);
    assert!(!err.contains("out of git"), "said once:\n{err}");
    assert_eq!(proj.read(".gitignore").unwrap(), tracked);
}

/// A `.gitignore` that is the user's own (not tracked) still gets `/env`.
#[test]
fn untracked_gitignore_still_gets_the_env_line() {
    let Some(sb) = sandbox_with(&[Need::Git], Uv::Yes, &["mypkg"]) else { return };
    let proj = sb.project("app").require("mypkg==1.0").file(".gitignore", "*.pyc").git().create();
    allow(&sb, proj.root());
    assert_eq!(proj.read(".gitignore").unwrap(), "*.pyc\n/env\n");
}

// ---------------------------------------------------------------------------
// Python selection

/// A real CPython other than the sandbox's, with a higher minor version:
/// from pyenv's versions, uv's installs or the system. `None` when this
/// machine has only one.
fn newer_python() -> Option<(PathBuf, String)> {
    let have: Vec<u64> = tools().python_version.split('.').map(|p| p.parse().unwrap()).collect();
    let mut dirs: Vec<PathBuf> = Vec::new();
    let pyenv = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pyenv")));
    if let Some(versions) = pyenv.map(|p| p.join("versions")) {
        dirs.extend(fs::read_dir(versions).into_iter().flatten().flatten().map(|e| e.path().join("bin")));
    }
    dirs.extend([PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")]);
    let mut best: Option<(Vec<u64>, PathBuf, String)> = None;
    for d in dirs {
        for minor in (have[1] + 1)..=40 {
            let exe = d.join(format!("python3.{minor}"));
            if !exe.is_file() {
                continue;
            }
            let Ok(out) = Command::new(&exe)
                .args(["-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3]); print(sys.executable)"])
                .output()
            else {
                continue;
            };
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let mut lines = text.lines();
            let (Some(v), Some(path)) = (lines.next(), lines.next()) else { continue };
            let parts: Vec<u64> = v.split('.').filter_map(|p| p.parse().ok()).collect();
            if out.status.success()
                && parts.len() == 3
                && parts[1] > have[1]
                && best.as_ref().is_none_or(|b| parts > b.0)
            {
                best = Some((parts, PathBuf::from(path), v.to_string()));
            }
        }
    }
    best.map(|(_, p, v)| (p, v))
}

/// The sandbox's python3 (the user's choice) and a newer Python in a pyenv
/// layout under the sandbox HOME: `requires-python = ">=3.8"` takes
/// python3, as `python3 -m venv` and uv would; a range python3 does not
/// meet takes the other, and the creation line says which and why.
#[test]
fn requires_python_takes_python3_on_path_when_it_fits() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &[]) else { return };
    let Some((newer, newer_version)) = newer_python() else {
        assert!(std::env::var_os("CI").is_none_or(|v| v != "true"), "CI needs a second Python (pyenv or uv)");
        eprintln!("skipped: no second Python newer than the sandbox's on this machine");
        return;
    };
    let own = tools().python_version.clone();
    let versions = sb.home().join(".pyenv/versions");
    let bin = versions.join(&newer_version).join("bin");
    fs::create_dir_all(&bin).unwrap();
    symlink(&newer, bin.join("python3")).unwrap();

    let pyproject = |spec: &str| format!("[project]\nname = \"app\"\nversion = \"0\"\nrequires-python = \"{spec}\"\n");
    let proj = sb.project("wide").no_requirements().file("pyproject.toml", &pyproject(">=3.8")).create();
    let err = allow(&sb, proj.root());
    let got = env_python_version(&proj.env_dir());
    assert!(got.starts_with(&format!("{own}.")), "python3 on PATH ({own}) satisfies >=3.8, got {got}:\n{err}");

    let minor: u64 = newer_version.split('.').nth(1).unwrap().parse().unwrap();
    let proj =
        sb.project("narrow").no_requirements().file("pyproject.toml", &pyproject(&format!(">=3.{minor}"))).create();
    let err = allow(&sb, proj.root());
    assert_eq!(env_python_version(&proj.env_dir()), newer_version, "{err}");
    let line = err.lines().find(|l| l.contains("creating env/")).unwrap_or_default();
    assert!(
        line.contains(&format!("the newest that satisfies requires-python >=3.{minor}"))
            && line.contains("python3 on PATH is"),
        "the creation line says which and why: {line}"
    );
}

/// `python` in `.autovenv.toml` is the more specific instruction and wins
/// over `.python-version` (which pins a patch release this machine lacks).
#[test]
fn config_python_wins_over_python_version_file() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &[]) else { return };
    let own = tools().python_version.clone();
    let proj = sb
        .project("warehouse")
        .no_requirements()
        .file(".python-version", "3.8.2\n")
        .file(".autovenv.toml", &format!("python = \"{own}\"\n"))
        .create();
    let err = allow(&sb, proj.root());
    assert!(env_python_version(&proj.env_dir()).starts_with(&format!("{own}.")), "{err}");
}

// ---------------------------------------------------------------------------
// Includes pip accepts

/// Serves `body` at any path on 127.0.0.1 until the test ends; returns the
/// port. One thread, one connection at a time: enough for an installer.
fn serve(body: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut conn = conn;
            let mut buf = [0u8; 4096];
            let mut got = Vec::new();
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes()).and_then(|()| conn.write_all(body.as_bytes()));
        }
    });
    port
}

/// `-c http://127.0.0.1:PORT/…` (pip only: uv refuses a remote file when
/// offline, as the sandbox is), `-c file:///…` and `-r ${VAR}/…` go to the
/// installer as pip takes them; the local ones are watched (an edit
/// resyncs), the URL is named once in `status` as not watched.
fn url_file_url_and_env_var_includes(uv: Uv) {
    let Some(sb) = sandbox_with(&[], uv, &[]) else { return };
    for (name, v) in [("web", "1.0"), ("web", "2.0"), ("pinned", "1.0"), ("pinned", "2.0"), ("extra", "1.0")] {
        sb.wheel(name, v, &[]);
    }
    let shared = sb.root().join("shared reqs");
    fs::create_dir_all(&shared).unwrap();
    fs::write(shared.join("pins.txt"), "pinned==1.0\n").unwrap();
    // No space here: pip splits the expanded line like a shell would.
    let vars = sb.root().join("vars");
    fs::create_dir_all(&vars).unwrap();
    fs::write(vars.join("more.txt"), "extra\n").unwrap();
    let file_url = format!("file://{}/pins.txt", shared.display().to_string().replace(' ', "%20"));
    let mut proj = sb.project("openedx");
    let url = (uv == Uv::No).then(|| format!("http://127.0.0.1:{}/common_constraints.txt", serve("web==1.0\n".into())));
    if let Some(url) = &url {
        proj = proj.require(&format!("-c {url}"));
    }
    let proj = proj
        .require(&format!("-c {file_url}"))
        .require("-r ${AVTEST_SHARED}/more.txt")
        .require("web")
        .require("pinned")
        .create();
    let run = |args: &[&str]| {
        let out = sb.autovenv().args(args).current_dir(proj.root()).env("AVTEST_SHARED", &vars).output().unwrap();
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let (ok, _, err) = run(&["allow"]);
    assert!(ok && !err.contains("error"), "{err}");
    let env = proj.env_dir();
    if url.is_some() {
        assert_eq!(installed_version(&env, "web").as_deref(), Some("1.0"), "the http constraint applies:\n{err}");
    }
    assert_eq!(installed_version(&env, "pinned").as_deref(), Some("1.0"), "the file: constraint applies:\n{err}");
    assert_eq!(installed_version(&env, "extra").as_deref(), Some("1.0"), "the ${{VAR}} include applies:\n{err}");

    let (_, out, _) = run(&["status"]);
    if let Some(url) = &url {
        assert_eq!(out.matches(url.as_str()).count(), 1, "{out}");
        assert!(out.contains("not watched"), "{out}");
    }
    assert!(out.contains("pins.txt") && out.contains("more.txt"), "the local includes are watched:\n{out}");

    // An edit of the file: include is noticed by the next prompt's export.
    fs::write(shared.join("pins.txt"), "pinned==2.0\n").unwrap();
    let (ok, _, err) = run(&["export", "bash"]);
    assert!(ok, "{err}");
    assert_eq!(installed_version(&env, "pinned").as_deref(), Some("2.0"), "{err}");
}

#[test]
fn url_file_url_and_env_var_includes_with_pip() {
    url_file_url_and_env_var_includes(Uv::No);
}

#[test]
fn file_url_and_env_var_includes_with_uv() {
    url_file_url_and_env_var_includes(Uv::Yes);
}

// ---------------------------------------------------------------------------
// Editable projects

fn pyproject(dep: &str) -> String {
    format!(
        "[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n\n\
         [project]\nname = \"app\"\nversion = \"0.1\"\ndependencies = [\"{dep}\"]\n"
    )
}

/// requests' case: `requirements-dev.txt` holds `-e .[socks]` and stays the
/// same between two tags, while the project's own metadata changes a
/// dependency's bound. After `git checkout` of the other tag, the next
/// prompt resyncs.
fn editable_metadata_change_resyncs(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Git, Need::Shell(kind)], Uv::Yes, &[]) else { return };
    sb.wheel("dep", "1.0", &[]);
    sb.wheel("dep", "2.0", &[]);
    let proj = sb
        .project("requests")
        .no_requirements()
        .file("requirements-dev.txt", &format!("--no-index\n--find-links {}\n-e .[socks]\n", sb.wheels().display()))
        .file(".autovenv.toml", "requirements = [\"requirements-dev.txt\"]\n")
        .file("backend.py", BACKEND_PY)
        .file("pyproject.toml", &pyproject("dep==2.0"))
        .file(".gitignore", "/env\n__pycache__/\n")
        .git()
        .create();
    let root = proj.root();
    git(&sb, root, &["add", "-A"]);
    git(&sb, root, &["commit", "-qm", "v2.30.0"]);
    git(&sb, root, &["tag", "v2.30.0"]);
    fs::write(root.join("pyproject.toml"), pyproject("dep==1.0")).unwrap();
    git(&sb, root, &["commit", "-qam", "v2.29.0"]);
    git(&sb, root, &["tag", "v2.29.0"]);
    git(&sb, root, &["checkout", "-q", "v2.30.0"]);

    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(root);
    let out = sh.run("autovenv allow");
    assert_eq!(installed_version(&proj.env_dir(), "dep").as_deref(), Some("2.0"), "{out}");
    sh.run("true");
    let out = sh.run("git checkout -q v2.29.0");
    let out = out + &sh.run("true");
    assert_eq!(
        installed_version(&proj.env_dir(), "dep").as_deref(),
        Some("1.0"),
        "pyproject.toml changed its dependency: the next prompt resyncs:\n{out}"
    );
}

#[test]
fn bash_editable_metadata_change_resyncs() {
    editable_metadata_change_resyncs(Kind::Bash);
}

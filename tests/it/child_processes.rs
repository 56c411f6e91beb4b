//! What autovenv starts for a project (creator, installer, probes) runs in
//! the project root, Python isolated (`-I`), and uv/pip read configuration
//! only from the allowed root and the user: a folder the user merely stands
//! in, or one above the project, has no say. Real uv, real `python -m venv`,
//! real pip; the attacker's packages are wheels built here whose `.pth` file
//! writes a marker at every start of the env's Python.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::*;

/// A folder the user never allowed, holding a `venv.py` and a `logging.py`
/// that write `marker` when imported (`python -m venv` imports both, the
/// second through the first's imports).
fn trap_folder(sb: &Sandbox, name: &str) -> (PathBuf, PathBuf) {
    let dir = sb.root().join("downloads").join(name);
    let marker = sb.root().join(format!("pwned-{name}"));
    fs::create_dir_all(&dir).unwrap();
    let code = format!("open({:?}, 'a').write(__name__ + '\\n')\n", marker.display().to_string());
    for m in ["venv.py", "logging.py", "ensurepip.py", "pip.py", "encodings.py", "site.py"] {
        fs::write(dir.join(m), &code).unwrap();
    }
    (dir, marker)
}

fn run_in(sb: &Sandbox, dir: &Path, args: &[&str]) -> Output {
    sb.autovenv().args(args).current_dir(dir).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A project whose env `python -m venv` makes (uv stays the installer).
fn venv_project(sb: &Sandbox) -> Project {
    sb.project("app").require("mypkg==1.0").file(".autovenv.toml", "creator = \"venv\"\n").create()
}

/// `allow DIR`, `sync DIR` and `exec --dir DIR` typed in an unallowed
/// folder that ships `venv.py`: the env is made, and nothing of that
/// folder runs.
#[test]
fn commands_typed_in_an_unallowed_folder_run_nothing_of_it() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg"]) else { return };
    let p = venv_project(&sb);
    let (trap, marker) = trap_folder(&sb, "cmds");
    let dir = p.root().to_str().unwrap();
    for args in [&["allow", dir][..], &["sync", dir], &["exec", "--dir", dir, "--", "true"]] {
        if p.env_dir().exists() {
            fs::remove_dir_all(p.env_dir()).unwrap();
        }
        let out = run_in(&sb, &trap, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(p.env_dir().join("bin/python").exists(), "{args:?} made the env: {}", text(&out.stderr));
        assert!(!marker.exists(), "{args:?} ran {}: {}", fs::read_to_string(&marker).unwrap(), text(&out.stderr));
    }
}

/// The prompt in a marker-less subfolder of an allowed project whose env
/// must be made again: the subfolder's `venv.py` does not run.
#[test]
fn the_prompt_in_a_subfolder_runs_nothing_of_it() {
    let kind = Kind::Bash;
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &["mypkg"]) else { return };
    let p = venv_project(&sb);
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    fs::remove_dir_all(p.env_dir()).unwrap();
    let sub = p.root().join("downloads/unpacked");
    fs::create_dir_all(&sub).unwrap();
    let marker = sb.root().join("pwned-prompt");
    let code = format!("open({:?}, 'a').write(__name__ + '\\n')\n", marker.display().to_string());
    for m in ["venv.py", "logging.py", "ensurepip.py"] {
        fs::write(sub.join(m), &code).unwrap();
    }
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let out = sh.cd(&sub);
    assert!(out.contains("creating env/"), "{out}");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(p.env_str()), "{out}");
    assert!(!marker.exists(), "the subfolder's module ran: {out}");
}

/// The sandbox keeps uv off every config file (`UV_NO_CONFIG`) and gives it
/// the wheels folder (`UV_FIND_LINKS`); these tests need uv's own discovery.
fn with_uv_discovery(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env_remove("UV_NO_CONFIG").env_remove("UV_FIND_LINKS")
}

/// An attacker's find-links folder: `mypkg 9.0` and `pip 99.0`, each with a
/// `.pth` that writes `marker` whenever the env's Python starts.
fn evil_links(sb: &Sandbox) -> (PathBuf, PathBuf) {
    let dir = sb.root().join("evil-wheels");
    let marker = sb.root().join("pwned-pth");
    let pth = format!("import os; open({:?}, 'a').write('pth\\n')\n", marker.display().to_string());
    build_wheel_with(&dir, "mypkg", "9.0", &[], &[("evil_mypkg.pth", &pth)]);
    build_wheel_with(&dir, "pip", "99.0", &[], &[("evil_pip.pth", &pth)]);
    // What `uv venv --seed` also wants for Python < 3.12, so that seeding
    // from this folder works and takes its pip.
    for w in fs::read_dir(sb.wheels()).unwrap() {
        let w = w.unwrap().path();
        let name = w.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("setuptools-") || name.starts_with("wheel-") {
            fs::copy(&w, dir.join(&name)).unwrap();
        }
    }
    (dir, marker)
}

fn uv_toml(links: &Path) -> String {
    format!(
        "find-links = [{:?}]\n[pip]\nfind-links = [{:?}]\n",
        links.display().to_string(),
        links.display().to_string()
    )
}

/// The env's Python starts once (as the person's next `python` would); the
/// installed mypkg is the project's 1.0.
fn check_clean(p: &Project, marker: &Path, what: &str, stderr: &str) {
    let out = std::process::Command::new(p.env_dir().join("bin/python"))
        .args(["-c", "import mypkg; print(mypkg.VERSION)"])
        .output()
        .unwrap();
    assert_eq!(text(&out.stdout).trim(), "1.0", "{what}: the project's mypkg: {}\n{stderr}", text(&out.stderr));
    assert!(!marker.exists(), "{what}: the attacker's .pth ran\n{stderr}");
}

/// `uv.toml` in the folder the command is typed in, and in a folder above
/// the project root, are not read by `uv venv` or `uv pip install`.
#[test]
fn uv_config_of_the_callers_folder_or_a_parent_is_not_read() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg"]) else { return };
    let (links, marker) = evil_links(&sb);
    // The caller's folder.
    let p = sb.project("app").require("mypkg").create();
    let (trap, _) = trap_folder(&sb, "uvtoml");
    fs::write(trap.join("uv.toml"), uv_toml(&links)).unwrap();
    let out = with_uv_discovery(&mut sb.autovenv()).arg("allow").arg(p.root()).current_dir(&trap).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    check_clean(&p, &marker, "caller's folder", &text(&out.stderr));

    // A parent of the root (here an untrusted folder the project sits in),
    // as uv.toml and as a pyproject.toml that claims it as a workspace member.
    let parent = sb.work().join("shared");
    fs::create_dir_all(&parent).unwrap();
    fs::write(parent.join("uv.toml"), uv_toml(&links)).unwrap();
    let q = ProjectBuilderExt::sub(&sb, "shared/sub");
    let out = with_uv_discovery(&mut sb.autovenv()).arg("allow").current_dir(q.root()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    check_clean(&q, &marker, "parent uv.toml", &text(&out.stderr));

    fs::remove_file(parent.join("uv.toml")).unwrap();
    fs::write(
        parent.join("pyproject.toml"),
        format!(
            "[project]\nname = \"ws\"\nversion = \"1\"\n[tool.uv.workspace]\nmembers = [\"*\"]\n[tool.uv]\nfind-links = [{:?}]\n",
            links.display().to_string()
        ),
    )
    .unwrap();
    let r = ProjectBuilderExt::sub(&sb, "shared/member");
    fs::write(r.root().join("pyproject.toml"), "[project]\nname = \"member\"\nversion = \"1\"\ndependencies = []\n")
        .unwrap();
    fs::write(r.root().join(".autovenv.toml"), "requirements = [\"requirements.txt\"]\n").unwrap();
    let out = with_uv_discovery(&mut sb.autovenv()).arg("allow").current_dir(r.root()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    check_clean(&r, &marker, "parent workspace", &text(&out.stderr));
}

/// A project below `shared/` with `mypkg` unpinned in its requirements.
struct ProjectBuilderExt;
impl ProjectBuilderExt {
    fn sub(sb: &Sandbox, rel: &str) -> Project {
        sb.project(rel).require("mypkg").create()
    }
}

/// The user's own uv.toml (a private find-links here) still works, and so
/// does the project's own uv.toml.
#[test]
fn the_users_and_the_projects_uv_toml_are_read() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg"]) else { return };
    let private = sb.root().join("private-wheels");
    build_wheel(&private, "privpkg", "1.0", &[]);
    let user_cfg = sb.xdg_config().join("uv/uv.toml");
    fs::create_dir_all(user_cfg.parent().unwrap()).unwrap();
    fs::write(&user_cfg, format!("find-links = [{:?}]\n", private.display().to_string())).unwrap();
    let p = sb.project("app").require("privpkg").create();
    let out = with_uv_discovery(&mut sb.autovenv()).arg("allow").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "the user's uv.toml gives privpkg: {}", text(&out.stderr));
    assert!(p.env_dir().join("bin/python").exists());

    let other = sb.root().join("project-wheels");
    build_wheel(&other, "projpkg", "1.0", &[]);
    let q = sb
        .project("app2")
        .require("projpkg")
        .file("uv.toml", &format!("find-links = [{:?}]\n", other.display().to_string()))
        .create();
    let out = with_uv_discovery(&mut sb.autovenv()).arg("allow").arg(q.root()).output().unwrap();
    assert!(out.status.success(), "the project's uv.toml gives projpkg: {}", text(&out.stderr));
}

/// pip (no uv on PATH): the user's pip.conf is read.
#[test]
fn the_users_pip_conf_is_read() {
    let Some(sb) = sandbox_with(&[], Uv::No, &["mypkg"]) else { return };
    let private = sb.root().join("private-wheels");
    build_wheel(&private, "privpkg", "1.0", &[]);
    let conf = sb.xdg_config().join("pip/pip.conf");
    fs::create_dir_all(conf.parent().unwrap()).unwrap();
    fs::write(&conf, format!("[global]\nfind-links = {}\n", private.display())).unwrap();
    let p = sb.project("app").require("privpkg").create();
    let out = sb.autovenv().env_remove("PIP_FIND_LINKS").arg("allow").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "the user's pip.conf gives privpkg: {}", text(&out.stderr));
    assert!(fs::read_dir(p.env_dir().join("lib")).unwrap().any(|l| l
        .unwrap()
        .path()
        .join("site-packages/privpkg/__init__.py")
        .exists()));
}

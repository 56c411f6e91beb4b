//! Configuration, Python selection and the commands (`status`, `exec`,
//! `sync`, `export`, `watch`, `completions`), driving the real binary as a
//! process with the sandbox environment: no interactive shell needed.
//!
//! Conventions: `mypkg 1.0` and `other 1.0` are wheels in the sandbox's
//! find-links dir; projects are git work trees under `work/`.

#[allow(unused_macros)]
#[macro_use]
mod common;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

fn sandbox(uv: Uv) -> Option<Sandbox> {
    sandbox_with(&[Need::Git], uv, &["mypkg", "other", "third"])
}

/// `autovenv ARGS` run in `dir`, with extra environment.
fn av_env(sb: &Sandbox, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = sb.autovenv();
    cmd.args(args).current_dir(dir).envs(env.iter().copied());
    cmd.output().unwrap()
}

fn av(sb: &Sandbox, dir: &Path, args: &[&str]) -> Output {
    av_env(sb, dir, args, &[])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed ({}):\n{}{}", out.status, text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

fn status_json(sb: &Sandbox, dir: &Path, env: &[(&str, &str)]) -> Value {
    let out = av_env(sb, dir, &["status", "--json"], env);
    serde_json::from_str(&ok(&out, "status --json")).unwrap()
}

/// `autovenv export json` in `dir`: the variables it sets (null: unset).
fn export_json(sb: &Sandbox, dir: &Path) -> (serde_json::Map<String, Value>, String) {
    let out = av(sb, dir, &["export", "json"]);
    let vars: Value = serde_json::from_str(&ok(&out, "export json")).unwrap();
    (vars.as_object().unwrap().clone(), text(&out.stderr))
}

fn python_imports(python: &Path, module: &str) -> bool {
    Command::new(python).args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success())
}

fn global_config(sb: &Sandbox, body: &str) -> PathBuf {
    let dir = sb.xdg_config().join("autovenv");
    fs::create_dir_all(&dir).unwrap();
    let f = dir.join("config.toml");
    fs::write(&f, body).unwrap();
    f
}

/// The shell syntax check of `code`: `bash -n`, `zsh -n`, `fish -n`.
fn parses(shell: &str, code: &[u8]) -> Result<(), String> {
    let Some(exe) = shells::which_shell(shell) else { return Ok(()) };
    let mut child = Command::new(exe)
        .arg("-n")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("HOME", "/nonexistent")
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(code).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() && out.stderr.is_empty() {
        Ok(())
    } else {
        Err(format!("{shell} -n: {}{}", text(&out.stdout), text(&out.stderr)))
    }
}

mod shells {
    use std::path::PathBuf;
    pub fn which_shell(name: &str) -> Option<PathBuf> {
        let k = super::Kind::ALL.into_iter().find(|k| k.name() == name).unwrap_or(super::Kind::Fish);
        if super::should_skip(&[super::Need::Shell(k)]) {
            return None;
        }
        k.path().map(PathBuf::from)
    }
}

// ------------------------------------------------------------ every key

#[derive(Clone, Copy, Debug, PartialEq)]
enum Where {
    AutovenvToml,
    Pyproject,
    Global,
}

const ALL_KEYS: &str = "env_dir = \"venvx\"\npython = \"3.11\"\nrequirements = [\"reqs/dev.txt\"]\nsync = \"exact\"\ncreator = \"uv\"\nprompt = \"api\"\ngitignore = false\n";

/// Every project key set in one place; `trust.prefixes` too for the global
/// config (the project is then trusted without `allow`).
fn every_key(place: Where) {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let name = format!("{place:?}").to_lowercase();
    let b = sb
        .project(&name)
        .no_requirements()
        .file("reqs/dev.txt", &format!("--no-index\n--find-links {}\nmypkg==1.0\n", sb.wheels().display()))
        // A requirements.txt that must be ignored (requirements is configured).
        .file("requirements.txt", "this is not a requirement line !!!\n")
        .git();
    let b = match place {
        Where::AutovenvToml => b.file(".autovenv.toml", ALL_KEYS),
        Where::Pyproject => {
            b.file("pyproject.toml", &format!("[project]\nname = \"x\"\n\n[tool.autovenv]\n{ALL_KEYS}"))
        }
        Where::Global => b,
    };
    let proj = b.create();
    let root = proj.root().to_str().unwrap().to_string();
    match place {
        Where::Global => {
            global_config(&sb, &format!("{ALL_KEYS}\n[trust]\nprefixes = [\"{}\"]\n", sb.work().display()));
            ok(&av(&sb, proj.root(), &["sync"]), "sync under trust.prefixes");
        }
        _ => {
            ok(&av(&sb, proj.root(), &["allow"]), "allow");
        }
    }
    let env = proj.path("venvx");
    let cfg = fs::read_to_string(env.join("pyvenv.cfg")).expect("env_dir: the env is venvx/");
    assert!(!proj.env_dir().exists(), "no env/ next to venvx/");
    assert!(cfg.contains("\nuv = "), "creator = uv:\n{cfg}");
    assert!(proj.read(".gitignore").is_none(), "gitignore = false: no .gitignore is written");
    assert!(python_imports(&env.join("bin/python"), "mypkg"), "requirements: reqs/dev.txt is installed");

    let st = status_json(&sb, proj.root(), &[]);
    assert_eq!(st["root"], root.as_str());
    assert_eq!(st["env"], env.to_str().unwrap());
    assert_eq!(st["requirements"], serde_json::json!(["reqs/dev.txt"]));
    assert!(st["python"].as_str().unwrap().starts_with("3.11"), "python = 3.11: {st}");
    assert_eq!(st["sync"], "ok", "{st}");
    match place {
        Where::Global => assert_eq!(st["trusted_by"], format!("prefix {}", sb.work().display()).as_str()),
        _ => assert_eq!(st["trusted_by"], "record"),
    }

    let (vars, _) = export_json(&sb, proj.root());
    assert_eq!(vars["VIRTUAL_ENV_PROMPT"], "api", "prompt");
    assert_eq!(vars["VIRTUAL_ENV"], env.to_str().unwrap());

    // sync = "exact": what the files do not list is removed.
    let mut uv = sb.command("uv");
    uv.args(["pip", "install", "--quiet", "--python"]).arg(env.join("bin/python")).arg("other==1.0");
    sb.run_ok(&mut uv);
    assert!(python_imports(&env.join("bin/python"), "other"));
    ok(&av(&sb, proj.root(), &["sync", "--force"]), "sync --force");
    assert!(!python_imports(&env.join("bin/python"), "other"), "sync = exact removed the unlisted package");
    assert!(python_imports(&env.join("bin/python"), "mypkg"));
}

#[test]
fn every_key_in_autovenv_toml() {
    every_key(Where::AutovenvToml)
}
#[test]
fn every_key_in_pyproject_tool_table() {
    every_key(Where::Pyproject)
}
#[test]
fn every_key_in_global_config_with_trust_prefixes() {
    every_key(Where::Global)
}

/// A project with `body` as its config in `place` (the global config is
/// written or removed accordingly).
fn configured(sb: &Sandbox, name: &str, place: Where, body: &str) -> Project {
    let b = sb.project(name).require("mypkg==1.0");
    let b = match place {
        Where::AutovenvToml => b.file(".autovenv.toml", body),
        Where::Pyproject => b.file("pyproject.toml", &format!("[tool.autovenv]\n{body}")),
        Where::Global => b,
    };
    let global = sb.xdg_config().join("autovenv/config.toml");
    if place == Where::Global {
        global_config(sb, body);
    } else if global.exists() {
        fs::remove_file(global).unwrap();
    }
    b.create()
}

const PLACES: [Where; 3] = [Where::AutovenvToml, Where::Pyproject, Where::Global];

/// `creator`, `python` and `sync = "off"` are read from each place too:
/// checked where their effect shows without building anything slow
/// (`python = "3.11"` in `every_key` cannot tell, it is the only Python).
#[test]
fn creator_python_and_sync_off_from_each_place() {
    let Some(sb) = sandbox(Uv::No) else { return };
    for (i, place) in PLACES.into_iter().enumerate() {
        let proj = configured(&sb, &format!("c{i}"), place, "creator = \"uv\"\n");
        let out = av(&sb, proj.root(), &["allow"]);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains("autovenv: error: creator = \"uv\" is configured but uv is not on PATH"),
            "{place:?}: {err}"
        );
        assert!(!proj.env_dir().exists());

        let proj = configured(&sb, &format!("p{i}"), place, "python = \"3.99\"\n");
        let out = av(&sb, proj.root(), &["allow"]);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains("autovenv: error: Python 3.99 was requested by config python = \"3.99\" but no such interpreter was found"),
            "{place:?}: {err}"
        );
        assert!(!proj.env_dir().exists());
    }

    let Some(sb) = sandbox(Uv::Yes) else { return };
    for (i, place) in PLACES.into_iter().enumerate() {
        let proj = configured(&sb, &format!("s{i}"), place, "sync = \"off\"\n");
        ok(&av(&sb, proj.root(), &["allow"]), "allow");
        assert!(proj.env_dir().join("bin/python").exists(), "{place:?}: the env is made");
        assert!(!python_imports(&proj.env_dir().join("bin/python"), "mypkg"), "{place:?}: sync = off installs nothing");
        assert_eq!(status_json(&sb, proj.root(), &[])["sync"], "off", "{place:?}");
    }
}

// ------------------------------------------------------------ precedence

#[test]
fn autovenv_toml_over_pyproject_over_global() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    global_config(&sb, "prompt = \"global\"\ngitignore = false\n");
    let proj = sb
        .project("app")
        .require("mypkg==1.0")
        .file(".autovenv.toml", "prompt = \"own\"\n")
        .file("pyproject.toml", "[tool.autovenv]\nprompt = \"py\"\nenv_dir = \"pyenv-dir\"\n")
        .git()
        .create();
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    let (vars, _) = export_json(&sb, proj.root());
    assert_eq!(vars["VIRTUAL_ENV_PROMPT"], "own", ".autovenv.toml wins over pyproject.toml and the global config");
    assert_eq!(
        vars["VIRTUAL_ENV"],
        proj.env_str().as_str(),
        "with .autovenv.toml present, [tool.autovenv] is not read at all (its env_dir is ignored)"
    );
    assert!(proj.read(".gitignore").is_none(), "a key the project does not set comes from the global config");

    fs::remove_file(proj.path(".autovenv.toml")).unwrap();
    fs::write(proj.path("pyproject.toml"), "[tool.autovenv]\nprompt = \"py\"\n").unwrap();
    let (vars, _) = export_json(&sb, proj.root());
    assert_eq!(vars["VIRTUAL_ENV_PROMPT"], "py", "[tool.autovenv] wins over the global config");

    fs::write(proj.path("pyproject.toml"), "[project]\nname = \"x\"\n").unwrap();
    let (vars, _) = export_json(&sb, proj.root());
    assert_eq!(vars["VIRTUAL_ENV_PROMPT"], "global", "the global config fills what the project does not set");
}

/// `env_dir` is also what goes into .gitignore, and turns off adopting an
/// existing `venv/`; `requirements` may reach out of the project with `..`.
#[test]
fn env_dir_gitignore_adoption_and_shared_requirements() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let shared = sb.work().join("mono/shared");
    fs::create_dir_all(&shared).unwrap();
    fs::write(shared.join("req.txt"), format!("--no-index\n--find-links {}\nmypkg==1.0\n", sb.wheels().display()))
        .unwrap();
    let proj = sb
        .project("mono/api")
        .no_requirements()
        .file(".autovenv.toml", "env_dir = \".venv\"\nrequirements = [\"../shared/req.txt\"]\n")
        .git()
        .create();
    sb.make_venv(&proj.path("venv"));
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    let py = proj.path(".venv/bin/python");
    assert!(py.exists(), "env_dir = .venv is made, the existing venv/ is not adopted");
    assert!(python_imports(&py, "mypkg"), "../shared/req.txt is installed");
    let gi = proj.read(".gitignore").unwrap_or_default();
    assert_eq!(gi.lines().filter(|l| *l == "/.venv").count(), 1, ".gitignore gets /.venv:\n{gi}");
    let st = status_json(&sb, proj.root(), &[]);
    assert_eq!(st["requirements"], serde_json::json!(["../shared/req.txt"]));
}

/// `trust.prefixes` with `~/`, and path boundaries: `~/code` does not
/// trust `~/codex`.
#[test]
fn trust_prefixes_respect_tilde_and_boundaries() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    global_config(&sb, "[trust]\nprefixes = [\"~/code\"]\n");
    for (dir, trusted) in [("code/p", true), ("codex/p", false)] {
        let root = sb.home().join(dir);
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join("requirements.txt"), "").unwrap();
        let st = status_json(&sb, &root, &[]);
        assert_eq!(st["allowed"], trusted, "{dir}: {st}");
        if trusted {
            assert_eq!(st["trusted_by"], format!("prefix {}", sb.home().join("code").display()).as_str());
        }
    }
}

// ------------------------------------------------------------ errors

/// A broken config: the exact message, nothing activated, and `export`
/// output that every shell still parses.
#[test]
fn config_errors_name_file_line_and_key() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "unknown",
            ".autovenv.toml",
            "envdir = \"x\"\n",
            "unknown key 'envdir' in {f} line 1; did you mean 'env_dir'?",
        ),
        (
            "type",
            ".autovenv.toml",
            "prompt = \"p\"\ngitignore = \"yes\"\n",
            "'gitignore' in {f} line 2 must be true or false (got a string)",
        ),
        (
            "enum",
            ".autovenv.toml",
            "\n\nsync = \"fast\"\n",
            "'sync' in {f} line 3 must be one of \"install\", \"exact\", \"off\" (got \"fast\")",
        ),
        (
            "creator",
            ".autovenv.toml",
            "creator = \"pip\"\n",
            "'creator' in {f} line 1 must be one of \"auto\", \"uv\", \"venv\", \"virtualenv\" (got \"pip\")",
        ),
        ("toml", ".autovenv.toml", "sync = \"install\"\nprompt = x\n", "{f} line 2: invalid TOML: "),
        (
            "pyproject",
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.autovenv]\nPyhton = \"3.11\"\n",
            "unknown key 'Pyhton' in {f} line 5; did you mean 'python'?",
        ),
        (
            "prefixes",
            ".autovenv.toml",
            "sync = \"off\"\n[trust]\nprefixes = [\"/\"]\n",
            "'trust.prefixes' in {f} line 2 can only be set in the global config",
        ),
    ];
    for (name, file, body, want) in cases {
        let proj = sb.project(name).require("mypkg==1.0").file(file, body).create();
        ok(&av(&sb, &sb.work(), &["allow", proj.root().to_str().unwrap()]).with_status_ignored(), "");
        let want = want.replace("{f}", proj.path(file).to_str().unwrap());
        check_broken(&sb, proj.root(), &want, &proj.env_dir());
    }
    // The global config: the same rules, and it breaks every project.
    let proj = sb.project("g").require("mypkg==1.0").create();
    let f = global_config(&sb, "[trust]\nprefix = [\"~/code\"]\n");
    let want = format!("unknown key 'trust.prefix' in {} line 2; did you mean 'trust.prefixes'?", f.display());
    check_broken(&sb, proj.root(), &want, &proj.env_dir());
}

trait IgnoreStatus {
    fn with_status_ignored(self) -> Output;
}
impl IgnoreStatus for Output {
    /// `allow` of a project with a broken config records the trust and then
    /// fails; the test wants the trust, not the success.
    fn with_status_ignored(mut self) -> Output {
        use std::os::unix::process::ExitStatusExt;
        self.status = std::process::ExitStatus::from_raw(0);
        self
    }
}

fn check_broken(sb: &Sandbox, root: &Path, want: &str, env: &Path) {
    for shell in Kind::ALL.map(Kind::name) {
        let out = av(sb, root, &["export", shell]);
        let err = text(&out.stderr);
        assert!(err.contains(&format!("autovenv: error: {want}")), "{shell}: wanted {want:?} in:\n{err}");
        assert!(out.status.success(), "export exits 0 so the hook's eval never fails");
        let stdout = text(&out.stdout);
        assert!(!stdout.contains("VIRTUAL_ENV"), "a broken config activates nothing:\n{stdout}");
        if let Err(e) = parses(shell, &out.stdout) {
            panic!("export {shell} output must stay valid: {e}\n{stdout}");
        }
    }
    assert!(!env.exists(), "a broken config creates no env");
    let st = status_json(sb, root, &[]);
    assert!(st["problem"].as_str().unwrap_or_default().contains(want), "status shows the problem: {st}");
}

// ------------------------------------------------------------ trust before config

/// An untrusted project's `.autovenv.toml` names a "python" that would
/// leave a marker file if anything ran it: nothing does, until `allow`
/// (which shows the test can see it).
#[test]
fn project_config_is_not_read_before_trust() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let marker = sb.root().join("ran");
    let proj = sb.project("evil").require("mypkg==1.0").create();
    let fake = proj.path("fakepython");
    fs::write(&fake, format!("#!/bin/sh\ntouch {}\nexit 1\n", marker.display())).unwrap();
    fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    fs::write(proj.path(".autovenv.toml"), format!("python = \"{}\"\nenv_dir = \"e\"\n", fake.display())).unwrap();

    for args in [&["export", "bash"][..], &["status"], &["status", "--json"], &["sync"], &["exec", "--", "true"]] {
        let out = av(&sb, proj.root(), args);
        assert!(!marker.exists(), "`autovenv {}` ran the untrusted project's python", args.join(" "));
        let _ = out;
    }
    assert!(!proj.path("e").exists() && !proj.env_dir().exists(), "nothing is created");

    let out = av(&sb, proj.root(), &["allow"]);
    assert!(marker.exists(), "once allowed, the configured python is used:\n{}", text(&out.stderr));
}

// ------------------------------------------------------------ which Python

#[test]
fn python_version_file_met_and_unmet() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let ver = &common::tools().python_version;
    let good = sb.project("good").require("mypkg==1.0").file(".python-version", &format!("{ver}\n")).create();
    let out = av(&sb, good.root(), &["allow"]);
    ok(&out, "allow");
    assert!(text(&out.stderr).contains(&format!("with Python {ver}.")), "{}", text(&out.stderr));
    assert!(status_json(&sb, good.root(), &[])["python"].as_str().unwrap().starts_with(&format!("{ver}.")));

    let bad = sb.project("bad").require("mypkg==1.0").file(".python-version", "3.99\n").create();
    let out = av(&sb, bad.root(), &["allow"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("autovenv: error: Python 3.99 was requested by .python-version but no such interpreter was found"),
        "{err}"
    );
    assert!(err.contains("hint: install it"), "{err}");
    assert!(!bad.env_dir().exists(), "no env is made with another Python");
    // The hook says the same and activates nothing.
    let out = av(&sb, bad.root(), &["export", "bash"]);
    assert!(text(&out.stderr).contains("Python 3.99 was requested"));
    assert!(!text(&out.stdout).contains("VIRTUAL_ENV"));

    // An existing env is not thrown away for a request that cannot be
    // met: the error is the same, the env stays, and undoing the edit
    // brings it back as it was.
    let marker = good.env_dir().join("kept");
    fs::write(&marker, "").unwrap();
    fs::write(good.path(".python-version"), "3.99\n").unwrap();
    let out = av(&sb, good.root(), &["sync"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("Python 3.99 was requested by .python-version"), "{}", text(&out.stderr));
    assert!(marker.exists(), "the working env was deleted before the new Python was found:\n{}", text(&out.stderr));
    fs::write(good.path(".python-version"), format!("{ver}\n")).unwrap();
    let (vars, err) = export_json(&sb, good.root());
    assert_eq!(vars["VIRTUAL_ENV"], good.env_str().as_str(), "{err}");
    assert!(marker.exists(), "and it is used again as it is: {err}");
}

#[test]
fn requires_python_met_and_unmet() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let ver = &common::tools().python_version;
    let good =
        sb.project("good").file("pyproject.toml", "[project]\nname = \"g\"\nrequires-python = \">=3.8\"\n").create();
    let out = av(&sb, good.root(), &["allow"]);
    ok(&out, "allow");
    assert!(text(&out.stderr).contains(&format!("with Python {ver}.")));

    let bad =
        sb.project("bad").file("pyproject.toml", "[project]\nname = \"b\"\nrequires-python = \">=3.99\"\n").create();
    let out = av(&sb, bad.root(), &["allow"]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("autovenv: error: no installed Python satisfies requires-python >=3.99 in pyproject.toml"),
        "{err}"
    );
    assert!(!bad.env_dir().exists());
}

// ------------------------------------------------------------ status

#[test]
fn status_json_in_every_state() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let keys = ["root", "env", "exists", "allowed", "python", "requirements", "sync", "active"];
    let check_keys = |st: &Value| {
        for k in keys {
            assert!(st.get(k).is_some(), "status --json has {k}: {st}");
        }
    };

    // Not a project.
    let st = status_json(&sb, &sb.work(), &[]);
    check_keys(&st);
    assert_eq!(
        (st["root"].clone(), st["allowed"].clone(), st["active"].clone()),
        (Value::Null, false.into(), false.into())
    );
    assert_eq!(st["exists"], false);

    // Untrusted.
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    let st = status_json(&sb, proj.root(), &[]);
    check_keys(&st);
    assert_eq!(st["root"], proj.root().to_str().unwrap());
    assert_eq!(st["allowed"], false);
    assert_eq!(st["exists"], false);
    assert_eq!(st["active"], false);
    assert!(st["reason"].as_str().unwrap().contains("autovenv allow"));

    // Allowed and synced.
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    let st = status_json(&sb, proj.root(), &[]);
    check_keys(&st);
    assert_eq!(st["env"], proj.env_str().as_str());
    assert_eq!((st["exists"].clone(), st["allowed"].clone()), (true.into(), true.into()));
    assert!(st["python"].as_str().unwrap().starts_with(&common::tools().python_version));
    assert_eq!(st["requirements"], serde_json::json!(["requirements.txt"]));
    assert_eq!(st["sync"], "ok");
    assert_eq!(st["active"], false, "this process has not activated it");

    // Active in a shell: the variables `export` gives, as a shell has them.
    let (vars, _) = export_json(&sb, proj.root());
    let env: Vec<(String, String)> =
        vars.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect();
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let st = status_json(&sb, proj.root(), &env_ref);
    assert_eq!(st["active"], true, "{st}");
    assert_eq!(st["reason"], Value::Null);

    // Failed sync.
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmissing==1.0\n", sb.wheels().display()),
    )
    .unwrap();
    let out = av(&sb, proj.root(), &["sync"]);
    assert!(!out.status.success());
    let st = status_json(&sb, proj.root(), &[]);
    assert_eq!(st["sync"], "failed", "{st}");
    assert!(st["sync_error"].as_str().is_some_and(|e| !e.is_empty()), "{st}");
    // Stale: edited since.
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmypkg==1.0\nother==1.0\n", sb.wheels().display()),
    )
    .unwrap();
    let st = status_json(&sb, proj.root(), &[]);
    assert_eq!(st["sync"], "stale", "edited since the failure: the next prompt retries");
    assert!(st["sync_error"].is_string(), "the last error is still shown");
}

/// Human `status`: colour only on a terminal without NO_COLOR.
#[test]
fn status_has_no_escape_codes_without_a_tty_or_with_no_color() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let proj = sb.project("app").require("mypkg==1.0").create();
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    // Not a tty (a pipe).
    let out = ok(&av(&sb, proj.root(), &["status"]), "status");
    assert!(out.contains("project") && out.contains("allowed"), "{out}");
    assert!(!out.contains('\x1b'), "no escape codes into a pipe: {out:?}");

    let on_tty = |no_color: bool| -> Vec<u8> {
        let mut cmd = sb.autovenv();
        cmd.arg("status").current_dir(proj.root());
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let pty = Pty::spawn(cmd, 200, 50).unwrap();
        pty.wait_for(Duration::from_secs(20), |d| {
            let t = String::from_utf8_lossy(d);
            (t.contains("active") && t.trim_end().ends_with(|c: char| c.is_ascii_graphic() || c == 'm')).then_some(())
        })
        .unwrap_or_else(|_| panic!("status on a pty: {:?}", String::from_utf8_lossy(&pty.snapshot())));
        std::thread::sleep(Duration::from_millis(100));
        pty.snapshot()
    };
    let plain = on_tty(true);
    assert!(!plain.contains(&0x1b), "NO_COLOR on a tty: {:?}", String::from_utf8_lossy(&plain));
    let coloured = on_tty(false);
    assert!(
        coloured.contains(&0x1b),
        "a tty without NO_COLOR is coloured (so the test can fail): {:?}",
        String::from_utf8_lossy(&coloured)
    );
}

// ------------------------------------------------------------ exec

#[test]
fn exec_inside_and_outside_trust() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();

    // Untrusted: refused with the allow hint, exit 125, nothing created.
    let out = av(&sb, proj.root(), &["exec", "--", "python3", "-c", "print('ran')"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(!text(&out.stdout).contains("ran"));
    let err = text(&out.stderr);
    assert!(err.contains("is not allowed") && err.contains("autovenv allow"), "{err}");
    assert!(!proj.env_dir().exists(), "exec in an untrusted project creates nothing");

    // Trusted (allowed from outside, env not made yet): exec creates,
    // syncs and runs inside the env.
    ok(&av(&sb, &sb.work(), &["allow", proj.root().to_str().unwrap()]), "allow");
    fs::remove_dir_all(proj.env_dir()).unwrap();
    let out = av(
        &sb,
        &sb.work(),
        &["exec", "--dir", proj.root().to_str().unwrap(), "--", "python", "-c", "import sys, mypkg; print(sys.prefix)"],
    );
    assert_eq!(ok(&out, "exec"), format!("{}\n", proj.env_str()));
    let out = av(&sb, proj.root(), &["exec", "--", "python", "-c", "import sys; sys.exit(7)"]);
    assert_eq!(out.status.code(), Some(7), "exit status is the command's");
    let out = av(&sb, proj.root(), &["exec", "--", "no-such-command-avt"]);
    assert_eq!(out.status.code(), Some(127), "command not found: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no-such-command-avt"));
    // Outside any project.
    let out = av(&sb, &sb.work(), &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    // A file that cannot be run: 126.
    let noexec = proj.path("notes.txt");
    fs::write(&noexec, "x").unwrap();
    let out = av(&sb, proj.root(), &["exec", "--", noexec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126), "{}", text(&out.stderr));
    // A broken config: autovenv fails first, 125, and the command never runs.
    fs::write(proj.path(".autovenv.toml"), "sync = \"fast\"\n").unwrap();
    let out = av(&sb, proj.root(), &["exec", "--", "python", "-c", "print('ran')"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(!text(&out.stdout).contains("ran"));
    assert!(text(&out.stderr).contains("'sync' in"), "{}", text(&out.stderr));
}

// ------------------------------------------------------------ watch

/// A running `autovenv watch` in `dir`, its stderr in `log`; killed on drop.
struct Watching {
    child: std::process::Child,
    log: PathBuf,
}

impl Watching {
    fn start(sb: &Sandbox, dir: &Path) -> Watching {
        let log = sb.root().join("watch.log");
        let child = sb
            .autovenv()
            .arg("watch")
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Watching { child, log }
    }

    fn said(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait up to 30 s for `cond`, failing with what watch said.
    fn wait(&self, what: &str, cond: &dyn Fn() -> bool) {
        let t0 = Instant::now();
        while !cond() {
            assert!(t0.elapsed() < Duration::from_secs(30), "{what}; watch said:\n{}", self.said());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `autovenv watch` syncs an edit saved the way many editors save: a new
/// file renamed over the old one.
#[test]
fn watch_syncs_an_edit_saved_by_rename() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    let w = Watching::start(&sb, proj.root());
    let wait = |what: &str, cond: &dyn Fn() -> bool| w.wait(what, cond);
    wait("watch starts", &|| w.said().contains("watching"));
    let tmp = proj.path(".requirements.txt.swp");
    fs::write(&tmp, format!("--no-index\n--find-links {}\nmypkg==1.0\nother==1.0\n", sb.wheels().display())).unwrap();
    fs::rename(&tmp, proj.path("requirements.txt")).unwrap();
    let py = proj.env_dir().join("bin/python");
    wait("the renamed-over requirements.txt is synced", &|| python_imports(&py, "other"));
    // Its own reads are not changes: once synced, watch stays quiet (each
    // sync's reading of the file used to set off the next one, forever).
    std::thread::sleep(Duration::from_millis(700));
    let opens = opens_of(&proj.path("requirements.txt"), Duration::from_millis(1500));
    assert_eq!(opens, 0, "watch kept reading requirements.txt with nothing changed");
    // Deleted, then made again with one more package.
    fs::remove_file(proj.path("requirements.txt")).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmypkg==1.0\nother==1.0\nthird==1.0\n", sb.wheels().display()),
    )
    .unwrap();
    wait("the re-created requirements.txt is synced", &|| python_imports(&py, "third"));
    // The env removed: watch makes it again and syncs it.
    fs::remove_dir_all(proj.env_dir()).unwrap();
    wait("the removed env is rebuilt and synced", &|| python_imports(&py, "other") && python_imports(&py, "mypkg"));
    // An include in folders that do not exist yet (an error until then),
    // made with `mkdir -p` and written at once: watch follows the nearest
    // folder that exists, so it sees them appear.
    sb.wheel("fourth", "1.0", &[]);
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmypkg==1.0\n-r deep/er/more.txt\n", sb.wheels().display()),
    )
    .unwrap();
    wait("the missing include is reported", &|| w.said().contains("more.txt"));
    std::thread::sleep(Duration::from_millis(500));
    fs::create_dir_all(proj.path("deep/er")).unwrap();
    fs::write(proj.path("deep/er/more.txt"), "fourth==1.0\n").unwrap();
    wait("the include made in new folders is synced", &|| python_imports(&py, "fourth"));
}

/// How often anyone opens `file` within `window` (inotify, through notify).
fn opens_of(file: &Path, window: Duration) -> usize {
    use notify::Watcher;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut w = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev {
            let _ = tx.send(ev);
        }
    })
    .unwrap();
    w.watch(file, notify::RecursiveMode::NonRecursive).unwrap();
    std::thread::sleep(window);
    drop(w);
    rx.try_iter().filter(|ev| matches!(ev.kind, notify::EventKind::Access(notify::event::AccessKind::Open(_)))).count()
}

/// Trust is checked at each sync, not once at start: after `deny`, an
/// edit is no longer installed by a running `autovenv watch`.
#[test]
fn watch_stops_installing_after_deny() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    let w = Watching::start(&sb, proj.root());
    let said = || w.said();
    let wait = |what: &str, cond: &dyn Fn() -> bool| w.wait(what, cond);
    wait("watch starts", &|| said().contains("watching"));
    ok(&av(&sb, proj.root(), &["deny"]), "deny");
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmypkg==1.0\nother==1.0\n", sb.wheels().display()),
    )
    .unwrap();
    wait("watch notices the edit and says the project is not allowed", &|| said().contains("is not allowed"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !python_imports(&proj.env_dir().join("bin/python"), "other"),
        "a denied project is not synced:\n{}",
        said()
    );
}

// ------------------------------------------------------------ completions, --version, --help

#[test]
fn completions_parse_in_their_shell() {
    let Some(sb) = sandbox(Uv::No) else { return };
    for shell in ["bash", "zsh", "fish"] {
        let out = av(&sb, &sb.work(), &["completions", shell]);
        let code = ok(&out, "completions");
        assert!(code.contains("autovenv") && code.len() > 200, "{shell}: {code}");
        if let Err(e) = parses(shell, &out.stdout) {
            panic!("completions {shell}: {e}");
        }
    }
    for shell in ["elvish", "powershell"] {
        let code = ok(&av(&sb, &sb.work(), &["completions", shell]), shell);
        assert!(code.contains("autovenv") && code.len() > 200, "{shell}: {code}");
    }
    // The checker itself rejects broken code (so this test can fail).
    assert!(parses("bash", b"if then fi (").is_err());
}

#[test]
fn version_and_help() {
    let Some(sb) = sandbox(Uv::No) else { return };
    let v = ok(&av(&sb, &sb.work(), &["--version"]), "--version");
    assert_eq!(v, format!("autovenv {}\n", env!("CARGO_PKG_VERSION")));
    let h = ok(&av(&sb, &sb.work(), &["--help"]), "--help");
    for cmd in ["hook", "export", "allow", "deny", "status", "sync", "watch", "exec", "completions"] {
        assert!(h.lines().any(|l| l.trim_start().starts_with(cmd)), "--help lists {cmd}:\n{h}");
    }
}

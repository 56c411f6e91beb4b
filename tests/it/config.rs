//! Configuration: every key in each place it can be set, which place wins,
//! errors that name the file, line and key, and no project config read
//! before the project is trusted. The real binary as a process, no
//! interactive shell.
//!
//! Conventions: `mypkg 1.0` and `other 1.0` are wheels in the sandbox's
//! find-links dir; projects are git work trees under `work/`.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::common::cli::*;
use crate::common::*;

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
    every_key(Where::AutovenvToml);
}
#[test]
fn every_key_in_pyproject_tool_table() {
    every_key(Where::Pyproject);
}
#[test]
fn every_key_in_global_config_with_trust_prefixes() {
    every_key(Where::Global);
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

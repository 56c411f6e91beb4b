//! What a person reads, asserted whole: the messages of `allow`, `status`,
//! `deny`, `exec` and `sync`, the errors with their hints, paths with
//! control characters, and the README's console examples replayed (the
//! demo in a real bash, the version-skew warning). Each snapshot under
//! `tests/it/snapshots/` is the exact text, with the sandbox's paths, the
//! Python version and timings replaced by placeholders (`common::snapshot`).

use std::path::Path;
use std::process::Command;

use crate::common::*;

fn sandbox() -> Option<Sandbox> {
    sandbox_with(&[Need::Git], Uv::Yes, &["mypkg"])
}

/// `autovenv ARGS` run in `dir`.
fn av(sb: &Sandbox, dir: &Path, args: &[&str]) -> Command {
    let mut cmd = sb.autovenv();
    cmd.args(args).current_dir(dir);
    cmd
}

/// The README's demo, in a real interactive bash: entering a project not
/// yet allowed, `allow` creating and syncing its env, Python running from
/// it, and leaving.
#[test]
fn readme_console_demo() {
    let Some(sb) = sandbox_with(&[Need::Shell(Kind::Bash), Need::Git], Uv::Yes, &["mypkg"]) else { return };
    // Where the README has it, so the messages show `~/code/app`.
    let proj = ProjectBuilder::new(&sb, sb.home().join("code/app")).require("mypkg==1.0").git().create();
    let mut sh = Shell::start(Kind::Bash, &sb, "", &sb.home());
    let path_before = sh.var_str("PATH");
    let mut transcript = String::new();
    let mut step = |line: &str, out: String| {
        transcript.push_str(&format!("$ {line}\n{out}"));
        if !out.is_empty() && !out.ends_with('\n') {
            transcript.push('\n');
        }
    };
    let out = sh.cd(proj.root());
    step("cd ~/code/app", out);
    let out = sh.run("autovenv allow");
    step("autovenv allow", out);
    let line = "python -c 'import sys; print(sys.prefix)'";
    let out = sh.run(line);
    step(line, out);
    let out = sh.cd(&sb.home().join("code"));
    step("cd ..", out);
    assert_filtered_snapshot!(&sb, transcript);
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None, "left the project");
    assert_eq!(sh.var_str("PATH"), path_before, "PATH restored exactly");
}

#[test]
fn allow_creates_syncs_and_reports() {
    let Some(sb) = sandbox() else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["status"]), "status_before_allow");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["allow"]), "allow_first");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["status"]), "status_after_allow");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["allow"]), "allow_again");
}

#[test]
fn status_outside_any_project() {
    let Some(sb) = sandbox() else { return };
    autovenv_snapshot!(&sb, av(&sb, &sb.work(), &["status"]));
}

#[test]
fn deny_then_status_and_exec() {
    let Some(sb) = sandbox() else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    let out = sb.autovenv().arg("allow").current_dir(proj.root()).output().unwrap();
    assert!(out.status.success());
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["deny"]), "deny");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["status"]), "status_denied");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["exec", "--", "python", "-V"]), "exec_denied");
}

#[test]
fn exec_in_a_project_never_allowed() {
    let Some(sb) = sandbox() else { return };
    let proj = sb.project("app").require("mypkg==1.0").create();
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["exec", "--", "python", "-V"]));
    assert!(!proj.env_dir().exists());
}

#[test]
fn allow_outside_any_project() {
    let Some(sb) = sandbox() else { return };
    autovenv_snapshot!(&sb, av(&sb, &sb.work(), &["allow"]));
}

/// Each broken config as `allow` reports it and as the prompt hook
/// (`export`) reports it: one error naming the file, the line and the fix.
#[test]
fn config_errors_with_hints() {
    let Some(sb) = sandbox() else { return };
    let cases: &[(&str, &str, &str)] = &[
        ("unknown_key", ".autovenv.toml", "envdir = \"x\"\n"),
        ("wrong_type", ".autovenv.toml", "prompt = \"p\"\ngitignore = \"yes\"\n"),
        ("bad_choice", ".autovenv.toml", "\n\nsync = \"fast\"\n"),
        ("bad_toml", ".autovenv.toml", "sync = \"install\"\nprompt = x\n"),
        ("pyproject_typo", "pyproject.toml", "[project]\nname = \"x\"\n\n[tool.autovenv]\nPyhton = \"3.11\"\n"),
        ("global_only_key", ".autovenv.toml", "sync = \"off\"\n[trust]\nprefixes = [\"/\"]\n"),
    ];
    for (name, file, body) in cases {
        let proj = sb.project(name).require("mypkg==1.0").file(file, body).create();
        let root = proj.root().to_str().unwrap();
        autovenv_snapshot!(&sb, av(&sb, &sb.work(), &["allow", root]), &format!("config_{name}_allow"));
        autovenv_snapshot!(&sb, av(&sb, proj.root(), &["export", "bash"]), &format!("config_{name}_export"));
    }
}

#[test]
fn python_not_found_with_hint() {
    let Some(sb) = sandbox() else { return };
    let proj = sb.project("app").require("mypkg==1.0").file(".python-version", "3.99\n").create();
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["allow"]), "python_not_found_allow");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["status"]), "python_not_found_status");
}

/// The README's warning for a shell whose hook came from another version,
/// as `export` gives it to an older zsh hook (bookkeeping without a hook
/// version).
#[test]
fn hook_from_another_version() {
    let Some(sb) = sandbox_with(&[], Uv::No, &[]) else { return };
    let out = sb.autovenv().args(["export", "zsh"]).env("AUTOVENV_STAMP", "").output().unwrap();
    assert!(out.status.success());
    assert_filtered_snapshot!(&sb, String::from_utf8(out.stderr).unwrap());
}

/// `status` at the prompt of a shell that has the env active.
#[test]
fn status_in_an_active_shell() {
    let Some(sb) = sandbox_with(&[Need::Shell(Kind::Bash), Need::Git], Uv::Yes, &["mypkg"]) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    let out = sb.autovenv().arg("allow").current_dir(proj.root()).output().unwrap();
    assert!(out.status.success());
    let mut sh = Shell::start(Kind::Bash, &sb, "", &sb.work());
    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    let out = sh.run("autovenv status");
    assert_filtered_snapshot!(&sb, format!("$ autovenv status\n{out}"));
}

/// `autovenv sync` after the requirements gained a package, and after they
/// ask for one that does not exist.
#[test]
fn sync_reports_installs_and_failures() {
    let Some(sb) = sandbox_with(&[Need::Git], Uv::Yes, &["mypkg", "other"]) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    let out = sb.autovenv().arg("allow").current_dir(proj.root()).output().unwrap();
    assert!(out.status.success());
    let reqs = proj.path("requirements.txt");
    let text = std::fs::read_to_string(&reqs).unwrap();
    std::fs::write(&reqs, format!("{text}other==1.0\n")).unwrap();
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["sync"]), "sync_added_package");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["sync"]), "sync_nothing_to_do");
    std::fs::write(&reqs, format!("{text}other==1.0\nnosuchpkg==1.0\n")).unwrap();
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["sync"]), "sync_missing_package");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["status"]), "sync_missing_package_status");
}

/// A folder name with control characters (a terminal title escape and a
/// newline) is shown escaped, never sent to the terminal as is.
#[test]
fn control_characters_in_a_path_are_escaped() {
    let Some(sb) = sandbox() else { return };
    let proj = sb.project("evil\x1b]0;pwned\x07\nname").require("mypkg==1.0").create();
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["status"]), "control_characters_status");
    autovenv_snapshot!(&sb, av(&sb, proj.root(), &["exec", "--", "true"]), "control_characters_exec");
}

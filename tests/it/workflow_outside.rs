//! The workflow outside an interactive prompt and outside the project
//! folder: non-interactive shells (`bash -c` with `BASH_ENV`, `zsh -c` with
//! `~/.zshenv`) running in the project's env, git worktrees trusted through
//! their repository (`trust.worktrees`), and envs kept outside the project
//! (`env_store = "cache"`, `env_dir = "~/…"`) with nothing written in it.
//! Hostile cases (forged worktrees, envs of another project) are in
//! `security.rs`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::cli::{av, export_json, global_config, ok, status_json, text};
use crate::common::*;

/// The sandbox's `uv` replaced by a script that logs its arguments and runs
/// the real uv: every creator and installer start is counted.
fn uv_logger(sb: &Sandbox) -> PathBuf {
    let real = tools().uv.clone().expect("uv (checked by sandbox_with)");
    let log = sb.root().join("uv-calls.log");
    let shim = sb.bin().join("uv");
    fs::remove_file(&shim).unwrap();
    fs::write(
        &shim,
        format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), real.display()),
    )
    .unwrap();
    fs::set_permissions(&shim, fs::Permissions::from_mode(0o755)).unwrap();
    log
}

fn uv_calls(log: &Path) -> usize {
    fs::read_to_string(log).unwrap_or_default().lines().count()
}

fn git(sb: &Sandbox, dir: &Path, args: &[&str]) -> String {
    let mut cmd = sb.command("git");
    cmd.args(args).current_dir(dir);
    sb.run_ok(&mut cmd)
}

fn commit_all(sb: &Sandbox, dir: &Path) {
    git(sb, dir, &["add", "-A"]);
    git(sb, dir, &["commit", "-qm", "initial"]);
}

// ------------------------------------------------------ shells without a prompt

/// The documented recipes: a file for `BASH_ENV`, a line in `~/.zshenv`.
const BASH_RECIPE: &str = "eval \"$(command autovenv export bash)\"\n";
const ZSH_RECIPE: &str = "[[ -o interactive ]] || eval \"$(command autovenv export zsh)\"\n";

/// `<shell> -c CODE` in `dir`, as an editor or an agent starts it: no
/// terminal, no prompt, only the recipe.
fn run_c(sb: &Sandbox, kind: Kind, dir: &Path, code: &str) -> Output {
    let mut cmd = sb.command(kind.path().unwrap());
    cmd.arg("-c").arg(code).current_dir(dir).env("PWD", dir);
    if kind == Kind::Bash {
        cmd.env("BASH_ENV", sb.home().join(".autovenv-env.bash"));
    }
    cmd.output().unwrap()
}

fn install_recipe(sb: &Sandbox, kind: Kind) {
    match kind {
        Kind::Bash => fs::write(sb.home().join(".autovenv-env.bash"), BASH_RECIPE).unwrap(),
        Kind::Zsh => fs::write(sb.home().join(".zshenv"), ZSH_RECIPE).unwrap(),
        _ => unreachable!("the recipes are for bash and zsh"),
    }
}

/// In an allowed project, `bash -c`/`zsh -c` find the env's python with
/// the requirements in it, from a subfolder too and in a nested shell, and
/// a changed requirements file is synced before the command runs; in
/// a project that is not allowed the command still runs, one line says
/// so, and nothing is created or installed.
fn recipe_runs_commands_in_the_env(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &["mypkg", "other"]) else { return };
    let log = uv_logger(&sb);
    install_recipe(&sb, kind);
    let p = sb.project("app").require("mypkg==1.0").file("src/pkg/__init__.py", "").create();
    ok(&av(&sb, p.root(), &["allow"]), "allow");
    let python = p.env_dir().join("bin/python");
    let code = "command -v python; python -c 'import mypkg, sys; print(sys.prefix)'";
    for dir in [p.root().to_path_buf(), p.path("src/pkg")] {
        let out = run_c(&sb, kind, &dir, code);
        assert_eq!(
            text(&out.stdout),
            format!("{}\n{}\n", python.display(), p.env_str()),
            "{} -c in {}:\n{}",
            kind.name(),
            dir.display(),
            text(&out.stderr)
        );
        assert_eq!(text(&out.stderr), "", "quiet when nothing changes");
    }
    let nested = format!("{} -c 'command -v python'", kind.path().unwrap().display());
    let out = run_c(&sb, kind, p.root(), &nested);
    assert_eq!(text(&out.stdout), format!("{}\n", python.display()), "{}", text(&out.stderr));

    // A changed requirements file is synced before the command runs.
    fs::write(p.path("requirements.txt"), format!("{}other==1.0\n", p.read("requirements.txt").unwrap())).unwrap();
    let out = run_c(&sb, kind, p.root(), "python -c 'import other; print(\"other\")'");
    assert_eq!(text(&out.stdout), "other\n", "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("synced requirements.txt"), "{}", text(&out.stderr));

    // Not allowed: the command runs, outside any env; one line; nothing made.
    let calls = uv_calls(&log);
    let q = sb.project("stranger").require("mypkg==1.0").create();
    let out = run_c(&sb, kind, q.root(), "echo ran; printf '%s\\n' \"${VIRTUAL_ENV-none}\"");
    assert_eq!(text(&out.stdout), "ran\nnone\n");
    assert!(out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line:\n{err}");
    assert!(err.contains("stranger is not allowed; run `autovenv allow`"), "{err}");
    assert!(!q.env_dir().exists(), "no env made in a project that is not allowed");
    assert_eq!(uv_calls(&log), calls, "no creator or installer started");
    assert_eq!(fs::read_dir(q.root()).unwrap().count(), 1, "nothing written in it");
}

#[test]
fn bash_recipe_runs_commands_in_the_env() {
    recipe_runs_commands_in_the_env(Kind::Bash);
}

#[test]
fn zsh_recipe_runs_commands_in_the_env() {
    recipe_runs_commands_in_the_env(Kind::Zsh);
}

// ---------------------------------------------------------------- worktrees

/// An allowed repository `app` with a linked worktree `app-feature`.
fn repo_with_worktree(sb: &Sandbox) -> (Project, PathBuf) {
    let main = sb.project("app").require("mypkg==1.0").git().create();
    fs::write(main.path(".gitignore"), "/env\n").unwrap();
    commit_all(sb, main.root());
    ok(&av(sb, main.root(), &["allow"]), "allow");
    let wt = sb.work().join("app-feature");
    git(sb, main.root(), &["worktree", "add", "-q", "-b", "feature", wt.to_str().unwrap()]);
    (main, wt)
}

/// Off by default: a worktree is a folder of its own, and a project's own
/// config cannot turn it on. On in the global config: the worktree is
/// trusted through its repository and gets its own env; denying the
/// repository takes it back.
#[test]
fn worktree_trust_off_and_on() {
    let Some(sb) = sandbox_with(&[Need::Git], Uv::Yes, &["mypkg"]) else { return };
    let (main, wt) = repo_with_worktree(&sb);
    let st = status_json(&sb, &wt, &[]);
    assert_eq!(st["allowed"], false, "off by default: {st}");
    let (vars, err) = export_json(&sb, &wt);
    assert!(err.contains("app-feature is not allowed"), "{err}");
    assert!(!vars.contains_key("VIRTUAL_ENV") && !wt.join("env").exists());

    // A project's own config: the worktree's is not read before trust, the
    // repository's is an error, and neither trusts the worktree.
    fs::write(wt.join(".autovenv.toml"), "[trust]\nworktrees = true\n").unwrap();
    assert_eq!(status_json(&sb, &wt, &[])["allowed"], false);
    fs::remove_file(wt.join(".autovenv.toml")).unwrap();
    fs::write(main.path(".autovenv.toml"), "[trust]\nworktrees = true\n").unwrap();
    let st = status_json(&sb, main.root(), &[]);
    assert!(
        st["problem"].as_str().unwrap().contains("'trust.worktrees' in")
            && st["problem"].as_str().unwrap().contains("can only be set in the global config"),
        "{st}"
    );
    assert_eq!(status_json(&sb, &wt, &[])["allowed"], false);
    fs::remove_file(main.path(".autovenv.toml")).unwrap();

    global_config(&sb, "[trust]\nworktrees = true\n");
    let st = status_json(&sb, &wt, &[]);
    assert_eq!(st["allowed"], true, "{st}");
    assert_eq!(st["trusted_by"], format!("worktree of {}", main.root().display()));
    let (vars, err) = export_json(&sb, &wt);
    assert_eq!(vars["VIRTUAL_ENV"], wt.join("env").to_str().unwrap(), "{err}");
    assert!(crate::common::cli::python_imports(&wt.join("env/bin/python"), "mypkg"), "synced:\n{err}");
    assert_eq!(git(&sb, &wt, &["status", "--porcelain"]), "", "the committed .gitignore keeps it clean");

    let out = av(&sb, main.root(), &["deny"]);
    ok(&out, "deny");
    assert_eq!(status_json(&sb, &wt, &[])["allowed"], false, "denying the repository takes the worktree's trust");
    // And `deny` in a worktree says where its trust comes from.
    ok(&av(&sb, main.root(), &["allow"]), "allow again");
    let out = av(&sb, &wt, &["deny"]);
    assert!(text(&out.stderr).contains("it is a git worktree of"), "{}", text(&out.stderr));
}

/// In a real shell: `cd` into the worktree activates its own env.
fn worktree_activates_in_a_shell(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Git, Need::Shell(kind)], Uv::Yes, &["mypkg"]) else { return };
    let (_main, wt) = repo_with_worktree(&sb);
    global_config(&sb, "[trust]\nworktrees = true\n");
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let out = sh.cd(&wt);
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(wt.join("env").to_str().unwrap().to_string()), "{out}");
    sh.cd(&sb.work());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);
}

// ---------------------------------------------------------- env outside the project

/// The one env in the cache.
fn cached_env(sb: &Sandbox) -> PathBuf {
    let envs: Vec<PathBuf> = fs::read_dir(sb.xdg_cache().join("autovenv/envs"))
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    assert_eq!(envs.len(), 1, "one env in the cache: {envs:?}");
    envs.into_iter().next().unwrap()
}

/// `env_store = "cache"`: the env is made in the cache, activated, synced
/// when the requirements change, rebuilt when deleted, and the project's
/// git status stays clean (no env, no .gitignore).
fn env_in_the_cache(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Git, Need::Shell(kind)], Uv::Yes, &["mypkg", "other"]) else { return };
    global_config(&sb, "env_store = \"cache\"\n");
    let p = sb.project("app").require("mypkg==1.0").git().create();
    commit_all(&sb, p.root());
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let path0 = sh.var_str("PATH");
    let out = sh.cd(p.root());
    assert!(out.contains("is not allowed"), "{out}");
    assert!(!sb.xdg_cache().join("autovenv/envs").exists(), "nothing made before allow");
    let out = sh.run("autovenv allow");
    let env = cached_env(&sb);
    let name = env.file_name().unwrap().to_str().unwrap().to_string();
    assert!(name.starts_with("app-") && name.len() == "app-".len() + 16, "{name}");
    sh.run("true");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(env.to_str().unwrap().to_string()), "{out}");
    assert_eq!(sh.run("python -c 'import mypkg; print(1)'").trim(), "1");
    assert_eq!(git(&sb, p.root(), &["status", "--porcelain", "--ignored"]), "", "nothing written in the project");
    assert!(!p.env_dir().exists() && !p.path(".gitignore").exists());

    // Synced at the next prompt after a change.
    fs::write(p.path("requirements.txt"), format!("{}other==1.0\n", p.read("requirements.txt").unwrap())).unwrap();
    let out = sh.run("true");
    assert!(out.contains("synced requirements.txt"), "{out}");
    assert_eq!(sh.run("python -c 'import other; print(2)'").trim(), "2");

    // Deleted: rebuilt at the next prompt, and active as before.
    let out = sh.run(&format!("rm -rf {}", sh.qp(&env)));
    assert!(env.join("pyvenv.cfg").is_file(), "the deleted env is rebuilt:\n{out}");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(env.to_str().unwrap().to_string()));
    assert_eq!(sh.run("python -c 'import other; print(3)'").trim(), "3");
    assert_eq!(git(&sb, p.root(), &["status", "--porcelain", "--ignored"]), " M requirements.txt\n");

    let st = status_json(&sb, p.root(), &[]);
    assert_eq!((st["env"].as_str(), &st["env_outside"]), (env.to_str(), &true.into()));
    let human = ok(&av(&sb, p.root(), &["status"]), "status");
    assert!(human.contains("outside the project"), "{human}");
    sh.cd(&sb.work());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);
    assert_eq!(sh.var_str("PATH"), path0, "PATH as before entering");
}

/// Two projects of the same folder name get two envs in the cache.
#[test]
fn cache_envs_are_per_project() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg"]) else { return };
    global_config(&sb, "env_store = \"cache\"\n");
    let a = sb.project("a/app").require("mypkg==1.0").create();
    let b = sb.project("b/app").require("mypkg==1.0").create();
    ok(&av(&sb, a.root(), &["allow"]), "allow a");
    ok(&av(&sb, b.root(), &["allow"]), "allow b");
    let (va, _) = export_json(&sb, a.root());
    let (vb, _) = export_json(&sb, b.root());
    assert_ne!(va["VIRTUAL_ENV"], vb["VIRTUAL_ENV"]);
    assert_eq!(fs::read_dir(sb.xdg_cache().join("autovenv/envs")).unwrap().count(), 2);
}

/// `env_dir = "~/envs/app"` in the project's config: the env is made there,
/// the project's `.gitignore` is left alone, and the project can still set
/// `env_store = "project"` over a global cache.
#[test]
fn env_dir_outside_the_project() {
    let Some(sb) = sandbox_with(&[Need::Git], Uv::Yes, &["mypkg"]) else { return };
    let p = sb.project("app").require("mypkg==1.0").file(".autovenv.toml", "env_dir = \"~/envs/app\"\n").git().create();
    ok(&av(&sb, p.root(), &["allow"]), "allow");
    let env = sb.home().join("envs/app");
    let (vars, err) = export_json(&sb, p.root());
    assert_eq!(vars["VIRTUAL_ENV"], env.to_str().unwrap(), "{err}");
    assert!(crate::common::cli::python_imports(&env.join("bin/python"), "mypkg"));
    assert!(!p.path(".gitignore").exists() && !p.env_dir().exists());

    global_config(&sb, "env_store = \"cache\"\n");
    let q = sb.project("local").require("mypkg==1.0").file(".autovenv.toml", "env_store = \"project\"\n").create();
    ok(&av(&sb, q.root(), &["allow"]), "allow");
    assert!(q.env_dir().join("pyvenv.cfg").is_file(), "the project's own setting wins");
}

per_shell!(worktree_activates_in_a_shell, env_in_the_cache);

//! The rest of the tutorial workflow: `deactivate` and `autovenv activate`
//! in real interactive shells, and `add`, `remove` and `freeze` keeping the
//! requirements file in step with the env (no reinstall at the prompts
//! after them).
//!
//! Conventions as in `enter_and_leave.rs`: the shell starts in
//! `<sandbox>/work`; wheels are built into the sandbox's find-links dir; a
//! project `app` is a git work tree whose requirements.txt asks for
//! `mypkg==1.0`. Installer starts are counted as in `sync_at_prompt.rs`:
//! the sandbox's `uv` is replaced by a script that logs its arguments.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::*;

/// What entering changes and `deactivate` must put back.
const RESTORED: &[&str] = &["PATH", "VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"];

fn setup(kind: Kind, rc_extra: &str) -> Option<(Sandbox, Shell, Project)> {
    let sb = sandbox_with(&[Need::Shell(kind), Need::Git], Uv::Yes, &["mypkg"])?;
    let p = sb.project("app").require("mypkg==1.0").git().create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let sh = Shell::start(kind, &sb, rc_extra, &sb.work());
    Some((sb, sh, p))
}

fn restorable(sh: &mut Shell) -> Vec<Option<Vec<u8>>> {
    if sh.kind() == Kind::Xonsh {
        // One line for five variables is longer than xonsh's line editor
        // echoes whole, which the harness needs to see.
        return RESTORED.iter().map(|name| sh.var(name)).collect();
    }
    sh.vars(RESTORED)
}

fn active(sh: &mut Shell, p: &Project) -> bool {
    let got = sh.vars(&["VIRTUAL_ENV", "PATH"]);
    let path = String::from_utf8_lossy(got[1].as_deref().unwrap_or_default()).into_owned();
    got[0].as_deref() == Some(p.env_str().as_bytes()) && path.starts_with(&format!("{}:", p.env_bin()))
}

fn status(sh: &mut Shell) -> String {
    String::from_utf8_lossy(&sh.capture("autovenv status")).into_owned()
}

/// `deactivate` in the project: exactly as leaving, for as many prompts as
/// the shell stays (a cd inside too); `status` says paused and how to
/// resume; `autovenv activate` resumes; leaving ends the pause, so entering
/// again activates.
fn deactivate_pauses_until_leaving(kind: Kind) {
    let Some((sb, mut sh, p)) = setup(kind, "") else { return };
    fs::create_dir(p.path("src")).unwrap();
    let before = restorable(&mut sh);
    sh.cd(p.root());
    assert!(active(&mut sh, &p), "entering activates");

    let out = sh.run("deactivate");
    assert!(!out.contains("not found") && !out.contains("Unknown command"), "deactivate exists:\n{out}");
    assert_eq!(restorable(&mut sh), before, "deactivate restores exactly as leaving would");
    for _ in 0..3 {
        sh.run("true");
    }
    sh.cd(&p.path("src"));
    assert_eq!(restorable(&mut sh), before, "still off after prompts and a cd inside the project");
    let st = status(&mut sh);
    assert!(st.contains("paused") && st.contains("autovenv activate"), "status says paused and how to resume:\n{st}");
    if kind == Kind::Tcsh {
        // The hook's `autovenv` alias leaves a redirection to the program.
        sh.run("autovenv status > st.txt");
        let st = fs::read_to_string(p.path("src/st.txt")).unwrap_or_default();
        assert!(st.contains("paused"), "redirected: {st:?}");
    }

    // `exec` asks for the env: the pause is this shell's, not the command's.
    let out = sh.run(
        r#"autovenv exec -- python -c "import os,sys; print('in', sys.prefix, os.environ.get('AUTOVENV_PAUSED'))""#,
    );
    assert!(out.contains(&format!("in {} None", p.env_str())), "exec runs in the env, unpaused:\n{out}");

    let out = sh.run("autovenv activate");
    assert!(active(&mut sh, &p), "`autovenv activate` resumes:\n{out}");
    let out = sh.run("autovenv activate");
    assert!(out.contains("nothing to do"), "activate when active says so:\n{out}");

    sh.run("deactivate");
    assert_eq!(restorable(&mut sh), before, "deactivate again");
    sh.cd(&sb.work());
    assert_eq!(restorable(&mut sh), before, "leaving while paused");
    assert_eq!(sh.var_names("AUTOVENV_"), Vec::<String>::new(), "leaving ends the pause");
    sh.cd(p.root());
    assert!(active(&mut sh, &p), "entering again activates");
    sh.cd(&sb.work());
    let out = sh.run("deactivate");
    assert!(!out.trim().is_empty(), "no deactivate is left outside the project (the shell says so):\n{out}");
}

/// A venv activated by hand inside the project: its own `deactivate` is
/// the one that runs, and autovenv takes over again after it, unpaused.
fn hand_activated_deactivate_is_not_shadowed(kind: Kind) {
    if kind == Kind::Elvish {
        return; // a venv has no activate script for elvish
    }
    let Some((sb, mut sh, p)) = setup(kind, "") else { return };
    let other = sb.root().join("other-venv");
    sb.make_venv(&other);
    sh.cd(p.root());
    assert!(active(&mut sh, &p));
    let activate = match kind {
        Kind::Fish => format!("source {}", sh.qp(&other.join("bin/activate.fish"))),
        // It defines an alias `deactivate`.
        Kind::Tcsh => format!("source {}", sh.qp(&other.join("bin/activate.csh"))),
        Kind::Nu => format!("overlay use {}", sh.qp(&other.join("bin/activate.nu"))),
        Kind::Xonsh => format!("source {}", sh.qp(&other.join("bin/activate.xsh"))),
        _ => format!(". {}", sh.qp(&other.join("bin/activate"))),
    };
    sh.run(&activate);
    assert_eq!(sh.var_str("VIRTUAL_ENV").as_deref(), other.to_str(), "the hand-activated venv is active");
    sh.run("true");
    // nushell: hiding the venv's overlay also takes back the harness's
    // prompt counter, kept in `$env` like everything else (and the line's
    // own variables); carry it over through a file.
    let n = sb.root().join("avt_n");
    let out = sh.run(&match kind {
        Kind::Nu => format!("$env.__avt_n | save -f {0}; deactivate; $env.__avt_n = (open {0} | into int)", sh.qp(&n)),
        _ => "deactivate".into(),
    });
    assert_eq!(sh.var("AUTOVENV_PAUSED"), None, "the venv's own deactivate ran, not autovenv's:\n{out}");
    sh.run("true");
    assert!(active(&mut sh, &p), "autovenv activates again after the venv's deactivate");
}

/// A `deactivate` function of the person's own (defined in the rc) stays.
/// Not in elvish, whose hook cannot see the functions of the interactive
/// namespace (docs/internals.md).
fn own_deactivate_function_is_kept(kind: Kind) {
    let own = match kind {
        Kind::Fish => "function deactivate; echo mine-ran; end",
        Kind::Tcsh => "alias deactivate 'echo mine-ran'",
        Kind::Elvish => return,
        Kind::Xonsh => "aliases['deactivate'] = lambda: print('mine-ran')",
        _ => "deactivate() { echo mine-ran; }",
    };
    let Some((_sb, mut sh, p)) = setup(kind, own) else { return };
    sh.cd(p.root());
    let out = sh.run("deactivate");
    assert!(out.contains("mine-ran"), "the person's deactivate runs:\n{out}");
    assert!(active(&mut sh, &p), "and autovenv's env stays active");
}

/// Without the hook: `autovenv activate SHELL` evaluated once activates,
/// and the `deactivate` it defines restores the shell.
fn one_shot_activate_without_hook(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind), Need::Git], Uv::Yes, &["mypkg"]) else { return };
    let p = sb.project("app").require("mypkg==1.0").git().create();
    let mut sh = Shell::start_with(kind, &sb, Hook::No, "", &sb.work());
    sh.cd(p.root());
    let before = restorable(&mut sh);
    let out = sh.run(&eval_activate(kind));
    assert!(out.contains("not allowed"), "an unallowed project is refused:\n{out}");
    assert!(!p.env_dir().exists(), "nothing is made in an unallowed project");
    assert_eq!(restorable(&mut sh), before);
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    sh.run(&eval_activate(kind));
    assert!(active(&mut sh, &p), "the one-shot activates");
    let out = sh.run(&eval_activate(kind));
    assert!(out.contains("nothing to do"), "{out}");
    let out = sh.run("python -c 'import mypkg; print(mypkg.VERSION)'");
    assert_eq!(out.trim(), "1.0", "the env was synced");
    if kind == Kind::Elvish {
        return; // only the hook defines `deactivate` in elvish (docs/internals.md)
    }
    sh.run("deactivate");
    assert_eq!(restorable(&mut sh), before, "its deactivate restores the shell");
}

fn eval_activate(kind: Kind) -> String {
    match kind {
        Kind::Fish => "autovenv activate fish | source".into(),
        Kind::Elvish => "eval (autovenv activate elvish | slurp)".into(),
        Kind::Tcsh => "autovenv activate tcsh | source /dev/stdin".into(),
        Kind::Xonsh => "execx($(autovenv activate xonsh))".into(),
        _ => format!("eval \"$(autovenv activate {})\"", kind.name()),
    }
}

// ------------------------------------------------ add, remove, freeze

/// Replace the sandbox's `uv` link with a script that logs each call's
/// arguments, then runs the real uv. A call made under a prompt's `export`
/// (which the hook gives `AUTOVENV_STAMP`) starts with `prompt`, so the
/// installs of a command typed at the prompt and of the hook that runs
/// right after it are told apart.
fn uv_logger(sb: &Sandbox) -> PathBuf {
    let link = sb.bin().join("uv");
    let real = fs::canonicalize(&link).unwrap();
    let log = sb.root().join("uv-calls.log");
    fs::remove_file(&link).unwrap();
    let script = format!(
        "#!/bin/sh\nby=command\n[ -n \"${{AUTOVENV_STAMP-}}\" ] && by=prompt\n\
         printf '%s %s\\n' \"$by\" \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
        log.display(),
        real.display()
    );
    fs::write(&link, script).unwrap();
    fs::set_permissions(&link, fs::Permissions::from_mode(0o755)).unwrap();
    log
}

/// Installer starts logged by `uv_logger`: under a prompt's hook, or by a command.
fn installs(log: &Path, by: &str) -> usize {
    let want = format!("{by} pip install");
    fs::read_to_string(log).unwrap_or_default().lines().filter(|l| l.starts_with(&want)).count()
}

fn imports(sh: &mut Shell, module: &str) -> bool {
    // elvish stops at a failing command, and shows the line in its error:
    // the word printed is not the one typed.
    let line = match sh.kind() {
        Kind::Elvish => format!("python -c 'import {module}'; echo imported-(put ok)"),
        _ => format!("python -c 'import {module}' && echo imported-ok"),
    };
    sh.run(&line).contains("imported-ok")
}

/// The prompts after a command (the one right after it included), three
/// more and a cd out and back: no installer started by a prompt since
/// before the command (`base` prompt installs), and status says the env is
/// in step with the files.
fn quiet_prompts(sb: &Sandbox, sh: &mut Shell, p: &Project, log: &Path, base: usize, after: &str) {
    for _ in 0..3 {
        sh.run("true");
    }
    sh.cd(&sb.work());
    sh.cd(p.root());
    let calls = fs::read_to_string(log).unwrap_or_default();
    assert_eq!(installs(log, "prompt"), base, "{after}: no installer at the prompts after it:\n{calls}");
    let st = sb.run_ok(sb.autovenv().args(["status", "--json"]).current_dir(p.root()));
    assert!(st.contains("\"sync\": \"ok\""), "{after}: status says synced:\n{st}");
}

/// `add` installs and writes the line (comments, options and includes
/// kept), `add --pin` writes the version installed, `remove` takes the line
/// out and uninstalls; none of them leaves an install for the next prompt.
fn add_and_remove_round_trip(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind), Need::Git], Uv::Yes, &["mypkg", "other"]) else { return };
    sb.wheel("pinme", "2.5", &[]);
    let p = sb
        .project("app")
        .require("# what the app needs")
        .require("-r extra.txt")
        .require("mypkg==1.0  # the core")
        .file("extra.txt", "# nothing yet\n")
        .git()
        .create();
    let log = uv_logger(&sb);
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    assert!(active(&mut sh, &p));
    let before = p.read("requirements.txt").unwrap();

    let n = installs(&log, "command");
    assert!(n > 0, "the logger sees allow's install");
    let base = installs(&log, "prompt");
    let out = sh.run("autovenv add other");
    assert_eq!(installs(&log, "command"), n + 1, "add installs once, itself");
    assert!(out.contains("added other to requirements.txt"), "{out}");
    assert_eq!(p.read("requirements.txt").unwrap(), format!("{before}other\n"), "one line added, the rest kept");
    assert!(imports(&mut sh, "other"), "installed in the env");
    quiet_prompts(&sb, &mut sh, &p, &log, base, "add");

    let base = installs(&log, "prompt");
    let out = sh.run("autovenv add --pin pinme");
    assert!(out.contains("added pinme"), "{out}");
    assert_eq!(p.read("requirements.txt").unwrap(), format!("{before}other\npinme==2.5\n"), "pinned as installed");
    quiet_prompts(&sb, &mut sh, &p, &log, base, "add --pin");

    let base = installs(&log, "prompt");
    let out = sh.run("autovenv remove other");
    assert!(out.contains("removed other from requirements.txt"), "{out}");
    assert_eq!(p.read("requirements.txt").unwrap(), format!("{before}pinme==2.5\n"));
    assert!(!imports(&mut sh, "other"), "uninstalled from the env");
    quiet_prompts(&sb, &mut sh, &p, &log, base, "remove");

    let base = installs(&log, "prompt");
    let out = sh.run("autovenv remove nothere");
    assert!(out.contains("error:") && out.contains("nothere is not listed"), "{out}");
    let out = sh.run("autovenv add nosuchpkg");
    assert!(out.contains("error:") && out.contains("as it was"), "a failed install says so:\n{out}");
    assert_eq!(p.read("requirements.txt").unwrap(), format!("{before}pinme==2.5\n"), "the file is as it was");
    quiet_prompts(&sb, &mut sh, &p, &log, base, "a failed add");
}

/// `pip install` by hand, then `autovenv freeze`: the file lists the env
/// (without pip itself), its options kept, and the next prompts install
/// nothing. A file with comments or includes is only overwritten with
/// `--force`.
fn freeze_round_trip(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind), Need::Git], Uv::Yes, &["mypkg", "other"]) else { return };
    let p = sb.project("app").require("mypkg==1.0").git().create();
    let log = uv_logger(&sb);
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    sh.run("python -m pip install --quiet other");
    assert!(imports(&mut sh, "other"));

    let base = installs(&log, "prompt");
    let out = sh.run("autovenv freeze");
    assert!(out.contains("wrote 2 packages"), "{out}");
    let header = format!("--no-index\n--find-links {}\n", sb.wheels().display());
    assert_eq!(p.read("requirements.txt").unwrap(), format!("{header}mypkg==1.0\nother==1.0\n"));
    quiet_prompts(&sb, &mut sh, &p, &log, base, "freeze");

    let commented = format!("{header}# keep me\nmypkg==1.0\n");
    fs::write(p.path("requirements.txt"), &commented).unwrap();
    sh.run("true");
    let base = installs(&log, "prompt");
    let out = sh.run("autovenv freeze");
    assert!(out.contains("error:") && out.contains("comments") && out.contains("--force"), "refused:\n{out}");
    assert_eq!(p.read("requirements.txt").unwrap(), commented, "nothing written");
    sh.run("autovenv freeze --force");
    assert_eq!(p.read("requirements.txt").unwrap(), format!("{header}mypkg==1.0\nother==1.0\n"));
    quiet_prompts(&sb, &mut sh, &p, &log, base, "freeze --force");

    let out = sh.run("autovenv freeze lock.txt");
    assert!(out.contains("wrote 2 packages") && out.contains("not from this file"), "{out}");
    assert_eq!(p.read("lock.txt").unwrap(), "mypkg==1.0\nother==1.0\n");
}

/// `add`, `remove` and `freeze` without uv: the env's own pip installs,
/// uninstalls and lists, and the file is edited as with uv.
#[test]
fn add_remove_freeze_with_pip() {
    let Some(sb) = sandbox_with(&[], Uv::No, &["mypkg", "other"]) else { return };
    let p = sb.project("app").require("mypkg==1.0").create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let before = p.read("requirements.txt").unwrap();
    let run = |args: &[&str]| {
        let out = sb.autovenv().args(args).current_dir(p.root()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{args:?}:\n{err}");
        err
    };
    let err = run(&["add", "other"]);
    assert!(err.contains("added other to requirements.txt"), "{err}");
    assert_eq!(p.read("requirements.txt").unwrap(), format!("{before}other\n"));
    assert!(crate::sync_at_prompt::installed(&p.env_dir(), "other"), "installed by pip:\n{err}");
    let err = run(&["remove", "other"]);
    assert!(err.contains("removed other from requirements.txt"), "{err}");
    assert_eq!(p.read("requirements.txt").unwrap(), before);
    assert!(!crate::sync_at_prompt::installed(&p.env_dir(), "other"), "uninstalled by pip:\n{err}");
    let err = run(&["freeze", "--force"]);
    assert!(err.contains("wrote 1 package"), "pip, setuptools and wheel are not listed:\n{err}");
    assert!(p.read("requirements.txt").unwrap().ends_with("\nmypkg==1.0\n"), "{err}");
    // The file and the env agree: the next sync installs nothing.
    let out = sb.autovenv().arg("sync").arg(p.root()).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("synced"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Projects whose dependencies another tool keeps: the command to use, and
/// nothing changed.
#[test]
fn add_names_the_tool_of_other_sources() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &[]) else { return };
    for (file, content, tool) in [
        ("uv.lock", "version = 1\n", "uv add"),
        ("poetry.lock", "", "poetry add"),
        ("Pipfile.lock", "{\"_meta\": {}, \"default\": {}, \"develop\": {}}\n", "pipenv install"),
        ("pyproject.toml", "[project]\nname = \"x\"\ndependencies = []\n", "uv add"),
    ] {
        let p = sb.project(&format!("p-{}", file.replace('.', "-"))).no_requirements().file(file, content).create();
        if file != "pyproject.toml" {
            fs::write(p.path("pyproject.toml"), "[project]\nname = \"x\"\n").unwrap();
        }
        // Whether its env can be made here does not matter.
        let _ = sb.autovenv().arg("allow").arg(p.root()).output().unwrap();
        let out = sb.autovenv().args(["add", "requests"]).current_dir(p.root()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{file}: refused");
        assert!(err.contains(&format!("`{tool} requests`")), "{file}: names the tool:\n{err}");
        assert!(!p.path("requirements.txt").exists(), "{file}: no requirements.txt written");
        assert_eq!(fs::read_to_string(p.path(file)).unwrap(), content, "{file}: untouched");
    }
}

per_shell!(
    deactivate_pauses_until_leaving,
    hand_activated_deactivate_is_not_shadowed,
    own_deactivate_function_is_kept,
    one_shot_activate_without_hook,
    add_and_remove_round_trip,
    freeze_round_trip,
);

// nushell and xonsh. nushell's `deactivate` is in its hook (it cannot
// define one at run time), so a `def deactivate` of the person's in
// config.nu is shadowed, and without the hook there is nothing to eval a
// one-shot `activate`: those two are bash's, zsh's, fish's and xonsh's.
mod nu {
    use crate::common::Kind;
    #[test]
    fn deactivate_pauses_until_leaving() {
        super::deactivate_pauses_until_leaving(Kind::Nu);
    }
    #[test]
    fn hand_activated_deactivate_is_not_shadowed() {
        super::hand_activated_deactivate_is_not_shadowed(Kind::Nu);
    }
}

mod xonsh {
    use crate::common::Kind;
    #[test]
    fn deactivate_pauses_until_leaving() {
        super::deactivate_pauses_until_leaving(Kind::Xonsh);
    }
    #[test]
    fn hand_activated_deactivate_is_not_shadowed() {
        super::hand_activated_deactivate_is_not_shadowed(Kind::Xonsh);
    }
    #[test]
    fn own_deactivate_function_is_kept() {
        super::own_deactivate_function_is_kept(Kind::Xonsh);
    }
    #[test]
    fn one_shot_activate_without_hook() {
        super::one_shot_activate_without_hook(Kind::Xonsh);
    }
}

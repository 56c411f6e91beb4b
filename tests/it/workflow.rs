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
    let Some((sb, mut sh, p)) = setup(kind, "") else { return };
    let other = sb.root().join("other-venv");
    sb.make_venv(&other);
    sh.cd(p.root());
    assert!(active(&mut sh, &p));
    let activate = match kind {
        Kind::Fish => format!("source {}", sh.qp(&other.join("bin/activate.fish"))),
        _ => format!(". {}", sh.qp(&other.join("bin/activate"))),
    };
    sh.run(&activate);
    assert_eq!(sh.var_str("VIRTUAL_ENV").as_deref(), other.to_str(), "the hand-activated venv is active");
    sh.run("true");
    let out = sh.run("deactivate");
    assert_eq!(sh.var("AUTOVENV_PAUSED"), None, "the venv's own deactivate ran, not autovenv's:\n{out}");
    sh.run("true");
    assert!(active(&mut sh, &p), "autovenv activates again after the venv's deactivate");
}

/// A `deactivate` function of the person's own (defined in the rc) stays.
fn own_deactivate_function_is_kept(kind: Kind) {
    let own = match kind {
        Kind::Fish => "function deactivate; echo mine-ran; end",
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
    sh.run("deactivate");
    assert_eq!(restorable(&mut sh), before, "its deactivate restores the shell");
}

fn eval_activate(kind: Kind) -> String {
    match kind {
        Kind::Fish => "autovenv activate fish | source".into(),
        _ => format!("eval \"$(autovenv activate {})\"", kind.name()),
    }
}

per_shell!(
    deactivate_pauses_until_leaving,
    hand_activated_deactivate_is_not_shadowed,
    own_deactivate_function_is_kept,
    one_shot_activate_without_hook,
);

//! The hot path: what the hook's idle rule must still notice at
//! the NEXT prompt, without a `cd`, in bash, zsh and fish; and that an idle
//! prompt starts no process at all in bash and zsh (counted with strace).
//!
//! Edits are made by the test process right after a prompt has appeared,
//! with no sleep: that is the moment a coarse file clock can hide them
//! (an mtime equal to the hook's stamp is "not newer").

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::common::*;

fn setup(kind: Kind) -> Option<(Sandbox, Shell)> {
    if should_skip(&[Need::Shell(kind), Need::Uv, Need::Git]) {
        return None;
    }
    let sb = Sandbox::new(Uv::Yes);
    sb.wheel("mypkg", "1.0", &[]);
    sb.wheel("other", "1.0", &[]);
    let sh = Shell::start(kind, &sb, "", &sb.work());
    Some((sb, sh))
}

/// `--no-index --find-links <wheels>` plus `lines`, as requirements text.
fn reqs(sb: &Sandbox, lines: &[&str]) -> String {
    let mut t = format!("--no-index\n--find-links {}\n", sb.wheels().display());
    for l in lines {
        t.push_str(l);
        t.push('\n');
    }
    t
}

/// Wait until the hook is idle: nothing it watches changed within the
/// stamp's margin (src/stamp.rs dates the stamp a few ms back, so right
/// after a change a prompt runs the binary anyway), and check that a
/// prompt now leaves the stamp alone, i.e. did not run the binary. Only
/// then does an edit test the watch list rather than that margin.
fn settle(sh: &mut Shell) {
    // tcsh compares mtimes in whole seconds.
    let margin = if sh.kind() == Kind::Tcsh { 1100 } else { 100 };
    std::thread::sleep(Duration::from_millis(margin));
    sh.run("true");
    let stamp = sh.hook_stamp();
    let mtime = || fs::metadata(&stamp).unwrap().modified().unwrap();
    let before = mtime();
    sh.run("true");
    assert_eq!(mtime(), before, "an idle prompt does not run the binary (the stamp is untouched)");
}

fn imports(sh: &mut Shell, module: &str) -> bool {
    // tcsh cannot redirect stderr alone: its traceback shows on the terminal.
    let quiet = if sh.kind() == Kind::Tcsh { "" } else { " 2>/dev/null" };
    let code = format!("python -c 'import {module}; print(\"imported\")'{quiet}");
    // elvish: a failing command is an exception, which would end the line.
    let code = if sh.kind() == Kind::Elvish { format!("try {{ {code} }} catch {{ }}") } else { code };
    let out = sh.capture(&code);
    out == b"imported\n"
}

/// One project, active, then a series of edits each of which must be
/// picked up at the very next prompt: requirements.txt, a file it includes
/// with `-r`, `.autovenv.toml` created and edited, the env deleted, and a
/// failed install fixed by `autovenv sync` in this shell.
fn edits_are_picked_up_at_the_next_prompt(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind) else { return };
    let proj = sb.project("app").require("-r more.txt").file("more.txt", "").git().create();
    sb.run_ok(sb.autovenv().arg("allow").arg(proj.root()));
    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    assert!(!imports(&mut sh, "mypkg"));

    // requirements.txt edited in place.
    settle(&mut sh);
    fs::write(proj.path("requirements.txt"), reqs(&sb, &["-r more.txt", "mypkg==1.0"])).unwrap();
    let out = sh.run("true");
    assert!(imports(&mut sh, "mypkg"), "an edit of requirements.txt is installed at the next prompt:\n{out}");

    // A file pulled in by `-r`.
    settle(&mut sh);
    fs::write(proj.path("more.txt"), "other==1.0\n").unwrap();
    let out = sh.run("true");
    assert!(imports(&mut sh, "other"), "an edit of a -r include is installed at the next prompt:\n{out}");

    // .autovenv.toml created, then edited in place.
    settle(&mut sh);
    fs::write(proj.path(".autovenv.toml"), "prompt = \"x\"\n").unwrap();
    sh.run("true");
    assert_eq!(sh.var_str("VIRTUAL_ENV_PROMPT").as_deref(), Some("x"), "a new .autovenv.toml is read");
    settle(&mut sh);
    fs::write(proj.path(".autovenv.toml"), "prompt = \"y\"\n").unwrap();
    sh.run("true");
    assert_eq!(sh.var_str("VIRTUAL_ENV_PROMPT").as_deref(), Some("y"), "an edited .autovenv.toml is read");

    // A config broken while active: one error, the env is deactivated (a
    // broken config never leaves an env active), and fixing it reactivates.
    let path_inside = sh.var_str("PATH").unwrap();
    settle(&mut sh);
    fs::write(proj.path(".autovenv.toml"), "prompt = 1\n").unwrap();
    let out = sh.run("true");
    assert!(out.contains("autovenv: error: 'prompt' in"), "the broken config is reported:\n{out}");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None, "a broken config deactivates:\n{out}");
    assert!(!sh.var_str("PATH").unwrap().contains(&proj.env_bin()), "the env's bin is off PATH");
    settle(&mut sh);
    fs::write(proj.path(".autovenv.toml"), "prompt = \"y\"\n").unwrap();
    sh.run("true");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()), "fixed: active again");
    assert_eq!(sh.var_str("PATH"), Some(path_inside));

    // The env deleted: an allowed project's env is rebuilt and
    // stays active; PATH never points at a folder that is gone.
    let path_inside = sh.var_str("PATH").unwrap();
    settle(&mut sh);
    let out = sh.run("rm -rf env");
    assert!(proj.env_dir().join("pyvenv.cfg").is_file(), "the deleted env is rebuilt at the next prompt:\n{out}");
    let got = sh.vars(&["VIRTUAL_ENV", "PATH"]);
    assert_eq!(got[0].as_deref(), Some(proj.env_str().as_bytes()));
    assert_eq!(got[1].as_deref(), Some(path_inside.as_bytes()), "PATH is as before, the env's bin once");
    assert!(imports(&mut sh, "mypkg") && imports(&mut sh, "other"), "and re-synced:\n{out}");

    // A requirement that cannot be installed fails once; once the wheel
    // exists, `autovenv sync` in this shell installs it, and the prompt
    // after it says nothing more about the failure.
    settle(&mut sh);
    fs::write(proj.path("more.txt"), "other==1.0\nlater==1.0\n").unwrap();
    let out = sh.run("true");
    assert!(out.contains("error"), "the failed install is reported:\n{out}");
    assert_eq!(sh.run("true"), "", "and not again at the next prompt");
    sb.wheel("later", "1.0", &[]);
    settle(&mut sh);
    let out = sh.run("autovenv sync");
    assert!(!out.contains("error"), "{out}");
    assert!(imports(&mut sh, "later"), "`autovenv sync` in this shell installed it:\n{out}");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    assert_eq!(sh.run("true"), "", "a quiet prompt after the sync");
}

/// Trust and markers: `autovenv allow`/`deny` typed here, and a marker
/// file appearing in the current folder (a hint, or activation under
/// `trust.prefixes`).
fn trust_and_markers_are_picked_up_at_the_next_prompt(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    sh.cd(proj.root());
    settle(&mut sh);
    sh.run("autovenv allow");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()), "`autovenv allow` activates at its prompt");
    settle(&mut sh);
    sh.run("autovenv deny");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None, "`autovenv deny` deactivates at its prompt");
    sh.run(&format!("autovenv allow {}", sh.qp(proj.root())));
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()), "allowed again");

    // A folder that is not a project becomes one.
    let plain = sb.work().join("plain");
    fs::create_dir(&plain).unwrap();
    sh.cd(&plain);
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);
    settle(&mut sh);
    fs::write(plain.join("requirements.txt"), reqs(&sb, &[])).unwrap();
    let out = sh.run("true");
    assert!(out.contains("is not allowed"), "a requirements.txt appearing here gives the hint:\n{out}");

    // Under trust.prefixes it activates instead. The global config exists
    // before the shell enters the folder (a new global config is only seen
    // at the next cd, docs/internals.md, "The hot path").
    let trusted = sb.work().join("trusted");
    fs::create_dir_all(trusted.join("lib")).unwrap();
    let cfg = sb.xdg_config().join("autovenv");
    fs::create_dir_all(&cfg).unwrap();
    fs::write(cfg.join("config.toml"), format!("[trust]\nprefixes = [\"{}\"]\n", trusted.display())).unwrap();
    sh.cd(&trusted.join("lib"));
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);
    settle(&mut sh);
    fs::write(trusted.join("lib/requirements.txt"), reqs(&sb, &["mypkg==1.0"])).unwrap();
    let out = sh.run("true");
    let env = trusted.join("lib/env");
    assert_eq!(sh.var_str("VIRTUAL_ENV").as_deref(), env.to_str(), "a marker under trust.prefixes activates:\n{out}");
    assert!(imports(&mut sh, "mypkg"));
}

/// A missing include is watched where the hooks test paths inline: the
/// prompts stay idle while it is missing (zsh's `-nt` calls a missing path
/// "not older", which would run the binary at every prompt), and its
/// appearing is installed at the next prompt.
fn a_missing_include_is_idle_until_it_appears(kind: Kind) {
    if kind == Kind::Elvish {
        return; // the hook's watch slots are its own there: not readable from the prompt
    }
    let Some((sb, mut sh)) = setup(kind) else { return };
    let proj = sb.project("app").git().create();
    sb.run_ok(sb.autovenv().arg("allow").arg(proj.root()));
    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    settle(&mut sh);
    fs::write(proj.path("requirements.txt"), reqs(&sb, &["-r later/more.txt"])).unwrap();
    let out = sh.run("true");
    assert!(out.contains("included file"), "the missing include is reported:\n{out}");
    let missing = proj.path("later/more.txt").to_str().unwrap().to_string();
    let inline: Vec<String> = (1..=4).filter_map(|i| sh.var_str(&format!("__autovenv_watch{i}"))).collect();
    assert!(inline.contains(&missing), "the missing include is watched inline: {inline:?}");
    settle(&mut sh);
    fs::create_dir(proj.path("later")).unwrap();
    fs::write(proj.path("later/more.txt"), "mypkg==1.0\n").unwrap();
    let out = sh.run("true");
    assert!(imports(&mut sh, "mypkg"), "the include appearing is installed at the next prompt:\n{out}");
}

/// The hooks test the first eight watched paths inline, in two groups of
/// four, and loop over the rest.
const SLOTS: usize = 8;

/// An allowed project that watches ten paths: the root, `.autovenv.toml`,
/// `pyproject.toml`, `requirements.txt` and the includes `i1.txt`…`i6.txt`
/// (all empty), in that order.
fn busy_project(sb: &Sandbox) -> Project {
    let mut b = sb
        .project("busy")
        .file(".autovenv.toml", "prompt = \"busy\"\n")
        .file("pyproject.toml", "[project]\nname = \"busy\"\n");
    for i in 1..=6 {
        b = b.require(&format!("-r i{i}.txt")).file(&format!("i{i}.txt"), "");
    }
    let proj = b.git().create();
    sb.run_ok(sb.autovenv().arg("allow").arg(proj.root()));
    proj
}

/// The watched paths the hook holds: the inline slots, then the rest.
fn watched(sh: &mut Shell) -> (Vec<String>, Option<String>) {
    let slots = (1..=SLOTS).map(|i| sh.var_str(&format!("__autovenv_watch{i}")).unwrap_or_default()).collect();
    (slots, sh.var_str("__autovenv_watch_rest").filter(|r| !r.is_empty()))
}

/// Each group of watched paths is tested: an edit of a path in the second
/// group of four or in the rest, or a missing include (past the slots)
/// appearing, is picked up at the next prompt, and the prompts stay idle
/// while the include is missing (zsh's `-nt` needs telling).
fn every_watched_path_is_tested(kind: Kind) {
    // elvish: the slots are the hook's own; tcsh: a project watching more
    // than eight paths runs the binary at every prompt (docs/internals.md).
    if matches!(kind, Kind::Elvish | Kind::Tcsh) {
        return;
    }
    let Some((sb, mut sh)) = setup(kind) else { return };
    let proj = busy_project(&sb);
    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    let (slots, rest) = watched(&mut sh);
    let path = |f: &str| proj.path(f).to_str().unwrap().to_string();
    assert_eq!(slots[5], path("i2.txt"), "i2.txt is in the second group: {slots:?}");
    assert!(rest.is_some() && !slots.contains(&path("i6.txt")), "i6.txt is past the slots: {slots:?}");

    settle(&mut sh);
    fs::write(proj.path("i2.txt"), "mypkg==1.0\n").unwrap();
    let out = sh.run("true");
    assert!(imports(&mut sh, "mypkg"), "an edit in the second group is installed at the next prompt:\n{out}");

    settle(&mut sh);
    fs::write(proj.path("i6.txt"), "other==1.0\n").unwrap();
    let out = sh.run("true");
    assert!(imports(&mut sh, "other"), "an edit past the slots is installed at the next prompt:\n{out}");

    settle(&mut sh);
    sb.wheel("later", "1.0", &[]);
    let mut lines: Vec<String> = (1..=6).map(|i| format!("-r i{i}.txt")).collect();
    lines.push("-r later/more.txt".to_string());
    fs::write(proj.path("requirements.txt"), reqs(&sb, &lines.iter().map(String::as_str).collect::<Vec<_>>())).unwrap();
    let out = sh.run("true");
    assert!(out.contains("included file"), "the missing include is reported:\n{out}");
    // settle() checks that the prompts are idle while it is missing.
    settle(&mut sh);
    fs::create_dir(proj.path("later")).unwrap();
    fs::write(proj.path("later/more.txt"), "later==1.0\n").unwrap();
    let out = sh.run("true");
    assert!(imports(&mut sh, "later"), "the missing include appearing is installed at the next prompt:\n{out}");
}

per_shell!(
    edits_are_picked_up_at_the_next_prompt,
    trust_and_markers_are_picked_up_at_the_next_prompt,
    a_missing_include_is_idle_until_it_appears,
    every_watched_path_is_tested
);

/// A configured requirements file that does not exist yet, in a folder
/// that does: creating it is picked up at the next prompt.
#[test]
fn bash_a_listed_requirements_file_appearing_is_picked_up() {
    let Some((sb, mut sh)) = setup(Kind::Bash) else { return };
    let proj = sb
        .project("app")
        .no_requirements()
        .file(".autovenv.toml", "requirements = [\"reqs/dev.txt\"]\n")
        .file("reqs/README", "")
        .git()
        .create();
    sb.run_ok(sb.autovenv().arg("allow").arg(proj.root()));
    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    settle(&mut sh);
    fs::write(proj.path("reqs/dev.txt"), reqs(&sb, &["mypkg==1.0"])).unwrap();
    let out = sh.run("true");
    assert!(imports(&mut sh, "mypkg"), "reqs/dev.txt appearing is installed at the next prompt:\n{out}");
}

/// The options users set that break careless shell code, set before the
/// hook is loaded (the rc sources it again after them) and in force at
/// every prompt. zsh's idle test runs before the hook's `emulate -L zsh`,
/// so it must not depend on any of them.
fn strict_options(kind: Kind) -> &'static str {
    match kind {
        Kind::Bash => "set -u -o pipefail; shopt -s failglob nullglob extglob",
        Kind::Zsh => {
            "setopt KSH_ARRAYS SH_WORD_SPLIT NO_UNSET GLOB_SUBST WARN_CREATE_GLOBAL WARN_NESTED_VAR \
             EXTENDED_GLOB RC_QUOTES NULL_GLOB"
        }
        Kind::Fish | Kind::Nu | Kind::Xonsh | Kind::Elvish | Kind::Tcsh => unreachable!("{kind:?} has no such options"),
    }
}

fn the_hook_works_under_strict_user_options(kind: Kind) {
    if should_skip(&[Need::Shell(kind), Need::Uv, Need::Git]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    sb.wheel("mypkg", "1.0", &[]);
    let rc = format!("{}\n{}", strict_options(kind), kind.hook_line(autovenv_bin()));
    let mut sh = Shell::start(kind, &sb, &rc, &sb.work());
    // Ten watched paths, so every group of the idle test runs under them.
    let proj = busy_project(&sb);
    let path_before = sh.var_str("PATH").unwrap();
    // The installer's own output may show; the shell's complaints may not.
    let shell_says = [
        "bash:",
        "zsh:",
        "__autovenv",
        "unbound variable",
        "parameter not set",
        "no match",
        "bad substitution",
        "not found",
    ];
    let quiet = |out: &str, when: &str| {
        let noise: Vec<&str> = out.lines().filter(|l| shell_says.iter().any(|w| l.contains(w))).collect();
        assert!(noise.is_empty(), "{when}: the shell complained:\n{out}");
    };
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sh.run("true"), "", "an idle prompt outside any project prints nothing");
    let out = sh.run(&format!("cd {}", sh.qp(proj.root())));
    quiet(&out, "entering");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()), "entering activates:\n{out}");
    settle(&mut sh);
    assert_eq!(sh.run("true"), "", "an idle prompt prints nothing");
    fs::write(proj.path("i6.txt"), "mypkg==1.0\n").unwrap();
    let out = sh.run("true");
    quiet(&out, "the prompt after an edit");
    assert!(imports(&mut sh, "mypkg"), "the edit is installed:\n{out}");
    let out = sh.run(&format!("cd {}", sh.qp(&sb.work())));
    quiet(&out, "leaving");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);
    assert_eq!(sh.var_str("PATH"), Some(path_before), "leaving restores PATH");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(sh.run("true"), "", "an idle prompt after leaving prints nothing");
}

#[test]
fn bash_the_hook_works_under_strict_user_options() {
    the_hook_works_under_strict_user_options(Kind::Bash);
}

#[test]
fn zsh_the_hook_works_under_strict_user_options() {
    the_hook_works_under_strict_user_options(Kind::Zsh);
}

// ------------------------------------------------------ process counting

/// Run an interactive `kind` shell under `strace -f`, make it sit through
/// `idle` prompts inside an active project, and return how many process
/// starts (fork/clone/exec) the idle prompts cost. `rc_extra` lets the
/// control case force the hook to run the binary.
fn idle_process_starts(kind: Kind, rc_extra: &str, idle: usize) -> Option<usize> {
    let strace = Path::new("/usr/bin/strace");
    if should_skip(&[Need::Shell(kind), Need::Uv, Need::Git]) {
        return None;
    }
    if !strace.exists() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "strace not found; CI must install it");
        eprintln!("SKIPPED: strace not found");
        return None;
    }
    let sb = Sandbox::new(Uv::Yes);
    sb.wheel("mypkg", "1.0", &[]);
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    sb.run_ok(sb.autovenv().arg("allow").arg(proj.root()));

    // The shell is strace's child: wrap it in a one-line script used as
    // the shell's path. The rc, prompt and hook are the harness's.
    let trace = sb.root().join("trace");
    let real = kind.path().unwrap();
    let wrapper = sb.root().join(format!("traced-{}", kind.name()));
    fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nexec {} -f -qq -e trace=execve,fork,vfork,clone,clone3 -o {} {} \"$@\"\n",
            strace.display(),
            trace.display(),
            real.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut sh = Shell::start_via(kind, &sb, Hook::Yes, rc_extra, proj.root(), &wrapper);
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()), "the project is active");
    // Let the clock move past everything the first runs wrote.
    std::thread::sleep(Duration::from_millis(100));
    sh.run("true");
    sh.run("true");

    // Marks in the trace: an exec of `/bin/true` with a unique argument.
    // Between the two marks, the only process starts allowed are the fork
    // and exec of the second mark itself.
    sh.run("/bin/true avt-mark-start");
    let nothing = match kind {
        Kind::Nu => "null",
        Kind::Xonsh => "pass",
        _ => ":",
    };
    for _ in 0..idle {
        sh.run(nothing);
    }
    sh.run("/bin/true avt-mark-end");
    sh.exit(); // strace writes everything out when the shell is gone
    let text = fs::read_to_string(&trace).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let pos = |m: &str| lines.iter().position(|l| l.contains("execve(") && l.contains(m)).expect(m);
    let (a, b) = (pos("avt-mark-start"), pos("avt-mark-end"));
    let starts: Vec<&str> = lines[a + 1..=b]
        .iter()
        .copied()
        .filter(|l| {
            // A call split by another process's line shows again as
            // "<... clone resumed>"; count it once.
            // A thread (nushell's `ls` starts one) is not a process.
            ["execve(", "clone(", "clone3(", "fork(", "vfork("].iter().any(|c| l.contains(c))
                && !l.contains("resumed>")
                && !l.contains("CLONE_THREAD")
        })
        .collect();
    // The second mark's own fork and exec.
    let extra = starts.len().saturating_sub(2);
    if extra > 0 {
        eprintln!("process starts between the marks:\n{}", starts.join("\n"));
    }
    Some(extra)
}

fn idle_prompts_start_no_process(kind: Kind) {
    let Some(n) = idle_process_starts(kind, "", 20) else { return };
    assert_eq!(n, 0, "{}: 20 idle prompts started {n} processes", kind.name());
    // The control: a hook that always runs the binary (as if the idle rule
    // never matched) shows in the same count, so the test can fail.
    let force = match kind {
        Kind::Bash => "__autovenv_stamp_force() { __autovenv_stamp=/nonexistent; }; PROMPT_COMMAND=\"__autovenv_stamp_force;$PROMPT_COMMAND\"",
        Kind::Nu => "$env.config.hooks.pre_prompt = [{|| $env.__autovenv.__autovenv_stamp = '/nonexistent' }]",
        Kind::Xonsh => "@events.on_pre_prompt\ndef __avt_force(**kw):\n    \
                        [h for h in events.on_pre_prompt if h.__name__ == '__autovenv_hook'][0].__globals__['__autovenv_stamp'] = '/nonexistent'",
        Kind::Tcsh => "alias precmd 'set __autovenv_live = 1; set __autovenv_stamp = /nonexistent; __autovenv_hook'",
        _ => "__autovenv_stamp_force() { __autovenv_stamp=/nonexistent }; precmd_functions=(__autovenv_stamp_force $precmd_functions)",
    };
    let Some(n) = idle_process_starts(kind, force, 5) else { return };
    assert!(n >= 5, "{}: with the idle rule defeated, 5 prompts must start processes; counted {n}", kind.name());
}

#[test]
fn bash_idle_prompts_start_no_process() {
    idle_prompts_start_no_process(Kind::Bash);
}

#[test]
fn zsh_idle_prompts_start_no_process() {
    idle_prompts_start_no_process(Kind::Zsh);
}

#[test]
fn nu_idle_prompts_start_no_process() {
    idle_prompts_start_no_process(Kind::Nu);
}

#[test]
fn xonsh_idle_prompts_start_no_process() {
    idle_prompts_start_no_process(Kind::Xonsh);
}

/// tcsh compares mtimes with its `-M` builtin: no process either.
#[test]
fn tcsh_idle_prompts_start_no_process() {
    idle_prompts_start_no_process(Kind::Tcsh);
}

//! The core loop in real interactive shells: enter, allow, activate, leave,
//! restore. Every test runs in bash, zsh and fish with uv on PATH; the
//! `*_without_uv` tests take the `python3 -m venv` + pip path.
//!
//! Conventions: the shell starts in `<sandbox>/work` (not a project);
//! `mypkg 1.0` is a wheel in the sandbox's find-links dir; a project `app`
//! is a git work tree whose requirements.txt asks for `mypkg==1.0`.

use std::fs;
use std::path::Path;

use crate::common::*;

/// Variables that leaving a project must put back exactly as they were.
const RESTORED: &[&str] = &["PATH", "VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"];

/// Sandbox (with `mypkg 1.0` built) and a shell in `work/` with the hook,
/// or `None` when the test must be skipped.
fn setup(kind: Kind, uv: Uv) -> Option<(Sandbox, Shell)> {
    let sb = sandbox_with(&[Need::Shell(kind), Need::Git], uv, &["mypkg"])?;
    let sh = Shell::start(kind, &sb, "", &sb.work());
    Some((sb, sh))
}

/// A git project `work/<name>` requiring `mypkg==1.0`.
fn app(sb: &Sandbox, name: &str) -> Project {
    sb.project(name).require("mypkg==1.0").git().create()
}

/// Trust a project from outside the shell, as `autovenv allow DIR`.
fn allow(sb: &Sandbox, p: &Project) {
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
}

fn s(v: &Option<Vec<u8>>) -> Option<String> {
    v.as_ref().map(|v| String::from_utf8_lossy(v).into_owned())
}

/// The `RESTORED` variables, read in one command line.
fn restorable(sh: &mut Shell) -> Vec<(&'static str, Option<String>)> {
    let vals = sh.vars(RESTORED);
    RESTORED.iter().copied().zip(vals.iter().map(s)).collect()
}

/// The "is not allowed" lines in `text`; each must also name the fix.
fn hints(text: &str) -> Vec<String> {
    let found: Vec<String> = text.lines().filter(|l| l.contains("is not allowed")).map(str::to_string).collect();
    for h in &found {
        assert!(h.contains("autovenv allow"), "the hint names the command to run: {h:?}");
    }
    found
}

/// No env is active and the user-visible variables are exactly as `before`
/// (from `restorable`). Bookkeeping `AUTOVENV_*` variables may exist (inside
/// an untrusted project autovenv remembers that it has hinted).
fn assert_untouched(sh: &mut Shell, before: &[(&str, Option<String>)], when: &str) {
    assert_eq!(restorable(sh), before, "{when}: the variables are exactly as before entering");
    let exported = sh.exported_env();
    assert!(!exported.contains_key("VIRTUAL_ENV"), "{when}: VIRTUAL_ENV is not exported");
    let path = before.iter().find(|(k, _)| *k == "PATH").unwrap().1.clone().unwrap();
    assert_eq!(
        exported.get("PATH").map(|p| String::from_utf8_lossy(p).into_owned()),
        Some(path),
        "{when}: exported PATH"
    );
}

/// Outside any project, the shell is exactly as `before` and no `AUTOVENV_*`
/// variable is left.
fn assert_restored(sh: &mut Shell, before: &[(&str, Option<String>)], when: &str) {
    assert_untouched(sh, before, when);
    assert_eq!(sh.var_names("AUTOVENV_"), Vec::<String>::new(), "{when}: no AUTOVENV_* variable is left");
}

/// `env_dir` is active, entered from a shell whose PATH was `path_before`.
fn assert_active_env(sh: &mut Shell, env_dir: &Path, prompt_name: &str, path_before: &str) {
    let env = env_dir.to_str().unwrap();
    let bin = format!("{env}/bin");
    let got = sh.vars(&["VIRTUAL_ENV", "PATH", "VIRTUAL_ENV_PROMPT", "PYTHONHOME"]);
    let [venv, path, prompt, pythonhome] = [0, 1, 2, 3].map(|i| s(&got[i]));
    assert_eq!(venv.as_deref(), Some(env), "VIRTUAL_ENV");
    assert_eq!(path, Some(format!("{bin}:{path_before}")), "PATH is the env's bin prepended to the PATH before");
    assert_eq!(prompt.as_deref(), Some(prompt_name), "VIRTUAL_ENV_PROMPT");
    assert_eq!(pythonhome, None, "PYTHONHOME is unset inside");
    let exported = sh.exported_env();
    assert_eq!(exported.get("VIRTUAL_ENV").map(Vec::as_slice), Some(env.as_bytes()), "VIRTUAL_ENV is exported");
    let found = sh.capture(match sh.kind() {
        Kind::Elvish => "echo (search-external python)",
        Kind::Tcsh => "which python",
        _ => "command -v python",
    });
    assert_eq!(String::from_utf8_lossy(&found).trim(), format!("{bin}/python"), "`python` is the env's");
}

fn assert_active(sh: &mut Shell, p: &Project, path_before: &str) {
    assert_active_env(sh, &p.env_dir(), &p.name(), path_before);
}

fn path_of(sh: &mut Shell) -> String {
    sh.var_str("PATH").expect("PATH is set")
}

/// `cd` into a trusted project and check it is active.
fn enter(sh: &mut Shell, p: &Project, path_before: &str) -> String {
    let out = sh.cd(p.root());
    assert!(p.env_dir().join("pyvenv.cfg").is_file(), "entering an allowed project creates env/; output:\n{out}");
    assert_active(sh, p, path_before);
    out
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else { return 0 };
    entries.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { count_files(&p) } else { 1 }).sum()
}

fn import_mypkg(sh: &mut Shell) -> String {
    sh.run("python -c 'import mypkg; print(mypkg.VERSION)'")
}

// ---------------------------------------------------------------- tests

fn untrusted_project_hints_once_and_changes_nothing(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let proj = app(&sb, "app");
    fs::create_dir(proj.path("src")).unwrap();
    let before = restorable(&mut sh);

    let mark = sh.mark();
    let entering = sh.cd(proj.root());
    assert_eq!(hints(&entering).len(), 1, "one hint on entry:\n{entering}");
    for _ in 0..3 {
        sh.run("true");
    }
    sh.cd(&proj.path("src"));
    sh.run("true");
    let all = sh.output_since(mark);
    assert_eq!(hints(&all).len(), 1, "the hint is shown once per entry, not per prompt or subdir:\n{all}");

    assert!(!proj.env_dir().exists(), "nothing is created for an untrusted project");
    assert!(!proj.path(".gitignore").exists(), "no .gitignore is written for an untrusted project");
    assert_untouched(&mut sh, &before, "inside an untrusted project");

    // Leaving is quiet and leaves nothing behind; entering again is a new
    // entry with one new hint.
    let leaving = sh.cd(&sb.work());
    assert_eq!(hints(&leaving).len(), 0, "{leaving}");
    assert_restored(&mut sh, &before, "after leaving the untrusted project");
    let mark = sh.mark();
    sh.cd(proj.root());
    sh.run("true");
    assert_eq!(hints(&sh.output_since(mark)).len(), 1, "a new entry hints again");
}

fn allow_creates_syncs_and_activates(kind: Kind, uv: Uv) {
    let Some((sb, mut sh)) = setup(kind, uv) else { return };
    let proj = app(&sb, "app");
    let before = restorable(&mut sh);
    let path_before = path_of(&mut sh);
    sh.cd(proj.root());

    let out = sh.run("autovenv allow");
    assert!(count_files(&sb.trust_dir()) > 0, "`autovenv allow` records trust under $XDG_DATA_HOME/autovenv");
    let cfg = proj.env_dir().join("pyvenv.cfg");
    assert!(cfg.is_file(), "the prompt after `autovenv allow` creates env/; output:\n{out}");
    let cfg = fs::read_to_string(cfg).unwrap();
    match uv {
        Uv::Yes => assert!(cfg.contains("\nuv = "), "uv on PATH: `uv venv` creates the env:\n{cfg}"),
        Uv::No => assert!(!cfg.contains("uv = "), "no uv: `python3 -m venv` creates the env:\n{cfg}"),
    }
    let gitignore = proj.read(".gitignore").expect(".gitignore is written in a git project");
    assert_eq!(gitignore.lines().filter(|l| *l == "/env").count(), 1, ".gitignore has /env once:\n{gitignore}");
    assert_active(&mut sh, &proj, &path_before);
    assert_eq!(import_mypkg(&mut sh), "1.0\n", "requirements.txt is installed");
    let pip = sh.capture("python -m pip --version");
    assert!(pip.starts_with(b"pip "), "the env has pip: {}", String::from_utf8_lossy(&pip));
    assert_eq!(sh.run("true"), "", "a prompt where nothing changed prints nothing");

    sh.cd(&sb.work());
    assert_restored(&mut sh, &before, "after leaving");
    // Entering again reuses the env and leaves .gitignore alone.
    enter(&mut sh, &proj, &path_before);
    assert_eq!(proj.read(".gitignore").unwrap(), gitignore, ".gitignore is untouched on the next entry");
}

fn allow_creates_syncs_and_activates_with_uv(kind: Kind) {
    allow_creates_syncs_and_activates(kind, Uv::Yes);
}

#[test]
fn bash_without_uv_creates_with_python_m_venv() {
    allow_creates_syncs_and_activates(Kind::Bash, Uv::No);
}

#[test]
fn zsh_without_uv_creates_with_python_m_venv() {
    allow_creates_syncs_and_activates(Kind::Zsh, Uv::No);
}

fn leaving_restores_exactly(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let proj = app(&sb, "app");
    allow(&sb, &proj);
    let before = restorable(&mut sh);
    let path_before = path_of(&mut sh);
    enter(&mut sh, &proj, &path_before);
    // Deeper inside stays active; leaving from a subdir restores.
    fs::create_dir(proj.path("pkg")).unwrap();
    sh.cd(&proj.path("pkg"));
    assert_active(&mut sh, &proj, &path_before);
    let out = sh.cd(&sb.work());
    assert_restored(&mut sh, &before, "after leaving");
    assert_eq!(hints(&out).len(), 0);
}

fn a_to_b_directly(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let (a, b) = (app(&sb, "a"), app(&sb, "b"));
    allow(&sb, &a);
    allow(&sb, &b);
    let before = restorable(&mut sh);
    let path_before = path_of(&mut sh);
    enter(&mut sh, &a, &path_before);

    sh.run(&format!("cd {}", sh.qp(b.root())));
    // Read right after that one prompt, in one command line.
    let got = sh.vars(&["VIRTUAL_ENV", "PATH"]);
    let (venv, path) = (s(&got[0]), s(&got[1]).unwrap());
    assert_eq!(venv, Some(b.env_str()), "one prompt after `cd B`, B is active");
    assert!(!path.split(':').any(|e| e == a.env_bin()), "A's bin is off PATH: {path}");
    assert_eq!(path, format!("{}:{path_before}", b.env_bin()), "B's bin is first, the rest as before");
    assert_active(&mut sh, &b, &path_before);

    sh.cd(&sb.work());
    assert_restored(&mut sh, &before, "after leaving B");
}

fn path_edits_inside_survive_leaving(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let proj = app(&sb, "app");
    allow(&sb, &proj);
    let path_before = path_of(&mut sh);
    enter(&mut sh, &proj, &path_before);
    match kind {
        Kind::Bash | Kind::Zsh => {
            sh.run(r#"export PATH="$PATH:/opt/extra""#);
            sh.run(r#"export PATH="/opt/front:$PATH""#);
        }
        Kind::Fish => {
            sh.run("set -gx PATH $PATH /opt/extra");
            sh.run("set -gx PATH /opt/front $PATH");
        }
        Kind::Nu => {
            sh.run("$env.PATH = ($env.PATH | append /opt/extra)");
            sh.run("$env.PATH = ($env.PATH | prepend /opt/front)");
        }
        Kind::Xonsh => {
            sh.run("$PATH.append('/opt/extra')");
            sh.run("$PATH.insert(0, '/opt/front')");
        }
        Kind::Elvish => {
            sh.run("set paths = (conj $paths /opt/extra)");
            sh.run("set paths = (put /opt/front (all $paths) | put [(all)])");
        }
        Kind::Tcsh => {
            sh.run("set path = ( $path:q /opt/extra )");
            sh.run("set path = ( /opt/front $path:q )");
        }
    }
    assert_eq!(path_of(&mut sh), format!("/opt/front:{}:{path_before}:/opt/extra", proj.env_bin()));

    sh.cd(&sb.work());
    let got = sh.vars(&["PATH", "VIRTUAL_ENV"]);
    assert_eq!(
        s(&got[0]),
        Some(format!("/opt/front:{path_before}:/opt/extra")),
        "leaving removes only the env's bin; the user's own PATH edits stay"
    );
    assert_eq!(got[1], None);
}

fn rc_sourced_twice_hooks_once(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let registered = sh.hook_registration();
    let out = sh.source_rc();
    assert_eq!(sh.hook_registration(), registered, "sourcing the rc again registers nothing new; it said:\n{out}");

    let proj = app(&sb, "app");
    let path_before = path_of(&mut sh);
    let mark = sh.mark();
    sh.cd(proj.root());
    sh.run("true");
    let shown = sh.output_since(mark);
    assert_eq!(hints(&shown).len(), 1, "one hint, not one per registration:\n{shown}");

    let mark = sh.mark();
    sh.run("autovenv allow");
    assert_active(&mut sh, &proj, &path_before);
    let shown = sh.output_since(mark);
    let mut said: Vec<&str> = shown.lines().filter(|l| l.starts_with("autovenv: ")).collect();
    let n = said.len();
    said.sort_unstable();
    said.dedup();
    assert_eq!(said.len(), n, "no message is printed twice:\n{shown}");
    assert_eq!(import_mypkg(&mut sh), "1.0\n");
}

fn exit_status_is_kept(kind: Kind) {
    if kind == Kind::Elvish {
        return; // no exit status to keep: a failing command raises an exception
    }
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let untrusted = app(&sb, "untrusted");
    let trusted = app(&sb, "trusted");
    allow(&sb, &trusted);
    let fail3 = "sh -c 'exit 3'";
    let status = format!("echo {}", kind.status_var());
    let cases = [
        ("idle prompt", "false".to_string(), "1\n"),
        ("idle prompt", fail3.to_string(), "3\n"),
        ("hint prompt", format!("cd {}; {fail3}", sh.qp(untrusted.root())), "3\n"),
        ("activating prompt", format!("cd {}; {fail3}", sh.qp(trusted.root())), "3\n"),
        ("idle prompt inside", "false".to_string(), "1\n"),
        ("deactivating prompt", format!("cd {}; {fail3}", sh.qp(&sb.work())), "3\n"),
    ];
    for (what, cmd, want) in cases {
        let out = sh.run(&cmd);
        assert_eq!(sh.run(&status), want, "the exit status survives the {what} (after `{cmd}`, which printed:\n{out})");
    }
    assert!(trusted.env_dir().exists(), "the activating case did activate");
}

fn deny_deactivates(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let proj = app(&sb, "app");
    allow(&sb, &proj);
    let before = restorable(&mut sh);
    let path_before = path_of(&mut sh);
    enter(&mut sh, &proj, &path_before);

    let out = sh.run("autovenv deny");
    let got = sh.vars(&["PATH", "VIRTUAL_ENV"]);
    assert_eq!(s(&got[0]), Some(path_before.clone()), "the prompt after `autovenv deny` restores PATH:\n{out}");
    assert_eq!(got[1], None, "and unsets VIRTUAL_ENV");
    assert_untouched(&mut sh, &before, "after deny");
    sh.run("true");
    assert_untouched(&mut sh, &before, "a later prompt inside the denied project");
    sh.cd(&sb.work());
    assert_restored(&mut sh, &before, "after leaving the denied project");
}

fn pythonhome_saved_and_restored(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let proj = app(&sb, "app");
    allow(&sb, &proj);
    // A valid PYTHONHOME (the base interpreter's prefix), so Python still runs.
    let home = tools().python_prefix.clone();
    sh.export("PYTHONHOME", &home);
    let before = restorable(&mut sh);
    assert_eq!(before[3], ("PYTHONHOME", Some(home.clone())));
    let path_before = path_of(&mut sh);

    enter(&mut sh, &proj, &path_before);
    assert!(!sh.exported_env().contains_key("PYTHONHOME"), "PYTHONHOME is not exported inside");
    assert_eq!(sh.run("python -c 'import sys; print(sys.prefix)'"), format!("{}\n", proj.env_str()));

    sh.cd(&sb.work());
    assert_restored(&mut sh, &before, "after leaving");
    assert_eq!(
        sh.exported_env().get("PYTHONHOME").map(Vec::as_slice),
        Some(home.as_bytes()),
        "PYTHONHOME is exported again"
    );
}

fn hand_activated_venv_is_left_alone(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let proj = app(&sb, "app");
    allow(&sb, &proj);
    let other = sb.work().join("other");
    sb.make_venv(&other);
    let script = match kind {
        Kind::Fish => "activate.fish",
        Kind::Tcsh => "activate.csh",
        // venv ships no activate script for elvish.
        Kind::Elvish => return,
        _ => "activate",
    };
    sh.run(&format!("source {}", sh.qp(&other.join("bin").join(script))));
    let manual = restorable(&mut sh);
    let other_s = other.to_str().unwrap().to_string();
    assert_eq!(manual[1], ("VIRTUAL_ENV", Some(other_s.clone())), "the manual venv is active");

    sh.cd(proj.root());
    let got = sh.vars(&["VIRTUAL_ENV", "PATH"]);
    assert_eq!(s(&got[0]), Some(other_s), "a hand-activated venv stays active in an allowed project");
    assert!(!s(&got[1]).unwrap().split(':').any(|e| e == proj.env_bin()), "the project's env is not put on PATH");
    assert_eq!(restorable(&mut sh), manual, "nothing autovenv manages changed");
    sh.cd(&sb.work());
    assert_eq!(restorable(&mut sh), manual, "and nothing changes on leaving");

    // Once the hand-made venv is deactivated, entering works as usual.
    sh.run("deactivate");
    let path_before = path_of(&mut sh);
    assert!(!path_before.contains(&*other.to_string_lossy()), "deactivate cleaned PATH: {path_before}");
    enter(&mut sh, &proj, &path_before);
}

fn existing_dotvenv_is_adopted(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind, Uv::Yes) else { return };
    let proj = app(&sb, "app");
    let dotvenv = proj.path(".venv");
    sb.make_venv(&dotvenv);
    allow(&sb, &proj);
    let before = restorable(&mut sh);
    let path_before = path_of(&mut sh);

    sh.cd(proj.root());
    assert_active_env(&mut sh, &dotvenv, &proj.name(), &path_before);
    assert!(!proj.env_dir().exists(), "no second env is created next to .venv");
    assert_eq!(import_mypkg(&mut sh), "1.0\n", "requirements.txt is installed into the adopted env");

    sh.cd(&sb.work());
    assert_restored(&mut sh, &before, "after leaving");
}

per_shell!(
    untrusted_project_hints_once_and_changes_nothing,
    allow_creates_syncs_and_activates_with_uv,
    leaving_restores_exactly,
    a_to_b_directly,
    path_edits_inside_survive_leaving,
    rc_sourced_twice_hooks_once,
    exit_status_is_kept,
    deny_deactivates,
    pythonhome_saved_and_restored,
    hand_activated_venv_is_left_alone,
    existing_dotvenv_is_adopted,
);

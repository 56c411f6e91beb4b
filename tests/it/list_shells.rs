//! nushell and xonsh, the shells that hold PATH as a list, in real
//! interactive sessions: entering activates, leaving restores PATH entry for
//! entry (and it stays a list), the person's own PATH edits stay, A→B
//! switches in one prompt, an untrusted project changes nothing, a
//! requirements edit is synced at the next prompt, the exit status
//! survives the hook, and loading the rc twice registers the hook once.
//! The idle prompt's process count is in `next_prompt`, the hostile names
//! in `security`.

use std::fs;

use crate::common::*;

fn setup(kind: Kind) -> Option<(Sandbox, Shell)> {
    let sb = sandbox_with(&[Need::Shell(kind), Need::Git], Uv::Yes, &["mypkg", "other"])?;
    let sh = Shell::start(kind, &sb, "", &sb.work());
    Some((sb, sh))
}

fn app(sb: &Sandbox, name: &str) -> Project {
    sb.project(name).require("mypkg==1.0").git().create()
}

fn allow(sb: &Sandbox, p: &Project) {
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
}

fn s(v: Option<Vec<u8>>) -> Option<String> {
    v.map(|v| String::from_utf8_lossy(&v).into_owned())
}

/// PATH as the shell's own list, one entry a line, and whether it is a list.
fn path_list(sh: &mut Shell) -> (Vec<String>, bool) {
    let code = match sh.kind() {
        Kind::Nu => "print ($env.PATH | describe); print ($env.PATH | str join (char nl))",
        _ => "print(type($PATH).__name__); print(chr(10).join(__xonsh__.env['PATH']._l))",
    };
    let text = sh.run(code);
    let mut lines = text.lines().map(str::to_string);
    let kind = lines.next().unwrap_or_default();
    (lines.collect(), kind.starts_with("list") || kind == "EnvPath")
}

fn python(sh: &mut Shell, code: &str) -> String {
    let line = match sh.kind() {
        Kind::Nu => format!("^python -c {}", sh.q(code)),
        _ => format!("python -c {}", sh.q(code)),
    };
    sh.run(&line)
}

fn enter_leave_and_a_to_b(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind) else { return };
    let (a, b) = (app(&sb, "a"), app(&sb, "b"));
    allow(&sb, &a);
    allow(&sb, &b);
    let (before, is_list) = path_list(&mut sh);
    assert!(is_list && !before.is_empty(), "PATH is a list to start with: {before:?}");

    sh.cd(a.root());
    let got = sh.vars(&["VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "UV_PROJECT_ENVIRONMENT"]);
    assert_eq!(s(got[0].clone()), Some(a.env_str()));
    assert_eq!(s(got[1].clone()).as_deref(), Some("a"));
    assert_eq!(s(got[2].clone()), Some(a.env_str()));
    let (inside, is_list) = path_list(&mut sh);
    assert!(is_list, "PATH is still a list inside");
    assert_eq!(inside, [vec![a.env_bin()], before.clone()].concat(), "the env's bin first, the rest as before");
    assert_eq!(sh.exported_env().get("VIRTUAL_ENV").map(Vec::as_slice), Some(a.env_str().as_bytes()));
    assert_eq!(python(&mut sh, "import mypkg, sys; print(sys.prefix)"), format!("{}\n", a.env_str()));

    sh.cd(b.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(b.env_str()), "A to B in one prompt");
    assert_eq!(path_list(&mut sh).0, [vec![b.env_bin()], before.clone()].concat(), "A's bin is gone");

    // The person's own edits inside stay when leaving.
    match kind {
        Kind::Nu => {
            sh.run("$env.PATH = ($env.PATH | append /opt/extra)");
            sh.run("$env.PATH = ($env.PATH | prepend /opt/front)");
        }
        _ => {
            sh.run("$PATH.append('/opt/extra')");
            sh.run("$PATH.insert(0, '/opt/front')");
        }
    }
    sh.cd(&sb.work());
    let (after, is_list) = path_list(&mut sh);
    assert!(is_list, "PATH is still a list after leaving");
    let want = [vec!["/opt/front".to_string()], before, vec!["/opt/extra".to_string()]].concat();
    assert_eq!(after, want, "leaving removes only the env's bin, entry for entry");
    let got = sh.vars(&["VIRTUAL_ENV", "VIRTUAL_ENV_PROMPT", "UV_PROJECT_ENVIRONMENT", "AUTOVENV_ROOT"]);
    assert!(got.iter().all(Option::is_none), "all unset after leaving: {got:?}");
}

fn untrusted_project_changes_nothing(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind) else { return };
    let p = app(&sb, "untrusted");
    let before = sh.var("PATH");
    let out = sh.cd(p.root());
    assert_eq!(out.matches("is not allowed").count(), 1, "one hint: {out}");
    let out = sh.run(if kind == Kind::Nu { "null" } else { "pass" });
    assert!(!out.contains("is not allowed"), "said once per entry: {out}");
    assert_eq!(sh.var("PATH"), before);
    assert_eq!(sh.var("VIRTUAL_ENV"), None);
    assert!(!p.env_dir().exists(), "nothing made");
    let out = sh.run("autovenv allow");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(p.env_str()), "allowed and active at that prompt: {out}");
}

fn requirements_edit_is_synced_at_the_next_prompt(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind) else { return };
    let p = app(&sb, "app");
    allow(&sb, &p);
    sh.cd(p.root());
    std::thread::sleep(std::time::Duration::from_millis(50));
    fs::write(p.root().join("requirements.txt"), "mypkg==1.0\nother==1.0\n").unwrap();
    let out = sh.run(if kind == Kind::Nu { "null" } else { "pass" });
    assert!(out.contains("synced requirements.txt"), "the next prompt syncs: {out}");
    assert_eq!(python(&mut sh, "import other; print('ok')"), "ok\n");
}

fn exit_status_is_kept(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind) else { return };
    let (trusted, untrusted) = (app(&sb, "trusted"), app(&sb, "untrusted"));
    allow(&sb, &trusted);
    let fail3 = match kind {
        Kind::Nu => "^sh -c 'exit 3'",
        _ => "sh -c 'exit 3'",
    };
    let status = format!("echo {}", kind.status_var());
    for dir in [untrusted.root(), trusted.root(), &sb.work()] {
        let cmd = format!("cd {}; {fail3}", kind.word(dir));
        let out = sh.run(&cmd);
        assert_eq!(sh.run(&status).trim(), "3", "after `{cmd}`, which printed:\n{out}");
    }
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);
}

fn rc_loaded_twice_registers_once(kind: Kind) {
    let Some((sb, mut sh)) = setup(kind) else { return };
    let registered = sh.hook_registration();
    assert!(registered.contains("__autovenv_hook"), "the hook is registered: {registered}");
    let out = sh.source_rc();
    assert_eq!(sh.hook_registration(), registered, "loading the rc again registers nothing new:\n{out}");
    let p = app(&sb, "app");
    let out = sh.cd(p.root());
    assert_eq!(out.matches("is not allowed").count(), 1, "one hint, not one per registration: {out}");
}

macro_rules! list_shells {
    ($($test:ident),* $(,)?) => {
        mod nu { $( #[test] fn $test() { super::$test($crate::common::Kind::Nu) } )* }
        mod xonsh { $( #[test] fn $test() { super::$test($crate::common::Kind::Xonsh) } )* }
    };
}

list_shells!(
    enter_leave_and_a_to_b,
    untrusted_project_changes_nothing,
    requirements_edit_is_synced_at_the_next_prompt,
    exit_status_is_kept,
    rc_loaded_twice_registers_once,
);

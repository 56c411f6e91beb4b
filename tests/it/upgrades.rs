//! Upgrades while shells are open, in real interactive shells: the package
//! manager moves the binary under a running shell, and a hook printed by
//! one version meets the binary of another.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use crate::common::*;

const SKEW: &str = "hook is from another version of autovenv";

/// Install the binary under test as Homebrew does: the program in a
/// versioned folder, a symlink to it in the sandbox's `bin/` on PATH.
fn install_versioned(sb: &Sandbox, version: &str) -> PathBuf {
    let dir = sb.root().join("cellar").join(version).join("bin");
    fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("autovenv");
    fs::copy(autovenv_bin(), &exe).unwrap();
    let link = sb.bin().join("autovenv");
    let _ = fs::remove_file(&link);
    symlink(&exe, &link).unwrap();
    exe
}

fn allowed_app(sb: &Sandbox) -> Project {
    let proj = sb.project("app").create();
    sb.run_ok(sb.autovenv().args(["allow"]).current_dir(proj.root()));
    proj
}

/// Upgraded while the shell runs: the old program's folder is removed and
/// the name on PATH leads to the new one. The hook keeps working, with no
/// message: the new binary prints the same hook.
fn binary_moved_while_the_shell_runs(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    let old = install_versioned(&sb, "1.0");
    let proj = allowed_app(&sb);
    let mut sh = Shell::start_with(kind, &sb, Hook::No, &kind.hook_line(&old), &sb.work());

    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));

    install_versioned(&sb, "2.0");
    fs::remove_dir_all(old.parent().unwrap().parent().unwrap()).unwrap();
    assert!(!old.exists());

    let out = sh.cd(&sb.work());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None, "left the project after the upgrade; output: {out}");
    let out = sh.cd(proj.root()) + &sh.cd(&sb.work()) + &sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()), "output: {out}");
    let all = sh.transcript();
    assert!(!all.contains("No such file") && !all.contains("not found"), "{all}");
    assert!(!all.contains(SKEW), "same hook, no reload needed: {all}");
}

/// An active env that has a program called `autovenv` of its own (PyPI's
/// unrelated `autovenv` package installs one) does not take the hook's place.
fn an_env_with_its_own_autovenv_does_not_shadow_the_hook(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    let proj = allowed_app(&sb);
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    let other = proj.env_dir().join("bin/autovenv");
    fs::write(&other, "#!/bin/sh\necho 'echo SHADOWED'\n").unwrap();
    fs::set_permissions(&other, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = sh.cd(&sb.work());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None, "output: {out}");
    assert!(!sh.transcript().contains("SHADOWED"), "{}", sh.transcript());
}

/// The hook as `hook_line` prints it, with its version replaced by
/// `version` (or removed, as hooks before versions were).
fn hook_with_version(sb: &Sandbox, kind: Kind, version: Option<&str>) -> String {
    let out = sb.run_ok(sb.autovenv().args(["hook", kind.name()]));
    // Where the hook passes its version: elvish and tcsh set the variable
    // in a statement of its own, removed whole for a hook without one.
    // `loaded` is what `autovenv activate` is passed, not a version.
    let (set, after) = match kind {
        Kind::Elvish => ("tmp E:AUTOVENV_HOOK = ", "\n"),
        Kind::Tcsh => ("if ( $__autovenv_run ) setenv AUTOVENV_HOOK ", "; "),
        _ => ("AUTOVENV_HOOK=", " "),
    };
    let start = out
        .match_indices(set)
        .map(|(i, _)| i)
        .find(|&i| !out[i + set.len()..].starts_with("loaded"))
        .expect("the hook passes its version");
    let end = start + out[start..].find(after).unwrap() + after.len();
    let with = version.map(|v| format!("{set}{v}{after}")).unwrap_or_default();
    format!("{}{with}{}", &out[..start], &out[end..])
}

/// A shell whose hook came from another version keeps working, and is told
/// once, not at every prompt, to reload.
fn skewed_hook(kind: Kind, version: Option<&str>) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    let proj = allowed_app(&sb);
    let rc = sb.root().join("old-hook");
    fs::write(&rc, hook_with_version(&sb, kind, version)).unwrap();
    let source = match kind {
        Kind::Elvish => format!("eval (slurp < {})", kind.quote_path(&rc)),
        _ => format!("source {}", kind.quote_path(&rc)),
    };
    let mut sh = Shell::start_with(kind, &sb, Hook::No, &source, &sb.work());

    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    sh.cd(&sb.work());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);
    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    let all = sh.transcript();
    assert_eq!(all.matches(SKEW).count(), 1, "told once: {all}");
    let reload = match kind {
        Kind::Fish => "source ~/.config/fish/config.fish",
        Kind::Zsh => "source ~/.zshrc",
        Kind::Elvish => "eval (slurp < ~/.config/elvish/rc.elv)",
        Kind::Tcsh => "source ~/.tcshrc",
        _ => "source ~/.bashrc",
    };
    assert!(all.contains(reload), "{all}");

    // Reloading installs the current hook: no more messages, and it works.
    let mark = sh.mark();
    sh.run(&kind.hook_line(autovenv_bin()));
    sh.cd(&sb.work());
    sh.cd(proj.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
    let after = sh.output_since(mark);
    assert!(!after.contains(SKEW), "{after}");
}

/// The hook of a version before hook versions existed, against this binary.
fn older_hook_against_newer_binary(kind: Kind) {
    skewed_hook(kind, None);
}

/// A hook of a newer version (downgraded binary) against this binary.
fn newer_hook_against_older_binary(kind: Kind) {
    skewed_hook(kind, Some("ffffffff"));
}

per_shell!(
    binary_moved_while_the_shell_runs,
    an_env_with_its_own_autovenv_does_not_shadow_the_hook,
    older_hook_against_newer_binary,
    newer_hook_against_older_binary
);

/// An older hook's bookkeeping (stamp passed, no version) as `export`
/// receives it: valid code on stdout, the one line on stderr, once.
#[test]
fn old_hook_state_gets_valid_code_and_one_line() {
    let Some(sb) = sandbox_with(&[], Uv::No, &[]) else { return };
    let run = |stamp: &str| {
        let out = sb.autovenv().args(["export", "bash"]).env("AUTOVENV_STAMP", stamp).output().unwrap();
        assert!(out.status.success());
        assert_parses(Kind::Bash, &out.stdout, "old hook state");
        let code = String::from_utf8(out.stdout).unwrap();
        let stamp = code.lines().find_map(|l| l.strip_prefix("__autovenv_stamp=")).unwrap().trim_matches('\'');
        (stamp.to_string(), String::from_utf8(out.stderr).unwrap())
    };
    let (stamp, err) = run("");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(SKEW) && err.contains("source ~/.bashrc"), "{err}");
    assert!(Path::new(&stamp).exists(), "{stamp}");
    let (again, err) = run(&stamp);
    assert_eq!(err, "", "told once per shell");
    assert_eq!(again, stamp);
}

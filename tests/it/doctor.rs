//! `autovenv doctor`, run at the prompt of a real shell (it looks at the
//! shell that started it) and from outside one.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use crate::common::*;
use serde_json::Value;

/// Doctor's JSON report and exit status, run at `sh`'s prompt.
fn doctor_in(sh: &mut Shell) -> (Value, i32) {
    // A failing command is an exception in elvish, which has no exit
    // status: its reason holds the status.
    let (json, status) = match sh.kind() {
        Kind::Elvish => (
            "try { autovenv doctor --json } catch { }".to_string(),
            "try { autovenv doctor >/dev/null; echo rc=0 } catch e { echo rc=$e[reason][exit-status] }".to_string(),
        ),
        k => ("autovenv doctor --json".to_string(), format!("autovenv doctor >/dev/null; echo rc={}", k.status_var())),
    };
    let json = sh.capture(&json);
    let report: Value =
        serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&json)));
    let out = sh.run(&status);
    // The line that says it: a hook whose program is gone says so at the
    // prompt after it.
    let code = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("rc="))
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{out}"));
    (report, code)
}

fn finding<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name}: {report:#}"))
}

fn level(report: &Value, name: &str) -> String {
    finding(report, name)["level"].as_str().unwrap().to_string()
}

fn text(report: &Value, name: &str) -> String {
    let c = finding(report, name);
    format!("{} / fix: {}", c["detail"].as_str().unwrap_or(""), c["fix"].as_str().unwrap_or(""))
}

/// With the hook loaded, everything is fine in a sandbox with real uv and
/// Python: exit 0, and the rc file named.
fn hook_loaded(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let (report, code) = doctor_in(&mut sh);
    assert_eq!(level(&report, "hook"), "ok", "{report:#}");
    let rc = sh.rc_path().file_name().unwrap().to_str().unwrap().to_string();
    assert!(text(&report, "hook").contains(&rc), "{report:#}");
    assert_eq!(level(&report, "binary"), "ok", "{report:#}");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["ok"], true);
}

/// No hook in the rc file: broken, with the line to add, exit 1.
fn missing_hook(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    let mut sh = Shell::start_with(kind, &sb, Hook::No, "", &sb.work());
    let (report, code) = doctor_in(&mut sh);
    assert_eq!(level(&report, "hook"), "broken", "{report:#}");
    assert!(text(&report, "hook").contains(&format!("autovenv hook {}", kind.name())), "{report:#}");
    assert_eq!(code, 1);
    assert_eq!(report["ok"], false);
}

/// The binary the hook runs by path is gone: broken, with the reload fix.
fn vanished_binary(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    let opt = sb.root().join("opt");
    fs::create_dir_all(&opt).unwrap();
    let exe = opt.join("autovenv");
    fs::copy(autovenv_bin(), &exe).unwrap();
    let mut sh = Shell::start_with(kind, &sb, Hook::No, &kind.hook_line(&exe), &sb.work());
    let (report, code) = doctor_in(&mut sh);
    assert_eq!(level(&report, "binary"), "ok", "before: {report:#}");
    fs::remove_file(&exe).unwrap();
    let (report, code_after) = doctor_in(&mut sh);
    assert_eq!(level(&report, "hook"), "ok", "{report:#}");
    assert_eq!(level(&report, "binary"), "broken", "{report:#}");
    let t = text(&report, "binary");
    assert!(t.contains("opt/autovenv") && t.contains("gone") && t.contains("new shell"), "{t}");
    assert_eq!((code, code_after), (0, 1));
}

/// A stamp left alone for a week is pruned by the next new shell (here
/// removed as pruning would); a shell sitting at its prompt all that time
/// still has its hook.
fn hook_seen_after_its_stamp_is_pruned(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let stamp = sh.hook_stamp();
    fs::remove_file(&stamp).unwrap();
    let (report, code) = doctor_in(&mut sh);
    assert_eq!(level(&report, "hook"), "ok", "{report:#}");
    assert_eq!(code, 0, "{report:#}");
}

per_shell!(hook_loaded, missing_hook, vanished_binary, hook_seen_after_its_stamp_is_pruned);

/// A trust folder others can write to is broken: anyone could allow a
/// folder for this user.
#[test]
fn world_writable_trust_folder() {
    let Some(sb) = sandbox_with(&[], Uv::No, &[]) else { return };
    let trust = sb.xdg_data().join("autovenv/trust");
    fs::create_dir_all(&trust).unwrap();
    let report = |sb: &Sandbox| -> (Value, Option<i32>) {
        let out = sb.autovenv().args(["doctor", "--json"]).output().unwrap();
        (serde_json::from_slice(&out.stdout).unwrap(), out.status.code())
    };
    fs::set_permissions(&trust, fs::Permissions::from_mode(0o700)).unwrap();
    let (r, _) = report(&sb);
    assert_eq!(level(&r, "trust"), "ok", "{r:#}");
    fs::set_permissions(&trust, fs::Permissions::from_mode(0o777)).unwrap();
    let (r, code) = report(&sb);
    assert_eq!(level(&r, "trust"), "broken", "{r:#}");
    assert!(text(&r, "trust").contains("chmod 700"), "{r:#}");
    assert_eq!(code, Some(1));
}

/// A pyenv shim first on PATH is flagged, with what to do instead.
#[test]
fn shimmed_python() {
    let Some(sb) = sandbox_with(&[], Uv::No, &[]) else { return };
    let shims = sb.home().join(".pyenv/shims");
    fs::create_dir_all(&shims).unwrap();
    let shim = shims.join("python3");
    fs::write(&shim, "#!/usr/bin/env bash\nset -e\nexec \"$(pyenv root)/libexec/pyenv\" exec \"python3\" \"$@\"\n")
        .unwrap();
    fs::set_permissions(&shim, fs::Permissions::from_mode(0o755)).unwrap();
    let run = |path: String| -> Value {
        let out = sb.autovenv().args(["doctor", "--json"]).env("PATH", path).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let r = run(sb.path_var());
    assert_eq!(level(&r, "python"), "ok", "{r:#}");
    // The interpreters pyenv has, which autovenv uses without the shims.
    let version = sb.home().join(".pyenv/versions/3.12.1/bin");
    fs::create_dir_all(&version).unwrap();
    std::os::unix::fs::symlink(&tools().python, version.join("python3")).unwrap();
    let r = run(format!("{}:{}", shims.display(), sb.path_var()));
    assert_eq!(level(&r, "python"), "warn", "{r:#}");
    let t = text(&r, "python");
    assert!(t.contains("shim") && t.contains(".pyenv/shims/python3") && t.contains("80-100 ms"), "{t}");
    assert!(t.contains("pyenv: 3.12.1"), "{t}");
}

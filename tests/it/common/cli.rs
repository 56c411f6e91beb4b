//! Driving the real binary as a process with the sandbox's environment,
//! no interactive shell: run `autovenv`, read its JSON, check that what it
//! prints parses in each shell.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::{sandbox_with, should_skip, Kind, Need, Sandbox, Uv};

/// A sandbox with git and the `mypkg`, `other` and `third` 1.0 wheels.
pub(crate) fn sandbox(uv: Uv) -> Option<Sandbox> {
    sandbox_with(&[Need::Git], uv, &["mypkg", "other", "third"])
}

/// `autovenv ARGS` run in `dir`, with extra environment.
pub(crate) fn av_env(sb: &Sandbox, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = sb.autovenv();
    cmd.args(args).current_dir(dir).envs(env.iter().copied());
    cmd.output().unwrap()
}

pub(crate) fn av(sb: &Sandbox, dir: &Path, args: &[&str]) -> Output {
    av_env(sb, dir, args, &[])
}

pub(crate) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(crate) fn ok(out: &Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed ({}):\n{}{}", out.status, text(&out.stdout), text(&out.stderr));
    text(&out.stdout)
}

pub(crate) fn status_json(sb: &Sandbox, dir: &Path, env: &[(&str, &str)]) -> Value {
    let out = av_env(sb, dir, &["status", "--json"], env);
    serde_json::from_str(&ok(&out, "status --json")).unwrap()
}

/// `autovenv export json` in `dir`: the variables it sets (null: unset).
pub(crate) fn export_json(sb: &Sandbox, dir: &Path) -> (serde_json::Map<String, Value>, String) {
    let out = av(sb, dir, &["export", "json"]);
    let vars: Value = serde_json::from_str(&ok(&out, "export json")).unwrap();
    (vars.as_object().unwrap().clone(), text(&out.stderr))
}

pub(crate) fn python_imports(python: &Path, module: &str) -> bool {
    Command::new(python).args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success())
}

pub(crate) fn global_config(sb: &Sandbox, body: &str) -> PathBuf {
    let dir = sb.xdg_config().join("autovenv");
    fs::create_dir_all(&dir).unwrap();
    let f = dir.join("config.toml");
    fs::write(&f, body).unwrap();
    f
}

/// The shell syntax check of `code`: `bash -n`, `zsh -n`, `fish -n`.
pub(crate) fn parses(shell: &str, code: &[u8]) -> Result<(), String> {
    let Some(exe) = which_shell(shell) else { return Ok(()) };
    if shell == "nu" || shell == "xonsh" {
        let kind = Kind::ALL.into_iter().find(|k| k.name() == shell).unwrap();
        return std::panic::catch_unwind(|| super::assert_parses(kind, code, "parses"))
            .map_err(|e| e.downcast_ref::<String>().cloned().unwrap_or_default());
    }
    if shell == "elvish" {
        // elvish compiles a file, not its stdin.
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), code).unwrap();
        let out = Command::new(exe).arg("-compileonly").arg(f.path()).output().unwrap();
        return if out.status.success() && out.stderr.is_empty() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        };
    }
    let mut child = Command::new(exe)
        .arg("-n")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("HOME", "/nonexistent")
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(code).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() && out.stderr.is_empty() {
        Ok(())
    } else {
        Err(format!("{shell} -n: {}{}", text(&out.stdout), text(&out.stderr)))
    }
}

/// The shell named `name`, or `None` when it is missing (and the test may
/// skip: see `should_skip`).
fn which_shell(name: &str) -> Option<PathBuf> {
    let k = Kind::ALL.into_iter().find(|k| k.name() == name).unwrap_or(Kind::Fish);
    if should_skip(&[Need::Shell(k)]) {
        return None;
    }
    k.path().map(PathBuf::from)
}

//! Making the env: offline with pip in it, a failed creation said once and
//! not started again by prompts or entries (counted: the sandbox's uv is a
//! shim that logs each call), retried by `autovenv sync` or when what it
//! depended on changes; and what status, deny and the installer report say.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::common::*;

/// The sandbox's `uv` replaced by a script that logs its arguments and runs
/// the real uv.
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

fn creator_starts(log: &Path) -> usize {
    fs::read_to_string(log).unwrap_or_default().lines().filter(|l| l.starts_with("venv")).count()
}

fn trust_work(sb: &Sandbox) {
    let dir = sb.xdg_config().join("autovenv");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("config.toml"), format!("[trust]\nprefixes = [{:?}]\n", sb.work().display().to_string()))
        .unwrap();
}

fn autovenv_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.starts_with("autovenv:")).collect()
}

/// First entry with uv's cache empty, `UV_OFFLINE=1` and no find-links for
/// pip: the env is made, with pip in it, and one line says where pip came
/// from. (`uv venv --seed` needs the network for pip here.)
fn offline_cold_cache_first_entry(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &["mypkg"]) else { return };
    trust_work(&sb);
    let p = sb.project("app").require("mypkg==1.0").create();
    assert!(!sb.xdg_cache().join("uv").exists(), "uv's cache starts empty");
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.unset("UV_FIND_LINKS");
    assert_eq!(sh.var_str("UV_OFFLINE").as_deref(), Some("1"));
    let out = sh.cd(p.root());
    assert!(out.contains("creating env/ with Python") && out.contains("from the interpreter's bundled wheel"), "{out}");
    assert!(out.contains("synced requirements.txt"), "{out}");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(p.env_str()), "{out}");
    // A failing command is an exception in elvish: there `;` goes on only
    // after one that worked, as `&&` does.
    let and = if kind == Kind::Elvish { ";" } else { " &&" };
    let line = format!("python -m pip --version >/dev/null{and} python -c 'import mypkg'{and} echo ok");
    assert_eq!(sh.run(&line).trim(), "ok");
}

/// The env's interpreter is one uv cannot use: it answers autovenv's probe
/// like Python 3.11 but fails every other run, so `uv venv` really fails.
const BAD_PYTHON: &str =
    "#!/bin/sh\ncase \"$3\" in *_base_executable*) printf '3.11.7\\n%s\\n' \"$0\"; exit 0;; esac\n\
                          echo 'this python is broken' >&2\nexit 1\n";

/// A creation that fails is said once; the idle prompts after it and a
/// re-entry start the creator zero more times; `autovenv sync` starts it
/// once; fixing the config makes the env at the next prompt.
fn failed_creation_is_not_retried_by_prompts(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &["mypkg"]) else { return };
    let log = uv_logger(&sb);
    let p = sb
        .project("app")
        .require("mypkg==1.0")
        .file("tools/py", BAD_PYTHON)
        .file(".autovenv.toml", "python = \"tools/py\"\n")
        .create();
    fs::set_permissions(p.path("tools/py"), fs::Permissions::from_mode(0o755)).unwrap();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    let out = sh.run("autovenv allow");
    assert!(out.contains("with uv failed"), "{out}");
    assert_eq!(creator_starts(&log), 1);

    // A prompt that runs the binary (the failed creation removed env/,
    // which moves the root's mtime) says the one line; none restarts it.
    let mut said = String::new();
    for _ in 0..4 {
        said.push_str(&sh.run("true"));
    }
    assert!(
        autovenv_lines(&said).iter().all(|l| l.contains("env/ could not be made") && l.contains("autovenv sync")),
        "only the one line, no error output: {said}"
    );
    assert_eq!(creator_starts(&log), 1, "idle prompts start no creator: {said}");

    sh.cd(&sb.work());
    let out = sh.cd(p.root());
    let lines = autovenv_lines(&out);
    assert_eq!(lines.len(), 1, "one line at re-entry: {out}");
    assert!(lines[0].contains("env/ could not be made") && lines[0].contains("autovenv sync"), "{out}");
    sh.run("true");
    assert_eq!(creator_starts(&log), 1, "re-entry starts no creator: {out}");
    assert_eq!(sh.var_str("VIRTUAL_ENV"), None);

    let st = sb.autovenv().args(["status", "--json"]).current_dir(p.root()).output().unwrap();
    let st: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert!(st["creation_error"].as_str().unwrap_or("").contains("failed"), "{st}");
    assert!(st["hint"].as_str().unwrap_or("").contains("autovenv sync"), "{st}");

    let out = sh.run("autovenv sync");
    assert!(out.contains("with uv failed"), "{out}");
    assert_eq!(creator_starts(&log), 2, "`autovenv sync` retries once: {out}");
    sh.run("true");
    assert_eq!(creator_starts(&log), 2);

    // What it depended on changes: the next prompt makes the env.
    std::thread::sleep(std::time::Duration::from_millis(30));
    fs::write(p.path(".autovenv.toml"), "").unwrap();
    let out = sh.run("true");
    assert!(out.contains("creating env/"), "{out}");
    assert_eq!(creator_starts(&log), 3);
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(p.env_str()), "{out}");
    let st = sb.autovenv().args(["status", "--json"]).current_dir(p.root()).output().unwrap();
    let st: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(st["creation_error"], serde_json::Value::Null, "{st}");
}

per_shell!(offline_cold_cache_first_entry, failed_creation_is_not_retried_by_prompts);

/// `deny` of a project a `trust.prefixes` entry also covers: the record is
/// removed, and it says so and that the prefix still trusts it (exit 0).
#[test]
fn deny_under_a_prefix_says_what_it_did() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &[]) else { return };
    let p = sb.project("app").create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    trust_work(&sb);
    let out = sb.autovenv().arg("deny").current_dir(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("removed the allow record") && err.contains("still trusts it"), "{err}");
    assert!(err.contains("trust.prefixes"), "{err}");
}

/// `status` of a project without a requirements file says none; an
/// unallowed one has a hint (also in `--json`).
#[test]
fn status_says_none_and_keeps_hints() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &[]) else { return };
    let p = sb.project("app").no_requirements().file(".autovenv.toml", "").create();
    let st = sb.autovenv().args(["status", "--json"]).current_dir(p.root()).output().unwrap();
    let st: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert!(st["hint"].as_str().unwrap().contains("autovenv allow"), "{st}");
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let st = sb.autovenv().args(["status", "--json"]).current_dir(p.root()).output().unwrap();
    let st: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
    assert_eq!(st["requirements"], serde_json::json!([]), "{st}");
    let human = sb.run_ok(sb.autovenv().arg("status").current_dir(p.root()));
    assert!(human.lines().any(|l| l.starts_with("requirements") && l.trim_end().ends_with("none")), "{human}");
}

/// The summary counts what the installer did, not requirement lines: one
/// requirement with a dependency, in a new env, is three packages with pip.
#[test]
fn the_summary_says_what_was_installed() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &[]) else { return };
    sb.wheel("dep", "1.0", &[]);
    sb.wheel("withdep", "1.0", &["dep"]);
    let p = sb.project("app").require("withdep==1.0").create();
    let out = sb.autovenv().arg("allow").arg(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("synced requirements.txt (1 requirement): 3 packages installed in"), "{err}");
    let out = sb.autovenv().args(["sync", "--force"]).arg(p.root()).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("(1 requirement): nothing to change in"), "{err}");
}

/// `autovenv watch` keeps the hint of what it reports: after `deny`, the
/// next edit says the project is not allowed and how to allow it.
#[test]
fn watch_keeps_the_hint() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg", "other"]) else { return };
    let p = sb.project("app").require("mypkg==1.0").create();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let log = sb.root().join("watch.log");
    let mut child = sb
        .autovenv()
        .arg("watch")
        .current_dir(p.root())
        .stdout(std::process::Stdio::null())
        .stderr(fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let said = || fs::read_to_string(&log).unwrap_or_default();
    let wait = |what: &str, cond: &dyn Fn() -> bool| {
        let t0 = std::time::Instant::now();
        while !cond() {
            assert!(t0.elapsed() < std::time::Duration::from_secs(30), "{what}; watch said:\n{}", said());
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    wait("watch starts", &|| said().contains("watching"));
    sb.run_ok(sb.autovenv().arg("deny").arg(p.root()));
    fs::write(p.path("requirements.txt"), format!("--no-index\n--find-links {}\nother==1.0\n", sb.wheels().display()))
        .unwrap();
    wait("watch says it is not allowed, with the hint", &|| {
        said().contains("is not allowed") && said().contains("hint: run `autovenv allow`")
    });
    let _ = child.kill();
    let _ = child.wait();
}

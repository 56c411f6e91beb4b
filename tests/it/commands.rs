//! The commands (`status`, `exec`, `watch`, `completions`, `--version`,
//! `--help`), driving the real binary as a process with the sandbox
//! environment: no interactive shell needed.
//!
//! Conventions: `mypkg 1.0` and `other 1.0` are wheels in the sandbox's
//! find-links dir; projects are git work trees under `work/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::cli::*;
use crate::common::*;
use serde_json::Value;

// ------------------------------------------------------------ status

#[test]
fn status_json_in_every_state() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let keys = ["root", "env", "exists", "allowed", "python", "requirements", "sync", "active"];
    let check_keys = |st: &Value| {
        for k in keys {
            assert!(st.get(k).is_some(), "status --json has {k}: {st}");
        }
    };

    // Not a project.
    let st = status_json(&sb, &sb.work(), &[]);
    check_keys(&st);
    assert_eq!(
        (st["root"].clone(), st["allowed"].clone(), st["active"].clone()),
        (Value::Null, false.into(), false.into())
    );
    assert_eq!(st["exists"], false);

    // Untrusted.
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    let st = status_json(&sb, proj.root(), &[]);
    check_keys(&st);
    assert_eq!(st["root"], proj.root().to_str().unwrap());
    assert_eq!(st["allowed"], false);
    assert_eq!(st["exists"], false);
    assert_eq!(st["active"], false);
    assert!(st["reason"].as_str().unwrap().contains("autovenv allow"));

    // Allowed and synced.
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    let st = status_json(&sb, proj.root(), &[]);
    check_keys(&st);
    assert_eq!(st["env"], proj.env_str().as_str());
    assert_eq!((st["exists"].clone(), st["allowed"].clone()), (true.into(), true.into()));
    assert!(st["python"].as_str().unwrap().starts_with(&tools().python_version));
    assert_eq!(st["requirements"], serde_json::json!(["requirements.txt"]));
    assert_eq!(st["sync"], "ok");
    assert_eq!(st["active"], false, "this process has not activated it");

    // Active in a shell: the variables `export` gives, as a shell has them.
    let (vars, _) = export_json(&sb, proj.root());
    let env: Vec<(String, String)> =
        vars.iter().filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string()))).collect();
    let env_ref: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let st = status_json(&sb, proj.root(), &env_ref);
    assert_eq!(st["active"], true, "{st}");
    assert_eq!(st["reason"], Value::Null);

    // Failed sync.
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmissing==1.0\n", sb.wheels().display()),
    )
    .unwrap();
    let out = av(&sb, proj.root(), &["sync"]);
    assert!(!out.status.success());
    let st = status_json(&sb, proj.root(), &[]);
    assert_eq!(st["sync"], "failed", "{st}");
    assert!(st["sync_error"].as_str().is_some_and(|e| !e.is_empty()), "{st}");
    // Stale: edited since.
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmypkg==1.0\nother==1.0\n", sb.wheels().display()),
    )
    .unwrap();
    let st = status_json(&sb, proj.root(), &[]);
    assert_eq!(st["sync"], "stale", "edited since the failure: the next prompt retries");
    assert!(st["sync_error"].is_string(), "the last error is still shown");
}

/// Human `status`: colour only on a terminal without NO_COLOR.
#[test]
fn status_has_no_escape_codes_without_a_tty_or_with_no_color() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let proj = sb.project("app").require("mypkg==1.0").create();
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    // Not a tty (a pipe).
    let out = ok(&av(&sb, proj.root(), &["status"]), "status");
    assert!(out.contains("project") && out.contains("allowed"), "{out}");
    assert!(!out.contains('\x1b'), "no escape codes into a pipe: {out:?}");

    let on_tty = |no_color: bool| -> Vec<u8> {
        let mut cmd = sb.autovenv();
        cmd.arg("status").current_dir(proj.root());
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        let pty = Pty::spawn(cmd, 200, 50).unwrap();
        pty.wait_for(Duration::from_secs(20), |d| {
            let t = String::from_utf8_lossy(d);
            (t.contains("active") && t.trim_end().ends_with(|c: char| c.is_ascii_graphic() || c == 'm')).then_some(())
        })
        .unwrap_or_else(|_| panic!("status on a pty: {:?}", String::from_utf8_lossy(&pty.snapshot())));
        std::thread::sleep(Duration::from_millis(100));
        pty.snapshot()
    };
    let plain = on_tty(true);
    assert!(!plain.contains(&0x1b), "NO_COLOR on a tty: {:?}", String::from_utf8_lossy(&plain));
    let coloured = on_tty(false);
    assert!(
        coloured.contains(&0x1b),
        "a tty without NO_COLOR is coloured (so the test can fail): {:?}",
        String::from_utf8_lossy(&coloured)
    );
}

// ------------------------------------------------------------ exec

#[test]
fn exec_inside_and_outside_trust() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();

    // Untrusted: refused with the allow hint, exit 125, nothing created.
    let out = av(&sb, proj.root(), &["exec", "--", "python3", "-c", "print('ran')"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(!text(&out.stdout).contains("ran"));
    let err = text(&out.stderr);
    assert!(err.contains("is not allowed") && err.contains("autovenv allow"), "{err}");
    assert!(!proj.env_dir().exists(), "exec in an untrusted project creates nothing");

    // Trusted (allowed from outside, env not made yet): exec creates,
    // syncs and runs inside the env.
    ok(&av(&sb, &sb.work(), &["allow", proj.root().to_str().unwrap()]), "allow");
    fs::remove_dir_all(proj.env_dir()).unwrap();
    let out = av(
        &sb,
        &sb.work(),
        &["exec", "--dir", proj.root().to_str().unwrap(), "--", "python", "-c", "import sys, mypkg; print(sys.prefix)"],
    );
    assert_eq!(ok(&out, "exec"), format!("{}\n", proj.env_str()));
    let out = av(&sb, proj.root(), &["exec", "--", "python", "-c", "import sys; sys.exit(7)"]);
    assert_eq!(out.status.code(), Some(7), "exit status is the command's");
    let out = av(&sb, proj.root(), &["exec", "--", "no-such-command-avt"]);
    assert_eq!(out.status.code(), Some(127), "command not found: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no-such-command-avt"));
    // Outside any project.
    let out = av(&sb, &sb.work(), &["exec", "--", "true"]);
    assert_eq!(out.status.code(), Some(125));
    // A file that cannot be run: 126.
    let noexec = proj.path("notes.txt");
    fs::write(&noexec, "x").unwrap();
    let out = av(&sb, proj.root(), &["exec", "--", noexec.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(126), "{}", text(&out.stderr));
    // A broken config: autovenv fails first, 125, and the command never runs.
    fs::write(proj.path(".autovenv.toml"), "sync = \"fast\"\n").unwrap();
    let out = av(&sb, proj.root(), &["exec", "--", "python", "-c", "print('ran')"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(!text(&out.stdout).contains("ran"));
    assert!(text(&out.stderr).contains("'sync' in"), "{}", text(&out.stderr));
}

// ------------------------------------------------------------ watch

/// A running `autovenv watch` in `dir`, its stderr in `log`; killed on drop.
struct Watching {
    child: std::process::Child,
    log: PathBuf,
}

impl Watching {
    fn start(sb: &Sandbox, dir: &Path) -> Watching {
        let log = sb.root().join("watch.log");
        let child = sb
            .autovenv()
            .arg("watch")
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        Watching { child, log }
    }

    fn said(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait up to 30 s for `cond`, failing with what watch said.
    fn wait(&self, what: &str, cond: &dyn Fn() -> bool) {
        let t0 = Instant::now();
        while !cond() {
            assert!(t0.elapsed() < Duration::from_secs(30), "{what}; watch said:\n{}", self.said());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `autovenv watch` syncs an edit saved the way many editors save: a new
/// file renamed over the old one.
#[test]
fn watch_syncs_an_edit_saved_by_rename() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    let w = Watching::start(&sb, proj.root());
    let wait = |what: &str, cond: &dyn Fn() -> bool| w.wait(what, cond);
    wait("watch starts", &|| w.said().contains("watching"));
    let tmp = proj.path(".requirements.txt.swp");
    fs::write(&tmp, format!("--no-index\n--find-links {}\nmypkg==1.0\nother==1.0\n", sb.wheels().display())).unwrap();
    fs::rename(&tmp, proj.path("requirements.txt")).unwrap();
    let py = proj.env_dir().join("bin/python");
    wait("the renamed-over requirements.txt is synced", &|| python_imports(&py, "other"));
    // Its own reads are not changes: once synced, watch stays quiet (a
    // sync that read the file must not set off the next one, forever).
    std::thread::sleep(Duration::from_millis(700));
    let opens = opens_of(&proj.path("requirements.txt"), Duration::from_millis(1500));
    assert_eq!(opens, 0, "watch kept reading requirements.txt with nothing changed");
    // Deleted, then made again with one more package.
    fs::remove_file(proj.path("requirements.txt")).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmypkg==1.0\nother==1.0\nthird==1.0\n", sb.wheels().display()),
    )
    .unwrap();
    wait("the re-created requirements.txt is synced", &|| python_imports(&py, "third"));
    // The env removed: watch makes it again and syncs it.
    // The last sync may still be finishing its writes in the env (its state
    // file, its marks): remove it as `rm -rf` run again would.
    let t0 = std::time::Instant::now();
    while let Err(e) = fs::remove_dir_all(proj.env_dir()) {
        assert!(t0.elapsed() < Duration::from_secs(10), "cannot remove the env: {e}");
        std::thread::sleep(Duration::from_millis(100));
    }
    wait("the removed env is rebuilt and synced", &|| python_imports(&py, "other") && python_imports(&py, "mypkg"));
    // An include in folders that do not exist yet (an error until then),
    // made with `mkdir -p` and written at once: watch follows the nearest
    // folder that exists, so it sees them appear.
    sb.wheel("fourth", "1.0", &[]);
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmypkg==1.0\n-r deep/er/more.txt\n", sb.wheels().display()),
    )
    .unwrap();
    wait("the missing include is reported", &|| w.said().contains("more.txt"));
    std::thread::sleep(Duration::from_millis(500));
    fs::create_dir_all(proj.path("deep/er")).unwrap();
    fs::write(proj.path("deep/er/more.txt"), "fourth==1.0\n").unwrap();
    wait("the include made in new folders is synced", &|| python_imports(&py, "fourth"));
}

/// How often anyone opens `file` within `window` (inotify, through notify).
fn opens_of(file: &Path, window: Duration) -> usize {
    use notify::Watcher;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut w = notify::recommended_watcher(move |ev: notify::Result<notify::Event>| {
        if let Ok(ev) = ev {
            let _ = tx.send(ev);
        }
    })
    .unwrap();
    w.watch(file, notify::RecursiveMode::NonRecursive).unwrap();
    std::thread::sleep(window);
    drop(w);
    rx.try_iter().filter(|ev| matches!(ev.kind, notify::EventKind::Access(notify::event::AccessKind::Open(_)))).count()
}

/// Trust is checked at each sync, not once at start: after `deny`, an
/// edit is no longer installed by a running `autovenv watch`.
#[test]
fn watch_stops_installing_after_deny() {
    let Some(sb) = sandbox(Uv::Yes) else { return };
    let proj = sb.project("app").require("mypkg==1.0").git().create();
    ok(&av(&sb, proj.root(), &["allow"]), "allow");
    let w = Watching::start(&sb, proj.root());
    let said = || w.said();
    let wait = |what: &str, cond: &dyn Fn() -> bool| w.wait(what, cond);
    wait("watch starts", &|| said().contains("watching"));
    ok(&av(&sb, proj.root(), &["deny"]), "deny");
    fs::write(
        proj.path("requirements.txt"),
        format!("--no-index\n--find-links {}\nmypkg==1.0\nother==1.0\n", sb.wheels().display()),
    )
    .unwrap();
    wait("watch notices the edit and says the project is not allowed", &|| said().contains("is not allowed"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !python_imports(&proj.env_dir().join("bin/python"), "other"),
        "a denied project is not synced:\n{}",
        said()
    );
}

// ------------------------------------------------------------ completions, --version, --help

#[test]
fn completions_parse_in_their_shell() {
    let Some(sb) = sandbox(Uv::No) else { return };
    for shell in ["bash", "zsh", "fish"] {
        let out = av(&sb, &sb.work(), &["completions", shell]);
        let code = ok(&out, "completions");
        assert!(code.contains("autovenv") && code.len() > 200, "{shell}: {code}");
        if let Err(e) = parses(shell, &out.stdout) {
            panic!("completions {shell}: {e}");
        }
    }
    for shell in ["elvish", "powershell"] {
        let code = ok(&av(&sb, &sb.work(), &["completions", shell]), shell);
        assert!(code.contains("autovenv") && code.len() > 200, "{shell}: {code}");
    }
    // nushell, through clap_complete_nushell: parsed by `nu --ide-check`.
    let code = ok(&av(&sb, &sb.work(), &["completions", "nu"]), "nu");
    assert!(code.contains("export extern \"autovenv hook\""), "nu: {code}");
    if let Some(nu) = Kind::Nu.path().filter(|_| !should_skip(&[Need::Shell(Kind::Nu)])) {
        let file = sb.root().join("completions.nu");
        fs::write(&file, &code).unwrap();
        let out =
            std::process::Command::new(nu).args(["--no-config-file", "--ide-check", "10"]).arg(&file).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("\"diagnostic\""), "nu rejects the completions:\n{text}");
    }
    // The checker itself rejects broken code (so this test can fail).
    assert!(parses("bash", b"if then fi (").is_err());
}

#[test]
fn version_and_help() {
    let Some(sb) = sandbox(Uv::No) else { return };
    let v = ok(&av(&sb, &sb.work(), &["--version"]), "--version");
    assert_eq!(v, format!("autovenv {}\n", env!("CARGO_PKG_VERSION")));
    let h = ok(&av(&sb, &sb.work(), &["--help"]), "--help");
    for cmd in ["hook", "export", "allow", "deny", "status", "sync", "watch", "exec", "completions"] {
        assert!(h.lines().any(|l| l.trim_start().starts_with(cmd)), "--help lists {cmd}:\n{h}");
    }
}

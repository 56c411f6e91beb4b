//! Concurrency, crashes and environment faults. Each
//! gives a clear message, exit 0 (or a clear "busy"), stdout valid for every
//! shell, and never loses the user's PATH.
//!
//! Disk-full and read-only cases need a private mount namespace
//! (`unshare -m`, root in a container); they are skipped where that fails.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

const KINDS: [Kind; Kind::ALL.len()] = Kind::ALL;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Trust everything under the sandbox's `work/` (no `allow` step, so the
/// first entry is the one that creates the env).
fn trust_work(sb: &Sandbox) {
    fs::create_dir_all(sb.xdg_config().join("autovenv")).unwrap();
    fs::write(
        sb.xdg_config().join("autovenv/config.toml"),
        format!("[trust]\nprefixes = [\"{}\"]\n", sb.work().display()),
    )
    .unwrap();
}

/// `autovenv export <kind>` in `dir` with the sandbox env, minus `remove`,
/// plus `set`.
fn export_cmd(sb: &Sandbox, kind: &str, dir: &Path, remove: &[&str], set: &[(&str, &[u8])]) -> Command {
    let mut cmd = sb.autovenv();
    cmd.arg("export").arg(kind).current_dir(dir).env("PWD", dir);
    for k in remove {
        cmd.env_remove(k);
    }
    for (k, v) in set {
        cmd.env(k, OsStr::from_bytes(v));
    }
    cmd
}

/// Run `cmd` (an `export bash` command) and eval its stdout in bash with the
/// same environment; return (output, PATH after the eval).
fn eval_bash(cmd: &mut Command) -> (Output, Option<Vec<u8>>) {
    let out = cmd.output().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("code");
    fs::write(&code, &out.stdout).unwrap();
    let envs: Vec<(std::ffi::OsString, std::ffi::OsString)> =
        cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))).collect();
    let removed: Vec<&OsStr> = cmd.get_envs().filter(|(_, v)| v.is_none()).map(|(k, _)| k).collect();
    let mut b = Command::new("/bin/bash");
    b.arg("-c").arg(format!(
        ". '{}'; if [ -n \"${{PATH+x}}\" ]; then printf 'set:%s' \"$PATH\"; else printf unset; fi",
        code.display()
    ));
    b.env_clear().envs(envs);
    for k in removed {
        b.env_remove(k);
    }
    let got = b.output().unwrap();
    assert!(got.status.success(), "eval failed: {}", String::from_utf8_lossy(&got.stderr));
    let path = got.stdout.strip_prefix(b"set:").map(<[u8]>::to_vec);
    (out, path)
}

/// The checks every fault case shares: exit 0, valid stdout for all shells,
/// no panic, and (for bash) PATH after the eval still holds every entry it
/// held before.
fn check_fault(sb: &Sandbox, what: &str, dir: &Path, remove: &[&str], set: &[(&str, &[u8])]) -> String {
    for kind in KINDS {
        if kind.path().is_none() {
            continue;
        }
        let out = export_cmd(sb, kind.name(), dir, remove, set).output().unwrap();
        assert!(out.status.success(), "{what} ({}): export exits 0: {}", kind.name(), stderr(&out));
        assert_parses(kind, &out.stdout, &format!("{what} ({})", kind.name()));
        assert!(!stderr(&out).contains("panicked"), "{what}: {}", stderr(&out));
    }
    let mut cmd = export_cmd(sb, "bash", dir, remove, set);
    let before: Option<Vec<u8>> = if remove.contains(&"PATH") {
        None
    } else {
        set.iter().find(|(k, _)| *k == "PATH").map(|(_, v)| v.to_vec()).or_else(|| Some(sb.path_var().into_bytes()))
    };
    let (out, after) = eval_bash(&mut cmd);
    if let Some(before) = before {
        let after = after.unwrap_or_else(|| panic!("{what}: PATH was lost: {}", stderr(&out)));
        let entries = |p: &[u8]| p.split(|&b| b == b':').map(<[u8]>::to_vec).collect::<Vec<_>>();
        let a = entries(&after);
        // An empty PATH has nothing to lose.
        for e in entries(&before).into_iter().filter(|_| !before.is_empty()) {
            assert!(a.contains(&e), "{what}: PATH entry {:?} lost", String::from_utf8_lossy(&e));
        }
    }
    stderr(&out)
}

// ----------------------------------------------------------------- concurrency

/// Eight processes enter the same new project at once: one env, one
/// install, every one prints valid code and exits 0.
#[test]
fn eight_processes_enter_one_new_project() {
    if should_skip(&[Need::Uv, Need::Shell(Kind::Bash)]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    trust_work(&sb);
    let mut b = sb.project("app");
    for i in 0..6 {
        sb.wheel(&format!("pkg{i}"), "1.0", &[]);
        b = b.require(&format!("pkg{i}==1.0"));
    }
    let p = b.create();
    let children: Vec<_> = (0..8)
        .map(|_| {
            export_cmd(&sb, "bash", p.root(), &[], &[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
    let mut creates = 0;
    let mut syncs = 0;
    for (i, o) in outs.iter().enumerate() {
        let err = stderr(o);
        assert!(o.status.success(), "#{i} exits 0: {err}");
        assert_parses(Kind::Bash, &o.stdout, &format!("#{i}"));
        let code = String::from_utf8_lossy(&o.stdout);
        assert!(code.contains("VIRTUAL_ENV="), "#{i} activates: {code}\n{err}");
        creates += err.matches("creating env/").count();
        syncs += err.matches("synced").count();
        // autovenv's own lines (the installer's output passes through).
        for line in err.lines().filter(|l| l.starts_with("autovenv:")) {
            assert!(
                line.contains("creating env/") || line.contains("synced") || line.contains("waiting"),
                "#{i}: unexpected message {line:?}"
            );
        }
    }
    assert_eq!(creates, 1, "one env created");
    assert_eq!(syncs, 1, "one install");
    assert!(!p.env_dir().join(".autovenv-creating").exists(), "no half-made env");
    assert!(p.env_dir().join(".autovenv-state").is_file());
    // No temp files left beside the env or the state.
    let temps: Vec<_> = fs::read_dir(p.env_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().starts_with(".autovenv-tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}

// --------------------------------------------------- crashes and interruptions

fn kill_group(child: &mut std::process::Child) {
    // SAFETY: plain syscall on a process group we created.
    unsafe {
        libc_kill(-(child.id() as i32), 9);
    }
    let _ = child.wait();
}

extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

/// `kill -9` of autovenv (and its installer: the whole process group, as
/// when a terminal is closed) at 20 delays spread over creation and install;
/// each time the next entry heals: env whole and synced, no stale lock, the
/// state file never half-written.
#[test]
fn kill_9_at_twenty_points_then_heal() {
    if should_skip(&[Need::Uv, Need::Shell(Kind::Bash)]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    trust_work(&sb);
    let mut b = sb.project("app");
    let n = 12;
    for i in 0..n {
        sb.wheel(&format!("pkg{i}"), "1.0", &[]);
        sb.wheel(&format!("pkg{i}"), "2.0", &[]);
        b = b.require(&format!("pkg{i}==1.0"));
    }
    let p = b.create();
    let req = p.path("requirements.txt");
    let v1 = fs::read_to_string(&req).unwrap();
    let v2 = v1.replace("==1.0", "==2.0");
    let imports: String = (0..n).map(|i| format!("import pkg{i}\n")).collect();

    // Measure one full creation + install and one switch of all pins, with
    // uv's cache warm (as in the killed runs).
    let timed = || {
        let t0 = Instant::now();
        let out = export_cmd(&sb, "bash", p.root(), &[], &[]).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        t0.elapsed()
    };
    timed();
    let (mut full, mut switch) = (Duration::MAX, Duration::MAX);
    for _ in 0..2 {
        fs::remove_dir_all(p.env_dir()).unwrap();
        full = full.min(timed());
        fs::write(&req, &v2).unwrap();
        switch = switch.min(timed());
        fs::write(&req, &v1).unwrap();
        timed();
    }

    let mut killed_while = Vec::new();
    for k in 0..20u32 {
        // Alternate: a fresh project (kill during creation) and an env whose
        // requirements changed (kill during install).
        // requirements: all pins 1.0 or all 2.0, so every install has
        // twelve packages to replace.
        // Each install (odd k) flips the pins of the env healed just before.
        let pins = if matches!(k % 4, 1 | 2) { &v2 } else { &v1 };
        let delay = if k % 2 == 0 {
            let _ = fs::remove_dir_all(p.env_dir());
            fs::write(&req, pins).unwrap();
            full.mul_f64(f64::from(k / 2 + 1) / 12.0)
        } else {
            fs::write(&req, pins).unwrap();
            switch.mul_f64(f64::from(k / 2 + 1) / 12.0)
        };
        let mut child = export_cmd(&sb, "bash", p.root(), &[], &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        if k % 4 == 0 {
            // Creation is a short part of a first entry, too short for a
            // fixed delay to land in it reliably: wait for its mark, then
            // kill a little later each time.
            let creating = p.env_dir().join(".autovenv-creating");
            let t0 = Instant::now();
            while !creating.exists() && t0.elapsed() < Duration::from_secs(10) && child.try_wait().unwrap().is_none() {
                std::thread::sleep(Duration::from_micros(200));
            }
            std::thread::sleep(Duration::from_millis(u64::from(k / 4)));
        } else {
            std::thread::sleep(delay);
        }
        let done_before = child.try_wait().unwrap().is_some();
        // Mostly the whole group (a closed terminal); every fourth time
        // autovenv alone, leaving its installer running as an orphan.
        if k % 4 == 3 {
            let _ = child.kill();
            let _ = child.wait();
        } else {
            kill_group(&mut child);
        }
        killed_while.push((delay, done_before, p.env_dir().join(".autovenv-creating").exists()));

        // The state file is whole JSON or absent, never half-written.
        if let Ok(bytes) = fs::read(p.env_dir().join(".autovenv-state")) {
            assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok(), "kill #{k}: half-written state");
        }
        // Heal.
        let t = Instant::now();
        let out = export_cmd(&sb, "bash", p.root(), &[], &[]).output().unwrap();
        assert!(t.elapsed() < Duration::from_secs(60), "kill #{k}: no stale lock");
        assert!(out.status.success(), "kill #{k}: {}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("VIRTUAL_ENV="), "kill #{k}: {}", stderr(&out));
        assert!(!p.env_dir().join(".autovenv-creating").exists(), "kill #{k}: env whole");
        let py = p.env_dir().join("bin/python");
        let st = Command::new(&py).args(["-c", &imports]).env_clear().output().unwrap();
        let want = if pins == &v2 { "2.0" } else { "1.0" };
        let ver = Command::new(&py)
            .args(["-c", "import importlib.metadata as m; print(m.version('pkg0'), m.version('pkg11'))"])
            .env_clear()
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ver.stdout).trim(),
            format!("{want} {want}"),
            "kill #{k} after {delay:?}: synced to the file; python: {}\nheal: {}",
            String::from_utf8_lossy(&ver.stderr),
            stderr(&out)
        );
        assert!(st.status.success(), "kill #{k} after {delay:?}: env synced: {}", String::from_utf8_lossy(&st.stderr));
        let status = sb.autovenv().args(["status", "--json"]).current_dir(p.root()).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(v["sync"], "ok", "kill #{k}: sync state ok: {v}");
    }
    let interrupted = killed_while.iter().filter(|(_, done, _)| !done).count();
    let mid_creation = killed_while.iter().filter(|(_, _, c)| *c).count();
    eprintln!("full run {full:?}, switch {switch:?}; kills: {killed_while:?}");
    assert!(interrupted >= 6, "most kills land before the end: {killed_while:?}");
    assert!(mid_creation >= 1, "some kills land mid-creation: {killed_while:?}");
}

// ---------------------------------------------------------- environment faults

fn project_with_env(sb: &Sandbox) -> Project {
    sb.wheel("mypkg", "1.0", &[]);
    let p = sb.project("app").require("mypkg==1.0").create();
    let out = sb.autovenv().arg("allow").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    p
}

#[test]
fn environment_faults_keep_path_and_shell_valid() {
    if should_skip(&[Need::Uv, Need::Shell(Kind::Bash)]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = project_with_env(&sb);
    let file = sb.root().join("a-file");
    fs::write(&file, "").unwrap();
    let f = file.as_os_str().as_bytes();
    let under_file = file.join("sub");
    let uf = under_file.as_os_str().as_bytes();
    let xdg = ["XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"];
    let big_path: Vec<u8> = {
        let mut v = sb.path_var().into_bytes();
        while v.len() < 100 * 1024 {
            v.extend_from_slice(b":/nonexistent/dir/for/a/long/path/entry");
        }
        v
    };
    let pv = sb.path_var();
    let empties = format!(":{pv}::");
    let older = b"/somewhere/old".to_vec();

    let mut all_xdg_and_home = xdg.to_vec();
    all_xdg_and_home.push("HOME");
    for dir in [p.root().to_path_buf(), sb.work()] {
        let d = dir.display().to_string();
        let err = check_fault(&sb, &format!("HOME unset, no XDG in {d}"), &dir, &all_xdg_and_home, &[]);
        if dir == p.root() {
            assert!(err.contains("HOME is not set"), "the message says why nothing can be allowed: {err}");
            assert!(!err.contains("run `autovenv allow`"), "no advice that cannot work: {err}");
        }
        check_fault(&sb, &format!("HOME a file in {d}"), &dir, &xdg, &[("HOME", f)]);
        check_fault(&sb, &format!("HOME relative in {d}"), &dir, &xdg, &[("HOME", b"rel/home")]);
        check_fault(&sb, &format!("XDG dirs under a file in {d}"), &dir, &[], &xdg.map(|k| (k, uf)));
        check_fault(&sb, &format!("PATH with empty entries in {d}"), &dir, &[], &[("PATH", empties.as_bytes())]);
        check_fault(&sb, &format!("100 KB PATH in {d}"), &dir, &[], &[("PATH", &big_path)]);
        check_fault(&sb, &format!("VIRTUAL_ENV garbage in {d}"), &dir, &[], &[("VIRTUAL_ENV", b"\xff$(x)\n;")]);
        check_fault(&sb, &format!("VIRTUAL_ENV empty in {d}"), &dir, &[], &[("VIRTUAL_ENV", b"")]);
        check_fault(
            &sb,
            &format!("AUTOVENV_* tampered in {d}"),
            &dir,
            &[],
            &[
                ("AUTOVENV_ROOT", b"/etc"),
                ("AUTOVENV_ENV", b"$(touch x)"),
                ("AUTOVENV_SAVED_PYTHONHOME", b"\xff"),
                ("AUTOVENV_HINTED", b""),
                ("AUTOVENV_STAMP", b"/etc/passwd"),
                ("AUTOVENV_PID", b"$(touch x)\xff"),
            ],
        );
        // Another process's pid: `export` takes itself for a subshell's,
        // does nothing and prints nothing, PATH kept.
        check_fault(&sb, &format!("AUTOVENV_PID of another process in {d}"), &dir, &[], &[("AUTOVENV_PID", b"1")]);
        // Bookkeeping that would make "leaving" strip a system folder.
        check_fault(
            &sb,
            &format!("AUTOVENV_ENV=/usr in {d}"),
            &dir,
            &[],
            &[("AUTOVENV_ROOT", b"/"), ("AUTOVENV_ENV", b"/usr"), ("VIRTUAL_ENV", b"/usr")],
        );
        check_fault(&sb, &format!("AUTOVENV_ENV=/usr alone in {d}"), &dir, &[], &[("AUTOVENV_ENV", b"/usr")]);
        check_fault(
            &sb,
            &format!("AUTOVENV_* from an older version in {d}"),
            &dir,
            &[],
            &[
                ("AUTOVENV_DIR", &older),
                ("AUTOVENV_OLD_PATH", b"/usr/bin"),
                ("AUTOVENV_ENV", &older),
                ("VIRTUAL_ENV", &older),
            ],
        );
    }
    // An empty PATH: nothing to lose, but the output must still be valid
    // and the message clear.
    let err = check_fault(&sb, "PATH empty", p.root(), &[], &[("PATH", b"")]);
    let err2 = check_fault(&sb, "PATH unset", p.root(), &["PATH"], &[]);
    eprintln!("PATH empty: {err}\nPATH unset: {err2}");
    // A stamp pointing at a system file is never written.
    assert!(fs::metadata("/etc/passwd").unwrap().len() > 0);
    assert!(!sb.work().join("x").exists(), "nothing executed");
}

/// Run `export bash` inside a private mount namespace after `mounts` (sh code).
fn in_namespace(sb: &Sandbox, dir: &Path, mounts: &str) -> Option<Output> {
    let probe = Command::new("unshare").args(["-m", "true"]).output().ok()?;
    if !probe.status.success() {
        eprintln!("skipping: no mount namespace");
        return None;
    }
    let mut cmd = sb.command("unshare");
    cmd.args(["-m", "sh", "-c"])
        .arg(format!("set -e; {mounts}; exec \"$0\" export bash"))
        .arg(autovenv_bin())
        .current_dir(dir)
        .env("PWD", dir);
    Some(cmd.output().unwrap())
}

fn fill_tmpfs(dir: &Path) -> String {
    let d = dir.display();
    format!("mkdir -p '{d}'; mount -t tmpfs -o size=64k tmpfs '{d}'; dd if=/dev/zero of='{d}/.fill' bs=4k count=100 2>/dev/null || true")
}

#[test]
fn disk_full_and_read_only() {
    if should_skip(&[Need::Uv, Need::Shell(Kind::Bash)]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    trust_work(&sb);
    let p = sb.project("app").create();
    let mut cases: Vec<(&str, String, PathBuf)> = vec![
        ("disk full: state (locks)", fill_tmpfs(&sb.xdg_state()), p.root().to_path_buf()),
        ("disk full: stamps", fill_tmpfs(&sb.runtime_dir()), p.root().to_path_buf()),
        (
            "disk full: project (env creation)",
            {
                // The project's files on a full tmpfs of its own.
                let r = p.root().display();
                let keep = sb.root().join("keep");
                format!(
                    "cp -a '{r}' '{k}'; mount -t tmpfs -o size=64k tmpfs '{r}'; cp -a '{k}/.' '{r}/'; \
                     dd if=/dev/zero of='{r}/.fill' bs=4k count=100 2>/dev/null || true",
                    k = keep.display()
                )
            },
            p.root().to_path_buf(),
        ),
    ];
    let ro = format!("mount --bind '{0}' '{0}'; mount -o remount,ro,bind '{0}'", p.root().display());
    cases.push(("read-only project", ro, p.root().to_path_buf()));
    for (what, mounts, dir) in cases {
        let _ = fs::remove_dir_all(p.env_dir());
        // Each case on its own: a failed creation is recorded and not
        // tried again until something changes.
        let _ = fs::remove_dir_all(sb.xdg_state().join("autovenv/failed"));
        let Some(out) = in_namespace(&sb, &dir, &mounts) else { return };
        let err = stderr(&out);
        eprintln!("{what}: {err}");
        assert!(out.status.success(), "{what}: exit 0: {err}");
        assert_parses(Kind::Bash, &out.stdout, what);
        assert!(!err.contains("panicked"), "{what}: {err}");
        let code = String::from_utf8_lossy(&out.stdout);
        if !code.contains("VIRTUAL_ENV=") {
            assert!(err.contains("error"), "{what}: not activated, so an error says why: {err}");
        }
        assert!(!code.contains("PATH=''") && !code.contains("unset -v PATH"), "{what}: PATH kept: {code}");
    }
}

/// The sync state cannot be written (a folder in its place: fails even for
/// root): the install still happens, one clear error, the env stays
/// active, and once the obstacle is gone the next entry records the state.
#[test]
fn state_write_failure_is_reported_and_heals() {
    if should_skip(&[Need::Uv, Need::Shell(Kind::Bash)]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = project_with_env(&sb);
    let state = p.env_dir().join(".autovenv-state");
    fs::remove_file(&state).unwrap();
    fs::create_dir(&state).unwrap();
    fs::write(state.join("x"), "").unwrap();
    sb.wheel("other", "1.0", &[]);
    let req = p.path("requirements.txt");
    fs::write(&req, fs::read_to_string(&req).unwrap() + "other==1.0\n").unwrap();
    let err = check_fault(&sb, "state unwritable", p.root(), &[], &[]);
    assert!(err.contains(".autovenv-state"), "the error names the state file: {err}");
    let out = export_cmd(&sb, "bash", p.root(), &[], &[]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("VIRTUAL_ENV="), "env still active: {}", stderr(&out));
    fs::remove_dir_all(&state).unwrap();
    let out = export_cmd(&sb, "bash", p.root(), &[], &[]).output().unwrap();
    assert!(out.status.success());
    let bytes = fs::read(&state).expect("state recorded after healing");
    assert!(serde_json::from_slice::<serde_json::Value>(&bytes).is_ok());
}

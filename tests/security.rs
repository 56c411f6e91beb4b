//! Issue 6: autovenv keeps the user safe. Untrusted repositories run nothing
//! (1), trust cannot be bypassed (2), hostile directory names neither execute
//! nor get mangled (3), malformed input gives one clear error and valid shell
//! code (7). Faults (4–6) are in `faults.rs`; the fuzzing (8) is a proptest in
//! `src/plan.rs`.
//!
//! Most cases run `autovenv export SHELL` as a process with a controlled
//! environment and check its stderr and that stdout parses (`bash -n`,
//! `zsh -n`, `fish -n`); cases 1 and 3 use real interactive shells.

#[macro_use]
mod common;

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

const KINDS: [Kind; 3] = [Kind::Bash, Kind::Zsh, Kind::Fish];

/// `autovenv export <shell>` run in `dir` (with `$PWD` = `dir`) and `extra`
/// variables on top of the sandbox environment.
fn export(sb: &Sandbox, kind: &str, dir: &Path, extra: &[(&str, &[u8])]) -> Output {
    let mut cmd = sb.autovenv();
    cmd.arg("export").arg(kind).current_dir(dir).env("PWD", dir);
    for (k, v) in extra {
        cmd.env(k, std::ffi::OsStr::from_bytes(v));
    }
    cmd.output().unwrap()
}

/// Export for all three shells; each stdout must parse. Returns the bash
/// output (stderr of all three must agree in content).
fn export_all(sb: &Sandbox, dir: &Path, extra: &[(&str, &[u8])], when: &str) -> Output {
    let mut first = None;
    for kind in KINDS {
        if kind.path().is_none() {
            continue;
        }
        let out = export(sb, kind.name(), dir, extra);
        assert_parses(kind, &out.stdout, &format!("{when} ({})", kind.name()));
        first.get_or_insert(out);
    }
    first.expect("bash is installed")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The JSON changes export would make in `dir`.
fn json(sb: &Sandbox, dir: &Path, extra: &[(&str, &[u8])]) -> (serde_json::Value, String) {
    let out = export(sb, "json", dir, extra);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("export json is not JSON ({e}): {}\n{}", stdout(&out), stderr(&out)));
    (v, stderr(&out))
}

fn allow(sb: &Sandbox, dir: &Path) -> String {
    let out = sb.autovenv().arg("allow").arg(dir).output().unwrap();
    assert!(out.status.success(), "allow {} failed: {}", dir.display(), stderr(&out));
    stderr(&out)
}

/// A folder where any attacker file that runs leaves a mark.
fn pwned_dir(sb: &Sandbox) -> PathBuf {
    let d = sb.root().join("pwned");
    fs::create_dir_all(&d).unwrap();
    d
}

fn marks(sb: &Sandbox) -> Vec<String> {
    let mut v: Vec<String> =
        fs::read_dir(pwned_dir(sb)).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn write_exec(p: &Path, text: &str) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
    fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
}

/// Plant every trojan of issue 6 case 1 in `root`; each leaves a file in
/// `pwned/` named after itself when run.
fn plant_trojans(sb: &Sandbox, root: &Path) {
    let pw = pwned_dir(sb);
    let trojan = |name: &str| format!("#!/bin/sh\ntouch '{}/{name}'\n", pw.display());
    for name in ["ls", "python", "python3", "pip", "cd", "true", "printf", "env", "uv", "git"] {
        write_exec(&root.join("env/bin").join(name), &trojan(&format!("env-bin-{name}")));
    }
    fs::write(root.join("env/pyvenv.cfg"), "home = /usr/bin\nversion = 3.11.0\n").unwrap();
    // A local sdist whose setup.py writes a file.
    let sdist = root.join("evil-sdist");
    fs::create_dir_all(&sdist).unwrap();
    fs::write(
        sdist.join("setup.py"),
        format!(
            "open('{}/setup-py', 'w').write('x')\nfrom setuptools import setup\nsetup(name='evil')\n",
            pw.display()
        ),
    )
    .unwrap();
    fs::write(root.join("setup.py"), format!("open('{}/root-setup-py', 'w').write('x')\n", pw.display())).unwrap();
    fs::write(root.join("requirements.txt"), "./evil-sdist\n-e ./evil-sdist\n").unwrap();
    write_exec(&root.join("evil-python"), &trojan("config-python"));
    fs::write(root.join(".autovenv.toml"), format!("python = \"{}\"\n", root.join("evil-python").display())).unwrap();
    fs::write(root.join(".python-version"), format!("3.11$(touch {0}/pyver);`touch {0}/pyver2`|x&&y\n", pw.display()))
        .unwrap();
}

// ---------------------------------------------------------------- case 1

/// A cloned repo full of trojans: entering it, running `ls`, pressing Enter
/// runs none of them and leaves PATH and VIRTUAL_ENV alone. Then the same
/// after `autovenv deny` of a project that was allowed and active.
fn untrusted_repo_runs_nothing(kind: Kind) {
    if should_skip(&[Need::Shell(kind), Need::Uv, Need::Git]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let repo = sb.project("cloned").no_requirements().git().create();
    plant_trojans(&sb, repo.root());
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let path0 = sh.var_str("PATH").unwrap();

    let out = sh.cd(repo.root());
    assert!(out.contains("is not allowed"), "the hint is shown: {out}");
    let out = sh.run("ls");
    assert!(out.contains("evil-sdist"), "the real ls ran: {out}");
    // Enter a few times (`true`: an empty line does not count as a new
    // prompt for the harness), each running the prompt hook.
    for _ in 0..3 {
        sh.run("true");
    }
    sh.run("cd env/bin");
    sh.run("ls");
    sh.cd(repo.root());
    assert_eq!(marks(&sb), Vec::<String>::new(), "no attacker file ran:\n{}", sh.transcript());
    assert_eq!(sh.var_str("PATH").as_deref(), Some(path0.as_str()), "PATH unchanged");
    assert_eq!(sh.var("VIRTUAL_ENV"), None);
    assert!(!repo.root().join("env/.autovenv").exists(), "nothing written into env/");
    assert!(!repo.root().join(".gitignore").exists(), "nothing written into the repo");

    // A project allowed and active, then denied; the attacker (or a pull)
    // plants trojans afterwards. Leaving and coming back runs nothing.
    let mine = sb.project("mine").git().create();
    sh.run(&format!("autovenv allow {}", sh.qp(mine.root())));
    sh.cd(mine.root());
    assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(mine.env_str()), "allowed project is active");
    let out = sh.run("autovenv deny");
    assert_eq!(sh.var("VIRTUAL_ENV"), None, "deny deactivates at the next prompt: {out}");
    assert_eq!(sh.var_str("PATH").as_deref(), Some(path0.as_str()), "PATH restored after deny");
    fs::remove_dir_all(mine.root().join("env")).unwrap();
    plant_trojans(&sb, mine.root());
    sh.cd(&sb.work());
    sh.cd(mine.root());
    sh.run("ls");
    sh.run("true");
    assert_eq!(marks(&sb), Vec::<String>::new(), "no attacker file ran after deny:\n{}", sh.transcript());
    assert_eq!(sh.var_str("PATH").as_deref(), Some(path0.as_str()), "PATH unchanged after deny");
    assert_eq!(sh.var("VIRTUAL_ENV"), None);
    sh.exit();
}

/// The non-interactive commands refuse too: `status` and `exec` in the
/// trojan repo run nothing (`exec` must refuse, 125).
#[test]
fn untrusted_repo_status_and_exec_run_nothing() {
    if should_skip(&[Need::Uv, Need::Git]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let repo = sb.project("cloned").no_requirements().git().create();
    plant_trojans(&sb, repo.root());
    let out = sb.autovenv().args(["status", "--json"]).current_dir(repo.root()).output().unwrap();
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    let out = sb.autovenv().args(["exec", "--", "python", "-c", "pass"]).current_dir(repo.root()).output().unwrap();
    assert_eq!(out.status.code(), Some(125), "exec refuses an untrusted project: {}", stderr(&out));
    let out = export_all(&sb, repo.root(), &[], "trojan repo");
    assert!(!stdout(&out).contains("VIRTUAL_ENV="), "{}", stdout(&out));
    assert_eq!(marks(&sb), Vec::<String>::new());
}

// ---------------------------------------------------------------- case 2

fn active_env(v: &serde_json::Value) -> Option<String> {
    v.get("VIRTUAL_ENV").and_then(|x| x.as_str()).map(str::to_string)
}

/// Trust follows the canonical path: a symlink into an allowed project is
/// that project; a moved project is a new one.
#[test]
fn trust_follows_the_canonical_path() {
    if should_skip(&[Need::Uv, Need::Git]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("real").create();
    allow(&sb, p.root());
    let link = sb.work().join("link");
    symlink(p.root(), &link).unwrap();
    let (v, err) = json(&sb, &link, &[]);
    assert!(active_env(&v).is_some(), "a symlink into an allowed project is that project: {v} {err}");
    assert!(!err.contains("not allowed"), "{err}");

    // Moved after being allowed: not trusted at the new path.
    let moved = sb.work().join("moved");
    fs::rename(p.root(), &moved).unwrap();
    let (v, err) = json(&sb, &moved, &[]);
    assert_eq!(active_env(&v), None, "a moved project is untrusted: {v}");
    assert!(err.contains("is not allowed"), "{err}");
    // And a new project at the old path is not trusted by the old record
    // only because the path matches... it is: document it (same path = same
    // project), but its env is not reused: there is none.
}

#[test]
fn trust_prefix_respects_boundaries() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    fs::create_dir_all(sb.xdg_config().join("autovenv")).unwrap();
    fs::write(sb.xdg_config().join("autovenv/config.toml"), "[trust]\nprefixes = [\"~/code\"]\n").unwrap();
    for (dir, trusted) in [("code/app", true), ("codex/app", false), ("code-x/app", false), ("cod/app", false)] {
        let root = sb.home().join(dir);
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join("requirements.txt"), "").unwrap();
        let (v, err) = json(&sb, &root, &[]);
        assert_eq!(active_env(&v).is_some(), trusted, "~/{dir}: {v} {err}");
    }
    // `..` in the prefix or the path cannot escape the boundary either.
    let out = export_all(&sb, &sb.home().join("codex/app"), &[], "codex");
    assert!(stderr(&out).contains("not allowed"));
}

#[test]
fn unreadable_or_corrupt_trust_is_untrusted_with_a_message() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("app").create();
    allow(&sb, p.root());
    let trust = sb.trust_dir().join("trust");
    let record = fs::read_dir(&trust).unwrap().next().unwrap().unwrap().path();
    let good = fs::read(&record).unwrap();

    // Corrupt: another path, garbage bytes, empty, truncated.
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("another path", b"/elsewhere\n".to_vec()),
        ("garbage", b"\xff\xfe\x00garbage".to_vec()),
        ("empty", Vec::new()),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("no newline", good[..good.len() - 1].to_vec()),
    ];
    for (what, bytes) in cases {
        fs::write(&record, &bytes).unwrap();
        let out = export_all(&sb, p.root(), &[], what);
        let (v, err) = json(&sb, p.root(), &[]);
        assert_eq!(active_env(&v), None, "{what}: a corrupt record is not trust");
        assert!(err.contains("corrupt") && err.contains(&record.display().to_string()), "{what}: {err}");
        assert!(out.status.success(), "{what}: export still exits 0");
    }
    // Unreadable (a directory in its place: unreadable even for root).
    fs::remove_file(&record).unwrap();
    fs::create_dir(&record).unwrap();
    let out = export_all(&sb, p.root(), &[], "unreadable record");
    assert!(stderr(&out).contains("cannot read trust record"), "{}", stderr(&out));
    let (v, _) = json(&sb, p.root(), &[]);
    assert_eq!(active_env(&v), None);
    fs::remove_dir(&record).unwrap();
    // Unreadable by mode (root reads anyway, hence the folder above).
    // SAFETY: a plain syscall without arguments.
    if unsafe { libc::geteuid() } != 0 {
        fs::write(&record, &good).unwrap();
        fs::set_permissions(&record, fs::Permissions::from_mode(0o000)).unwrap();
        let out = export_all(&sb, p.root(), &[], "record mode 000");
        assert!(stderr(&out).contains("cannot read trust record"), "{}", stderr(&out));
        fs::remove_file(&record).unwrap();
    }

    // World- or group-writable trust folder: refused, with the fix.
    fs::write(&record, &good).unwrap();
    let (v, _) = json(&sb, p.root(), &[]);
    assert!(active_env(&v).is_some(), "the restored record trusts again");
    for mode in [0o777, 0o775, 0o1777] {
        fs::set_permissions(&trust, fs::Permissions::from_mode(mode)).unwrap();
        let out = export_all(&sb, p.root(), &[], "writable trust dir");
        assert!(stderr(&out).contains("writable by other users"), "{mode:o}: {}", stderr(&out));
        assert!(stderr(&out).contains("chmod go-w"), "{}", stderr(&out));
        let (v, _) = json(&sb, p.root(), &[]);
        assert_eq!(active_env(&v), None, "{mode:o}: refused");
    }
    // The folder holding the trust folder, writable by others, lets them
    // swap the whole trust folder: refused too.
    fs::set_permissions(&trust, fs::Permissions::from_mode(0o700)).unwrap();
    fs::set_permissions(sb.trust_dir(), fs::Permissions::from_mode(0o777)).unwrap();
    let (v, err) = json(&sb, p.root(), &[]);
    assert_eq!(active_env(&v), None, "writable parent of the trust folder: {err}");
    assert!(err.contains("writable by other users"), "{err}");
}

// ---------------------------------------------------------------- case 3

/// At least 30 hostile folder names, each a project (the name is also its
/// VIRTUAL_ENV_PROMPT), plus one near NAME_MAX and one near PATH_MAX.
fn hostile_names() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        "with space",
        "double\"quote",
        "single'quote",
        "both'\"quotes",
        "$(touch PWNED1)",
        "`touch PWNED2`",
        "a;touch PWNED3",
        "a && touch PWNED4",
        "a | touch PWNED5",
        "a > PWNED6",
        "back\\slash\\",
        "new\nline",
        "tab\there",
        "star*",
        "what?",
        "[ab]",
        "-leading-dash",
        "--",
        "100%d%s%n",
        "bang!!",
        "!$",
        "~tilde",
        "~",
        "{a,b}",
        "#hash",
        "a#b",
        "ünïcödé",
        "e\u{301}\u{301}combining",
        "rtl\u{202e}txt.exe",
        "\u{200f}\u{200e}marks",
        "日本語 テスト",
        "$HOME",
        "${PATH}",
        "$'\\x41'",
        "\\$(x)",
        "a\\nb",
        "emoji 🐍",
        " leading and trailing ",
        "(paren)",
        "fish(echo x)",
        "a{$x}b",
        "%self",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    v.push(b"bad\xffutf8\xc3".to_vec());
    // Near NAME_MAX (255 bytes): the env folder adds nothing to the name.
    v.push([b"L".repeat(120), "é".repeat(60).into_bytes(), b"$(x)".to_vec(), b"'".repeat(10)].concat());
    v
}

fn os(b: &[u8]) -> &std::ffi::OsStr {
    std::ffi::OsStr::from_bytes(b)
}

/// A project folder whose path is near PATH_MAX (4096), made with relative
/// steps (mkdir of a long absolute path would fail on the way).
fn deep_project(base: &Path) -> PathBuf {
    let mut p = base.join("deep");
    let seg = "d".repeat(200) + " $(x)";
    // <sandbox>/work/deep/ + n * 206 + /env/bin/python3.NN must stay < 4096.
    while p.as_os_str().len() + seg.len() + 1 + 40 < 4000 {
        p.push(&seg);
    }
    fs::create_dir_all(&p).unwrap();
    p
}

fn hostile_names_round_trip(kind: Kind) {
    if should_skip(&[Need::Shell(kind), Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    fs::create_dir_all(sb.xdg_config().join("autovenv")).unwrap();
    // Pre-trust the whole work folder: the test is about names, not allow.
    fs::write(
        sb.xdg_config().join("autovenv/config.toml"),
        format!("[trust]\nprefixes = [\"{}\"]\n", sb.work().display()),
    )
    .unwrap();
    let mut roots: Vec<PathBuf> = hostile_names().iter().map(|n| sb.work().join(os(n))).collect();
    roots.push(deep_project(&sb.work()));
    assert!(roots.len() >= 32);
    // One shared env: each project's env/ is a symlink to it? No: real envs,
    // made by uv (0.15 s each), as a user would have them.
    for r in &roots {
        fs::create_dir_all(r).unwrap();
        fs::write(r.join("requirements.txt"), "").unwrap();
    }
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.set_timeout(std::time::Duration::from_secs(60));
    let path0 = sh.var("PATH").unwrap();
    for r in &roots {
        let name = r.file_name().unwrap().as_bytes().to_vec();
        let show = String::from_utf8_lossy(&name).into_owned();
        // `cd` through the shell's own quoting (bytes that are not UTF-8
        // need the shell's byte escapes).
        // Relative to work/ (where the shell is): shorter lines to type.
        let rel = r.strip_prefix(sb.work()).unwrap();
        // A path near PATH_MAX is longer than a terminal line editor takes
        // in one line: walk down one folder per command line.
        let steps: Vec<&[u8]> = if rel.as_os_str().len() > 1000 {
            rel.components().map(|c| c.as_os_str().as_bytes()).collect()
        } else {
            vec![rel.as_os_str().as_bytes()]
        };
        let mut out = String::new();
        for step in steps {
            let quoted = quote_bytes(kind, &[b"./", step].concat());
            out = sh.run(&format!("cd {quoted}"));
        }
        let [venv, pwd, prompt] =
            <[Option<Vec<u8>>; 3]>::try_from(sh.vars(&["VIRTUAL_ENV", "PWD", "VIRTUAL_ENV_PROMPT"])).unwrap();
        assert_eq!(pwd.as_deref(), Some(r.as_os_str().as_bytes()), "{show:?}: cd worked; {out}");
        let env = r.join("env");
        if std::str::from_utf8(&name).is_err() {
            // uv refuses a non-UTF-8 env path: a clear error, nothing
            // activated, PATH as it was (python -m venv would accept it).
            assert!(out.contains("error: creating") && venv.is_none(), "{show:?}: {out}");
            assert_eq!(sh.var("PATH").unwrap(), path0, "{show:?}: PATH kept");
            sh.cd(&sb.work());
            continue;
        }
        assert_eq!(venv.as_deref(), Some(env.as_os_str().as_bytes()), "{show:?}: VIRTUAL_ENV byte for byte; {out}");
        assert_eq!(prompt.as_deref(), Some(&name[..]), "{show:?}: VIRTUAL_ENV_PROMPT byte for byte");
        let path = sh.var("PATH").unwrap();
        let mut want = env.join("bin").into_os_string().into_vec();
        want.push(b':');
        want.extend_from_slice(&path0);
        assert_eq!(path, want, "{show:?}: PATH is env/bin prepended");
        sh.cd(&sb.work());
        assert_eq!(sh.var("PATH").unwrap(), path0, "{show:?}: PATH byte-identical after leaving");
        assert_eq!(sh.var("VIRTUAL_ENV"), None, "{show:?}");
    }
    let stray: Vec<_> = fs::read_dir(sb.work())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.as_bytes().starts_with(b"PWNED") || n.as_bytes() == b"x")
        .collect();
    assert!(stray.is_empty(), "something executed: {stray:?}");
    sh.exit();
}

use std::os::unix::ffi::OsStringExt;

/// Quote arbitrary bytes for typing into `kind`.
fn quote_bytes(kind: Kind, b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        // Printable ASCII is typed as is; anything else as byte escapes, so
        // the terminal echo (zsh shows combining marks as <0301>) is plain.
        Ok(s) if s.bytes().all(|c| (0x20..0x7f).contains(&c)) => kind.quote(s),
        _ => {
            // $'…' in bash/zsh; fish: \xHH escapes outside quotes.
            let mut out = String::new();
            match kind {
                Kind::Bash | Kind::Zsh => {
                    out.push_str("$'");
                    for &c in b {
                        if c.is_ascii_alphanumeric() || c == b'/' || c == b'.' {
                            out.push(c as char);
                        } else {
                            out.push_str(&format!("\\x{c:02x}"));
                        }
                    }
                    out.push('\'');
                }
                Kind::Fish => {
                    for &c in b {
                        if c.is_ascii_alphanumeric() || c == b'/' {
                            out.push(c as char);
                        } else {
                            out.push_str(&format!("\\X{c:02x}"));
                        }
                    }
                }
            }
            out
        }
    }
}

per_shell!(untrusted_repo_runs_nothing, hostile_names_round_trip);

// ---------------------------------------------------------------- case 7

/// A trusted project whose files are then broken in one way each: one clear
/// error naming the file, exit 0, and stdout valid in every shell.
#[test]
fn malformed_input_names_the_file() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("app").create();
    allow(&sb, p.root());
    let cfg = p.path(".autovenv.toml");
    let req = p.path("requirements.txt");
    let good_req = fs::read(&req).unwrap();
    type Setup = Box<dyn Fn()>;
    let (c1, c2, c3, c4, r1, r2, r3, r4, r5) = (
        cfg.clone(),
        cfg.clone(),
        cfg.clone(),
        cfg.clone(),
        req.clone(),
        req.clone(),
        req.clone(),
        req.clone(),
        req.clone(),
    );
    let pr = p.root().to_path_buf();
    let cases: Vec<(&str, Setup, PathBuf)> = vec![
        ("malformed toml", Box::new(move || fs::write(&c1, "env_dir = \n[[[").unwrap()), cfg.clone()),
        ("unknown key", Box::new(move || fs::write(&c2, "envdir = \"x\"\n").unwrap()), cfg.clone()),
        ("wrong type", Box::new(move || fs::write(&c3, "sync = 3\nrequirements = \"r.txt\"\n").unwrap()), cfg.clone()),
        ("non-utf8 config", Box::new(move || fs::write(&c4, b"prompt = \"\xff\xfe\"\n").unwrap()), cfg.clone()),
        ("non-utf8 requirements", Box::new(move || fs::write(&r1, b"\xff\xfemypkg\n").unwrap()), req.clone()),
        (
            "requirements is a directory",
            Box::new(move || {
                let _ = fs::remove_file(&r2);
                fs::create_dir(&r2).unwrap();
            }),
            req.clone(),
        ),
        (
            "requirements is a FIFO",
            Box::new(move || {
                let _ = fs::remove_dir(&r3);
                let _ = fs::remove_file(&r3);
                let st = Command::new("mkfifo").arg(&r3).status().unwrap();
                assert!(st.success());
            }),
            req.clone(),
        ),
        (
            "include cycle",
            Box::new(move || {
                let _ = fs::remove_file(&r4);
                fs::write(&r4, "-r other.txt\n").unwrap();
                fs::write(pr.join("other.txt"), "-r requirements.txt\n").unwrap();
            }),
            req.clone(),
        ),
        ("missing include", Box::new(move || fs::write(&r5, "-r nowhere.txt\n").unwrap()), req.clone()),
    ];
    for (what, setup, file) in cases {
        // Start from a good state each time.
        let _ = fs::remove_file(&cfg);
        if req.is_dir() {
            fs::remove_dir(&req).unwrap();
        } else {
            let _ = fs::remove_file(&req);
        }
        fs::write(&req, &good_req).unwrap();
        setup();
        let t0 = std::time::Instant::now();
        let out = export_all(&sb, p.root(), &[], what);
        assert!(t0.elapsed().as_secs() < 20, "{what}: export must not hang");
        let err = stderr(&out);
        assert!(out.status.success(), "{what}: export exits 0: {err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.contains("error")).collect();
        assert_eq!(errors.len(), 1, "{what}: exactly one error line:\n{err}");
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(errors[0].contains(name), "{what}: the error names {name}:\n{err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}

/// A ':' in the env's path cannot go on PATH (it would split in two): one
/// clear error, nothing activated, valid output.
#[test]
fn colon_in_path_is_refused_clearly() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("a:b").create();
    allow_may_fail(&sb, p.root());
    let out = export_all(&sb, p.root(), &[], "colon");
    assert!(stderr(&out).contains("contains ':'"), "{}", stderr(&out));
    let (v, _) = json(&sb, p.root(), &[]);
    assert_eq!(active_env(&v), None);
    assert!(v.get("PATH").is_none(), "PATH untouched: {v}");
}

fn allow_may_fail(sb: &Sandbox, dir: &Path) -> Output {
    sb.autovenv().arg("allow").arg(dir).output().unwrap()
}

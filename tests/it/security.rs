//! autovenv keeps the user safe: untrusted repositories run nothing, trust
//! cannot be bypassed, hostile directory names neither execute nor get
//! mangled, malformed input gives one clear error and valid shell code.
//! Concurrency, crashes and environment faults are in `faults.rs`; the
//! fuzzing of the decision and rendering is a proptest in `src/hook_env/decide.rs`.
//!
//! Also: trust bound to the folder (a replaced folder, a path-only
//! record, another user's folder under a prefix), the canonical env on
//! PATH, control characters escaped in what a person sees, the stamp
//! folder's checks and stamp creation, tampered bookkeeping, and `deny`
//! reaching the shells of another session.
//!
//! Most cases run `autovenv export SHELL` as a process with a controlled
//! environment and check its stderr and that stdout parses (`bash -n`,
//! `zsh -n`, `fish -n`); untrusted repositories and hostile names use real
//! interactive shells.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::*;

const KINDS: [Kind; Kind::ALL.len()] = Kind::ALL;

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

/// Plant every trojan an untrusted repository could ship in `root`; each leaves a file in
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

// ------------------------------------------- untrusted repositories run nothing

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

// ---------------------------------------------- trust cannot be bypassed

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

// ------------------------------------------------------- hostile names

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
        if kind == Kind::Nu && std::str::from_utf8(&name).is_err() {
            continue; // nushell cannot name such a folder: its strings are UTF-8
        }
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
        if !holds(kind, env.as_os_str().as_bytes()) {
            // The shell cannot hold the value byte for byte: one clear
            // message, nothing activated, PATH as it was.
            assert!(out.contains("cannot hold") && venv.is_none(), "{show:?}: {out}");
            assert_eq!(sh.var("PATH").unwrap(), path0, "{show:?}: PATH kept");
            sh.cd(&sb.work());
            continue;
        }
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
    assert_nothing_ran(&[&sb.work()]);
    sh.exit();
}

use std::os::unix::ffi::OsStringExt;

/// No file a hostile name's `touch PWNED…` (or `> x`) would have made.
fn assert_nothing_ran(dirs: &[&Path]) {
    let stray: Vec<_> = dirs
        .iter()
        .flat_map(|d| fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()))
        .filter(|n| n.as_bytes().starts_with(b"PWNED") || n.as_bytes() == b"x")
        .collect();
    assert!(stray.is_empty(), "something executed: {stray:?}");
}

/// Quote arbitrary bytes for typing into `kind`.
fn quote_bytes(kind: Kind, b: &[u8]) -> String {
    if kind == Kind::Xonsh {
        return kind.word(Path::new(std::ffi::OsStr::from_bytes(b)));
    }
    match std::str::from_utf8(b) {
        // Printable ASCII is typed as is; anything else as byte escapes, so
        // the terminal echo (zsh shows combining marks as <0301>) is plain.
        Ok(s) if s.bytes().all(|c| (0x20..0x7f).contains(&c)) => kind.quote(s),
        _ => {
            // $'…' in bash/zsh; fish: \xHH escapes outside quotes.
            let plain = |c: u8| c.is_ascii_alphanumeric() || c == b'/' || c == b'.';
            let mut out = String::new();
            match kind {
                Kind::Bash | Kind::Zsh => out = format!("$'{}'", escape_bytes(b, plain, "\\x")),
                Kind::Fish => out = escape_bytes(b, |c| c.is_ascii_alphanumeric() || c == b'/', "\\X"),
                // nushell strings are UTF-8 only (the test leaves such names out).
                Kind::Nu => out.push_str(&kind.quote(&String::from_utf8_lossy(b))),
                Kind::Xonsh => unreachable!("quoted above"),
                // Double quotes know `\xHH`, one byte each.
                Kind::Elvish => out = format!("\"{}\"", escape_bytes(b, plain, "\\x")),
                // tcsh has no byte escapes: a control character or a byte
                // that is not UTF-8 is matched by `?` (the folder names
                // differ elsewhere, so each pattern matches one).
                Kind::Tcsh => {
                    for chunk in b.utf8_chunks() {
                        let mut text = String::new();
                        for c in chunk.valid().chars() {
                            if c.is_control() {
                                if !text.is_empty() {
                                    out.push_str(&kind.quote(&text));
                                    text.clear();
                                }
                                out.push('?');
                            } else {
                                text.push(c);
                            }
                        }
                        if !text.is_empty() {
                            out.push_str(&kind.quote(&text));
                        }
                        out.push_str(&"?".repeat(chunk.invalid().len()));
                    }
                }
            }
            out
        }
    }
}

/// Each byte as itself where `keep` says so, else `esc` and two hex digits.
fn escape_bytes(b: &[u8], keep: impl Fn(u8) -> bool, esc: &str) -> String {
    b.iter().map(|&c| if keep(c) { char::from(c).to_string() } else { format!("{esc}{c:02x}") }).collect()
}

per_shell!(untrusted_repo_runs_nothing, hostile_names_round_trip);

// ---------------------------------------- malformed input, one clear error

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

// ------------------------------------------------ trust bound to the folder

/// The uid tests give folders of "another user". Changing a file's owner
/// takes root: tests run as root here and in CI; elsewhere they skip.
const OTHER_UID: u32 = 12345;

fn can_chown() -> bool {
    // SAFETY: a plain syscall without arguments.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "this test gives files to another user, which needs root; CI runs tests as root"
    );
    eprintln!("SKIPPED: giving files to another user needs root");
    false
}

fn chown_tree(p: &Path, uid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(uid)).unwrap();
    if p.symlink_metadata().unwrap().is_dir() {
        for e in fs::read_dir(p).unwrap() {
            chown_tree(&e.unwrap().path(), uid);
        }
    }
}

/// Allowed, deleted, and another folder put at the same path (a re-clone,
/// another archive, another disk at the same mount point): not trusted, and
/// the message says it was replaced and how to allow it again.
#[test]
fn a_replaced_folder_is_not_trusted() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("demo").create();
    allow(&sb, p.root());
    let (v, _) = json(&sb, p.root(), &[]);
    assert!(active_env(&v).is_some(), "allowed: active");

    fs::remove_dir_all(p.root()).unwrap();
    fs::create_dir(p.root()).unwrap();
    fs::write(p.root().join("requirements.txt"), "").unwrap();
    plant_trojans(&sb, p.root());
    let out = export_all(&sb, p.root(), &[], "replaced");
    assert!(out.status.success());
    let (v, err) = json(&sb, p.root(), &[]);
    assert_eq!(active_env(&v), None, "a replaced folder is not trusted: {v}");
    assert!(err.contains("was replaced since it was allowed"), "{err}");
    assert!(err.contains("autovenv allow"), "says how to allow it again: {err}");
    assert_eq!(marks(&sb), Vec::<String>::new(), "nothing of the new folder ran");

    // Allowed again: trusted (this is the new folder's own allow).
    fs::remove_dir_all(p.root().join("env")).unwrap();
    fs::write(p.root().join(".python-version"), "").unwrap();
    fs::remove_file(p.root().join(".autovenv.toml")).unwrap();
    fs::write(p.root().join("requirements.txt"), "").unwrap();
    allow(&sb, p.root());
    let (v, err) = json(&sb, p.root(), &[]);
    assert!(active_env(&v).is_some(), "allowed again: {err}");
}

/// A record written by an earlier version holds only the path: it cannot
/// tell the folder it meant from one put there since, so it is not trust.
#[test]
fn a_path_only_record_is_not_trusted() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("old").create();
    allow(&sb, p.root());
    let record = fs::read_dir(sb.trust_dir().join("trust")).unwrap().next().unwrap().unwrap().path();
    let canonical = fs::canonicalize(p.root()).unwrap();
    fs::write(&record, [canonical.as_os_str().as_bytes(), b"\n"].concat()).unwrap();
    let (v, err) = json(&sb, p.root(), &[]);
    assert_eq!(active_env(&v), None, "{v}");
    assert!(err.contains("did not record which folder") && err.contains("autovenv allow"), "{err}");
    allow(&sb, p.root());
    let (v, _) = json(&sb, p.root(), &[]);
    assert!(active_env(&v).is_some(), "allow upgrades the record");
}

/// A folder of another user under a trusted prefix is not trusted by it:
/// its owner can put anything in it at any time. An explicit `allow` works
/// and says whose folder it is.
#[test]
fn another_users_folder_is_not_trusted_by_a_prefix() {
    if should_skip(&[Need::Uv]) || !can_chown() {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    fs::create_dir_all(sb.xdg_config().join("autovenv")).unwrap();
    fs::write(
        sb.xdg_config().join("autovenv/config.toml"),
        format!("[trust]\nprefixes = [\"{}\"]\n", sb.work().display()),
    )
    .unwrap();
    let mine = sb.project("mine").create();
    let theirs = sb.project("theirs").create();
    chown_tree(theirs.root(), OTHER_UID);
    let (v, err) = json(&sb, mine.root(), &[]);
    assert!(active_env(&v).is_some(), "my folder under the prefix: trusted; {err}");
    let (v, err) = json(&sb, theirs.root(), &[]);
    assert_eq!(active_env(&v), None, "another user's folder under the prefix: {v}");
    assert!(err.contains("is not allowed"), "{err}");
    assert!(!theirs.root().join("env").exists(), "nothing made in it");

    let said = allow(&sb, theirs.root());
    assert!(said.contains(&format!("uid {OTHER_UID}")), "allow says whose folder it is: {said}");
    let (v, err) = json(&sb, theirs.root(), &[]);
    assert!(active_env(&v).is_some(), "explicitly allowed: {err}");
    // A new owner is another folder, as far as trust goes.
    chown_tree(theirs.root(), OTHER_UID + 1);
    let (v, err) = json(&sb, theirs.root(), &[]);
    assert_eq!(active_env(&v), None, "given to yet another user: {err}");
    assert!(err.contains("was replaced since it was allowed"), "{err}");
}

// ------------------------------------------------ the canonical env on PATH

/// Entering an allowed project through a symlink in a folder someone else
/// controls: PATH and VIRTUAL_ENV name the project's env by its canonical
/// path, so pointing the link elsewhere afterwards (and dating everything
/// back so the prompts stay idle) changes nothing that runs.
#[test]
fn the_env_on_path_is_reached_by_its_canonical_path() {
    if should_skip(&[Need::Shell(Kind::Bash), Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let app = sb.project("app").create();
    allow(&sb, app.root());
    let canonical_env = fs::canonicalize(app.root()).unwrap().join("env");
    let shared = sb.work().join("shared");
    fs::create_dir(&shared).unwrap();
    let link = shared.join("proj");
    symlink(app.root(), &link).unwrap();
    // The attacker's folder, ready to be linked in.
    let evil = sb.work().join("evil");
    fs::create_dir(&evil).unwrap();
    plant_trojans(&sb, &evil);

    let (v, err) = json(&sb, &link, &[]);
    assert_eq!(active_env(&v).as_deref(), Some(canonical_env.to_str().unwrap()), "{err}");
    let path = v.get("PATH").and_then(|p| p.as_str()).unwrap_or_default().to_string();
    assert!(path.starts_with(&format!("{}:", canonical_env.join("bin").display())), "{path}");

    let mut sh = Shell::start(Kind::Bash, &sb, "", &sb.work());
    sh.cd(&link);
    assert_eq!(sh.var_str("VIRTUAL_ENV").as_deref(), Some(canonical_env.to_str().unwrap()));
    fs::remove_file(&link).unwrap();
    symlink(&evil, &link).unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    for p in [&shared, &evil, &evil.join("env"), &evil.join("env/bin")] {
        fs::File::open(p).unwrap().set_modified(old).unwrap();
    }
    let out = sh.run("ls");
    assert!(!out.contains("evil-sdist") || marks(&sb).is_empty(), "{out}");
    sh.run("python --version; true");
    assert_eq!(marks(&sb), Vec::<String>::new(), "nothing of the retargeted link ran");
    sh.exit();
}

// ------------------------------------------------ escaping in messages

/// Names a terminal would act on: OSC 52 (clipboard), OSC 0 (title), CSI 2J
/// (clear), a one-character C1 CSI, DEL and a right-to-left override.
fn terminal_hostile_names() -> Vec<&'static str> {
    vec![
        "osc52\x1b]52;c;ZWNobyBwd25lZA==\x07",
        "title\x1b]0;pwned\x07",
        "clear\x1b[2J\x1b[Hautovenv: allowed",
        "c1\u{9b}2J",
        "del\x7fx",
        "rlo\u{202e}txt.py",
        "nl\nautovenv: allowed ~/x",
    ]
}

fn assert_no_raw_controls(text: &[u8], what: &str) {
    let s = String::from_utf8_lossy(text);
    let bad: Vec<char> = s
        .chars()
        .filter(|&c| (c.is_control() && c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .collect();
    assert!(bad.is_empty(), "{what}: raw control characters {bad:?} in:\n{s}");
}

/// The "not allowed" hint, errors and `autovenv status` show such names
/// escaped; `status --json` keeps the exact bytes.
#[test]
fn control_characters_in_names_are_shown_escaped() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    for name in terminal_hostile_names() {
        let root = sb.work().join(name);
        fs::create_dir_all(&root).unwrap();
        fs::write(root.join("requirements.txt"), "").unwrap();
        let out = export(&sb, "bash", &root, &[]);
        assert!(stderr(&out).contains("is not allowed"), "{name:?}: {}", stderr(&out));
        assert_no_raw_controls(&out.stderr, &format!("hint for {name:?}"));
        assert_eq!(stderr(&out).lines().count(), 1, "{name:?}: one line: {}", stderr(&out));

        let out = sb.autovenv().arg("status").arg(&root).output().unwrap();
        assert_no_raw_controls(&out.stdout, &format!("status of {name:?}"));
        let shown = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(shown.contains('\\'), "{name:?}: escaped visibly: {shown}");

        let out = sb.autovenv().arg("status").arg("--json").arg(&root).output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let want = fs::canonicalize(&root).unwrap_or(root.clone());
        assert!(
            v["root"].as_str() == Some(root.to_str().unwrap()) || v["root"].as_str() == Some(want.to_str().unwrap()),
            "{name:?}: --json keeps the exact path: {v}"
        );

        // An error naming the folder (allow on a folder that is a file).
        let out = sb.autovenv().arg("deny").arg(root.join("requirements.txt")).output().unwrap();
        assert_no_raw_controls(&out.stderr, &format!("error for {name:?}"));
    }
    // Allowed, with an env: every status row is escaped too.
    let name = terminal_hostile_names()[0];
    let root = sb.work().join(name);
    allow_may_fail(&sb, &root);
    let out = sb.autovenv().arg("status").arg(&root).output().unwrap();
    assert_no_raw_controls(&out.stdout, "status of an allowed project");
    assert!(String::from_utf8_lossy(&out.stdout).contains("osc52\\x1b]52"), "{}", stdout(&out));
}

// ------------------------------------------------ the stamp folder

fn stamp_dir(sb: &Sandbox) -> PathBuf {
    sb.runtime_dir().join("autovenv")
}

fn count(dir: &Path) -> usize {
    // `hooks/` holds the notes `doctor` reads, not stamps.
    fs::read_dir(dir).map_or(0, |d| d.filter(|e| e.as_ref().is_ok_and(|e| e.file_name() != "hooks")).count())
}

/// Editors and scripts call `export` without the hook's stamp: they get
/// none, and the stamp folder is not touched.
#[test]
fn export_without_the_hook_makes_no_stamp() {
    let sb = Sandbox::new(Uv::No);
    for kind in ["json", "bash", "zsh", "fish"] {
        for _ in 0..5 {
            let out = export(&sb, kind, &sb.work(), &[]);
            assert!(out.status.success());
        }
    }
    assert_eq!(count(&stamp_dir(&sb)), 0, "no stamps made");
    // The hook's first run asks for one.
    let out = export(&sb, "bash", &sb.work(), &[("AUTOVENV_STAMP", b"new")]);
    assert!(stdout(&out).contains("__autovenv_stamp="), "{}", stdout(&out));
    assert_eq!(count(&stamp_dir(&sb)), 1);
}

/// A stamp folder others can write to is not used.
#[test]
fn a_stamp_folder_others_can_write_is_refused() {
    let sb = Sandbox::new(Uv::No);
    let dir = stamp_dir(&sb);
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let out = export(&sb, "bash", &sb.work(), &[("AUTOVENV_STAMP", b"new")]);
    assert!(
        stderr(&out).contains("stamp folder") && stderr(&out).contains("writable by other users"),
        "{}",
        stderr(&out)
    );
    assert_eq!(count(&dir), 0, "no stamp made in it");
    assert_parses(Kind::Bash, &out.stdout, "refused stamp folder");
}

/// Pruning (when a new shell makes its stamp) removes nothing that is not
/// a stamp: not a file of another name, not a symlink named like a stamp.
#[test]
fn pruning_removes_only_stamps() {
    let sb = Sandbox::new(Uv::No);
    let dir = stamp_dir(&sb);
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    let victim = sb.home().join(".bashrc");
    fs::write(&victim, "# mine\n").unwrap();
    let ancient = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1);
    let other = dir.join("notes");
    fs::write(&other, "").unwrap();
    for p in [&victim, &other] {
        fs::File::options().write(true).open(p).unwrap().set_modified(ancient).unwrap();
    }
    symlink(&victim, dir.join("1-1")).unwrap();
    let out = export(&sb, "bash", &sb.work(), &[("AUTOVENV_STAMP", b"new")]);
    assert!(out.status.success());
    assert!(other.exists() && victim.exists() && dir.join("1-1").symlink_metadata().is_ok(), "pruning kept non-stamps");
}

/// The shell's stamp replaced by a symlink to a file of ours (with a
/// shared runtime folder, another user could do that): prompts neither
/// write nor touch the file through it.
#[test]
fn a_stamp_swapped_for_a_symlink_is_not_followed() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let dir = stamp_dir(&sb);
    let victim = sb.home().join(".bashrc");
    fs::write(&victim, "# mine\n").unwrap();
    let ancient = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1);
    fs::File::options().write(true).open(&victim).unwrap().set_modified(ancient).unwrap();
    let p = sb.project("app").create();
    allow(&sb, p.root());
    let out = export(&sb, "bash", p.root(), &[("AUTOVENV_STAMP", b"new")]);
    let code = stdout(&out);
    let stamp = code
        .lines()
        .find_map(|l| l.strip_prefix("__autovenv_stamp="))
        .map(|s| s.trim_matches('\'').to_string())
        .expect("a stamp");
    assert!(Path::new(&stamp).starts_with(&dir), "{stamp}");
    fs::remove_file(&stamp).unwrap();
    symlink(&victim, &stamp).unwrap();
    let out = export(&sb, "bash", &sb.work(), &[("AUTOVENV_STAMP", stamp.as_bytes())]);
    assert!(out.status.success());
    let out = export(&sb, "bash", p.root(), &[("AUTOVENV_STAMP", stamp.as_bytes())]);
    assert!(out.status.success());
    assert_eq!(fs::read_to_string(&victim).unwrap(), "# mine\n", "not written through the symlink");
    assert_eq!(fs::metadata(&victim).unwrap().modified().unwrap(), ancient, "not touched through the symlink");
}

/// A stamp folder that is another user's symlink (in a shared runtime
/// folder) is refused: pruning and stamps would land where it points.
#[test]
fn a_stamp_folder_linked_by_another_user_is_refused() {
    if !can_chown() {
        return;
    }
    let sb = Sandbox::new(Uv::No);
    let shared = sb.root().join("shared-run");
    fs::create_dir_all(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let target = sb.home().join("target");
    fs::create_dir_all(&target).unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o700)).unwrap();
    symlink(&target, shared.join("autovenv")).unwrap();
    std::os::unix::fs::lchown(shared.join("autovenv"), Some(OTHER_UID), Some(OTHER_UID)).unwrap();
    let out = export(
        &sb,
        "bash",
        &sb.work(),
        &[("AUTOVENV_STAMP", b"new"), ("XDG_RUNTIME_DIR", shared.as_os_str().as_bytes())],
    );
    assert!(stderr(&out).contains(&format!("uid {OTHER_UID}")), "{}", stderr(&out));
    assert_eq!(count(&target), 0, "nothing made where the link points");
}

// ------------------------------------------------ tampered bookkeeping

/// Bookkeeping that names a system folder as the env: leaving keeps it on
/// PATH, since it is neither a venv nor an env this shell activated.
#[test]
fn tampered_bookkeeping_keeps_folders_that_are_not_venvs() {
    let sb = Sandbox::new(Uv::No);
    let local = sb.home().join(".local");
    fs::create_dir_all(local.join("bin")).unwrap();
    let home = sb.home();
    for (root, env) in [(Path::new("/usr"), Path::new("/usr/local")), (home.as_path(), local.as_path())] {
        let path = format!("{}:/usr/bin:/bin", env.join("bin").display());
        let (v, err) = json(
            &sb,
            &sb.work(),
            &[
                ("AUTOVENV_ROOT", root.as_os_str().as_bytes()),
                ("AUTOVENV_ENV", env.as_os_str().as_bytes()),
                ("PATH", path.as_bytes()),
            ],
        );
        let after = v.get("PATH").and_then(|p| p.as_str()).unwrap_or(&path);
        assert_eq!(after, path, "{}: PATH kept: {v} {err}", env.display());
        assert!(v.get("AUTOVENV_ENV").is_some_and(serde_json::Value::is_null), "the bookkeeping is dropped: {v}");
    }
}

/// An env this shell activated is taken off PATH on leave even when its
/// project was deleted meanwhile (it is no venv any more, but the shell's
/// own stamp recorded it).
#[test]
fn leaving_a_deleted_project_restores_path() {
    if should_skip(&[Need::Shell(Kind::Bash), Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("gone").create();
    allow(&sb, p.root());
    let mut sh = Shell::start(Kind::Bash, &sb, "", &sb.work());
    let path0 = sh.var("PATH").unwrap();
    sh.cd(p.root());
    assert!(sh.var_str("VIRTUAL_ENV").is_some());
    fs::remove_dir_all(p.root()).unwrap();
    sh.cd(&sb.work());
    assert_eq!(sh.var("PATH").unwrap(), path0, "PATH as before entering");
    assert_eq!(sh.var("VIRTUAL_ENV"), None);
    sh.exit();
}

// ------------------------------------------------ deny reaches every shell

/// A shell of another session (another XDG_RUNTIME_DIR, so another stamp
/// folder) deactivates a denied project at its next prompt, idle or not.
#[test]
fn deny_reaches_a_shell_of_another_session() {
    if should_skip(&[Need::Shell(Kind::Bash), Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("app").create();
    allow(&sb, p.root());
    let run1 = sb.root().join("run1");
    fs::create_dir_all(&run1).unwrap();
    fs::set_permissions(&run1, fs::Permissions::from_mode(0o700)).unwrap();
    let mut sh = Shell::start(Kind::Bash, &sb, &format!("export XDG_RUNTIME_DIR={}", run1.display()), &sb.work());
    sh.cd(p.root());
    assert!(sh.var_str("VIRTUAL_ENV").is_some(), "active");
    sh.run("true");
    // `deny` from a session whose runtime folder is another one.
    let out = sb.autovenv().arg("deny").arg(p.root()).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    sh.run("true");
    assert_eq!(sh.var("VIRTUAL_ENV"), None, "denied: deactivated at the next prompt");
    sh.exit();
}

// ------------------------------------------- worktrees and envs outside the project

fn git_in(sb: &Sandbox, dir: &Path, args: &[&str]) {
    let mut cmd = sb.command("git");
    cmd.args(args).current_dir(dir);
    sb.run_ok(&mut cmd);
}

/// An allowed project `app` that is a git repository with one commit.
fn committed_app(sb: &Sandbox) -> Project {
    let main = sb.project("app").git().create();
    git_in(sb, main.root(), &["add", "-A"]);
    git_in(sb, main.root(), &["commit", "-qm", "initial"]);
    allow(sb, main.root());
    main
}

/// With `trust.worktrees` on, only a worktree the repository itself lists
/// is trusted. A `.git` file naming an allowed repository's folders from
/// an unrelated folder (a tarball, a clone, another user's folder) gains
/// nothing: naming its real worktree's entry, naming the common folder, a
/// fake entry outside `worktrees/` that names it back, or a copy of a real
/// worktree. Each stays untrusted: nothing is made, one line says so.
#[test]
fn a_forged_worktree_gains_no_trust() {
    if should_skip(&[Need::Git, Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let main = committed_app(&sb);
    let git = |dir: &Path, args: &[&str]| git_in(&sb, dir, args);
    let wt = sb.work().join("wt");
    git(main.root(), &["worktree", "add", "-q", "-b", "feature", wt.to_str().unwrap()]);
    crate::common::cli::global_config(&sb, "[trust]\nworktrees = true\n");
    let (st, _) = json(&sb, &wt, &[]);
    assert!(active_env(&st).is_some(), "the real worktree is trusted: {st}");

    let admin = main.path(".git/worktrees/wt");
    let fake = sb.root().join("fake-entry");
    fs::create_dir(&fake).unwrap();
    fs::write(fake.join("commondir"), format!("{}\n", main.path(".git").display())).unwrap();
    let copy = sb.work().join("wt-copy");
    let cp = Command::new("cp").arg("-a").arg(&wt).arg(&copy).status().unwrap();
    assert!(cp.success());
    let _ = fs::remove_dir_all(copy.join("env"));
    let forged = sb.work().join("evil");
    let cases: Vec<(&str, PathBuf, Option<String>)> = vec![
        ("the real worktree's entry", forged.clone(), Some(format!("gitdir: {}\n", admin.display()))),
        ("the common folder", forged.clone(), Some(format!("gitdir: {}\n", main.path(".git").display()))),
        ("a fake entry naming it back", forged.clone(), Some(format!("gitdir: {}\n", fake.display()))),
        ("a copy of a real worktree", copy.clone(), None),
    ];
    fs::create_dir(&forged).unwrap();
    fs::write(forged.join("requirements.txt"), "").unwrap();
    fs::write(fake.join("gitdir"), format!("{}\n", forged.join(".git").display())).unwrap();
    for (what, dir, dot_git) in cases {
        if let Some(d) = dot_git {
            fs::write(dir.join(".git"), d).unwrap();
        }
        let (st, err) = json(&sb, &dir, &[]);
        assert_eq!(active_env(&st), None, "{what}: not trusted:\n{err}");
        assert!(err.contains("is not allowed"), "{what}: one line says so:\n{err}");
        assert!(!dir.join("env").exists(), "{what}: nothing made");
        let status = sb.autovenv().args(["status", "--json"]).current_dir(&dir).output().unwrap();
        let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        assert_eq!(status["allowed"], false, "{what}: {status}");
    }
}

/// A real worktree whose folder (or whose entry in the repository) belongs
/// to another user lends no trust: they can change what is in it.
#[test]
fn a_worktree_of_another_user_gains_no_trust() {
    if should_skip(&[Need::Git, Need::Uv]) || !can_chown() {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let main = committed_app(&sb);
    let git = |dir: &Path, args: &[&str]| git_in(&sb, dir, args);
    crate::common::cli::global_config(&sb, "[trust]\nworktrees = true\n");
    for (i, whose) in ["the worktree", "its entry in the repository"].into_iter().enumerate() {
        let wt = sb.work().join(format!("wt{i}"));
        git(main.root(), &["worktree", "add", "-q", "-b", &format!("b{i}"), wt.to_str().unwrap()]);
        let (st, _) = json(&sb, &wt, &[]);
        assert!(active_env(&st).is_some(), "ours: trusted: {st}");
        fs::remove_dir_all(wt.join("env")).unwrap();
        let theirs = if i == 0 { wt.clone() } else { main.path(&format!(".git/worktrees/wt{i}")) };
        chown_tree(&theirs, OTHER_UID);
        let (st, err) = json(&sb, &wt, &[]);
        assert_eq!(active_env(&st), None, "{whose} of another user: not trusted:\n{err}");
        assert!(!wt.join("env").exists(), "{whose}: nothing made");
    }
}

/// An env outside the project is used only when autovenv made it for this
/// project, in folders nobody else can write: a project's config naming
/// another project's env, a venv it did not make, or a folder others can
/// write to gets one error, and that env is neither activated nor touched.
#[test]
fn an_env_outside_the_project_is_this_projects_own() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let a = sb.project("a").file(".autovenv.toml", "env_dir = \"~/envs/shared\"\n").create();
    allow(&sb, a.root());
    let env = sb.home().join("envs/shared");
    assert!(env.join("pyvenv.cfg").is_file());
    let state = fs::read(env.join(".autovenv-state")).ok();
    let b = sb.project("b").file(".autovenv.toml", "env_dir = \"~/envs/shared\"\n").create();
    let out = allow_may_fail(&sb, b.root());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("was not made by autovenv for this project"), "{}", stderr(&out));
    let (v, err) = json(&sb, b.root(), &[]);
    assert_eq!(active_env(&v), None, "another project's env is not activated:\n{err}");
    assert_eq!(fs::read(env.join(".autovenv-state")).ok(), state, "and not synced into");

    // A venv autovenv did not make, named by path.
    let hand = sb.home().join("envs/by-hand");
    sb.make_venv(&hand);
    let c = sb.project("c").file(".autovenv.toml", &format!("env_dir = {:?}\n", hand.display().to_string())).create();
    let out = allow_may_fail(&sb, c.root());
    assert!(stderr(&out).contains("was not made by autovenv for this project"), "{}", stderr(&out));
    assert!(!hand.join(".autovenv").exists());

    // A folder others can write to.
    let shared = sb.root().join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).unwrap();
    let d = sb
        .project("d")
        .file(".autovenv.toml", &format!("env_dir = {:?}\n", shared.join("env").display().to_string()))
        .create();
    let out = allow_may_fail(&sb, d.root());
    assert!(stderr(&out).contains("is writable by other users"), "{}", stderr(&out));
    assert!(!shared.join("env").exists(), "nothing made there");
}

// ------------------------------------------------ dependency sources

/// A pyproject.toml package's build backend is code from the folder: it
/// never runs before `allow` (prompts, re-entry, `status`, `sync`, `exec`
/// refused), and hostile dependency files of an unallowed project (FIFOs,
/// which would hang a read) are not even opened. After `allow`, it runs.
#[test]
fn unallowed_pyproject_build_backend_never_runs() {
    let kind = Kind::Bash;
    if should_skip(&[Need::Shell(kind), Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let text = format!("{}\n[project]\nname = \"app\"\nversion = \"0.1\"\n", crate::sources::BUILD_SYSTEM);
    let p = sb.project("app").no_requirements().file("pyproject.toml", &text).file("backend.py", BACKEND_PY).create();
    let fifos = sb.project("fifos").no_requirements().create();
    for f in ["pyproject.toml", "Pipfile.lock", "Pipfile"] {
        assert!(Command::new("mkfifo").arg(fifos.path(f)).status().unwrap().success());
    }
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    for dir in [p.root(), fifos.root()] {
        sh.cd(dir);
        for _ in 0..3 {
            sh.run("true");
        }
        sh.run("autovenv status >/dev/null 2>&1; autovenv status --json >/dev/null 2>&1");
        let out = sh.run("autovenv sync; echo rc=$?");
        assert!(out.contains("rc=1") && out.contains("autovenv allow"), "{out}");
        sh.run("autovenv exec -- true 2>/dev/null");
        sh.cd(&sb.work());
    }
    assert!(!p.path("builds.log").exists(), "the backend ran before allow");
    assert!(!p.env_dir().exists() && !fifos.env_dir().exists());
    allow(&sb, p.root());
    assert!(p.path("builds.log").is_file(), "after allow, the project is built");
}

/// Dependency files that are FIFOs, huge, or symlinks out of the project
/// in an allowed project: one clear error naming the file, no hang, the
/// shell code still valid.
#[test]
fn hostile_dependency_files_are_one_error() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let cases: [(&str, &str); 4] =
        [("Pipfile.lock", "fifo"), ("Pipfile.lock", "huge"), ("Pipfile.lock", "link"), ("setup.cfg", "fifo")];
    for (i, (file, how)) in cases.iter().enumerate() {
        let p = sb.project(&format!("p{i}")).no_requirements().file("Pipfile", "[packages]\n").create();
        let path = p.path(file);
        match *how {
            "fifo" => assert!(Command::new("mkfifo").arg(&path).status().unwrap().success()),
            // Over the cap for tool-written locks (64 MiB).
            "huge" => fs::write(&path, vec![b' '; 65 << 20]).unwrap(),
            _ => symlink("/etc/passwd", &path).unwrap(),
        }
        if *file == "setup.cfg" {
            fs::remove_file(p.path("Pipfile")).unwrap();
            fs::write(p.path("setup.py"), "").unwrap();
        }
        let mut cmd = sb.command("timeout");
        cmd.args(["20"]).arg(autovenv_bin()).arg("allow").arg(p.root());
        let out = cmd.output().unwrap();
        let err = stderr(&out);
        assert_ne!(out.status.code(), Some(124), "{file} ({how}): hung");
        let errors: Vec<&str> = err.lines().filter(|l| l.contains("error:")).collect();
        assert_eq!(errors.len(), 1, "{file} ({how}): one error:\n{err}");
        assert!(errors[0].contains(file), "{file} ({how}): names the file:\n{err}");
        if *how == "huge" {
            assert!(errors[0].contains("is larger than 64 MiB"), "{err}");
        }
        let (_, e) = json(&sb, p.root(), &[]);
        assert!(e.lines().filter(|l| l.contains("error:")).count() <= 1, "{e}");
        let out = export(&sb, "bash", p.root(), &[]);
        assert_parses(Kind::Bash, &out.stdout, file);
    }
}

// ---------------------------------- add, remove, freeze, activate: trust first

/// In a project that is not allowed, `add`, `remove`, `freeze` and
/// `activate` each stop at the usual "not allowed" error: no trojan of the
/// folder runs (its `env/bin/python`, a uv or pip there), no env is made,
/// no file is written or changed, and `activate` prints no code.
#[test]
fn workflow_commands_refuse_an_unallowed_project() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project("evil").require("mypkg==1.0").create();
    // Its config names a trojan as the interpreter, too.
    plant_trojans(&sb, p.root());
    let before = fs::read(p.path("requirements.txt")).unwrap();
    for args in [
        &["add", "mypkg"][..],
        &["add", "--pin", "mypkg"],
        &["remove", "mypkg"],
        &["freeze"],
        &["freeze", "--force", "out.txt"],
        &["activate", "bash"],
        &["activate"],
    ] {
        let out = sb.autovenv().args(args).current_dir(p.root()).env("PWD", p.root()).output().unwrap();
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} refused");
        assert!(err.contains("is not allowed") && err.contains("autovenv allow"), "{args:?}: the usual error:\n{err}");
        assert_eq!(err.lines().filter(|l| l.contains("error:")).count(), 1, "{args:?}: one error:\n{err}");
        assert!(stdout(&out).is_empty(), "{args:?}: no code for a shell");
        assert_eq!(marks(&sb), Vec::<String>::new(), "{args:?}: nothing of the folder ran");
        assert_eq!(fs::read(p.path("requirements.txt")).unwrap(), before, "{args:?}: requirements.txt untouched");
        assert!(!p.path("out.txt").exists(), "{args:?}: nothing written");
        assert!(!p.path("env/.autovenv-state").exists(), "{args:?}: no state recorded");
    }
}

// ============================================ uv.lock and poetry.lock sources

/// `autovenv ARGS` in `dir`, killed after 60 s (a FIFO read would block
/// forever): the output, and whether it finished in time.
fn lock_run(sb: &Sandbox, dir: &Path, args: &[&str]) -> (Output, bool) {
    let mut cmd = sb.command("timeout");
    cmd.arg("60").arg(autovenv_bin()).args(args).current_dir(dir).env("PWD", dir);
    let out = cmd.output().unwrap();
    let in_time = out.status.code() != Some(124);
    (out, in_time)
}

/// A uv project whose build backend (the project itself is a package, so
/// `uv sync` builds it) leaves a mark when it is imported. Locked before
/// the backend is written, so locking ran none of it.
fn uv_project_with_backend(sb: &Sandbox, name: &str, mark: &Path) -> Project {
    let pyproject = format!(
        "[project]\nname = \"{name}\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\ndependencies = [\"mypkg\"]\n\n\
         [build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n"
    );
    let p = sb.project(name).no_requirements().file("pyproject.toml", &pyproject).create();
    let mut lock = sb.command(tools().uv.clone().unwrap());
    lock.args(["lock", "--quiet"]).current_dir(p.root());
    sb.run_ok(&mut lock);
    fs::write(p.path("backend.py"), format!("open({:?}, 'w').write('ran')\n", mark.display().to_string())).unwrap();
    p
}

/// An unallowed uv.lock / poetry.lock project runs nothing: not its build
/// backend, not uv sync, not poetry, at the prompt, in `status` or in
/// `exec`; after `allow` the backend runs (so the mark would show it).
#[test]
fn unallowed_lock_projects_run_nothing() {
    let kind = Kind::Bash;
    if should_skip(&[Need::Shell(kind), Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    sb.wheel("mypkg", "1.0", &[]);
    let mark = sb.root().join("backend-ran");
    let p = uv_project_with_backend(&sb, "hostile", &mark);
    // A poetry.lock too, and a `poetry` on PATH that leaves a mark.
    fs::write(p.path("poetry.lock"), "[metadata]\nlock-version = \"2.1\"\n").unwrap();
    let poetry_mark = sb.root().join("poetry-ran");
    write_exec(&sb.bin().join("poetry"), &format!("#!/bin/sh\n: > '{}'\n", poetry_mark.display()));
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    let out = sh.cd(p.root());
    assert!(out.contains("is not allowed"), "{out}");
    for _ in 0..3 {
        sh.run("true");
    }
    let _ = lock_run(&sb, p.root(), &["status"]);
    let _ = lock_run(&sb, p.root(), &["status", "--json"]);
    let _ = lock_run(&sb, p.root(), &["exec", "--", "true"]);
    let _ = lock_run(&sb, p.root(), &["sync"]);
    assert!(!mark.exists() && !poetry_mark.exists(), "nothing ran before allow");
    assert!(!p.env_dir().exists(), "no env before allow");
    assert!(sh.var("VIRTUAL_ENV").is_none());
    sh.run("autovenv allow");
    assert!(mark.exists(), "after allow, uv sync builds the project (the mark shows the backend can run)");
}

/// A uv.lock or poetry.lock that is a FIFO, a device or larger than the
/// read cap: one error naming it, no hang, the env still active; `export`
/// still exits 0 with valid code.
#[test]
fn hostile_lock_files_are_one_error() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    sb.wheel("mypkg", "1.0", &[]);
    for lock in ["uv.lock", "poetry.lock"] {
        for how in ["fifo", "device", "oversized"] {
            let name = format!("{}-{how}", &lock[..lock.len() - 5]);
            let p = sb
                .project(&name)
                .no_requirements()
                .file("pyproject.toml", "[project]\nname = \"x\"\nversion = \"0.1.0\"\ndependencies = []\n")
                .create();
            let f = p.path(lock);
            match how {
                "fifo" => assert!(Command::new("mkfifo").arg(&f).status().unwrap().success()),
                "device" => symlink("/dev/zero", &f).unwrap(),
                // Over the cap for tool-written locks (64 MiB).
                _ => fs::write(&f, vec![b'#'; 65 << 20]).unwrap(),
            }
            let (out, in_time) = lock_run(&sb, p.root(), &["allow"]);
            let err = stderr(&out);
            assert!(in_time, "{lock} ({how}): allow finishes:\n{err}");
            let want = if how == "oversized" { "is larger than" } else { "is not a regular file" };
            assert!(err.contains(&format!("{lock} {want}")), "{lock} ({how}):\n{err}");
            assert_eq!(err.matches("error:").count(), 1, "{lock} ({how}): one error:\n{err}");
            let (out, in_time) = lock_run(&sb, p.root(), &["export", "bash"]);
            assert!(in_time && out.status.success(), "{lock} ({how}): export exits 0");
            assert_parses(Kind::Bash, &out.stdout, "export");
        }
    }
}

/// A `pyproject.toml` above the project that declares a uv workspace would
/// make `uv sync` install that workspace's lock (and build its members):
/// refused with one error naming it; nothing of it is installed or run.
#[test]
fn a_uv_workspace_above_the_project_is_refused() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    sb.wheel("mypkg", "1.0", &[]);
    sb.wheel("evilpkg", "1.0", &[]);
    let p = sb
        .project("outer/app")
        .no_requirements()
        .file(
            "pyproject.toml",
            "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.8\"\ndependencies = [\"mypkg\"]\n",
        )
        .create();
    let mut lock = sb.command(tools().uv.clone().unwrap());
    lock.args(["lock", "--quiet"]).current_dir(p.root());
    sb.run_ok(&mut lock);
    let outer = sb.work().join("outer");
    fs::write(
        outer.join("pyproject.toml"),
        "[project]\nname = \"outer\"\nversion = \"0.1.0\"\ndependencies = [\"evilpkg\"]\n\n\
         [tool.uv.workspace]\nmembers = [\"*\"]\n",
    )
    .unwrap();
    let (out, in_time) = lock_run(&sb, p.root(), &["allow"]);
    let err = stderr(&out);
    assert!(in_time, "{err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
    assert!(err.contains("workspace") && err.contains(&outer.join("pyproject.toml").display().to_string()), "{err}");
    assert!(!outer.join("uv.lock").exists(), "uv did not lock the outer workspace");
    let site = p.env_dir().join("lib");
    let listing = Command::new("find").arg(&site).output().unwrap();
    assert!(!String::from_utf8_lossy(&listing.stdout).contains("evilpkg"), "nothing of the outer workspace");

    // The way out the hint gives: the project a workspace root of its own.
    let mut text = fs::read_to_string(p.path("pyproject.toml")).unwrap();
    text.push_str("\n[tool.uv.workspace]\n");
    fs::write(p.path("pyproject.toml"), text).unwrap();
    sb.run_ok(&mut lock);
    let (out, _) = lock_run(&sb, p.root(), &["sync"]);
    let err = stderr(&out);
    assert!(!err.contains("error:"), "{err}");
    let listing = String::from_utf8_lossy(&Command::new("find").arg(&site).output().unwrap().stdout).into_owned();
    assert!(listing.contains("mypkg") && !listing.contains("evilpkg"), "{listing}");
    assert!(!outer.join("uv.lock").exists());
}

// ------------------------------------------------ nushell and xonsh

/// Whether `kind` holds `value` byte for byte in PATH: nushell's strings
/// are UTF-8; xonsh expands `$NAME` and `~` in PATH entries when it hands
/// PATH to a program (never a leading `~` here: the env's bin is absolute).
fn holds(kind: Kind, value: &[u8]) -> bool {
    match kind {
        Kind::Nu => std::str::from_utf8(value).is_ok(),
        Kind::Xonsh => {
            let dollar = value.windows(2).any(|w| {
                w[0] == b'$' && (w[1] == b'{' || w[1] == b'_' || w[1].is_ascii_alphanumeric() || w[1] >= 0x80)
            });
            !dollar && !value.windows(2).any(|w| w == b"=~")
        }
        _ => true,
    }
}

/// A project whose path nushell or xonsh cannot hold is not activated, in
/// that shell only, with one message naming it and why; stdout stays valid.
#[test]
fn a_value_the_shell_cannot_hold_activates_nothing() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    for (shell, name) in [("nu", &b"bad\xffname"[..]), ("xonsh", b"$HOME")] {
        // Neither uv nor venv makes an env at a path that is not UTF-8: make
        // it under another name, then rename the project.
        let made = sb.work().join(format!("made-{shell}"));
        fs::create_dir_all(&made).unwrap();
        fs::write(made.join("requirements.txt"), "").unwrap();
        sb.run_ok(Command::new(&tools().python).args(["-m", "venv", "--without-pip"]).arg(made.join("env")));
        let root = sb.work().join(std::ffi::OsStr::from_bytes(name));
        fs::rename(&made, &root).unwrap();
        allow(&sb, &root);
        let out = export(&sb, shell, &root, &[]);
        let err = stderr(&out);
        assert_eq!(err.matches("cannot hold").count(), 1, "{shell}: one message: {err}");
        assert!(err.contains(&format!("{shell} cannot hold the value of")) && err.contains("hint:"), "{err}");
        assert!(!stdout(&out).contains("VIRTUAL_ENV"), "{shell}: nothing activated: {}", stdout(&out));
        let kind = Kind::ALL.into_iter().find(|k| k.name() == shell).unwrap();
        assert_parses(kind, &out.stdout, shell);
        // bash holds it: the same project activates there.
        let out = export(&sb, "bash", &root, &[]);
        assert!(stdout(&out).contains("VIRTUAL_ENV"), "bash activates it: {}", stderr(&out));
    }
}

mod list_shells {
    use super::*;

    #[test]
    fn nu_hostile_names_round_trip() {
        hostile_names_round_trip(Kind::Nu);
    }

    #[test]
    fn xonsh_hostile_names_round_trip() {
        hostile_names_round_trip(Kind::Xonsh);
    }

    #[test]
    fn nu_untrusted_repo_runs_nothing() {
        untrusted_repo_runs_nothing(Kind::Nu);
    }

    #[test]
    fn xonsh_untrusted_repo_runs_nothing() {
        untrusted_repo_runs_nothing(Kind::Xonsh);
    }
}

// ------------------------------------------- elvish and tcsh: their traps

/// An allowed project `name` in a new sandbox, when `kind` and uv are here.
fn allowed_project(kind: Kind, name: &str) -> Option<(Sandbox, Project)> {
    if should_skip(&[Need::Shell(kind), Need::Uv]) {
        return None;
    }
    let sb = Sandbox::new(Uv::Yes);
    let p = sb.project(name).create();
    allow(&sb, p.root());
    Some((sb, p))
}

/// What breaks careless code in these two shells, in a PATH the hook must
/// give back byte for byte: tcsh expands `!` even inside single quotes,
/// ends a command at a newline, and reads a piped script wrong where an
/// escape crosses its 4 KiB buffer (so the entry is longer than that);
/// elvish doubles `'` and reads `\x` only inside double quotes.
fn long_hostile_path_entry_round_trips(kind: Kind) {
    let Some((sb, p)) = allowed_project(kind, "app") else { return };
    let unit = "/x!!'\"$(touch PWNED1)`touch PWNED2`\\!\\\n{a,b}*\\x41 ";
    let entry = unit.repeat(5000 / unit.len() + 1);
    let rc = match kind {
        Kind::Tcsh => {
            let q = entry.replace('\'', r"'\''").replace('!', r"\!").replace('\n', "\\\n");
            format!("setenv PATH '{q}':\"$PATH\"")
        }
        Kind::Elvish => format!("set-env PATH '{}':$E:PATH", entry.replace('\'', "''")),
        _ => unreachable!("elvish and tcsh only"),
    };
    let mut sh = Shell::start(kind, &sb, &rc, &sb.work());
    let before = sh.var("PATH").unwrap();
    assert!(before.starts_with(entry.as_bytes()), "the rc set the hostile entry");
    sh.cd(p.root());
    let mut want = p.env_bin().into_bytes();
    want.push(b':');
    want.extend_from_slice(&before);
    assert_eq!(sh.var("PATH").unwrap(), want, "entering prepends the env's bin, nothing else changes");
    sh.cd(&sb.work());
    assert_eq!(sh.var("PATH").unwrap(), before, "leaving gives PATH back byte for byte");
    assert_nothing_ran(&[&sb.work(), p.root()]);
    sh.exit();
}

#[test]
fn tcsh_long_hostile_path_entry_round_trips() {
    long_hostile_path_entry_round_trips(Kind::Tcsh);
}

#[test]
fn elvish_long_hostile_path_entry_round_trips() {
    long_hostile_path_entry_round_trips(Kind::Elvish);
}

// ------------------------------------------- deactivate in elvish and tcsh

/// `deactivate` in a project whose folder name breaks careless quoting:
/// the pause holds the root byte for byte (the next prompts stay off),
/// nothing in the name runs, and `autovenv activate` resumes.
fn deactivate_in_a_hostile_folder(kind: Kind) {
    let Some((sb, p)) = allowed_project(kind, "it's $(touch PWNED1) `touch PWNED2` !x \"q\" {a,b}*") else { return };
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(p.root());
    assert_eq!(sh.var("VIRTUAL_ENV").as_deref(), Some(p.env_str().as_bytes()), "entering activates");
    sh.run("deactivate");
    sh.run("true");
    assert_eq!(sh.var("VIRTUAL_ENV"), None, "deactivated, and the next prompt keeps it so");
    assert_eq!(sh.var("AUTOVENV_PAUSED").as_deref(), Some(p.root().as_os_str().as_bytes()), "the root, exactly");
    sh.run("autovenv activate");
    assert_eq!(sh.var("VIRTUAL_ENV").as_deref(), Some(p.env_str().as_bytes()), "activate resumes");
    assert_nothing_ran(&[&sb.work(), p.root()]);
    sh.exit();
}

#[test]
fn tcsh_deactivate_in_a_hostile_folder() {
    deactivate_in_a_hostile_folder(Kind::Tcsh);
}

#[test]
fn elvish_deactivate_in_a_hostile_folder() {
    deactivate_in_a_hostile_folder(Kind::Elvish);
}

// ------------------------------------------------ add, remove, freeze and links

/// `requirements.txt -> requirements/base.txt`, a common layout: `add`,
/// `remove` and `freeze` edit the file the link names and keep the link. A
/// link out of the project is refused and nothing changes on either side.
#[test]
fn edits_go_through_a_link_in_the_project_only() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg", "other"]) else { return };
    let p = sb.project("app").require("mypkg==1.0").create();
    fs::create_dir(p.path("requirements")).unwrap();
    fs::rename(p.path("requirements.txt"), p.path("requirements/base.txt")).unwrap();
    std::os::unix::fs::symlink("requirements/base.txt", p.path("requirements.txt")).unwrap();
    sb.run_ok(sb.autovenv().arg("allow").arg(p.root()));
    let before = p.read("requirements/base.txt").unwrap();
    let run = |args: &[&str]| {
        let out = sb.autovenv().args(args).current_dir(p.root()).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let is_link = |p: &Project| fs::symlink_metadata(p.path("requirements.txt")).unwrap().file_type().is_symlink();

    let (ok, err) = run(&["add", "other"]);
    assert!(ok, "{err}");
    assert!(is_link(&p), "still a link");
    assert_eq!(
        p.read("requirements/base.txt").unwrap(),
        format!(
            "{before}other
"
        ),
        "the target is edited"
    );
    let (ok, err) = run(&["remove", "other"]);
    assert!(ok, "{err}");
    assert!(is_link(&p));
    assert_eq!(p.read("requirements/base.txt").unwrap(), before);
    let (ok, err) = run(&["freeze", "--force"]);
    assert!(ok && err.contains("wrote 1 package"), "{err}");
    assert!(is_link(&p));
    assert!(p.read("requirements/base.txt").unwrap().ends_with("mypkg==1.0\n"));

    // The same link pointed at a file outside the project.
    let shared = sb.work().join("shared.txt");
    fs::write(&shared, &before).unwrap();
    fs::remove_file(p.path("requirements.txt")).unwrap();
    std::os::unix::fs::symlink(&shared, p.path("requirements.txt")).unwrap();
    for args in [&["add", "other"][..], &["remove", "mypkg"], &["freeze", "--force"]] {
        let (ok, err) = run(args);
        assert!(!ok && err.contains("outside the project; nothing changed"), "{args:?} refused:\n{err}");
        assert_eq!(err.matches("error:").count(), 1, "{args:?}: one error:\n{err}");
        assert!(is_link(&p), "{args:?}: the link is kept");
        assert_eq!(fs::read_to_string(&shared).unwrap(), before, "{args:?}: the shared file is untouched");
    }
}

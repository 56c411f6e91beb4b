//! Self-tests of the harness in `common`. They rely on no autovenv
//! behaviour (shells start without the hook, except `starts_with_hook_line`,
//! which only needs `autovenv hook <shell>` to print valid code), only on
//! real shells, a real Python, pip and uv.

use std::collections::BTreeSet;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::screen::{command_output, render, strip_ansi};
use crate::common::*;
use sha2::{Digest, Sha256};

// ---------------------------------------------------------------- shells

/// A shell added to the binary is driven by every per-shell test once the
/// harness knows how to start it.
#[test]
fn the_harness_knows_every_shell_of_the_binary() {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_autovenv")).args(["hook", "no-such-shell"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let listed =
        err.split("[possible values: ").nth(1).and_then(|r| r.split(']').next()).expect("clap lists the shells");
    let binary: Vec<&str> = listed.split(", ").collect();
    let harness: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(binary, harness);
}

// ---------------------------------------------------------------- sandbox

#[test]
fn sandbox_env_is_complete_and_nothing_leaks() {
    let sb = Sandbox::new(Uv::No);
    let out = sb.run_ok(sb.command(&tools().env).arg("-0"));
    let seen: BTreeSet<String> =
        out.split('\0').filter(|e| !e.is_empty()).map(|e| e.split('=').next().unwrap().to_string()).collect();
    let want: BTreeSet<String> = sb.env().iter().map(|(k, _)| k.to_string_lossy().into_owned()).collect();
    assert_eq!(seen, want, "a child sees exactly the sandbox env");
    for (k, v) in sb.env() {
        let k = k.to_string_lossy();
        if k.starts_with("XDG_") || k == "HOME" || k == "TMPDIR" || k.ends_with("FIND_LINKS") || k == "UV_CACHE_DIR" {
            assert!(Path::new(&v).starts_with(sb.root()), "{k}={v:?} is outside the sandbox");
        }
    }
    let mode = fs::metadata(sb.runtime_dir()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "XDG_RUNTIME_DIR mode");
    assert_eq!(sb.path_var(), format!("{}:/usr/local/bin:/usr/bin:/bin", sb.bin().display()));
}

#[test]
fn sandbox_python_is_the_real_interpreter() {
    let sb = Sandbox::new(Uv::No);
    let t = tools();
    for name in ["python3".to_string(), format!("python{}", t.python_version)] {
        let link = sb.bin().join(&name);
        assert_eq!(fs::canonicalize(&link).unwrap(), t.python, "{name}");
        let mut magic = [0u8; 2];
        fs::File::open(&link).unwrap().read_exact(&mut magic).unwrap();
        assert_ne!(&magic, b"#!", "{name} must not be a (pyenv shim) script");
    }
    let out = sb.run_ok(sb.command("python3").args(["-c", "import sys; print(sys.prefix)"]));
    assert_eq!(out.trim(), t.python_prefix);
}

#[test]
fn uv_is_on_the_sandbox_path_only_when_asked() {
    let probe = |sb: &Sandbox| {
        let out = sb.command("/bin/sh").args(["-c", "command -v uv"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let without = Sandbox::new(Uv::No);
    assert_eq!(probe(&without), "", "the no-uv sandbox must not find uv");
    if should_skip(&[Need::Uv]) {
        return;
    }
    let with = Sandbox::new(Uv::Yes);
    assert_eq!(probe(&with), with.bin().join("uv").to_str().unwrap());
    let v = with.run_ok(with.command("uv").arg("--version"));
    assert!(v.starts_with("uv "), "{v}");
}

#[test]
fn uv_venv_seed_works_offline() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let venv = sb.work().join("v");
    sb.run_ok(sb.command("uv").args(["venv", "--seed"]).arg(&venv));
    let py = venv.join("bin/python");
    let pip = sb.run_ok(sb.command(&py).args(["-m", "pip", "--version"]));
    assert!(pip.contains(venv.to_str().unwrap()), "pip runs from the venv: {pip}");
    if tools().python_version.as_str() < "3.12" {
        sb.run_ok(sb.command(&py).args(["-c", "import setuptools, wheel"]));
    }
}

#[test]
fn python_m_venv_works_offline() {
    let sb = Sandbox::new(Uv::No);
    let venv = sb.work().join("v");
    sb.make_venv(&venv);
    sb.run_ok(sb.command(venv.join("bin/python")).args(["-m", "pip", "--version"]));
}

// ---------------------------------------------------------------- wheels

#[test]
fn b64_matches_rfc4648_urlsafe_without_padding() {
    for (input, want) in [
        (&b""[..], ""),
        (b"f", "Zg"),
        (b"fo", "Zm8"),
        (b"foo", "Zm9v"),
        (b"foob", "Zm9vYg"),
        (&[0xfb, 0xff][..], "-_8"),
    ] {
        assert_eq!(urlsafe_b64_nopad(input), want);
    }
}

#[test]
fn wheel_is_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let whl = build_wheel(dir.path(), "My-Pkg", "1.2", &["dep-one>=2", "other"]);
    assert_eq!(whl.file_name().unwrap(), "my_pkg-1.2-py3-none-any.whl");
    let mut zip = zip::ZipArchive::new(fs::File::open(&whl).unwrap()).unwrap();
    let mut read = |name: &str| {
        let mut s = Vec::new();
        zip.by_name(name).unwrap_or_else(|_| panic!("{name} in wheel")).read_to_end(&mut s).unwrap();
        s
    };
    assert_eq!(read("my_pkg/__init__.py"), b"VERSION = \"1.2\"\n");
    let meta = String::from_utf8(read("my_pkg-1.2.dist-info/METADATA")).unwrap();
    assert_eq!(
        meta,
        "Metadata-Version: 2.1\nName: My-Pkg\nVersion: 1.2\nRequires-Dist: dep-one>=2\nRequires-Dist: other\n"
    );
    let wheel = String::from_utf8(read("my_pkg-1.2.dist-info/WHEEL")).unwrap();
    assert!(wheel.contains("Root-Is-Purelib: true\n") && wheel.contains("Tag: py3-none-any\n"), "{wheel}");
    let record = String::from_utf8(read("my_pkg-1.2.dist-info/RECORD")).unwrap();
    let mut lines = 0;
    for line in record.lines() {
        let parts: Vec<&str> = line.split(',').collect();
        assert_eq!(parts.len(), 3, "{line}");
        if parts[0].ends_with("/RECORD") {
            assert_eq!(&parts[1..], ["", ""]);
            continue;
        }
        let data = read(parts[0]);
        assert_eq!(parts[1], format!("sha256={}", urlsafe_b64_nopad(&Sha256::digest(&data))), "{line}");
        assert_eq!(parts[2], data.len().to_string(), "{line}");
        lines += 1;
    }
    assert_eq!(lines, 3, "every file but RECORD is hashed:\n{record}");
}

/// The two wheels and the project used by the install tests.
fn project_with_deps(sb: &Sandbox) -> Project {
    sb.wheel("dep-one", "2.0", &[]);
    sb.wheel("mypkg", "1.0", &["dep-one>=2"]);
    sb.project("app").require("mypkg==1.0").create()
}

fn assert_installed(sb: &Sandbox, py: &Path) {
    let out = sb.run_ok(sb.command(py).args(["-c", "import mypkg, dep_one; print(mypkg.VERSION, dep_one.VERSION)"]));
    assert_eq!(out, "1.0 2.0\n");
}

#[test]
fn wheel_installs_and_uninstalls_with_real_pip() {
    let sb = Sandbox::new(Uv::No);
    let proj = project_with_deps(&sb);
    let venv = sb.work().join("v");
    sb.make_venv(&venv);
    let py = venv.join("bin/python");
    let req = proj.path("requirements.txt");
    sb.run_ok(sb.command(&py).args(["-m", "pip", "install", "-q", "-r"]).arg(&req));
    assert_installed(&sb, &py);
    // Uninstalling goes by RECORD, so this checks RECORD too.
    sb.run_ok(sb.command(&py).args(["-m", "pip", "uninstall", "-y", "-q", "mypkg"]));
    let site = venv.join(format!("lib/python{}/site-packages", tools().python_version));
    assert!(!site.join("mypkg").exists() && site.join("dep_one").exists());
}

#[test]
fn wheel_installs_and_uninstalls_with_real_uv() {
    if should_skip(&[Need::Uv]) {
        return;
    }
    let sb = Sandbox::new(Uv::Yes);
    let proj = project_with_deps(&sb);
    let venv = sb.work().join("v");
    sb.run_ok(sb.command("uv").args(["venv", "-q"]).arg(&venv));
    let py = venv.join("bin/python");
    sb.run_ok(
        sb.command("uv")
            .args(["pip", "install", "-q", "--python"])
            .arg(&py)
            .arg("-r")
            .arg(proj.path("requirements.txt")),
    );
    assert_installed(&sb, &py);
    sb.run_ok(sb.command("uv").args(["pip", "uninstall", "-q", "--python"]).arg(&py).arg("mypkg"));
    let site = venv.join(format!("lib/python{}/site-packages", tools().python_version));
    assert!(!site.join("mypkg").exists() && site.join("dep_one").exists());
}

#[test]
fn project_builder_writes_offline_requirements_and_git() {
    if should_skip(&[Need::Git]) {
        return;
    }
    let sb = Sandbox::new(Uv::No);
    let p = sb.project("web").require("a==1").require("b>=2").git().file("src/x.py", "").create();
    assert_eq!(
        p.read("requirements.txt").unwrap(),
        format!("--no-index\n--find-links {}\na==1\nb>=2\n", sb.wheels().display())
    );
    assert!(p.path(".git").is_dir() && p.path("src/x.py").is_file());
    let branch = sb.run_ok(sb.command("git").args(["symbolic-ref", "--short", "HEAD"]).current_dir(p.root()));
    assert_eq!(branch.trim(), "main");
    let email = sb.run_ok(sb.command("git").args(["config", "user.email"]).current_dir(p.root()));
    assert_eq!(email.trim(), "tests@autovenv.invalid");
}

// ---------------------------------------------------------------- screen

#[test]
fn screen_rendering() {
    assert_eq!(strip_ansi(b"\x1b[?2004ha\x1b]0;title\x07b\x1b(Bc\x1b[30md"), b"abcd");
    // zsh: bracketed paste around the echo, PROMPT_CR before the prompt.
    let zsh = b"> \x1b[?2004hecho hi\x1b[?2004l\r\r\nhi\r\n\r";
    assert_eq!(command_output(zsh, "echo hi").unwrap(), "hi\n");
    // fish: the prompt repainted while typing, then its missing-newline mark.
    let fish = "> echo \r[p]> echo hi\r[p]> echo hi\r\n\x1b[?2004lhi\r\nabc⏎        \r⏎ \r\x1b[?2004h\r".as_bytes();
    assert_eq!(command_output(fish, "echo hi").unwrap(), "hi\nabc");
    assert_eq!(render(b"12345\rab\x08c"), "ac345");
    assert!(command_output(b"> something else\r\n", "echo hi").is_err());
}

// ---------------------------------------------------------------- shells

/// A value that breaks naive quoting in every shell.
const NASTY: &str = "a 'single' \"double\" \\back $HOME `tick` !bang *glob\nsecond line\ttab";

fn round_trip(kind: Kind) {
    if should_skip(&[Need::Shell(kind)]) {
        return;
    }
    let sb = Sandbox::new(Uv::No);
    let mut sh = Shell::start_with(kind, &sb, Hook::No, "", &sb.work());
    eprintln!("{} reached its first prompt in {:?}", kind.name(), sh.startup);
    assert!(sh.startup < std::time::Duration::from_secs(10), "{:?}", sh.startup);

    assert_eq!(sh.run("echo hello"), "hello\n");
    if kind != Kind::Elvish {
        assert_eq!(sh.run("printf 'a\\nb\\n'"), "a\nb\n");
    }
    assert_eq!(sh.run("true"), "");

    // $? survives our prompt.
    if kind != Kind::Elvish {
        sh.run("false");
        assert_eq!(sh.run(&format!("echo {}", kind.status_var())), "1\n");
    }

    // var(): set, unset, and a value with newline, quotes, backslash, $.
    sh.export("AVT_NASTY", NASTY);
    assert_eq!(sh.var("AVT_NASTY").as_deref(), Some(NASTY.as_bytes()));
    assert_eq!(sh.exported_env().get("AVT_NASTY").map(Vec::as_slice), Some(NASTY.as_bytes()));
    sh.export("AVT_EMPTY", "");
    assert_eq!(sh.var("AVT_EMPTY"), Some(vec![]));
    sh.unset("AVT_NASTY");
    assert_eq!(sh.var("AVT_NASTY"), None);
    assert_eq!(sh.var("AVT_NEVER_SET"), None);
    assert!(!sh.exported_env().contains_key("AVT_NASTY"));
    assert_eq!(sh.var_names("AVT_"), ["AVT_EMPTY"]);
    assert_eq!(
        sh.vars(&["AVT_EMPTY", "AVT_NASTY", "HOME"]),
        [Some(vec![]), None, Some(sb.home().to_str().unwrap().into())]
    );

    let path: Vec<String> = sb.path_var().split(':').map(str::to_string).collect();
    assert_eq!(sh.path_entries(), path);

    // cd() quotes; PWD follows.
    let odd = sb.work().join("it's a \"dir\" $x");
    fs::create_dir(&odd).unwrap();
    sh.cd(&odd);
    assert_eq!(sh.var_str("PWD").as_deref(), odd.to_str());

    // Capture of arbitrary code, and the transcript.
    let mark = sh.mark();
    assert_eq!(sh.capture("echo one; echo two"), b"one\ntwo\n");
    sh.run("echo visible-in-transcript");
    let since = sh.output_since(mark);
    assert!(since.contains("\nvisible-in-transcript\n"), "{since}");
    assert!(!sh.transcript().contains('\x1b'));

    // Re-sourcing the rc keeps the prompt protocol working.
    let before = sh.hook_registration();
    sh.source_rc();
    assert_eq!(sh.hook_registration(), before);
    assert_eq!(sh.run("echo still"), "still\n");

    assert!(sh.exit().success());
}

fn starts_with_hook_line(kind: Kind) {
    if should_skip(&[Need::Shell(kind)]) {
        return;
    }
    let sb = Sandbox::new(Uv::No);
    let mut sh = Shell::start(kind, &sb, "echo rc-extra-ran", &sb.work());
    eprintln!("{} with the hook line reached its first prompt in {:?}", kind.name(), sh.startup);
    let rc = fs::read_to_string(sh.rc_path()).unwrap();
    assert!(rc.contains(&kind.hook_line(autovenv_bin())), "{rc}");
    assert!(sh.transcript().contains("rc-extra-ran"));
    assert_eq!(sh.run("echo ok"), "ok\n");
}

/// Two shells of one kind in one sandbox (the second rewrites the rc file)
/// keep working, also after the first sources the rc again.
fn two_shells_share_a_sandbox(kind: Kind) {
    if should_skip(&[Need::Shell(kind)]) {
        return;
    }
    let sb = Sandbox::new(Uv::No);
    let mut first = Shell::start_with(kind, &sb, Hook::No, "", &sb.work());
    let mut second = Shell::start_with(kind, &sb, Hook::No, "", &sb.home());
    first.source_rc();
    assert_eq!(first.run("echo first"), "first\n");
    assert_eq!(second.run("echo second"), "second\n");
    assert_eq!(first.var_str("PWD"), sb.work().to_str().map(String::from));
    assert_eq!(second.var_str("PWD"), sb.home().to_str().map(String::from));
}

/// A stuck or confused shell fails fast with the terminal in the message.
fn failures_explain_themselves(kind: Kind) {
    if should_skip(&[Need::Shell(kind)]) {
        return;
    }
    if matches!(kind, Kind::Tcsh | Kind::Elvish) {
        return; // an unbalanced quote is an error at once, not a continuation
    }
    let sb = Sandbox::new(Uv::No);
    let mut sh = Shell::start_with(kind, &sb, Hook::No, "", &sb.work());
    sh.run("echo before-the-failure");
    sh.set_timeout(std::time::Duration::from_secs(2));
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sh.run("echo 'unbalanced"))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    let why = match kind {
        // bash and zsh show PS2; fish just keeps editing the command line.
        Kind::Bash | Kind::Zsh | Kind::Nu => "wants more input after `echo 'unbalanced`",
        Kind::Tcsh | Kind::Elvish => unreachable!(),
        // fish just keeps editing the command line; xonsh cuts its
        // continuation prompt to the first prompt's width.
        Kind::Fish | Kind::Xonsh => "no prompt within 2s after `echo 'unbalanced`",
    };
    assert!(msg.contains(why), "{msg}");
    assert!(msg.contains("\nbefore-the-failure\n"), "the transcript is in the message: {msg}");
}

per_shell!(round_trip, starts_with_hook_line, two_shells_share_a_sandbox, failures_explain_themselves);

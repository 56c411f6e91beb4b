//! The files a project holds, as an attacker or an odd checkout leaves
//! them: a `.gitignore` that is a symlink or a FIFO, an `env_dir` with a
//! newline, a FIFO where `.python-version` or `pyproject.toml` should be,
//! 20,000 nested includes, a symlinked requirements file repointed at a
//! twin, and requirements files read exactly as pip reads them (compared
//! with pip's own parser on the same files).

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Runs `cmd` (stdin closed), failing the test if it takes longer than
/// `limit`: a FIFO read would block forever.
fn run_within(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "{cmd:?} still running after {limit:?} (blocked on a file?)\n--- stderr ---\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

const LIMIT: Duration = Duration::from_secs(60);

fn autovenv(sb: &Sandbox, dir: &Path, args: &[&str]) -> Output {
    let mut cmd = sb.autovenv();
    cmd.args(args).current_dir(dir);
    run_within(cmd, LIMIT)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mkfifo(p: &Path) {
    let _ = fs::remove_file(p);
    assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
}

/// `export bash` as the hook runs it: exit 0, code bash accepts.
fn export_ok(sb: &Sandbox, dir: &Path) -> Output {
    let out = autovenv(sb, dir, &["export", "bash"]);
    assert!(out.status.success(), "export exits 0 ({}):\n{}", out.status, stderr(&out));
    assert_parses(Kind::Bash, &out.stdout, "export");
    out
}

fn installed_version(env: &Path, name: &str) -> Option<String> {
    let lib = fs::read_dir(env.join("lib")).ok()?.flatten().next()?.path().join("site-packages");
    fs::read_dir(lib).ok()?.flatten().find_map(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.strip_prefix(&format!("{name}-"))?.strip_suffix(".dist-info").map(String::from)
    })
}

// ---------------------------------------------------------------------------
// .gitignore and env_dir

/// `.gitignore -> ~/.bashrc`: nothing is written through the link, the
/// person is warned once, and the env is still kept out of git.
#[test]
fn symlinked_gitignore_is_left_alone() {
    let Some(sb) = sandbox_with(&[Need::Git], Uv::No, &[]) else { return };
    let bashrc = sb.home().join(".bashrc");
    fs::write(&bashrc, "# mine\n").unwrap();
    let proj = sb.project("app").no_requirements().file("setup.cfg", "").git().create();
    symlink(&bashrc, proj.path(".gitignore")).unwrap();
    let out = autovenv(&sb, proj.root(), &["allow"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(fs::read_to_string(&bashrc).unwrap(), "# mine\n", "nothing written through the symlink:\n{err}");
    assert_eq!(err.matches(".gitignore is not a regular file; autovenv leaves it alone").count(), 1, "{err}");
    let mut git = sb.command("git");
    git.args(["status", "--porcelain"]).current_dir(proj.root());
    let status = sb.run_ok(&mut git);
    assert!(!status.contains("env"), "the env is still kept out of git:\n{status}");
}

/// A FIFO `.gitignore` does not hang `allow`: reading one would wait forever.
#[test]
fn fifo_gitignore_does_not_hang_allow() {
    let Some(sb) = sandbox_with(&[Need::Git], Uv::Yes, &[]) else { return };
    let proj = sb.project("app").no_requirements().file("setup.cfg", "").git().create();
    mkfifo(&proj.path(".gitignore"));
    let out = autovenv(&sb, proj.root(), &["allow"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(proj.env_dir().join("pyvenv.cfg").is_file());
}

/// An `env_dir` with a newline would add a line of the project's choosing
/// to `.gitignore` (or, through a symlink, to any file): a config error.
#[test]
fn env_dir_with_a_control_character_is_a_config_error() {
    let Some(sb) = sandbox_with(&[Need::Git], Uv::Yes, &[]) else { return };
    let proj =
        sb.project("app").no_requirements().file(".autovenv.toml", "env_dir = \"e\\necho pwned\"\n").git().create();
    let out = autovenv(&sb, proj.root(), &["allow"]);
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(".autovenv.toml line 1") && err.contains("control character"), "{err}");
    assert!(proj.read(".gitignore").is_none(), "nothing written:\n{err}");
    export_ok(&sb, proj.root());
}

// ---------------------------------------------------------------------------
// Files the prompt reads

/// A FIFO (or a device) where `.python-version` or `pyproject.toml` should
/// be: every prompt would hang reading it. One clear error, exit 0.
#[test]
fn fifo_project_files_do_not_hang_the_prompt() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &[]) else { return };
    for name in [".python-version", "pyproject.toml"] {
        let proj = sb.project(&format!("app-{}", &name[1..4])).no_requirements().file("setup.cfg", "").create();
        for target in ["fifo", "/dev/zero"] {
            let _ = fs::remove_file(proj.path(name));
            match target {
                "fifo" => mkfifo(&proj.path(name)),
                dev => symlink(dev, proj.path(name)).unwrap(),
            }
            // `allow` reads both to make the env; the prompt reads both.
            let err = stderr(&autovenv(&sb, proj.root(), &["allow"]));
            assert!(err.contains(&format!("{name} is not a regular file")), "{name} ({target}):\n{err}");
            let err = stderr(&export_ok(&sb, proj.root()));
            if name == "pyproject.toml" {
                assert!(err.contains(&format!("{name} is not a regular file")), "{name} ({target}):\n{err}");
            }
            let out = autovenv(&sb, proj.root(), &["status"]);
            assert!(out.status.code().is_some(), "status finishes");
        }
    }
}

/// 20,000 files each including the next: a clear error naming the bound,
/// not a stack overflow; the prompt still exits 0 with valid code.
#[test]
fn deep_include_chain_is_a_clear_error() {
    let Some(sb) = sandbox_with(&[], Uv::Yes, &["mypkg"]) else { return };
    let proj = sb.project("deep").require("-r reqs/r1.txt").create();
    let reqs = proj.path("reqs");
    fs::create_dir_all(&reqs).unwrap();
    for i in 1..20_000 {
        fs::write(reqs.join(format!("r{i}.txt")), format!("-r r{}.txt\n", i + 1)).unwrap();
    }
    fs::write(reqs.join("r20000.txt"), "mypkg\n").unwrap();
    let out = autovenv(&sb, proj.root(), &["allow"]);
    let err = stderr(&out);
    assert!(out.status.code().is_some(), "no crash: {}", out.status);
    assert!(err.contains("requirements includes nest more than 100 deep"), "{err}");
    let out = export_ok(&sb, proj.root());
    assert!(String::from_utf8_lossy(&out.stdout).contains("VIRTUAL_ENV"), "the env is still activated");
    let out = autovenv(&sb, proj.root(), &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["problem"].as_str().unwrap_or("").contains("nest more than 100 deep"), "{json}");
}

/// A requirements file that is a symlink, repointed at a twin with the
/// same size and mtime (two files of one archive, `cp -p`), resyncs at the
/// next prompt of a real shell (the hook's idle test follows symlinks, so
/// the link's folder is watched too).
fn symlinked_requirements_repointed_at_a_twin_resyncs(kind: Kind) {
    let Some(sb) = sandbox_with(&[Need::Shell(kind)], Uv::Yes, &[]) else { return };
    sb.wheel("mypkg", "1.0", &[]);
    sb.wheel("mypkg", "2.0", &[]);
    let proj = sb
        .project("twins")
        .require("-r reqs/current.txt")
        .file("reqs/one.txt", "mypkg==1.0\n")
        .file("reqs/two.txt", "mypkg==2.0\n")
        .create();
    let (one, two) = (proj.path("reqs/one.txt"), proj.path("reqs/two.txt"));
    let mtime = fs::metadata(&one).unwrap().modified().unwrap();
    fs::File::options().write(true).open(&two).unwrap().set_modified(mtime).unwrap();
    symlink("one.txt", proj.path("reqs/current.txt")).unwrap();
    let mut sh = Shell::start(kind, &sb, "", &sb.work());
    sh.cd(proj.root());
    let out = sh.run("autovenv allow");
    assert_eq!(installed_version(&proj.env_dir(), "mypkg").as_deref(), Some("1.0"), "{out}");
    sh.run("true");
    let out = sh.run("ln -sfn two.txt reqs/current.txt");
    let out = out + &sh.run("true");
    assert_eq!(installed_version(&proj.env_dir(), "mypkg").as_deref(), Some("2.0"), "{out}");
}

per_shell!(symlinked_requirements_repointed_at_a_twin_resyncs);

// ---------------------------------------------------------------------------
// Requirements files as pip reads them

/// Lists, one per line, every requirements file pip's own parser opens for
/// `requirements.txt`, relative to the current folder.
const PIP_FILES: &str = r#"import os
from pip._internal.req import req_file
from pip._internal.network.session import PipSession
seen = []
orig = req_file.get_file_content
def spy(url, session):
    seen.append(url)
    return orig(url, session)
req_file.get_file_content = spy
list(req_file.parse_requirements("requirements.txt", PipSession()))
for f in seen:
    print(os.path.normpath(f))
"#;

/// Comments after a tab, continuation lines, `--option=value`, an
/// abbreviated option, a quoted name, a `#` inside a name, a comment line
/// inside a continuation: autovenv watches exactly the files pip opens,
/// and the install succeeds.
#[test]
fn includes_agree_with_pips_parser() {
    // pip installs: the files are in pip's dialect (uv reads some forms differently).
    let Some(sb) = sandbox_with(&[], Uv::No, &["pa", "pb", "pc", "pd", "pe", "pf"]) else { return };
    let proj = sb
        .project("pipwise")
        .require("-r base.txt\t# pinned")
        .require("--requirement=more.txt # more")
        .require("-c pins#1.txt")
        .require("-r cont\\\ninued.txt")
        .require("# -r commented.txt")
        .require("  # -r indented-comment.txt")
        .require("--requirem abbrev.txt")
        .require("-r 'spaced name.txt'")
        .require("-r after-comment.txt \\\n# a comment line ends it")
        .file("base.txt", "pa\n")
        .file("more.txt", "pb\n")
        .file("pins#1.txt", "pa==1.0\n")
        .file("continued.txt", "pc\n")
        .file("abbrev.txt", "pd\n")
        .file("spaced name.txt", "pe\n")
        .file("after-comment.txt", "pf\n")
        .create();
    let out = autovenv(&sb, proj.root(), &["allow"]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    for p in ["pa", "pb", "pc", "pd", "pe", "pf"] {
        assert_eq!(installed_version(&proj.env_dir(), p).as_deref(), Some("1.0"), "{p}:\n{err}");
    }
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(proj.env_dir().join(".autovenv-state")).unwrap()).unwrap();
    let mut ours: Vec<String> =
        state["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap().to_string()).collect();
    let mut py = sb.command(proj.env_dir().join("bin/python"));
    py.args(["-c", PIP_FILES]).current_dir(proj.root());
    let mut pips: Vec<String> = sb.run_ok(&mut py).lines().map(String::from).collect();
    ours.sort();
    pips.sort();
    assert_eq!(ours, pips, "autovenv watches what pip reads");
}

//! The integration-test harness: sandboxes, offline wheels, projects, and
//! real interactive shells on a pty, shared by every module of the
//! integration test binary (`tests/it/main.rs` declares it first, with
//! `#[macro_use]`, so `per_shell!` reaches the modules after it).
//!
//! ```ignore
//! if should_skip(&[Need::Shell(Kind::Zsh), Need::Uv, Need::Git]) { return; }
//! let sb = Sandbox::new(Uv::Yes);          // python3, uv, git, autovenv on PATH
//! sb.wheel("mypkg", "1.0", &[]);            // into sb.wheels(), the find-links dir
//! let proj = sb.project("app").require("mypkg==1.0").git().create();
//! let mut sh = Shell::start(Kind::Zsh, &sb, "", &sb.work());
//! sh.cd(proj.root());                       // returns what the hook printed
//! sh.run("autovenv allow");
//! assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
//! ```
//!
//! - `Sandbox`: `env()` (the complete child environment), `command(prog)`,
//!   `autovenv()`, `run_ok(cmd)`, `wheel(..)`, `project(name)`, `make_venv`,
//!   paths (`home`, `work`, `bin`, `wheels`, `xdg_*`, `trust_dir`).
//! - `Shell`: `run(line) -> String` (output without the echo), `capture(code)`,
//!   `var`/`vars`/`var_str`, `var_names(prefix)`, `path_entries`,
//!   `exported_env`, `cd`, `export`, `unset`, `source_rc`,
//!   `hook_registration`, `mark`/`output_since`/`transcript`, `q`/`qp`
//!   (quoting for that shell), `exit`. `startup` is the time to first prompt.
//! - `cli`: the binary as a process (`av`, `av_env`, `ok`, `status_json`,
//!   `export_json`, `parses`), for tests that need no interactive shell.
//! - `snapshot`: `autovenv_snapshot!(&sb, cmd, "name")` and
//!   `assert_filtered_snapshot!(&sb, text)` compare whole output with a
//!   file in `tests/it/snapshots/`, machine-specific parts filtered.
//! - Missing tools: `should_skip(&[Need::…])` skips locally, panics with
//!   `CI=true`. `AVTEST_PYTHON`, `AVTEST_UV` pick the programs;
//!   `AVTEST_KEEP=1` keeps sandboxes for inspection.
#![allow(dead_code, unused_imports)]

pub(crate) mod cli;
mod project;
mod pty;
mod sandbox;
pub(crate) mod screen;
mod shell;
#[macro_use]
pub(crate) mod snapshot;
mod tools;
mod wheel;

pub(crate) use project::{Project, ProjectBuilder};
pub(crate) use pty::Pty;
pub(crate) use sandbox::{autovenv_bin, check_output, Sandbox, Uv, PROJECT_MARKERS};
pub(crate) use shell::{Hook, Kind, Shell, PROMPT_TIMEOUT};
pub(crate) use tools::{should_skip, tools, Need};
pub(crate) use wheel::{build_wheel, build_wheel_with, normalize, urlsafe_b64_nopad};

/// An in-tree build backend (`backend.py`, with `backend-path = ["."]`):
/// the project as a package, built offline, each build logged.
pub(crate) const BACKEND_PY: &str = include_str!("files/backend.py");

/// `per_shell!(a, b)` defines `bash::a`, `zsh::a`, `fish::a`, … as tests
/// calling `a(Kind::Bash)` etc. (declared by `main.rs`).
macro_rules! per_shell {
    ($($test:ident),* $(,)?) => {
        mod bash { $( #[test] fn $test() { super::$test($crate::common::Kind::Bash) } )* }
        mod zsh { $( #[test] fn $test() { super::$test($crate::common::Kind::Zsh) } )* }
        mod fish { $( #[test] fn $test() { super::$test($crate::common::Kind::Fish) } )* }
        mod elvish { $( #[test] fn $test() { super::$test($crate::common::Kind::Elvish) } )* }
        mod tcsh { $( #[test] fn $test() { super::$test($crate::common::Kind::Tcsh) } )* }
    };
}

/// `code` (an export's stdout) parses in `kind`'s own parser (`-n`), with
/// nothing on stderr; panics with the code otherwise. Skips a missing shell
/// (callers check `should_skip` first where CI must have it).
pub(crate) fn assert_parses(kind: Kind, code: &[u8], when: &str) {
    let Some(bin) = kind.path() else { return };
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("code");
    std::fs::write(&f, code).unwrap();
    let mut cmd = std::process::Command::new(bin);
    // A HOME and a working folder of its own: whatever a shell makes while
    // it parses (xonsh its data folder, fish its config) stays in there.
    cmd.env_clear().env("HOME", dir.path()).current_dir(dir.path());
    match kind {
        Kind::Fish => drop(cmd.arg("--no-config").arg("-n").arg(&f)),
        // What `export nu` prints is data: one JSON object a line.
        Kind::Nu => drop(
            cmd.args(["--no-config-file", "-c", "open --raw $env.AVT_CODE | from json --objects | ignore"])
                .env("AVT_CODE", &f),
        ),
        Kind::Xonsh => drop(cmd.args(["--no-rc", "-n"]).arg(&f)),
        Kind::Elvish => drop(cmd.arg("-compileonly").arg(&f)),
        _ => drop(cmd.arg("-n").arg(&f)),
    }
    let out = cmd.env("PATH", "/usr/bin:/bin").output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{when}: {} -n rejects:\n{}\n--- stderr ---\n{}",
        kind.name(),
        String::from_utf8_lossy(code),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The usual start of a test: skip (or, under `CI=true`, fail) unless
/// `needs` are present (plus uv for `Uv::Yes`), then a sandbox with a
/// `NAME 1.0` wheel built for each of `wheels`.
pub(crate) fn sandbox_with(needs: &[Need], uv: Uv, wheels: &[&str]) -> Option<Sandbox> {
    let mut needs = needs.to_vec();
    if uv == Uv::Yes {
        needs.push(Need::Uv);
    }
    if should_skip(&needs) {
        return None;
    }
    let sb = Sandbox::new(uv);
    for name in wheels {
        sb.wheel(name, "1.0", &[]);
    }
    Some(sb)
}

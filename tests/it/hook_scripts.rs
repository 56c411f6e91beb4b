//! The hook scripts are real shell files: lint them as shell. bash with
//! shellcheck (as bash, the dialect the file must keep to for bash 3.2 on
//! macOS too); zsh and fish with their own `-n` parser, for the files as
//! shipped and as rendered by `autovenv hook` around a hostile binary path.

use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    let found =
        Command::new("sh").arg("-c").arg(format!("command -v {tool}")).output().is_ok_and(|o| o.status.success());
    assert!(found || std::env::var("CI").as_deref() != Ok("true"), "{tool} not found; CI must install it");
    found
}

fn check(cmd: &mut Command) {
    let out = cmd.output().expect("run the linter");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bash_hook_passes_shellcheck() {
    if !have("shellcheck") {
        return;
    }
    // Every optional check too, except SC2250 (braces around every variable
    // reference): it would double the length of the idle test, which is
    // read more than written, without changing what it means.
    check(
        Command::new("shellcheck")
            .args(["--shell=bash", "--enable=all", "--exclude=SC2250"])
            .arg("src/shell/hooks/autovenv.bash"),
    );
}

/// The fish hook is laid out as fish_indent lays it out, so a diff of it
/// shows only what changed.
#[test]
fn fish_hook_is_fish_indented() {
    if !have("fish_indent") {
        return;
    }
    check(Command::new("fish_indent").arg("--check").arg("src/shell/hooks/autovenv.fish"));
}

/// The benchmarks and the CI script are shell too, and are run by hand
/// where a slip costs a misleading figure rather than a failing test.
#[test]
fn bench_and_ci_scripts_pass_shellcheck() {
    if !have("shellcheck") {
        return;
    }
    check(Command::new("shellcheck").args([
        "--severity=style",
        "benches/hot_path.sh",
        "benches/first_entry.sh",
        "benches/first_entry_uvlock.sh",
        "benches/parent_marker.sh",
        ".ci/run",
        ".ci/package-smoke",
    ]));
}

/// The shell's program (xonsh: the real script, not pyenv's shim), or
/// `None` when it is missing (a failure under CI).
fn shell_program(shell: &str) -> Option<std::path::PathBuf> {
    let kind = crate::common::Kind::ALL.into_iter().find(|k| k.name() == shell)?;
    if crate::common::should_skip(&[crate::common::Need::Shell(kind)]) {
        return None;
    }
    kind.path().map(Path::to_path_buf)
}

/// Elvish compiles a script outside its line editor, where `edit:` does not
/// exist: the hook's two registrations with the editor are the only errors
/// it may report.
fn check_elvish(cmd: &mut Command) {
    let out = cmd.output().expect("run elvish");
    let text = String::from_utf8_lossy(&out.stderr);
    let text = text.replace('\x1b', "");
    let errors: Vec<&str> = text.lines().filter(|l| l.contains("not found") || l.contains("cannot find")).collect();
    let other = text.lines().any(|l| l.contains("error") && !l.contains("compilation errors"));
    assert!(
        out.status.success()
            || (errors.len() == 2 && errors.iter().all(|e| e.contains("edit:before-readline")) && !other),
        "{cmd:?} failed:\n{text}"
    );
}

#[test]
fn rendered_hooks_parse_in_their_shells() {
    let dir = tempfile::tempdir().unwrap();
    // The binary reached through a path no hook may break on.
    let odd = dir.path().join("it's a $(dir) `x` \"q\"");
    std::fs::create_dir(&odd).unwrap();
    let exe = odd.join("autovenv");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_autovenv"), &exe).unwrap();
    for (shell, flag, ext) in [
        ("bash", "-n", "bash"),
        ("zsh", "-n", "zsh"),
        ("fish", "--no-execute", "fish"),
        ("nu", "--ide-check", "nu"),
        ("xonsh", "-n", "xsh"),
        ("tcsh", "-n", "tcsh"),
        ("elvish", "-compileonly", "elv"),
    ] {
        let Some(program) = shell_program(shell) else { continue };
        let parse = |file: &Path| {
            let mut cmd = Command::new(&program);
            match shell {
                // nushell's checker reports errors as JSON lines on stdout
                // and exits 0: a file without any `"type":"diagnostic"` passes.
                "nu" => {
                    let out = cmd.args(["--no-config-file", flag, "10"]).arg(file).output().unwrap();
                    let text = String::from_utf8_lossy(&out.stdout);
                    assert!(!text.contains("\"diagnostic\""), "{shell} rejects {}:\n{text}", file.display());
                }
                "xonsh" => check(cmd.args(["--no-rc", flag]).arg(file)),
                "elvish" => check_elvish(cmd.arg(flag).arg(file)),
                _ => check(cmd.arg(flag).arg(file)),
            }
        };
        parse(&Path::new("src/shell/hooks").join(format!("autovenv.{ext}")));
        let out = Command::new(&exe).args(["hook", shell]).output().unwrap();
        assert!(out.status.success());
        let file = dir.path().join(format!("hook.{ext}"));
        std::fs::write(&file, &out.stdout).unwrap();
        parse(&file);
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("@AUTOVENV@"), "{shell}: placeholder left in");
    }
}

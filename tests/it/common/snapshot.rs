//! Snapshot assertions for what a person reads: the whole of stdout, stderr
//! and the exit code of a command, or the transcript of a shell session,
//! compared with a file under `tests/it/snapshots/` after the sandbox's
//! paths and the machine's versions and timings are replaced by
//! placeholders, so the same snapshot holds on every machine.

use std::process::{Command, Output};

use super::sandbox::Sandbox;

/// `(regex, replacement)` pairs, most specific first: the sandbox's own
/// folders, then what varies between machines and runs.
pub(crate) fn filters(sb: &Sandbox) -> Vec<(String, String)> {
    let mut f = Vec::new();
    for (dir, name) in [
        (sb.wheels(), "[WHEELS]"),
        (sb.work(), "[WORK]"),
        (sb.home(), "[HOME]"),
        (sb.xdg_data(), "[XDG_DATA]"),
        (sb.xdg_config(), "[XDG_CONFIG]"),
        (sb.xdg_state(), "[XDG_STATE]"),
        (sb.xdg_cache(), "[XDG_CACHE]"),
        (sb.runtime_dir(), "[XDG_RUNTIME]"),
        (sb.bin(), "[BIN]"),
        (sb.root().to_path_buf(), "[SANDBOX]"),
    ] {
        f.push((regex_escape(&dir.display().to_string()), name.to_string()));
    }
    // The installer's own report and errors (uv's or pip's wording and
    // package list change with their versions; autovenv's own lines, which
    // start with `autovenv:`, follow them).
    f.push((
        concat!(
            r"(?m)(^(?:Using Python|Resolved|Prepared|Installed|Uninstalled|Audited|Downloaded|Collecting|Processing|",
            r"Looking in|Successfully|error:|warning:|ERROR:|WARNING:) .*\n|^ [+-] .*\n|^  [a-z]+: .*\n)+"
        )
        .into(),
        "[INSTALLER OUTPUT]\n".into(),
    ));
    // The version of the pip seeded into a new env.
    f.push((r"\bpip \d+(\.\d+)+".into(), "pip [PIP_VERSION]".into()));
    // A full Python version ("Python 3.11.7", "cpython-3.12.1").
    f.push((r"\b3\.\d+\.\d+\b".into(), "[PYTHON_VERSION]".into()));
    // Durations ("in 0.4s", "in 12ms").
    f.push((r"\b\d+(\.\d+)?(ms|s)\b".into(), "[TIME]".into()));
    f
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Exit code, stdout and stderr of a finished command, as one text.
pub(crate) fn format_output(out: &Output) -> String {
    format!(
        "exit: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        out.status.code().map_or_else(|| "signal".to_string(), |c| c.to_string()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The command line as a person would type it: the program's file name and
/// its arguments (paths in them are filtered like the output).
pub(crate) fn command_line(cmd: &Command) -> String {
    let prog = std::path::Path::new(cmd.get_program());
    let mut line = prog.file_name().unwrap_or(prog.as_os_str()).to_string_lossy().into_owned();
    for a in cmd.get_args() {
        line.push(' ');
        line.push_str(&a.to_string_lossy());
    }
    line
}

/// Asserts `$text` against the snapshot named for the test (or `$name`),
/// with the sandbox's filters applied.
macro_rules! assert_filtered_snapshot {
    ($sb:expr, $text:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (re, with) in $crate::common::snapshot::filters($sb) {
            settings.add_filter(&re, with);
        }
        settings.set_omit_expression(true);
        let text: String = $text;
        settings.bind(|| insta::assert_snapshot!(text));
    }};
    ($sb:expr, $name:expr, $text:expr) => {{
        let mut settings = insta::Settings::clone_current();
        for (re, with) in $crate::common::snapshot::filters($sb) {
            settings.add_filter(&re, with);
        }
        settings.set_omit_expression(true);
        let name: String = ($name).to_string();
        let text: String = $text;
        settings.bind(|| insta::assert_snapshot!(name.as_str(), text.as_str()));
    }};
}

/// Runs `$cmd` (a `Command`, e.g. from `Sandbox::autovenv`) and asserts its command line,
/// exit code, stdout and stderr, whole, against the test's snapshot (or the
/// one named `$name`). Returns the `Output` for further checks.
macro_rules! autovenv_snapshot {
    ($sb:expr, $cmd:expr $(, $name:expr)?) => {{
        let mut cmd: std::process::Command = $cmd;
        let out = cmd.output().unwrap_or_else(|e| panic!("spawning {cmd:?}: {e}"));
        let text = format!(
            "$ {}\n{}",
            $crate::common::snapshot::command_line(&cmd),
            $crate::common::snapshot::format_output(&out)
        );
        assert_filtered_snapshot!($sb, $($name,)? text);
        out
    }};
}

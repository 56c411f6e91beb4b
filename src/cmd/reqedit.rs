//! What `add`, `remove` and `freeze` share: the allowed project here, its
//! requirements file, pip (or uv's pip) in its env, and recording the files
//! as installed so the next prompt installs nothing. The line edits are
//! pure functions of the text: every other line, comment, include and the
//! order stay as they were.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::child::{self, UvConfig};
use crate::cmd::root_for;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::hook_env::ensure;
use crate::hook_env::resolve::{self, Trusted};
use crate::{lock, msg, stamp, sync, venv};

/// The allowed project around the current folder. Nothing of an unallowed
/// one is read (its config included) or run.
pub(crate) fn trusted_here(ctx: &Context) -> Result<Trusted> {
    let root = root_for(ctx, None)?;
    resolve::trusted(ctx, resolve::project(ctx, &root)?)
}

/// A project whose dependencies another tool keeps: its file, and that
/// tool's commands to add and to remove.
pub(crate) struct OtherTool {
    pub file: &'static str,
    pub add: &'static str,
    pub remove: &'static str,
}

const UV: OtherTool = OtherTool { file: "uv.lock", add: "uv add", remove: "uv remove" };
const POETRY: OtherTool = OtherTool { file: "poetry.lock", add: "poetry add", remove: "poetry remove" };
const PIPENV: OtherTool = OtherTool { file: "Pipfile", add: "pipenv install", remove: "pipenv uninstall" };

/// The tool that keeps the dependencies of a source that is not a
/// requirements file (`name` as `sync::source::ORDER` has it), or `None`
/// for one edited by hand (setup.py).
fn tool_of(root: &Path, name: &str) -> Option<OtherTool> {
    match name {
        "uv.lock" => Some(UV),
        "poetry.lock" => Some(POETRY),
        "Pipfile.lock" | "Pipfile" => Some(PIPENV),
        "pyproject.toml" => {
            let poetry = crate::fsutil::read_regular(&root.join("pyproject.toml"))
                .ok()
                .flatten()
                .and_then(|b| toml::from_str::<toml::Table>(&String::from_utf8_lossy(&b)).ok())
                .is_some_and(|d| {
                    d.get("tool").and_then(toml::Value::as_table).is_some_and(|t| t.contains_key("poetry"))
                });
            Some(OtherTool { file: "pyproject.toml", ..if poetry { POETRY } else { UV } })
        }
        _ => None,
    }
}

/// The requirements file `add` or `remove` edits: the first configured one
/// that exists, or (no source yet) the first configured one, made. `Err`
/// when the project syncs from another source: its tool's command is the
/// hint. Locks no source reads yet (uv.lock, poetry.lock beside a
/// pyproject.toml) still belong to their tool.
pub(crate) fn requirements_file(t: &Trusted, add: bool, packages: &[String]) -> Result<String> {
    let root = &t.project.root;
    let chosen = sync::source::choose(root, &t.settings).map_err(|(e, _)| e)?;
    let name = chosen.name();
    let locked = [("uv.lock", UV), ("poetry.lock", POETRY)].into_iter().find(|(f, _)| root.join(f).is_file());
    let other = match name {
        "requirements" => None,
        "none" => locked.map(|(_, tool)| tool),
        _ => match tool_of(root, name) {
            Some(tool) => Some(locked.map_or(tool, |(_, l)| l)),
            None => {
                return Err(Error::new(format!(
                    "{} takes its dependencies from {}; autovenv does not edit it",
                    msg::escape(&t.project.shown.display().to_string()),
                    msg::escape(&chosen.label())
                ))
                .with_hint("edit it by hand; the next prompt syncs the env"))
            }
        },
    };
    if let Some(tool) = other {
        let cmd = if add { tool.add } else { tool.remove };
        return Err(Error::new(format!(
            "{} keeps its dependencies in {}, which {} edits; autovenv leaves it alone",
            msg::escape(&t.project.shown.display().to_string()),
            tool.file,
            cmd.split(' ').next().unwrap_or(cmd)
        ))
        .with_hint(format!("run `{cmd} {}`; the next prompt syncs the env", packages.join(" "))));
    }
    let top = &t.settings.requirements;
    top.iter().find(|f| root.join(f).is_file()).or(top.first()).cloned().ok_or_else(|| {
        Error::new("this project lists no requirements file (`requirements = []`)")
            .with_hint("name one in .autovenv.toml, e.g. requirements = [\"requirements.txt\"]")
    })
}

/// Make and sync the env as the files are now (a no-op when it is), so
/// that what a command then changes starts from an env that matches them.
pub(crate) fn up_to_date(ctx: &Context, t: &Trusted) -> Result<()> {
    let report = ensure::env(ctx, t, ensure::SyncWhen::RetryFailed);
    match report.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// `uv pip SUB… --python <env>` or `<env>/bin/python -I -m pip SUB…`, in
/// the project root (as the sync's installer).
pub(crate) fn pip(ctx: &Context, t: &Trusted, sub: &[&str]) -> Command {
    let python = venv::python(&t.env);
    match ctx.find_program("uv") {
        Some(uv) => {
            let config = UvConfig::choose(&t.project.root, ctx.lookup());
            let mut c = child::uv(&uv, &t.project.root, &config, &["pip"]);
            c.args(sub).arg("--python").arg(&python);
            c
        }
        None => {
            let mut c = child::python(&python, &t.project.root, &["-m", "pip"].map(std::ffi::OsStr::new));
            c.args(sub).arg("--disable-pip-version-check");
            c
        }
    }
}

/// Record the requirements files as installed (see `sync::record`), under
/// the project lock, and let every shell's next prompt look again.
pub(crate) fn record(ctx: &Context, t: &Trusted) -> Result<()> {
    let _lock = match ctx.dirs.lock_dir() {
        Some(dir) => Some(lock::acquire(&dir, &t.project.key(), &t.project.display(ctx))?),
        None => None,
    };
    sync::record(&t.project.root, &t.env, &t.settings)?;
    stamp::expire_all(&ctx.dirs);
    Ok(())
}

/// The file's text; "" when it does not exist yet.
pub(crate) fn read(path: &Path) -> Result<String> {
    let bytes = crate::fsutil::read_regular(path)?.unwrap_or_default();
    String::from_utf8(bytes).map_err(|_| {
        Error::new(format!("{} is not UTF-8 text", msg::escape(&path.display().to_string())))
            .with_hint("fix its encoding, or edit it by hand")
    })
}

pub(crate) fn write(path: &Path, text: &str) -> Result<()> {
    crate::fsutil::write_atomic(path, text.as_bytes())
}

/// The file an edit of `path` reads and replaces: `path` itself, or the
/// target of a symlink (`requirements.txt -> requirements/base.txt`), so
/// the link stays a link and the file it names is the one edited. A link
/// that leads out of the project (a file other projects share, or not a
/// requirements file at all) or nowhere is refused: nothing is written.
pub(crate) fn edit_target(root: &Path, path: &Path) -> Result<PathBuf> {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return Ok(path.to_path_buf());
    }
    let shown = msg::escape(&path.display().to_string()).into_owned();
    let target = std::fs::canonicalize(path).map_err(|e| {
        Error::new(format!("{shown} is a symlink that leads nowhere ({e})"))
            .with_hint("point it at a file, or replace it with one")
    })?;
    let inside = std::fs::canonicalize(root).is_ok_and(|r| target.starts_with(r));
    if !inside {
        return Err(Error::new(format!(
            "{shown} is a symlink to {}, outside the project; nothing changed",
            msg::escape(&target.display().to_string())
        ))
        .with_hint("autovenv edits files in the project only: edit that file yourself, or replace the link"));
    }
    Ok(target)
}

/// A name as pip compares them (PEP 503): case and runs of `-_.` do not count.
pub(crate) use crate::sync::source::normalize_name as normalize;

/// The project name at the start of a requirement (`Flask[async]>=3` →
/// `Flask`); `None` for a path, a URL or an option.
pub(crate) fn spec_name(spec: &str) -> Option<&str> {
    crate::sync::source::requirement_name(spec.trim())
}

/// The logical lines of `text` as ranges of physical lines (a line ending
/// in `\` goes on), with the requirement's name when the line is one.
fn entries(text: &str) -> Vec<(std::ops::Range<usize>, Option<String>)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        while lines[i].trim_end().ends_with('\\') && !lines[i].trim_start().starts_with('#') && i + 1 < lines.len() {
            i += 1;
        }
        let first = lines[start].trim();
        let name = (!first.starts_with('#') && !first.starts_with('-'))
            .then(|| spec_name(first.split(" #").next().unwrap_or(first)))
            .flatten()
            .map(normalize);
        out.push((start..i + 1, name));
        i += 1;
    }
    out
}

/// `text` with `line` in place of the requirement named like it (its
/// trailing comment kept), or `line` added at the end.
pub(crate) fn upsert(text: &str, line: &str) -> String {
    let name = spec_name(line).map(normalize);
    let lines: Vec<&str> = text.lines().collect();
    let found = entries(text).into_iter().find(|(_, n)| n.is_some() && *n == name);
    let mut out: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
    match found {
        Some((range, _)) => {
            let last = lines[range.end - 1];
            // The comment with the blanks before it, as written.
            let comment = last.find(" #").map_or("", |i| &last[last[..i].trim_end().len()..]);
            out.splice(range, [format!("{line}{comment}")]);
        }
        None => out.push(line.to_string()),
    }
    join(&out)
}

/// `text` without the requirements named in `names` (normalized), and
/// which of them it held.
pub(crate) fn remove(text: &str, names: &[String]) -> (String, Vec<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    let mut keep = vec![true; lines.len()];
    for (range, name) in entries(text) {
        if let Some(n) = name.filter(|n| names.contains(n)) {
            for k in &mut keep[range] {
                *k = false;
            }
            if !found.contains(&n) {
                found.push(n);
            }
        }
    }
    let kept: Vec<String> = lines.iter().zip(keep).filter(|(_, k)| *k).map(|(l, _)| (*l).to_string()).collect();
    (join(&kept), found)
}

/// Lines with a final newline (none for no lines).
fn join(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    if !s.is_empty() {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str =
        "# app\n--find-links ./wheels\n-r base.txt\nFlask>=2  # web\nrequests==2.0 \\\n    --hash=sha256:x\n\nidna\n";

    #[test]
    fn names_compare_as_pip_does() {
        assert_eq!(normalize("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(spec_name("Flask[async]>=3"), Some("Flask"));
        assert_eq!(spec_name("name @ https://x/y.whl"), Some("name"));
        assert_eq!(spec_name("./libs/x"), None);
        assert_eq!(spec_name("https://x/y.whl"), None);
        assert_eq!(spec_name("x-1.0-py3-none-any.whl"), None);
    }

    #[test]
    fn upsert_replaces_in_place_or_appends() {
        let got = upsert(FILE, "flask==3.0");
        assert_eq!(got, FILE.replace("Flask>=2  # web", "flask==3.0  # web"));
        let got = upsert(FILE, "requests>=2.1");
        assert_eq!(got, FILE.replace("requests==2.0 \\\n    --hash=sha256:x\n", "requests>=2.1\n"));
        assert_eq!(upsert(FILE, "newpkg"), format!("{FILE}newpkg\n"));
        assert_eq!(upsert("a", "b"), "a\nb\n", "a missing final newline is added");
        assert_eq!(upsert("", "b"), "b\n");
        // Comments and options naming it are not requirements.
        assert_eq!(upsert("# app\n--app\n", "app"), "# app\n--app\napp\n");
    }

    #[test]
    fn remove_takes_only_the_named_lines() {
        let (got, found) = remove(FILE, &["requests".into(), "flask".into(), "nothere".into()]);
        assert_eq!(got, "# app\n--find-links ./wheels\n-r base.txt\n\nidna\n");
        assert_eq!(found, vec!["flask".to_string(), "requests".to_string()]);
        assert_eq!(remove("idna\n", &["idna".into()]).0, "");
    }
}

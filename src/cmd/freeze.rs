//! `autovenv freeze [FILE] [--force]`: write what the env holds, as `pip
//! freeze` lists it, to FILE (default: the project's requirements file,
//! `requirements.txt`), and record it as installed so the next prompt
//! installs nothing.
//!
//! Left out, as `pip freeze` leaves them out: pip, setuptools, wheel and
//! distribute (the env's own tools; autovenv's creator seeds pip). autovenv
//! puts nothing of its own among the env's packages: its marks are files in
//! the env folder (`.autovenv`, `.autovenv-state`), which no freeze lists.
//! The file's option lines (`--index-url`, `--find-links`, …) are kept at
//! its top: the env does not know where its packages came from. Its
//! comments and `-r`/`-c` includes cannot be kept, so a file that has any
//! is only overwritten with `--force`.

use std::path::Path;
use std::time::Duration;

use crate::cmd::reqedit;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::venv::{self, EnvState};
use crate::{child, hook_env, msg, stamp};

/// pip's own `freeze` leaves these out unless asked for `--all`.
const NOT_LISTED: [&str; 4] = ["pip", "setuptools", "wheel", "distribute"];

pub(crate) fn run(ctx: &Context, file: Option<&Path>, force: bool) -> Result<Vec<u8>> {
    let t = reqedit::trusted_here(ctx)?;
    let root = &t.project.root;
    if venv::inspect(&t.env) != EnvState::Ready {
        return Err(Error::new(format!("{} has no env to freeze yet", t.project.display(ctx)))
            .with_hint("enter the project, or run `autovenv sync`"));
    }
    let path = match file {
        Some(f) => std::path::absolute(hook_env::working_dir(ctx).unwrap_or_else(|| root.clone()).join(f))
            .map_err(|e| Error::io(format!("cannot resolve {}", f.display()), e))?,
        None => root.join(t.settings.requirements.first().map_or("requirements.txt", String::as_str)),
    };
    let shown = msg::path(&path, ctx.home());
    // The file written: `path`, or what it links to.
    let file = reqedit::edit_target(root, &path)?;
    let old = reqedit::read(&file)?;
    let (options, lost) = keep_and_lose(&old);
    if !lost.is_empty() && !force {
        return Err(Error::new(format!("{shown} has {} that freeze would lose; nothing written", lost.join(" and ")))
            .with_hint("`autovenv add PKG` adds to it keeping them; `autovenv freeze --force` overwrites it"));
    }
    let out = child::captured(reqedit::pip(ctx, &t, &["freeze"]), Duration::from_secs(120))
        .map_err(|e| Error::io("cannot run pip freeze", e))?;
    if !out.success {
        msg::warn(&String::from_utf8_lossy(&out.stderr));
        return Err(Error::new(format!("pip freeze failed ({})", out.status)));
    }
    let listed = String::from_utf8_lossy(&out.stdout);
    let packages: Vec<&str> = listed.lines().filter(|l| listed_line(l)).collect();
    let mut text: String = options.iter().map(|l| format!("{l}\n")).collect();
    for p in &packages {
        text.push_str(p);
        text.push('\n');
    }
    reqedit::write(&file, &text)?;
    // Recorded only when the project now syncs from this very file: the
    // env is then exactly what it lists.
    let chosen = crate::sync::source::choose(root, &t.settings).map_err(|(e, _)| e)?;
    let synced = chosen.name() == "requirements" && t.settings.requirements.iter().any(|f| root.join(f) == path);
    if synced {
        reqedit::record(ctx, &t)?;
    } else {
        stamp::expire_all(&ctx.dirs);
    }
    let n = packages.len();
    msg::info(&format!("wrote {n} package{} to {shown}", if n == 1 { "" } else { "s" }));
    if !synced {
        msg::info(&format!("note: the project syncs from {}, not from this file", msg::escape(&chosen.label())));
    }
    Ok(Vec::new())
}

/// A line of `pip freeze` output to write: not one of pip's own tools.
fn listed_line(line: &str) -> bool {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return false;
    }
    reqedit::spec_name(line).is_none_or(|n| !NOT_LISTED.contains(&reqedit::normalize(n).as_str()))
}

/// The file's option lines (kept), and what of it freeze cannot keep.
fn keep_and_lose(text: &str) -> (Vec<&str>, Vec<&'static str>) {
    let mut options = Vec::new();
    let (mut comments, mut includes) = (false, false);
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('#') || l.contains(" #") {
            comments = true;
        }
        let is_include = ["-r", "-c", "--requirement", "--constraint"].iter().any(|o| l.starts_with(o));
        if is_include {
            includes = true;
        } else if l.starts_with('-') && !l.starts_with("-e") && !l.starts_with("--editable") {
            options.push(line.split(" #").next().unwrap_or(line).trim_end());
        }
    }
    let mut lost = Vec::new();
    if comments {
        lost.push("comments");
    }
    if includes {
        lost.push("-r/-c includes");
    }
    (options, lost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_kept_and_comments_and_includes_refused() {
        let (opts, lost) = keep_and_lose("--no-index\n--find-links /w  # local\nmypkg==1.0\n-e .\n");
        assert_eq!(opts, vec!["--no-index", "--find-links /w"]);
        assert_eq!(lost, vec!["comments"]);
        let (_, lost) = keep_and_lose("-r base.txt\nx\n");
        assert_eq!(lost, vec!["-r/-c includes"]);
        let (_, lost) = keep_and_lose("# top\n-c constraints.txt\n");
        assert_eq!(lost, vec!["comments", "-r/-c includes"]);
        assert!(keep_and_lose("a==1\nb==2\n").1.is_empty());
    }

    #[test]
    fn pips_own_tools_are_not_listed() {
        assert!(!listed_line("pip==24.0"));
        assert!(!listed_line("setuptools==70.0"));
        assert!(listed_line("mypkg==1.0"));
        assert!(listed_line("-e file:///p"));
        assert!(!listed_line(""));
    }
}

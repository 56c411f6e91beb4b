//! The small commands: hook, export, allow, deny, sync. Each returns the
//! bytes for stdout or an error; main prints them.

use std::path::{Path, PathBuf};

use crate::act;
use crate::cli::Format;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::export;
use crate::fsutil::tilde;
use crate::msg;
use crate::project;
use crate::resolve;
use crate::shell::{self, Shell};
use crate::stamp;
use crate::trust::{self, Trust};

pub fn hook(ctx: &Context, shell: Shell) -> Result<Vec<u8>> {
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find the autovenv binary", e))?;
    Ok(crate::hook::render(shell, &crate::hook::program(ctx, &exe)))
}

pub fn export(ctx: &Context, format: Format) -> Result<Vec<u8>> {
    let shell = match format {
        Format::Bash => Some(Shell::Bash),
        Format::Zsh => Some(Shell::Zsh),
        Format::Fish => Some(Shell::Fish),
        Format::Json => None,
    };
    let (stamp, run) = match shell {
        Some(s) => crate::hook::before_export(ctx, s),
        None => (ctx.var(export::STAMP_ENV), None),
    };
    let mut changes = export::changes(ctx, stamp.as_deref());
    crate::hook::after_export(ctx, run, &mut changes);
    Ok(match shell {
        Some(s) => shell::render(s, &changes),
        None => shell::render_json(&changes).into_bytes(),
    })
}

/// The project root for a command's optional DIR argument.
pub fn root_for(ctx: &Context, dir: Option<&Path>) -> Result<PathBuf> {
    let dir = match dir {
        Some(d) => std::path::absolute(d).map_err(|e| Error::io(format!("cannot resolve {}", d.display()), e))?,
        None => export::working_dir(ctx).ok_or_else(|| Error::new("the current directory is gone"))?,
    };
    if !dir.is_dir() {
        return Err(Error::new(format!("{} is not a directory", dir.display())));
    }
    project::discover(&dir, ctx.home()).ok_or_else(|| {
        Error::new(format!("{} is not in a Python project", tilde(&dir, ctx.home()))).with_hint(
            "a project has requirements.txt, pyproject.toml, setup.py, setup.cfg, .python-version or .autovenv.toml",
        )
    })
}

pub fn allow(ctx: &Context, dir: Option<&Path>) -> Result<Vec<u8>> {
    let root = root_for(ctx, dir)?;
    let trust_dir = ctx.dirs.trust_dir().ok_or_else(no_home)?;
    let canonical = trust::canonical(&root)?;
    trust::allow(&trust_dir, &canonical)?;
    stamp::expire_all(&ctx.dirs);
    let owner = trust::Identity::of(&canonical)?.uid;
    if trust::owned_by_other(owner) {
        // Its owner can change what is in it at any time, and what runs is
        // theirs: say so, since the person may not know.
        msg::warn(&format!(
            "allowed {}, a folder of {}: whatever they put in it runs as you",
            tilde(&root, ctx.home()),
            trust::owner_name(owner)
        ));
    } else {
        msg::info(&format!("allowed {}", tilde(&root, ctx.home())));
    }
    // Make the env now, in the foreground of the command the person typed,
    // so the next prompt only has to activate it.
    let t = resolve::trusted(ctx, resolve::project(ctx, &root)?)?;
    // Allowing again is also how a person retries what failed.
    let report = act::ensure_with(ctx, &t, act::SyncWhen::RetryFailed);
    report_result(report)
}

pub fn deny(ctx: &Context, dir: Option<&Path>) -> Result<Vec<u8>> {
    let root = root_for(ctx, dir)?;
    let trust_dir = ctx.dirs.trust_dir().ok_or_else(no_home)?;
    let p = resolve::project(ctx, &root).or_else(|_| {
        Ok::<_, Error>(resolve::Project {
            canonical: trust::canonical(&root)?,
            root: root.clone(),
            shown: root.clone(),
            trust: Trust::NotAllowed,
            global: Default::default(),
        })
    })?;
    let had = trust::deny(&trust_dir, &p.canonical)?;
    stamp::expire_all(&ctx.dirs);
    let name = tilde(&root, ctx.home());
    if let Trust::Prefix(prefix) = &p.trust {
        // Not an error: what was asked (no record) is done; what is left
        // is said, and how to finish it.
        let removed =
            if had { format!("removed the allow record of {name}") } else { format!("{name} had no allow record") };
        msg::warn_error(
            &Error::new(format!(
                "{removed}, but the prefix {} in the global config still trusts it, so it stays active",
                tilde(prefix, ctx.home())
            ))
            .with_hint("remove that entry from trust.prefixes to deny it"),
        );
        return Ok(Vec::new());
    }
    msg::info(&if had {
        format!("denied {name}; its env stays on disk but is no longer activated")
    } else {
        format!("{name} was not allowed")
    });
    Ok(Vec::new())
}

pub fn sync(ctx: &Context, dir: Option<&Path>, force: bool) -> Result<Vec<u8>> {
    let root = root_for(ctx, dir)?;
    let t = resolve::trusted(ctx, resolve::project(ctx, &root)?)?;
    // Unlike a prompt, the command retries an install that failed.
    let when = if force { act::SyncWhen::Force } else { act::SyncWhen::RetryFailed };
    let report = act::ensure_with(ctx, &t, when);
    // The shell this ran in (and any other) catches up at its next prompt.
    stamp::expire_all(&ctx.dirs);
    report_result(report)
}

fn report_result(report: act::Report) -> Result<Vec<u8>> {
    match report.error {
        Some(e) => Err(e),
        None => Ok(Vec::new()),
    }
}

fn no_home() -> Error {
    Error::new("HOME is not set, so there is no place for trust records").with_hint("set HOME or XDG_DATA_HOME")
}

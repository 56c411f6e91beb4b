//! `autovenv deny [DIR]`: revoke a project's trust; its env stays on disk.

use std::path::Path;

use super::{no_home, root_for};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::fsutil::tilde;
use crate::hook_env::resolve;
use crate::msg;
use crate::stamp;
use crate::trust::{self, Trust};

pub(crate) fn run(ctx: &Context, dir: Option<&Path>) -> Result<Vec<u8>> {
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
    if let Trust::Worktree(main) = &p.trust {
        let removed =
            if had { format!("removed the allow record of {name}") } else { format!("{name} had no allow record") };
        msg::warn_error(
            &Error::new(format!(
                "{removed}, but it is a git worktree of {}, which is allowed, and trust.worktrees is on, so it stays active",
                tilde(main, ctx.home())
            ))
            .with_hint("deny that repository, or set trust.worktrees = false in the global config"),
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

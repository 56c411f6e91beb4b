//! `autovenv allow [DIR]`: trust a project, then make its env now.

use std::path::Path;

use super::{no_home, report_result, root_for};
use crate::context::Context;
use crate::error::Result;
use crate::fsutil::tilde;
use crate::hook_env::{ensure, resolve};
use crate::msg;
use crate::stamp;
use crate::trust;

pub(crate) fn run(ctx: &Context, dir: Option<&Path>) -> Result<Vec<u8>> {
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
    let report = ensure::env(ctx, &t, ensure::SyncWhen::RetryFailed);
    report_result(report)
}

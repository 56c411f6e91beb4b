//! `autovenv sync [DIR] [--force]`: create the env if needed and install now.

use std::path::Path;

use super::{report_result, root_for};
use crate::context::Context;
use crate::error::Result;
use crate::hook_env::{ensure, resolve};
use crate::stamp;

pub(crate) fn run(ctx: &Context, dir: Option<&Path>, force: bool) -> Result<Vec<u8>> {
    let root = root_for(ctx, dir)?;
    let t = resolve::trusted(ctx, resolve::project(ctx, &root)?)?;
    // Unlike a prompt, the command retries an install that failed.
    let when = if force { ensure::SyncWhen::Force } else { ensure::SyncWhen::RetryFailed };
    let report = ensure::env(ctx, &t, when);
    // The shell this ran in (and any other) catches up at its next prompt.
    stamp::expire_all(&ctx.dirs);
    report_result(report)
}

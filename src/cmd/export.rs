//! `autovenv export SHELL`: what the hook evals at a prompt that is not
//! idle. The pipeline itself is `hook_env`; this wraps it in the hook's
//! version check and renders it for the shell, or as JSON for tools.

use crate::cli::Format;
use crate::context::Context;
use crate::env_vars;
use crate::error::Result;
use crate::hook_env;
use crate::shell;

pub(crate) fn run(ctx: &Context, format: Format) -> Result<Vec<u8>> {
    let shell = match format {
        Format::Shell(s) => Some(s),
        Format::Json => None,
    };
    if shell.is_some() && in_a_subshell(ctx) {
        return Ok(Vec::new());
    }
    let (stamp, run) = match shell {
        Some(s) => shell::hook::before_export(ctx, s),
        None => (ctx.var(env_vars::STAMP_ENV), None),
    };
    let mut changes = hook_env::changes(ctx, stamp.as_deref(), shell);
    shell::hook::after_export(ctx, run, &mut changes);
    Ok(match shell {
        Some(s) => shell::render(s, &changes),
        None => shell::render_json(&changes).into_bytes(),
    })
}

/// Started from a subshell of the shell the hook runs in (its parent is not
/// the pid the hook passed): a subshell keeps the env it inherited, as in
/// bash and fish, so nothing is decided, made or said there.
fn in_a_subshell(ctx: &Context) -> bool {
    let Some(pid) = ctx.var(env_vars::SHELL_PID_ENV) else { return false };
    pid.to_str().and_then(|p| p.parse::<u32>().ok()).is_some_and(|p| p != std::os::unix::process::parent_id())
}

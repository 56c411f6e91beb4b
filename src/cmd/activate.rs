//! `autovenv activate [SHELL]`: end the pause `deactivate` left in this
//! shell, or, in a shell without the hook, activate the project's env once
//! (`eval "$(autovenv activate bash)"`, as `source env/bin/activate` would,
//! `deactivate` included).
//!
//! A program cannot change the shell that runs it, so the output is code
//! for the shell to eval. The hook's `autovenv` function does that for
//! `autovenv activate` and says so in `AUTOVENV_HOOK`: the code then only
//! ends the pause and the hook activates as at any prompt.

use std::path::Path;

use crate::cmd::root_for;
use crate::context::Context;
use crate::env_vars::{self, AUTOVENV_PAUSED};
use crate::error::{Error, Result};
use crate::hook_env::decide::{self, Current, Target};
use crate::hook_env::{self, ensure, resolve};
use crate::msg;
use crate::shell::{self, Change, Shell};

pub(crate) fn run(ctx: &Context, shell: Option<Shell>) -> Result<Vec<u8>> {
    let root = root_for(ctx, None)?;
    let project = resolve::project(ctx, &root)?;
    let shown = project.display(ctx);
    let t = resolve::trusted(ctx, project)?;
    let cur = resolve::current(ctx, None);
    let paused = cur.get(AUTOVENV_PAUSED).is_some();
    if !paused && is_active(&cur, &t.project.root, &t.env) {
        msg::info(&format!("nothing to do: {shown} is active"));
        return Ok(Vec::new());
    }
    if let Some(f) = cur.foreign_env() {
        let what = match f {
            decide::Foreign::Venv(v) => format!("another venv is active ({})", msg::path(&v, ctx.home())),
            decide::Foreign::Conda(n) => format!("conda env {} is active", msg::escape(&n.to_string_lossy())),
        };
        return Err(Error::new(format!("{what}; autovenv leaves it alone"))
            .with_hint("run its `deactivate` (conda: `conda deactivate`) first"));
    }
    let Some(shell) = shell else {
        return Err(Error::new("`autovenv activate` needs the shell to change")
            .with_hint("with the hook in your rc file, run `autovenv activate`; without it, `eval \"$(autovenv activate bash)\"` (zsh, fish: `autovenv activate fish | source`)"));
    };
    if ctx.var(env_vars::VERSION_ENV).is_some() {
        // The hook's function: end the pause, then it runs the hook.
        let changes: Vec<Change> = paused.then_some(Change::UnsetEnv(AUTOVENV_PAUSED)).into_iter().collect();
        return Ok(shell::render(shell, &changes));
    }
    Ok(shell::render(shell, &one_shot(ctx, &t, cur)?))
}

/// What `export` would give a shell entering the project, for a shell that
/// has no hook to run it: the env made and synced first, as at a prompt.
fn one_shot(ctx: &Context, t: &resolve::Trusted, mut cur: Current) -> Result<Vec<Change>> {
    let report = ensure::env(ctx, t, ensure::SyncWhen::Entering);
    if let Some(e) = report.error {
        if !report.usable {
            return Err(e);
        }
        msg::error(&e);
    }
    let was_paused = cur.resume();
    let target = Target::Active { root: t.project.root.clone(), env: t.env.clone(), prompt: t.prompt() };
    let plan = decide::decide(&cur, &target);
    let mut changes = plan.changes;
    if was_paused {
        changes.push(Change::UnsetEnv(AUTOVENV_PAUSED));
    }
    // Always: a shell without the hook never had ours defined.
    changes.push(hook_env::deactivate_fn(ctx, decide::DeactivateFn::Define));
    Ok(changes)
}

fn is_active(cur: &Current, root: &Path, env: &Path) -> bool {
    cur.get(env_vars::AUTOVENV_ROOT) == Some(root.as_os_str())
        && cur.get(env_vars::AUTOVENV_ENV) == Some(env.as_os_str())
        && cur.get(env_vars::VIRTUAL_ENV) == Some(env.as_os_str())
}

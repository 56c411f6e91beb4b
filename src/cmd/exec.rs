//! `autovenv exec -- CMD`: a command inside a project's env without any
//! hook, for editors, cron, CI and scripts. Same trust rule as the hook:
//! an untrusted project is refused and nothing is created.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::cmd::root_for;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::hook_env::decide::{self, Target};
use crate::hook_env::ensure;
use crate::hook_env::resolve;
use crate::shell::Change;

/// Exit status when autovenv itself fails before the command starts, as
/// `env` and `nohup` do: 125 is not a status commands commonly use.
pub(crate) const FAILED: u8 = 125;

/// Replaces this process with the command; returns only on failure, with
/// the exit status to use: 127 command not found, 126 not executable (as
/// shells do), 125 autovenv's own failure.
pub(crate) fn run(ctx: &Context, dir: Option<&Path>, argv: &[OsString]) -> (Error, u8) {
    match prepare(ctx, dir, argv) {
        Ok(mut cmd) => {
            let err = cmd.exec();
            let code = if err.kind() == std::io::ErrorKind::NotFound { 127 } else { 126 };
            (Error::new(format!("cannot run {}: {err}", argv[0].to_string_lossy())), code)
        }
        Err(e) => (e, FAILED),
    }
}

fn prepare(ctx: &Context, dir: Option<&Path>, argv: &[OsString]) -> Result<Command> {
    let root = root_for(ctx, dir)?;
    let t = resolve::trusted(ctx, resolve::project(ctx, &root)?)?;
    let report = ensure::env(ctx, &t, ensure::SyncWhen::Changed);
    if let Some(e) = report.error {
        if !report.usable {
            return Err(e);
        }
        crate::msg::error(&e);
    }
    // The caller asked for this project's env by name, so a venv active in
    // the calling environment does not block it: ours goes first on PATH.
    let mut cur = resolve::current(ctx, None);
    cur.forget_foreign();
    let plan =
        decide::decide(&cur, &Target::Active { root: t.project.root.clone(), env: t.env.clone(), prompt: t.prompt() });
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    // A pause left by `deactivate` is this shell's; the command asked for the env.
    cmd.env_remove(crate::env_vars::AUTOVENV_PAUSED);
    for change in plan.changes {
        match change {
            Change::SetEnv(k, v) => {
                cmd.env(k, v);
            }
            Change::UnsetEnv(k) => {
                cmd.env_remove(k);
            }
            _ => {}
        }
    }
    // std looks the program up in the PATH given to the child, so `python`
    // is the env's.
    Ok(cmd)
}

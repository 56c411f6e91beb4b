//! `autovenv hook SHELL`: print the shell integration for the rc file.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::shell::{self, Shell};

pub(crate) fn run(ctx: &Context, shell: Shell) -> Result<Vec<u8>> {
    let exe = std::env::current_exe().map_err(|e| Error::io("cannot find the autovenv binary", e))?;
    Ok(shell::hook::render(shell, &shell::hook::program(ctx, &exe)))
}

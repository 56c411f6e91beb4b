//! `autovenv completions SHELL`: completions for autovenv itself, from clap.

use clap::CommandFactory;

use crate::cli::Cli;

pub(crate) fn run(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "autovenv", &mut out);
    out
}

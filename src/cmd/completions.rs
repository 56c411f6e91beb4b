//! `autovenv completions SHELL`: completions for autovenv itself, from clap.

use clap::CommandFactory;

use crate::cli::{Cli, Completer};

pub(crate) fn run(shell: Completer) -> Vec<u8> {
    let mut out = Vec::new();
    match shell {
        Completer::Clap(s) => clap_complete::generate(s, &mut Cli::command(), "autovenv", &mut out),
        Completer::Nu => {
            clap_complete::generate(clap_complete_nushell::Nushell, &mut Cli::command(), "autovenv", &mut out);
        }
    }
    out
}

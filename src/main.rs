//! autovenv: parse the command line and dispatch. Nothing else lives here.

mod act;
mod child;
mod cli;
mod commands;
mod config;
mod context;
mod dirs;
mod doctor;
mod error;
mod exec;
mod export;
mod failure;
mod fsutil;
mod gitignore;
mod hook;
mod lock;
#[cfg(test)]
mod man;
mod msg;
mod plan;
mod project;
mod python;
mod resolve;
mod shell;
mod signals;
mod stamp;
mod status;
mod sync;
mod trust;
mod venv;
mod watch;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use context::Context;

fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "autovenv", &mut out);
    out
}

/// `export SHELL` runs at every prompt that is not idle: recognise it
/// before building clap's whole command tree, which costs more than
/// everything `export` does when nothing changed.
fn fast_export() -> Option<cli::Format> {
    let mut args = std::env::args_os().skip(1);
    let (Some(cmd), Some(shell), None) = (args.next(), args.next(), args.next()) else {
        return None;
    };
    if cmd != "export" {
        return None;
    }
    use clap::ValueEnum;
    cli::Format::from_str(shell.to_str()?, false).ok()
}

fn main() -> ExitCode {
    let command = match fast_export() {
        Some(format) => Command::Export { format },
        None => Cli::parse().command,
    };
    let ctx = Context::from_process();
    let result = match command {
        Command::Hook { shell } => commands::hook(&ctx, shell),
        Command::Export { format } => commands::export(&ctx, format),
        Command::Allow { dir } => commands::allow(&ctx, dir.as_deref()),
        Command::Deny { dir } => commands::deny(&ctx, dir.as_deref()),
        Command::Sync { dir, force } => commands::sync(&ctx, dir.as_deref(), force),
        Command::Status { dir, json } => status::run(&ctx, dir.as_deref(), json),
        Command::Watch { dirs } => watch::run(&ctx, &dirs),
        Command::Exec { dir, command } => {
            let (err, code) = exec::run(&ctx, dir.as_deref(), &command);
            msg::error(&err);
            return ExitCode::from(code);
        }
        Command::Doctor { json } => {
            let (out, ok) = doctor::run(&ctx, json);
            let _ = std::io::stdout().lock().write_all(&out);
            return if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
        Command::Completions { shell } => Ok(completions(shell)),
    };
    match result {
        Ok(out) => {
            // A closed pipe (`autovenv hook zsh | head`) is not an error.
            let _ = std::io::stdout().lock().write_all(&out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            msg::error(&e);
            ExitCode::FAILURE
        }
    }
}

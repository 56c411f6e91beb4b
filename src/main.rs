//! autovenv: parse the command line and dispatch. Nothing else lives here.

mod child;
mod cli;
mod cmd;
mod config;
mod context;
mod dirs;
mod env_location;
mod env_vars;
mod error;
mod failure;
mod fsutil;
mod git_worktree;
mod gitignore;
mod hook_env;
mod lock;
#[cfg(test)]
mod man;
mod msg;
mod python;
mod shell;
mod signals;
mod stamp;
mod sync;
mod trust;
mod venv;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use context::Context;

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
        Command::Hook { shell } => cmd::hook::run(&ctx, shell),
        Command::Export { format } => cmd::export::run(&ctx, format),
        Command::Activate { shell } => cmd::activate::run(&ctx, shell),
        Command::Add { packages, pin } => cmd::add::run(&ctx, &packages, pin),
        Command::Remove { packages } => cmd::remove::run(&ctx, &packages),
        Command::Freeze { file, force } => cmd::freeze::run(&ctx, file.as_deref(), force),
        Command::Allow { dir } => cmd::allow::run(&ctx, dir.as_deref()),
        Command::Deny { dir } => cmd::deny::run(&ctx, dir.as_deref()),
        Command::Sync { dir, force } => cmd::sync::run(&ctx, dir.as_deref(), force),
        Command::Status { dir, json } => cmd::status::run(&ctx, dir.as_deref(), json),
        Command::Watch { dirs } => cmd::watch::run(&ctx, &dirs),
        Command::Exec { dir, command } => {
            let (err, code) = cmd::exec::run(&ctx, dir.as_deref(), &command);
            msg::error(&err);
            return ExitCode::from(code);
        }
        Command::Doctor { json } => {
            let (out, ok) = cmd::doctor::run(&ctx, json);
            let _ = std::io::stdout().lock().write_all(&out);
            return if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
        Command::Completions { shell } => Ok(cmd::completions::run(shell)),
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

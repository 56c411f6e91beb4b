mod config;
mod dirs;
mod error;
mod fsutil;
mod gitignore;
mod plan;
mod project;
mod python;
mod shell;
mod trust;
mod venv;

fn main() {}

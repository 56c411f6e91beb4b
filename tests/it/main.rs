//! The integration tests: one binary, one module per behaviour, all on the
//! harness in `common` (real shells on a pty, real Python, real uv, wheels
//! built by the tests, a private HOME per test; no network).
//!
//! Run one module with `cargo test --test it <module>::`, one test with
//! `cargo test --test it <module>::<name>`.

// A skipped test says why on the test's own stderr.
#![allow(clippy::print_stderr)]

#[macro_use]
mod common;

mod child_processes;
mod commands;
mod config;
mod doctor;
mod enter_and_leave;
mod env_creation;
mod faults;
mod harness;
mod hook_scripts;
mod messages;
mod next_prompt;
mod project_files;
mod python_selection;
mod real_repos;
mod security;
mod shell_state;
mod sources;
mod sync_at_prompt;
mod upgrades;
mod workflow;

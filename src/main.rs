#[allow(dead_code)]
mod config;
mod error;

fn main() {}

#[allow(dead_code)]
mod config;
mod error;
#[allow(dead_code)]
mod python;

fn main() {}

mod error;
#[allow(dead_code)] // until the CLI renders with it
mod shell;

fn main() {}

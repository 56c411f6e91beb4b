mod error;

fn main() {}

// The baseline for the exec-path benchmark: the cheapest Rust process,
// built with the same release profile as autovenv.
fn main() {
    println!("hello");
}

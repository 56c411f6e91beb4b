// Peak RSS of a child process, in KiB: `peak_rss CMD ARGS…`.
// A launcher this small (not Python, not a shell) so the figure is the
// child's own and not a copy of a big parent's memory from before exec.
use std::process::{Command, Stdio};

#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    maxrss: i64,
    rest: [i64; 13],
}

extern "C" {
    fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let status = Command::new(&args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run child");
    assert!(status.success(), "child failed: {status}");
    let mut ru = Rusage { utime: [0; 2], stime: [0; 2], maxrss: 0, rest: [0; 13] };
    // RUSAGE_CHILDREN = -1
    unsafe { getrusage(-1, &mut ru) };
    println!("{}", ru.maxrss);
}

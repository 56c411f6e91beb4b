//! The integration-test harness: sandboxes, offline wheels, projects, and
//! real interactive shells on a pty. Every test file does `mod common;`.
//!
//! ```ignore
//! if should_skip(&[Need::Shell(Kind::Zsh), Need::Uv]) { return; }
//! let sb = Sandbox::new(Uv::Yes);
//! sb.wheel("mypkg", "1.0", &[]);
//! let proj = sb.project("app").require("mypkg==1.0").git().create();
//! let mut sh = Shell::start(Kind::Zsh, &sb, "", &sb.work());
//! sh.cd(proj.root());
//! sh.run("autovenv allow");
//! assert_eq!(sh.var_str("VIRTUAL_ENV"), Some(proj.env_str()));
//! ```
#![allow(dead_code, unused_imports)]

mod project;
mod pty;
mod sandbox;
pub mod screen;
mod shell;
mod tools;
mod wheel;

pub use project::{Project, ProjectBuilder};
pub use sandbox::{autovenv_bin, check_output, Sandbox, Uv, PROJECT_MARKERS};
pub use shell::{Hook, Kind, Shell, PROMPT_TIMEOUT};
pub use tools::{should_skip, tools, Need};
pub use wheel::{build_wheel, normalize, urlsafe_b64_nopad};

/// `per_shell!(a, b)` defines `bash::a`, `zsh::a`, `fish::a`, … as tests
/// calling `a(Kind::Bash)` etc. (use `#[macro_use] mod common;`).
macro_rules! per_shell {
    ($($test:ident),* $(,)?) => {
        mod bash { $( #[test] fn $test() { super::$test(super::common::Kind::Bash) } )* }
        mod zsh { $( #[test] fn $test() { super::$test(super::common::Kind::Zsh) } )* }
        mod fish { $( #[test] fn $test() { super::$test(super::common::Kind::Fish) } )* }
    };
}

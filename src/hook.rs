//! `autovenv hook SHELL`: the shell integration, kept as real shell files in
//! `hooks/` (so they can be read, linted and diffed as shell) with one
//! substitution: the quoted absolute path of this binary, so the hook works
//! whatever PATH the shell has and never runs another `autovenv`.

use std::path::Path;

use crate::shell::{self, Shell};

const PLACEHOLDER: &str = "@AUTOVENV@";

fn template(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => include_str!("../hooks/autovenv.bash"),
        Shell::Zsh => include_str!("../hooks/autovenv.zsh"),
        Shell::Fish => include_str!("../hooks/autovenv.fish"),
    }
}

pub fn render(shell: Shell, exe: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let quoted = shell::quote(shell, exe.as_os_str().as_bytes());
    let mut out = Vec::new();
    let mut parts = template(shell).split(PLACEHOLDER);
    out.extend_from_slice(parts.next().unwrap_or_default().as_bytes());
    for rest in parts {
        out.extend_from_slice(&quoted);
        out.extend_from_slice(rest.as_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_calls_the_binary_once_by_placeholder() {
        for s in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            assert_eq!(template(s).matches(PLACEHOLDER).count(), 1, "{s:?}");
            let out = String::from_utf8(render(s, Path::new("/opt/it's here/autovenv"))).unwrap();
            assert!(!out.contains(PLACEHOLDER));
            assert!(out.contains("here/autovenv' export"), "{s:?}");
        }
    }
}

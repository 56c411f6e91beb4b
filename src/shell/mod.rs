//! Render: the only place that knows shell syntax. Each shell's module holds
//! all that is particular to it behind [`Syntax`] (its quoting, its renderer,
//! its hook file in `hooks/`, its rc files); this file lists the shells once,
//! in [`Shell::ALL`], and dispatches.
//!
//! Contract shared by every renderer:
//! - Output is one statement per change, each ending in `\n`, nothing else, so
//!   an empty plan renders to nothing and the hook's `eval` is a no-op.
//! - Values round-trip byte-exactly, UTF-8 or not, with one exception forced
//!   on us by Unix itself: a NUL byte cannot live in an environment variable,
//!   a path, or a bash variable, so NUL bytes are dropped (as bash does when
//!   it reads a NUL from `$(…)`). The OS never hands us such values.
//! - Fish only: empty entries of `PATH`/`CDPATH` come back as `.` (see `fish`).
//! - Names must be ASCII identifiers; anything else panics rather than emit
//!   code built from it, leaving stdout empty.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::context::Context;

// Public so that code outside `render` (the hook scripts, which embed the
// binary's path) can quote for a shell too.
pub mod bash;
pub mod fish;
pub mod hook;
pub mod json;
pub mod zsh;

/// A shell we render code for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

impl Shell {
    /// Every shell, in the order help and listings show them.
    pub const ALL: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

    /// The module that knows this shell.
    pub fn syntax(self) -> &'static dyn Syntax {
        match self {
            Shell::Bash => &bash::Bash,
            Shell::Zsh => &zsh::Zsh,
            Shell::Fish => &fish::Fish,
        }
    }

    /// Its name on the command line, and its program's name.
    pub fn name(self) -> &'static str {
        self.syntax().name()
    }

    pub fn from_name(name: &str) -> Option<Shell> {
        Shell::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl clap::ValueEnum for Shell {
    fn value_variants<'a>() -> &'a [Self] {
        &Shell::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()))
    }
}

/// What a shell's module provides: everything about that shell that the rest
/// of the program needs.
pub trait Syntax: Sync {
    /// As typed after `autovenv hook`, and the name of the shell's program.
    fn name(&self) -> &'static str;
    /// Its hook file, embedded.
    fn hook(&self) -> &'static hook::Template;
    /// One value as a word the shell reads back as exactly these bytes.
    fn quote(&self, value: &[u8]) -> Vec<u8>;
    /// The changes as code, one statement each (see the module docs).
    fn render(&self, changes: &[Change]) -> Vec<u8>;
    /// The files the shell reads at start that may hold the hook line.
    fn rc_files(&self, ctx: &Context) -> Vec<PathBuf>;
    /// The line that loads the hook, for the rc file.
    fn rc_line(&self) -> &'static str;
    /// The command that reloads the rc file in a running shell.
    fn reload(&self) -> &'static str;
}

/// One thing the shell must do. Names are ASCII identifiers chosen by us;
/// values are arbitrary bytes (Unix paths).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Exported environment variable (PATH included).
    SetEnv(&'static str, OsString),
    UnsetEnv(&'static str),
    /// Shell variable, not exported (hook bookkeeping such as `__autovenv_pwd`).
    SetLocal(&'static str, OsString),
    /// Shell array/list variable, not exported.
    SetLocalList(&'static str, Vec<OsString>),
}

/// Render the changes as code for `shell`. Bytes, because values may not be UTF-8.
pub fn render(shell: Shell, changes: &[Change]) -> Vec<u8> {
    for change in changes {
        check_name(change.name());
    }
    shell.syntax().render(changes)
}

/// Render the environment changes as one JSON object for tools; see [`json::render`]
/// for how values that are not UTF-8 are represented.
pub fn render_json(changes: &[Change]) -> String {
    json::render(changes)
}

impl Change {
    fn name(&self) -> &'static str {
        match self {
            Change::SetEnv(name, _)
            | Change::UnsetEnv(name)
            | Change::SetLocal(name, _)
            | Change::SetLocalList(name, _) => name,
        }
    }
}

/// Names are pasted into code unquoted, so one that is not an identifier would
/// be code injection. They are our own constants, so this is a bug, not input:
/// panic before anything reaches stdout.
fn check_name(name: &str) {
    let mut bytes = name.bytes();
    let ok = bytes.next().is_some_and(|b| b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric());
    assert!(ok, "autovenv bug: {name:?} is not a valid variable name");
}

/// The bytes of a value as the shell should see them: NUL cannot exist in a
/// shell variable or the environment, so it is dropped (see module docs).
fn value_bytes(value: &[u8]) -> impl Iterator<Item = u8> + '_ {
    value.iter().copied().filter(|&b| b != 0)
}

/// Test helpers shared by the per-shell tests: run rendered code in the real
/// shell the way the hook does and report what the shell and a child saw.
#[cfg(test)]
pub(crate) mod testkit {
    use super::{render, Change, Shell};
    use std::collections::BTreeMap;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    /// The shell's binary, or `None` to skip the test. Skipping is allowed only
    /// off CI: with `CI=true` a missing shell fails loudly instead of turning
    /// the whole module green by testing nothing.
    pub fn binary(shell: Shell) -> Option<PathBuf> {
        let name = shell.name();
        let path = std::env::var_os("PATH").unwrap_or_default();
        let found = std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file());
        if found.is_none() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{name} is not installed; shell tests may not be skipped when CI=true"
            );
            eprintln!("skipping {name} test: {name} is not installed");
        }
        found
    }

    /// How the user's shell is set up: extra arguments, commands run before
    /// the hook (user options), extra environment.
    pub struct Variant {
        pub args: &'static [&'static str],
        pub prelude: &'static str,
        pub env: &'static [(&'static str, &'static str)],
    }

    impl Variant {
        pub const PLAIN: Variant = Variant { args: &[], prelude: "", env: &[] };
    }

    /// A variable to print after the eval: a scalar, or all elements of a list.
    pub enum Probe {
        Scalar(&'static str),
        List(&'static str),
    }

    pub struct Outcome {
        /// Per probe, the elements the shell holds.
        pub values: Vec<Vec<Vec<u8>>>,
        /// The environment a child process of the shell received.
        pub env: BTreeMap<Vec<u8>, Vec<u8>>,
    }

    /// Render `changes` and eval them inside a function of a fresh `shell`, as
    /// the hook does, then print `probes` and the environment of a child.
    /// Panics unless the shell exits 0 with empty stderr and no file appeared
    /// in its working directory (where injected `touch` would land).
    pub fn eval(shell: Shell, variant: &Variant, changes: &[Change], probes: &[Probe]) -> Option<Outcome> {
        let bin = binary(shell)?;
        let dir = tempfile::tempdir().unwrap();
        let (work, home) = (dir.path().join("work"), dir.path().join("home"));
        std::fs::create_dir(&work).unwrap();
        std::fs::create_dir(&home).unwrap();
        let code = dir.path().join("code");
        std::fs::write(&code, render(shell, changes)).unwrap();
        let driver = dir.path().join("driver");
        std::fs::write(&driver, driver_script(shell, variant, &code, probes)).unwrap();

        let mut cmd = Command::new(bin);
        match shell {
            Shell::Bash => &mut cmd,
            Shell::Zsh => cmd.arg("-f"),
            Shell::Fish => cmd.arg("--no-config"),
        };
        cmd.args(variant.args).arg(&driver).current_dir(&work).env_clear();
        cmd.env("PATH", "/usr/bin:/bin").env("LANG", "C.UTF-8").env("HOME", &home);
        for xdg in ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"] {
            cmd.env(xdg, &home);
        }
        // Pre-existing variables: one to unset, one to overwrite.
        cmd.env("AUTOVENV_GONE", "x").env("AUTOVENV_OLD", "old");
        cmd.envs(variant.env.iter().copied());
        let out = cmd.output().unwrap();

        let context = || {
            format!(
                "{shell:?} {:?} {:?}\n--- code:\n{}\n--- stderr:\n{}",
                variant.args,
                variant.prelude,
                String::from_utf8_lossy(&std::fs::read(&code).unwrap()),
                String::from_utf8_lossy(&out.stderr)
            )
        };
        let created: Vec<_> = std::fs::read_dir(&work).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(created.is_empty(), "the code created {created:?}: {}", context());
        assert!(out.status.success() && out.stderr.is_empty(), "shell failed or was noisy: {}", context());
        Some(parse_output(&out.stdout, probes.len()))
    }

    fn driver_script(shell: Shell, variant: &Variant, code: &Path, probes: &[Probe]) -> Vec<u8> {
        let code = code.to_str().unwrap();
        let mut s = format!("{}\n", variant.prelude);
        // Each probe prints its element count, then its elements, NUL-terminated.
        if shell == Shell::Fish {
            s += &format!("function __t\n /bin/cat '{code}' | source\nend\n__t\n");
            for probe in probes {
                let (Probe::Scalar(n) | Probe::List(n)) = probe;
                s += &format!("printf '%s\\0' (count ${n}) ${n}\n");
            }
        } else {
            s += &format!("__t() {{\n eval \"$(/bin/cat '{code}')\"\n}}\n__t\n");
            for probe in probes {
                s += &match probe {
                    Probe::Scalar(n) => format!("printf '%s\\0' 1 \"${n}\"\n"),
                    Probe::List(n) => format!("printf '%s\\0' \"${{#{n}[@]}}\" \"${{{n}[@]}}\"\n"),
                };
            }
        }
        s += "/usr/bin/env -0\n";
        s.into_bytes()
    }

    fn parse_output(stdout: &[u8], probes: usize) -> Outcome {
        let mut tokens = stdout.split(|&b| b == 0);
        let mut values = Vec::new();
        for _ in 0..probes {
            let count: usize = std::str::from_utf8(tokens.next().unwrap()).unwrap().parse().unwrap();
            values.push((0..count).map(|_| tokens.next().unwrap().to_vec()).collect());
        }
        let env = tokens
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let eq = entry.iter().position(|&b| b == b'=').unwrap();
                (entry[..eq].to_vec(), entry[eq + 1..].to_vec())
            })
            .collect();
        Outcome { values, env }
    }

    /// `bash -n` & co. accept the rendered code.
    pub fn check_syntax(shell: Shell, changes: &[Change]) {
        let Some(bin) = binary(shell) else { return };
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), render(shell, changes)).unwrap();
        let out = Command::new(bin).arg("-n").arg(file.path()).output().unwrap();
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{shell:?} -n rejected the code: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn leak(name: String) -> &'static str {
        Box::leak(name.into_boxed_str())
    }

    fn os(bytes: &[u8]) -> OsString {
        OsString::from_vec(bytes.to_vec())
    }

    /// Changes that use every value in every position a value can take: an
    /// exported variable, a shell variable, a list element, an entry of PATH
    /// (and of another `…PATH`, which fish treats as a list too).
    pub fn changes_for(values: &[Vec<u8>]) -> Vec<Change> {
        let joined = os(&values.join(&b':'));
        let mut changes = vec![
            Change::SetLocalList("autovenv_list", values.iter().map(|v| os(v)).collect()),
            Change::SetLocalList("autovenv_empty", Vec::new()),
            Change::SetEnv("PATH", joined.clone()),
            Change::SetEnv("AUTOVENV_XPATH", joined),
            Change::SetEnv("AUTOVENV_OLD", os(values.first().map_or(&[][..], |v| v))),
            Change::UnsetEnv("AUTOVENV_GONE"),
            Change::UnsetEnv("AUTOVENV_NEVER"),
        ];
        for (i, v) in values.iter().enumerate() {
            changes.push(Change::SetEnv(leak(format!("AUTOVENV_T{i}")), os(v)));
            changes.push(Change::SetLocal(leak(format!("autovenv_s{i}")), os(v)));
        }
        changes
    }

    /// The full check: every value of `values` (no NULs) comes back byte-exact
    /// from `shell` and from a child's environment; locals stay unexported;
    /// unset variables are gone.
    pub fn check_roundtrip(shell: Shell, variant: &Variant, values: &[Vec<u8>]) {
        assert!(values.iter().all(|v| !v.contains(&0)), "NUL cannot round-trip anywhere");
        let mut probes = vec![Probe::List("autovenv_list"), Probe::List("autovenv_empty"), Probe::List("PATH")];
        for i in 0..values.len() {
            probes.push(Probe::Scalar(leak(format!("AUTOVENV_T{i}"))));
            probes.push(Probe::Scalar(leak(format!("autovenv_s{i}"))));
        }
        if shell != Shell::Fish {
            probes[2] = Probe::Scalar("PATH");
        }
        let Some(got) = eval(shell, variant, &changes_for(values), &probes) else {
            return;
        };

        let joined = values.join(&b':');
        // Fish turns empty PATH entries into `.` (see fish.rs); elsewhere PATH is exact.
        let path_entries: Vec<Vec<u8>> = match shell {
            Shell::Fish if joined.is_empty() => vec![],
            Shell::Fish => {
                joined.split(|&b| b == b':').map(|e| if e.is_empty() { b".".to_vec() } else { e.to_vec() }).collect()
            }
            _ => vec![joined.clone()],
        };
        let mut expected: Vec<Vec<Vec<u8>>> = vec![values.to_vec(), vec![], path_entries.clone()];
        for v in values {
            expected.extend([vec![v.clone()], vec![v.clone()]]);
        }
        for (i, (got, want)) in got.values.iter().zip(&expected).enumerate() {
            assert_eq!(got, want, "{shell:?}: probe #{i} differs ({} {:?})", variant.prelude, variant.args);
        }

        let mut want_env: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        for (i, v) in values.iter().enumerate() {
            want_env.insert(format!("AUTOVENV_T{i}").into_bytes(), v.clone());
        }
        want_env.insert(b"PATH".to_vec(), path_entries.join(&b':'));
        want_env.insert(b"AUTOVENV_XPATH".to_vec(), joined);
        want_env.insert(b"AUTOVENV_OLD".to_vec(), values.first().cloned().unwrap_or_default());
        // Everything the child saw that we set or should have removed.
        let seen: BTreeMap<_, _> = got
            .env
            .into_iter()
            .filter(|(k, _)| k.starts_with(b"AUTOVENV_") || k.starts_with(b"autovenv_") || k == b"PATH")
            .collect();
        assert_eq!(seen, want_env, "{shell:?}: child environment differs ({} {:?})", variant.prelude, variant.args);
    }

    /// Values chosen to break quoting: expansions, globs, quotes, history,
    /// control and invalid bytes, odd Unicode, emptiness and length.
    pub fn hostile_values() -> Vec<Vec<u8>> {
        let texts = [
            "$(touch pwned1)",
            "`touch pwned2`",
            "(touch pwned3)",
            "{$(touch pwned4)}",
            "; touch pwned5",
            "'; touch pwned6; '",
            "\"; touch pwned7; \"",
            ">pwned8",
            "<(touch pwned9)",
            "*(e:'touch pwned10':)",
            "'",
            "\"",
            "\\",
            "\\n",
            "\\'",
            "'\\''",
            "''",
            "a'b'c",
            "\\\\",
            "\\$",
            "\n",
            "\t",
            "\r",
            "a\nb\n",
            "\n\n",
            "*?[",
            "[a]",
            "-",
            "-e",
            "--",
            "--help",
            "%",
            "%s%n%%",
            "!",
            "!!",
            "!-1",
            "^x^y",
            "~",
            "~root",
            "a~b",
            "{a,b}",
            "#",
            "a #b",
            ";",
            "&&",
            "|",
            ">",
            "$HOME",
            "${x}",
            "${x:?boom}",
            "$'\\x41'",
            "@(a|b)",
            "=",
            "a=b",
            ":",
            "a::b",
            "e\u{301}",
            "\u{202E}evil",
            "🐍",
            "\u{1}",
            "\u{7f}",
            "\u{F600}",
            "\u{FDD0}",
            "\u{FFFE}",
            "",
            " ",
            "   ",
            " lead",
            "trail ",
        ];
        let mut values: Vec<Vec<u8>> = texts.iter().map(|t| t.as_bytes().to_vec()).collect();
        values.extend([
            vec![0xff],
            vec![0xc3],
            b"a\xffb\xc3".to_vec(),
            b"\xed\xa0\x80".to_vec(),     // a UTF-16 surrogate, encoded
            b"\xf4\x90\x80\x80".to_vec(), // past U+10FFFF
            b"\xc0\x80".to_vec(),         // overlong NUL
            b"'\\$\n`\xff".repeat(800),   // 4000 bytes
            b"x".repeat(4000),
        ]);
        values
    }

    /// proptest: `n` values, each arbitrary bytes, shell-special bytes, or
    /// arbitrary Unicode; never NUL, which no shell or environment can hold.
    pub fn arbitrary_values(n: usize) -> impl proptest::strategy::Strategy<Value = Vec<Vec<u8>>> {
        use proptest::prelude::*;
        let special: Vec<u8> = b"'\\\"$`!*?[]{}()<>|;&#~%^=:@ \n\t\r-\x01\x7f\xff\xc3".to_vec();
        let value = prop_oneof![
            prop::collection::vec(any::<u8>(), 0..40),
            prop::collection::vec(prop::sample::select(special), 0..40),
            any::<String>().prop_map(String::into_bytes),
        ]
        .prop_map(|mut v| {
            v.retain(|&b| b != 0);
            v
        });
        prop::collection::vec(value, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_plan_renders_nothing() {
        for shell in Shell::ALL {
            assert!(render(shell, &[]).is_empty());
        }
    }

    #[test]
    #[should_panic(expected = "not a valid variable name")]
    fn bad_name_panics_before_rendering() {
        render(Shell::Bash, &[Change::UnsetEnv("X;touch pwned")]);
    }

    #[test]
    fn nul_is_dropped_and_syntax_survives() {
        let changes = [Change::SetEnv("A", "a\0'b".into())];
        assert_eq!(render(Shell::Bash, &changes), b"export A='a'\\''b'\n");
        assert_eq!(render(Shell::Fish, &changes), b"set -gx A 'a\\'b'\n");
    }
}

/// One value quoted for `shell`, e.g. the binary's path in the hook.
pub fn quote(shell: Shell, value: &[u8]) -> Vec<u8> {
    shell.syntax().quote(value)
}

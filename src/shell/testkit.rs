//! Test helpers shared by the per-shell tests: run rendered code in the real
//! shell the way the hook does and report what the shell and a child saw.

use super::{render, Change, Shell};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shell's binary, or `None` to skip the test. Skipping is allowed only
/// off CI: with `CI=true` a missing shell fails loudly instead of turning
/// the whole module green by testing nothing.
#[allow(clippy::print_stderr)] // a skipped test says so on the test's output
pub(crate) fn binary(shell: Shell) -> Option<PathBuf> {
    let name = shell.name();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut found = std::env::split_paths(&path).map(|dir| dir.join(name)).find(|p| p.is_file());
    if shell == Shell::Xonsh {
        found = found.and_then(|p| real_xonsh(&p));
    }
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{name} is not installed; shell tests may not be skipped when CI=true"
        );
        eprintln!("skipping {name} test: {name} is not installed");
    }
    found
}

/// The xonsh script itself, beside the Python that runs it, not a wrapper
/// on PATH (pyenv's shim needs pyenv's own state, which tests do not pass).
fn real_xonsh(found: &Path) -> Option<PathBuf> {
    static REAL: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    REAL.get_or_init(|| {
        let out = Command::new(found).args(["--no-rc", "-c", "import sys; print(sys.executable)"]).output().ok()?;
        let python = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
        Some(python.parent()?.join("xonsh")).filter(|p| p.is_file())
    })
    .clone()
}

/// How the user's shell is set up: extra arguments, commands run before
/// the hook (user options), extra environment.
pub(crate) struct Variant {
    pub args: &'static [&'static str],
    pub prelude: &'static str,
    pub env: &'static [(&'static str, &'static str)],
}

impl Variant {
    pub(crate) const PLAIN: Variant = Variant { args: &[], prelude: "", env: &[] };
}

/// A variable to print after the eval: a scalar, or all elements of a list.
pub(crate) enum Probe {
    Scalar(&'static str),
    List(&'static str),
}

pub(crate) struct Outcome {
    /// Per probe, the elements the shell holds.
    pub values: Vec<Vec<Vec<u8>>>,
    /// The environment a child process of the shell received.
    pub env: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// Render `changes` and eval them inside a function of a fresh `shell`, as
/// the hook does, then print `probes` and the environment of a child.
/// Panics unless the shell exits 0 with empty stderr and no file appeared
/// in its working directory (where injected `touch` would land).
pub(crate) fn eval(shell: Shell, variant: &Variant, changes: &[Change], probes: &[Probe]) -> Option<Outcome> {
    let bin = binary(shell)?;
    let dir = tempfile::tempdir().unwrap();
    let (work, home) = (dir.path().join("work"), dir.path().join("home"));
    std::fs::create_dir(&work).unwrap();
    std::fs::create_dir(&home).unwrap();
    let code = dir.path().join("code");
    std::fs::write(&code, render(shell, changes)).unwrap();
    let driver = dir.path().join("driver");
    let hook = dir.path().join("hook");
    std::fs::write(&hook, super::hook::render(shell, Path::new("/bin/false"))).unwrap();
    std::fs::write(&driver, driver_script(shell, variant, &code, &hook, probes)).unwrap();

    let mut cmd = Command::new(bin);
    match shell {
        Shell::Bash => &mut cmd,
        Shell::Zsh => cmd.arg("-f"),
        Shell::Fish => cmd.arg("--no-config"),
        Shell::Nu => cmd.arg("--no-config-file"),
        Shell::Xonsh => cmd.arg("--no-rc"),
        Shell::Elvish => cmd.arg("-norc"),
        Shell::Tcsh => cmd.arg("-f"),
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

/// Each probe prints its element count, then its elements, NUL-terminated;
/// then a child prints its environment. nushell and xonsh apply the code
/// with the hook's own function (`hook` is the rendered hook file).
fn driver_script(shell: Shell, variant: &Variant, code: &Path, hook: &Path, probes: &[Probe]) -> Vec<u8> {
    let code = code.to_str().unwrap();
    let hook = hook.to_str().unwrap();
    let mut s = format!("{}\n", variant.prelude);
    if shell == Shell::Nu {
        s += &format!("source '{hook}'\ndef --env __t [] {{ open --raw '{code}' | __autovenv_apply }}\n__t\n");
        s += "def __p [v] { let l = if ($v | describe) =~ '^list' { $v } else { [$v] }; \
              print -n ([($l | length)] ++ $l | each {|x| $\"($x)(char nul)\"} | str join) }\n";
        for probe in probes {
            let (Probe::Scalar(n) | Probe::List(n)) = probe;
            s += &format!("__p ($env.__autovenv | get -o {n} | default ($env | get -o {n}))\n");
        }
        s += "^/usr/bin/env -0\n";
        return s.into_bytes();
    }
    if shell == Shell::Xonsh {
        s += &format!(
            "import os, subprocess, sys\n__g = {{}}\nexec(open('{hook}').read(), __g)\n\
             exec(open('{code}', 'rb').read().decode('ascii'), __g)\n\
             def __p(v):\n    l = v if isinstance(v, list) else [v]\n\
             \x20   sys.stdout.buffer.write(b''.join(os.fsencode(str(x)) + b'\\0' for x in [len(l)] + l))\n"
        );
        for probe in probes {
            s += &match probe {
                Probe::Scalar(n) => format!(
                    "__v = __g['{n}'] if '{n}' in __g else __xonsh__.env['{n}']\n\
                     __p(__g['__autovenv_path_list'](__v) if hasattr(__v, '_l') else __v)\n"
                ),
                Probe::List(n) => {
                    format!("__p(__g['{n}'] if '{n}' in __g else __g['__autovenv_path_list'](__xonsh__.env['{n}']))\n")
                }
            };
        }
        s += "sys.stdout.flush()\nsubprocess.run(['/usr/bin/env', '-0'], env=__xonsh__.env.detype())\n";
        return s.into_bytes();
    }
    // Each probe prints its element count, then its elements, NUL-terminated.
    if shell == Shell::Elvish {
        // The hook's way (see elvish.rs): eval in a namespace, keep what it left.
        s += &format!(
            "var res = (ns [&])\nfn __t {{ eval (/bin/cat '{code}' | slurp) &on-end={{|n| set res = $n }} }}\n__t\n"
        );
        for probe in probes {
            // Lower-case names are the hook's variables, upper-case ones the environment.
            // `$paths` for PATH as a list, `get-env` for it as a string.
            let value = |n: &str, list: bool| {
                if n == "PATH" && list {
                    "$paths".to_string()
                } else if n.starts_with(|c: char| c.is_ascii_lowercase()) {
                    format!("$res[{n}]")
                } else {
                    format!("(get-env {n})")
                }
            };
            s += &match probe {
                Probe::Scalar(n) => format!("print 1\"\\x00\"{}\"\\x00\"\n", value(n, false)),
                Probe::List(n) => {
                    let v = value(n, true);
                    format!("print (count {v})\"\\x00\"\nfor e {v} {{ print $e\"\\x00\" }}\n")
                }
            };
        }
    } else if shell == Shell::Tcsh {
        s += &format!("source '{code}'\n");
        for probe in probes {
            s += &match probe {
                // `:q` keeps a value one word; `""` keeps an empty one at all.
                Probe::Scalar(n) => format!("/usr/bin/printf '%s\\0' 1 ${n}:q\"\"\n"),
                Probe::List(n) => format!(
                    "/usr/bin/printf '%s\\0' $#{n}\n@ i = 1\nwhile ( $i <= $#{n} )\n/usr/bin/printf '%s\\0' ${n}[$i]:q\"\"\n@ i++\nend\n"
                ),
            };
        }
    } else if shell == Shell::Fish {
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
pub(crate) fn check_syntax(shell: Shell, changes: &[Change]) {
    let Some(bin) = binary(shell) else { return };
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), render(shell, changes)).unwrap();
    let f = file.path().to_str().unwrap();
    let out = match shell {
        Shell::Nu => Command::new(bin)
            .args(["--no-config-file", "-c", &format!("open --raw '{f}' | from json --objects | ignore")])
            .output(),
        Shell::Xonsh => Command::new(bin)
            .args(["--no-rc", "-c", &format!("compile(open('{f}', 'rb').read().decode('ascii'), 'f', 'exec')")])
            .output(),
        Shell::Elvish => Command::new(bin).arg("-compileonly").arg(file.path()).output(),
        _ => Command::new(bin).arg("-n").arg(file.path()).output(),
    }
    .unwrap();
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
pub(crate) fn changes_for(values: &[Vec<u8>]) -> Vec<Change> {
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
pub(crate) fn check_roundtrip(shell: Shell, variant: &Variant, values: &[Vec<u8>]) {
    assert!(values.iter().all(|v| !v.contains(&0)), "NUL cannot round-trip anywhere");
    let mut probes = vec![Probe::List("autovenv_list"), Probe::List("autovenv_empty"), Probe::List("PATH")];
    for i in 0..values.len() {
        probes.push(Probe::Scalar(leak(format!("AUTOVENV_T{i}"))));
        probes.push(Probe::Scalar(leak(format!("autovenv_s{i}"))));
    }
    // fish, nushell, xonsh and elvish hold PATH as a list.
    if matches!(shell, Shell::Bash | Shell::Zsh | Shell::Tcsh) {
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
        // nushell's and xonsh's PATH list, elvish's `$paths`: PATH split at every `:`.
        Shell::Nu | Shell::Xonsh | Shell::Elvish if joined.is_empty() => vec![],
        Shell::Nu | Shell::Xonsh | Shell::Elvish => joined.split(|&b| b == b':').map(<[u8]>::to_vec).collect(),
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
    let differ: Vec<String> = want_env
        .keys()
        .chain(seen.keys())
        .filter(|k| seen.get(*k) != want_env.get(*k))
        .map(|k| {
            let (a, b) = (seen.get(k).cloned().unwrap_or_default(), want_env.get(k).cloned().unwrap_or_default());
            let at = a.iter().zip(&b).take_while(|(x, y)| x == y).count().saturating_sub(10);
            let show = |v: Option<&Vec<u8>>| {
                v.map(|v| String::from_utf8_lossy(&v[at.min(v.len())..v.len().min(at + 60)]).into_owned())
            };
            format!("{}: got {:?}, want {:?}", String::from_utf8_lossy(k), show(seen.get(k)), show(want_env.get(k)))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "{shell:?}: child environment differs ({} {:?}): {differ:#?}",
        variant.prelude,
        variant.args
    );
}

/// Values chosen to break quoting: expansions, globs, quotes, history,
/// control and invalid bytes, odd Unicode, emptiness and length.
pub(crate) fn hostile_values() -> Vec<Vec<u8>> {
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

/// The values `shell` can hold (see `Syntax::can_hold`): what a round trip
/// through it can be asked to keep.
pub(crate) fn holdable(shell: Shell, values: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    values.into_iter().filter(|v| shell.syntax().can_hold(v)).collect()
}

/// proptest: `n` values, each arbitrary bytes, shell-special bytes, or
/// arbitrary Unicode; never NUL, which no shell or environment can hold.
pub(crate) fn arbitrary_values(n: usize) -> impl proptest::strategy::Strategy<Value = Vec<Vec<u8>>> {
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

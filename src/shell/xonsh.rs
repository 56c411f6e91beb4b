//! xonsh (0.14 and later), whose hook is Python run by xonsh's interpreter.
//!
//! `export xonsh` prints Python statements in ASCII: every other character
//! as a `\x`/`\u`/`\U` escape and each byte that is not UTF-8 as the lone
//! surrogate Python's `surrogateescape` maps it to, which is how xonsh hands
//! such bytes back to the OS. So any byte string without NUL round-trips,
//! with one exception xonsh imposes: the entries of `PATH` (and of any
//! variable named `…PATH` or `…DIRS`, which xonsh keeps as lists) are given
//! to other programs after `~` and `$VAR` expansion, so a value that such
//! expansion would change cannot be held there ([`Syntax::can_hold`]).
//! `PATH` is set as the list of its `:`-separated entries, empty ones kept.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::hook::Template;
use super::{value_bytes, Change, Syntax};
use crate::context::Context;

/// xonsh, through [`Syntax`].
pub(crate) struct Xonsh;

static HOOK: Template = Template::new(include_str!("hooks/autovenv.xsh"));

impl Syntax for Xonsh {
    fn name(&self) -> &'static str {
        "xonsh"
    }
    fn hook(&self) -> &'static Template {
        &HOOK
    }
    fn quote(&self, value: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        quote_into(&mut out, value);
        out
    }
    fn render(&self, changes: &[Change]) -> Vec<u8> {
        render(changes)
    }
    fn can_hold(&self, value: &[u8]) -> bool {
        !expands(value)
    }
    fn rc_files(&self, ctx: &Context) -> Vec<PathBuf> {
        let home = ctx.home().map(Path::to_path_buf).unwrap_or_default();
        let conf = ctx.var("XDG_CONFIG_HOME").map_or_else(|| home.join(".config"), PathBuf::from);
        vec![home.join(".xonshrc"), conf.join("xonsh/rc.xsh")]
    }
    fn rc_line(&self) -> &'static str {
        "execx($(autovenv hook xonsh))"
    }
    fn reload(&self) -> &'static str {
        "source ~/.xonshrc"
    }
}

/// Whether xonsh's expansion of a `PATH` entry (`$NAME`, `${'NAME'}`, and
/// `~` right after an `=`) could change this value. Conservative: `$` before
/// a word character counts whether or not the variable exists (it may
/// later). A leading `~` is not counted: the entry autovenv adds is an
/// absolute path, and the PATH `export` sees was expanded by xonsh already.
fn expands(value: &[u8]) -> bool {
    let dollar = value
        .windows(2)
        .any(|w| w[0] == b'$' && (w[1] == b'{' || w[1] == b'_' || w[1].is_ascii_alphanumeric() || w[1] >= 0x80));
    dollar || value.windows(2).any(|w| w == b"=~")
}

/// A Python string literal in ASCII that evaluates to `value`, bytes that are
/// not UTF-8 as surrogates (`\udcXX`).
fn quote_into(out: &mut Vec<u8>, value: &[u8]) {
    let bytes: Vec<u8> = value_bytes(value).collect();
    out.push(b'\'');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.extend_from_slice(b"\\\\"),
                '\'' => out.extend_from_slice(b"\\'"),
                '\n' => out.extend_from_slice(b"\\n"),
                ' '..='~' => out.push(c as u8),
                c if (c as u32) < 0x100 => out.extend_from_slice(format!("\\x{:02x}", c as u32).as_bytes()),
                c if (c as u32) < 0x10000 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
                c => out.extend_from_slice(format!("\\U{:08x}", c as u32).as_bytes()),
            }
        }
        for &b in chunk.invalid() {
            out.extend_from_slice(format!("\\udc{b:02x}").as_bytes());
        }
    }
    out.push(b'\'');
}

/// Statements for the hook's `exec`, which runs them with the hook's own
/// globals: `_autovenv_XSH` is xonsh's session, the `__autovenv_*` names
/// its bookkeeping. The first imports the session, so that the one-shot
/// `execx($(autovenv activate xonsh))` works in a shell without the hook.
pub(crate) fn render(changes: &[Change]) -> Vec<u8> {
    let mut out = Vec::new();
    if !changes.is_empty() {
        out.extend_from_slice(b"from xonsh.built_ins import XSH as _autovenv_XSH\n");
    }
    for change in changes {
        match change {
            Change::SetEnv(name, value) if *name == "PATH" => {
                out.extend_from_slice(format!("_autovenv_XSH.env['{name}'] = [").as_bytes());
                let v = value.as_bytes();
                if !v.is_empty() {
                    for (i, entry) in v.split(|&b| b == b':').enumerate() {
                        if i > 0 {
                            out.extend_from_slice(b", ");
                        }
                        quote_into(&mut out, entry);
                    }
                }
                out.push(b']');
            }
            Change::SetEnv(name, value) => {
                out.extend_from_slice(format!("_autovenv_XSH.env['{name}'] = ").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::UnsetEnv(name) => {
                out.extend_from_slice(format!("_autovenv_XSH.env.pop('{name}', None)").as_bytes());
            }
            Change::DefineDeactivate(program) => super::with_program(&mut out, DEFINE_DEACTIVATE, program, quote_into),
            Change::DropDeactivate => out.extend_from_slice(DROP_DEACTIVATE.as_bytes()),
            Change::SetLocal(name, value) => {
                out.extend_from_slice(format!("{name} = ").as_bytes());
                quote_into(&mut out, value.as_bytes());
            }
            Change::SetLocalList(name, values) => {
                out.extend_from_slice(format!("{name} = [").as_bytes());
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    quote_into(&mut out, v.as_bytes());
                }
                out.push(b']');
            }
        }
        out.push(b'\n');
    }
    out
}

/// `deactivate` (see `Change::DefineDeactivate`) as a callable alias,
/// unless an alias of that name exists. Self-contained, because the one-shot
/// `activate` runs it without the hook: it finds the hook (or, without one,
/// runs `export` and executes its output) through the globals it is run
/// with. Unthreadable, so that it runs on the main thread, where the hook
/// may set its Ctrl-C handler. The `_autovenv` attribute marks it as ours
/// (xonsh keeps a function alias wrapped, the function as `func`).
const DEFINE_DEACTIVATE: &str = "def _autovenv_define(program):
    from xonsh.built_ins import XSH
    from xonsh.tools import unthreadable
    if 'deactivate' in XSH.aliases:
        return
    g = globals()
    @unthreadable
    def deactivate(args=None, stdin=None):
        if args and args[0] == 'nondestructive':
            return
        XSH.env['AUTOVENV_PAUSED'] = XSH.env.get('AUTOVENV_ROOT', '')
        if '__autovenv_hook' in g:
            g['__autovenv_pwd'] = ''
            g['__autovenv_hook']()
        else:
            import subprocess
            g.setdefault('_autovenv_XSH', XSH)
            out = subprocess.run([program, 'export', 'xonsh'], env=dict(XSH.env.detype()), stdout=subprocess.PIPE, check=False).stdout
            exec(out.decode('ascii'), g)
    deactivate._autovenv = 'AUTOVENV_PAUSED'
    XSH.aliases['deactivate'] = deactivate
_autovenv_define(@AUTOVENV@)
del _autovenv_define";

/// Only ours goes: a venv's `activate.xsh` replaces it with its own, and a
/// person's own alias stays.
const DROP_DEACTIVATE: &str =
    "_autovenv_f = _autovenv_XSH.aliases['deactivate'] if 'deactivate' in _autovenv_XSH.aliases else None
if getattr(getattr(_autovenv_f, 'func', _autovenv_f), '_autovenv', None) == 'AUTOVENV_PAUSED':
    del _autovenv_XSH.aliases['deactivate']
del _autovenv_f";

#[cfg(test)]
mod tests {
    use super::super::testkit::{self, Variant};
    use super::super::{render, Change, Shell};
    use proptest::prelude::*;
    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    /// xonsh expands a leading `~` of each PATH entry when it hands PATH
    /// to a program; the round trip goes through PATH, so such values are
    /// left out of it.
    fn in_path(values: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
        values.into_iter().filter(|v| !v.split(|&b| b == b':').any(|e| e.starts_with(b"~"))).collect()
    }

    #[test]
    fn renders_one_statement_per_change() {
        let changes = [
            Change::SetEnv("A", OsString::from_vec(b"it's \\ \xff \xc3\xa9\n\x01 \xf0\x9f\x90\x8d".to_vec())),
            Change::SetEnv("PATH", "/a::/b".into()),
            Change::SetEnv("PATH", "".into()),
            Change::UnsetEnv("B"),
            Change::SetLocal("c", "x".into()),
            Change::SetLocalList("d", vec!["a".into(), "".into()]),
        ];
        let want = "from xonsh.built_ins import XSH as _autovenv_XSH\n\
                    _autovenv_XSH.env['A'] = 'it\\'s \\\\ \\udcff \\xe9\\n\\x01 \\U0001f40d'\n\
                    _autovenv_XSH.env['PATH'] = ['/a', '', '/b']\n\
                    _autovenv_XSH.env['PATH'] = []\n\
                    _autovenv_XSH.env.pop('B', None)\n\
                    c = 'x'\n\
                    d = ['a', '']\n";
        assert_eq!(String::from_utf8(render(Shell::Xonsh, &changes)).unwrap(), want);
    }

    #[test]
    fn holds_what_path_expansion_leaves_alone() {
        let x = Shell::Xonsh.syntax();
        for ok in [&b"/a/b c/$/x$ y"[..], b"/a~b", b"/a/~/b", b"/a\xff", b"a=b", b"~"] {
            assert!(x.can_hold(ok), "{:?}", String::from_utf8_lossy(ok));
        }
        for bad in [&b"/a/$HOME"[..], b"/a/${x}", b"/a/b=~c", b"$_"] {
            assert!(!x.can_hold(bad), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn hostile_values_round_trip() {
        let values = in_path(testkit::holdable(Shell::Xonsh, testkit::hostile_values()));
        testkit::check_roundtrip(Shell::Xonsh, &Variant::PLAIN, &values);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn arbitrary_bytes_round_trip(values in testkit::arbitrary_values(16)) {
            testkit::check_roundtrip(Shell::Xonsh, &Variant::PLAIN, &in_path(testkit::holdable(Shell::Xonsh, values)));
        }
    }
}

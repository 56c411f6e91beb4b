//! Real interactive bash, zsh and fish on a pty, driven line by line.
//!
//! Synchronisation: every prompt shows `[avt:<nonce>:<n>]> ` where `<n>`
//! counts the command lines the shell has run (bash `\#`, zsh `%!`, fish a
//! counter bumped on `fish_postexec`). After sending a line the harness waits
//! for a prompt whose number is at least one more than the last one seen.
//! Repaints of an old prompt (fish redraws the prompt as you type) therefore
//! never end a wait early, and hook output printed before the prompt (bash
//! PROMPT_COMMAND, zsh precmd, fish `fish_prompt` event handlers) is always
//! attributed to the command it follows.
//!
//! Values are never parsed from the terminal: `capture` has the shell write
//! a command's stdout to a file in the sandbox, plus a second file proving
//! the line ran at all.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::pty::Pty;
use super::sandbox::{autovenv_bin, Sandbox};
use super::screen;
use super::tools::tools;

/// Per prompt; creating an env with `python -m venv` and pip takes ~6 s.
pub(crate) const PROMPT_TIMEOUT: Duration = Duration::from_secs(60);
const COLS: u16 = 1000;
const ROWS: u16 = 50;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bash,
    Zsh,
    Fish,
    Nu,
    Xonsh,
    Elvish,
    Tcsh,
}

impl Kind {
    /// The binary's `Shell::ALL`, as the harness knows them; the harness
    /// self-test `the_harness_knows_every_shell_of_the_binary` keeps the two
    /// lists the same.
    pub(crate) const ALL: [Kind; 7] =
        [Kind::Bash, Kind::Zsh, Kind::Fish, Kind::Nu, Kind::Xonsh, Kind::Elvish, Kind::Tcsh];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Bash => "bash",
            Kind::Zsh => "zsh",
            Kind::Fish => "fish",
            Kind::Nu => "nu",
            Kind::Xonsh => "xonsh",
            Kind::Elvish => "elvish",
            Kind::Tcsh => "tcsh",
        }
    }

    pub(crate) fn path(self) -> Option<&'static Path> {
        let t = tools();
        match self {
            Kind::Bash => t.bash.as_deref(),
            Kind::Zsh => t.zsh.as_deref(),
            Kind::Fish => t.fish.as_deref(),
            Kind::Nu => t.nu.as_deref(),
            Kind::Xonsh => t.xonsh.as_deref(),
            Kind::Elvish => t.elvish.as_deref(),
            Kind::Tcsh => t.tcsh.as_deref(),
        }
    }

    /// `s` as one word of this shell's syntax, always on one line.
    /// bash/zsh: `'…'` with `'\''`, or `$'…'` when `s` has control
    /// characters; fish: `'…'` with `\\` and `\'`, control characters as
    /// `\n`/`\xHH` outside the quotes (fish joins adjacent pieces).
    pub(crate) fn quote(self, s: &str) -> String {
        let control = |c: char| c.is_control();
        match self {
            Kind::Bash | Kind::Zsh if !s.chars().any(control) => format!("'{}'", s.replace('\'', r"'\''")),
            Kind::Bash | Kind::Zsh => {
                let mut q = String::from("$'");
                for c in s.chars() {
                    match c {
                        '\\' => q.push_str(r"\\"),
                        '\'' => q.push_str(r"\'"),
                        '\n' => q.push_str(r"\n"),
                        '\t' => q.push_str(r"\t"),
                        c if control(c) => hex_escape(&mut q, c),
                        c => q.push(c),
                    }
                }
                q.push('\'');
                q
            }
            Kind::Fish => {
                let mut q = String::from("'");
                for c in s.chars() {
                    match c {
                        '\\' => q.push_str(r"\\"),
                        '\'' => q.push_str(r"\'"),
                        '\n' => q.push_str(r"'\n'"),
                        c if control(c) => {
                            q.push('\'');
                            hex_escape(&mut q, c);
                            q.push('\'');
                        }
                        c => q.push(c),
                    }
                }
                q.push('\'');
                q
            }
            Kind::Nu => {
                let mut q = String::from("\"");
                for c in s.chars() {
                    match c {
                        '\\' => q.push_str(r"\\"),
                        '"' => q.push_str("\\\""),
                        '\n' => q.push_str(r"\n"),
                        '\t' => q.push_str(r"\t"),
                        c if control(c) => q.push_str(&format!("\\u{{{:x}}}", c as u32)),
                        c => q.push(c),
                    }
                }
                q.push('"');
                q
            }
            // A Python string literal (xonsh's Python mode: no expansion of
            // `$` or `~` in it), in ASCII.
            Kind::Xonsh => python_literal(s.as_bytes()),
            // `''` inside single quotes; control characters as "\xHH"
            // pieces of the same compound word.
            Kind::Elvish => {
                let mut q = String::from("'");
                for c in s.chars() {
                    match c {
                        '\'' => q.push_str("''"),
                        c if control(c) => {
                            q.push_str("'\"");
                            hex_escape(&mut q, c);
                            q.push_str("\"'");
                        }
                        c => q.push(c),
                    }
                }
                q.push('\'');
                q
            }
            // Single quotes with `'\''`, and `\!` (history expansion works
            // inside quotes too). Control characters cannot be typed on one
            // line: callers with such values use `quote_bytes`-style globs.
            Kind::Tcsh => {
                assert!(!s.chars().any(control), "tcsh cannot type {s:?} on one line");
                format!("'{}'", s.replace('\'', r"'\''").replace('!', r"\!"))
            }
        }
    }

    pub(crate) fn quote_path(self, p: &Path) -> String {
        self.quote(p.to_str().expect("UTF-8 path"))
    }

    /// The rc line a user adds, with the binary by absolute path.
    pub(crate) fn hook_line(self, bin: &Path) -> String {
        let b = self.quote_path(bin);
        match self {
            Kind::Bash => format!(r#"eval "$({b} hook bash)""#),
            Kind::Zsh => format!(r#"eval "$({b} hook zsh)""#),
            Kind::Fish => format!("{b} hook fish | source"),
            Kind::Nu => format!(
                "mkdir ($nu.data-dir | path join vendor/autoload); ^{b} hook nu | save -f ($nu.data-dir | path join vendor/autoload/autovenv.nu)"
            ),
            Kind::Xonsh => format!("execx($({} hook xonsh))", self.word(bin)),
            Kind::Elvish => format!("eval ({b} hook elvish | slurp)"),
            Kind::Tcsh => format!("{b} hook tcsh | source /dev/stdin"),
        }
    }

    /// The exit status of the previous command: `$?` / `$status`.
    pub(crate) fn status_var(self) -> &'static str {
        match self {
            Kind::Fish | Kind::Tcsh => "$status",
            // No exit status variable: a failing command raises an
            // exception, which no hook can change.
            Kind::Elvish => "0",
            Kind::Nu => "$env.LAST_EXIT_CODE",
            Kind::Xonsh => "@(__xonsh__.lastcmd.returncode)",
            _ => "$?",
        }
    }

    /// A path as one argument of a command typed in subprocess mode: for
    /// xonsh `@(…)` around a Python literal, elsewhere the quoted word.
    pub(crate) fn word(self, p: &Path) -> String {
        match self {
            Kind::Xonsh => format!("@({})", python_literal(p.as_os_str().as_encoded_bytes())),
            _ => self.quote_path(p),
        }
    }
}

/// A Python string literal in ASCII for `b`, bytes that are not UTF-8 as
/// the surrogates xonsh hands back to the OS as those bytes.
pub(crate) fn python_literal(b: &[u8]) -> String {
    let mut q = String::from("'");
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => q.push_str(r"\\"),
                '\'' => q.push_str(r"\'"),
                ' '..='~' => q.push(c),
                c if (c as u32) < 0x100 => q.push_str(&format!("\\x{:02x}", c as u32)),
                c if (c as u32) < 0x10000 => q.push_str(&format!("\\u{:04x}", c as u32)),
                c => q.push_str(&format!("\\U{:08x}", c as u32)),
            }
        }
        for b in chunk.invalid() {
            q.push_str(&format!("\\udc{b:02x}"));
        }
    }
    q.push('\'');
    q
}

fn hex_escape(q: &mut String, c: char) {
    let mut buf = [0u8; 4];
    for b in c.encode_utf8(&mut buf).bytes() {
        q.push_str(&format!("\\x{b:02x}"));
    }
}

/// Whether the rc file gets the autovenv hook line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hook {
    Yes,
    No,
}

/// Where the prompt search ended up.
enum Found {
    Prompt { start: usize, end: usize, n: u64 },
    Continuation,
}

pub(crate) struct Shell {
    kind: Kind,
    pty: Pty,
    nonce: String,
    /// The prompt number the next command's prompt must reach.
    next_prompt: u64,
    /// Offset in the raw transcript just past the last prompt marker.
    cursor: usize,
    scratch: PathBuf,
    captures: u64,
    rc: PathBuf,
    timeout: Duration,
    /// How long the shell took from spawn to its first prompt.
    pub startup: Duration,
    /// Set once a failure has printed the transcript (Drop stays quiet then).
    reported: std::cell::Cell<bool>,
    _sandbox: Arc<TempDir>,
}

impl Shell {
    /// An interactive `kind` shell in `cwd` whose rc holds the autovenv hook
    /// line followed by `rc_extra`. Panics if the shell is not installed:
    /// check `should_skip(&[Need::Shell(kind)])` first.
    pub(crate) fn start(kind: Kind, sb: &Sandbox, rc_extra: &str, cwd: &Path) -> Shell {
        Shell::start_with(kind, sb, Hook::Yes, rc_extra, cwd)
    }

    pub(crate) fn start_with(kind: Kind, sb: &Sandbox, hook: Hook, rc_extra: &str, cwd: &Path) -> Shell {
        let exe = kind.path().unwrap_or_else(|| panic!("{} not found; check should_skip first", kind.name()));
        Shell::start_via(kind, sb, hook, rc_extra, cwd, exe)
    }

    /// `start_with`, but the program started is `exe` (for example a script
    /// that execs the real shell under strace); it must accept the shell's
    /// own arguments.
    pub(crate) fn start_via(kind: Kind, sb: &Sandbox, hook: Hook, rc_extra: &str, cwd: &Path, exe: &Path) -> Shell {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        // The marker is the same for every shell of a sandbox (each has its
        // own pty anyway), so a second shell rewriting the rc file does not
        // change the first one's prompt if it sources the rc again.
        let nonce: String =
            sb.root().file_name().unwrap().to_string_lossy().replace(|c: char| !c.is_ascii_alphanumeric(), "");
        let scratch =
            sb.root().join("harness").join(format!("{}-{}", kind.name(), SEQ.fetch_add(1, Ordering::Relaxed)));
        fs::create_dir_all(&scratch).unwrap();

        let hook_line = match hook {
            Hook::Yes => kind.hook_line(autovenv_bin()),
            Hook::No => "# (started without the autovenv hook)".to_string(),
        };
        let marker = format!("[avt:{nonce}:");
        let mut cmd = Command::new(exe);
        cmd.env_clear().envs(sb.env()).env("SHELL", exe).current_dir(cwd);
        let (rc, rc_text) = match kind {
            Kind::Bash => {
                let rc = sb.home().join(".bashrc");
                cmd.arg("--noprofile").arg("--rcfile").arg(&rc).arg("-i");
                let text = format!(
                    "# written by the autovenv test harness\n\
                     set +H\n\
                     HISTFILE={hist}\n\
                     PS1='{marker}\\#]> '\n\
                     PS2='{marker}cont]> '\n",
                    hist = kind.quote_path(&sb.home().join(".bash_history")),
                );
                (rc, text)
            }
            Kind::Zsh => {
                let zdot = sb.root().join("zdotdir");
                fs::create_dir_all(&zdot).unwrap();
                // Only our files: skip /etc/zsh/zshrc & co (zshenv is always read).
                fs::write(zdot.join(".zshenv"), "unsetopt GLOBAL_RCS\n").unwrap();
                cmd.env("ZDOTDIR", &zdot).arg("-i");
                let text = format!(
                    "# written by the autovenv test harness\n\
                     unsetopt PROMPT_SP BANG_HIST\n\
                     HISTSIZE=10000\n\
                     PS1='{marker}%!]> '\n\
                     PS2='{marker}cont]> '\n\
                     RPS1=''\n"
                );
                (zdot.join(".zshrc"), text)
            }
            Kind::Fish => {
                let dir = sb.xdg_config().join("fish");
                fs::create_dir_all(&dir).unwrap();
                cmd.arg("-i");
                let text = format!(
                    "# written by the autovenv test harness\n\
                     set -g fish_greeting ''\n\
                     set -q __avt_n; or set -g __avt_n 1\n\
                     function __avt_count --on-event fish_postexec\n    set -g __avt_n (math $__avt_n + 1)\nend\n\
                     function fish_prompt\n    printf '{marker}%s]> ' $__avt_n\nend\n\
                     function fish_right_prompt\nend\n\
                     function fish_title\nend\n"
                );
                (dir.join("config.fish"), text)
            }
            Kind::Nu => {
                let dir = sb.xdg_config().join("nushell");
                fs::create_dir_all(&dir).unwrap();
                cmd.arg("-i").arg("--config").arg(dir.join("config.nu")).arg("--env-config").arg(dir.join("env.nu"));
                fs::write(dir.join("env.nu"), "").unwrap();
                let text = format!(
                    "# written by the autovenv test harness\n\
                     $env.config.show_banner = false\n\
                     $env.config.use_kitty_protocol = false\n\
                     $env.config.shell_integration = {{osc2: false, osc7: false, osc8: false, osc9_9: false, osc133: false, osc633: false, reset_application_mode: false}}\n\
                     $env.__avt_n = ($env.__avt_n? | default 1)\n\
                     $env.config.hooks.pre_execution = [{{|| $env.__avt_n = $env.__avt_n + 1 }}]\n\
                     $env.PROMPT_COMMAND = {{|| $\"{marker}($env.__avt_n)]> \" }}\n\
                     $env.PROMPT_COMMAND_RIGHT = ''\n\
                     $env.PROMPT_INDICATOR = ''\n\
                     $env.PROMPT_MULTILINE_INDICATOR = '{marker}cont]> '\n"
                );
                (dir.join("config.nu"), text)
            }
            Kind::Xonsh => {
                let rc = sb.home().join(".xonshrc");
                cmd.args(["-i", "--shell-type", "readline", "--rc"]).arg(&rc);
                let text = format!(
                    "# written by the autovenv test harness\n\
                     $XONSH_HISTORY_BACKEND = 'dummy'\n\
                     $COLOR_INPUT = False\n\
                     $XONSH_SHOW_TRACEBACK = True\n\
                     $TITLE = ''\n\
                     if '__avt_n' not in globals():\n    __avt_n = [1]\n\
                     \x20   @events.on_postcommand\n    def __avt_count(**kw):\n        __avt_n[0] += 1\n\
                     $PROMPT = lambda: '{marker}' + str(__avt_n[0]) + ']> '\n\
                     $MULTILINE_PROMPT = '{marker}cont]> '\n\
                     $RIGHT_PROMPT = ''\n\
                     $BOTTOM_TOOLBAR = ''\n\
                     def __avt_w(path, data):\n    open(path, 'wb').write(data)\n"
                );
                (rc, text)
            }
            Kind::Elvish => {
                let dir = sb.xdg_config().join("elvish");
                fs::create_dir_all(&dir).unwrap();
                let rc = dir.join("rc.elv");
                // Elvish sets PWD at its first `cd`; a terminal's shell has
                // it from its parent.
                cmd.env("PWD", cwd).arg("-rc").arg(&rc);
                // The prompt counts the command lines run, as bash's `\#`.
                // Elvish first shows the last prompt it computed, then
                // rewrites it from the first cell that differs: alternating
                // its style makes that the first cell, so the new marker is
                // written whole (`wait_prompt` drops the stale one).
                let text = format!(
                    "# written by the autovenv test harness\n\
                     if (not (has-env avt_prompt_n)) {{ set-env avt_prompt_n 1 }}\n\
                     set edit:after-command = [{{|_| set-env avt_prompt_n (to-string (+ $E:avt_prompt_n 1)) }}]\n\
                     set edit:prompt = {{ styled '{marker}'$E:avt_prompt_n']> ' (if (== (% $E:avt_prompt_n 2) 0) {{ put bold }} else {{ put italic }}) }}\n\
                     set edit:rprompt = {{ }}\n"
                );
                (rc, text)
            }
            Kind::Tcsh => {
                let rc = sb.home().join(".tcshrc");
                cmd.arg("-i");
                // `%h`: the history event number, one more per command line.
                let text = format!(
                    "# written by the autovenv test harness\n\
                     set history = 10000\n\
                     unset savehist\n\
                     set prompt = '{marker}%h]> '\n\
                     set prompt2 = '{marker}cont]> '\n\
                     unset rprompt\n"
                );
                (rc, text)
            }
        };
        fs::write(&rc, format!("{rc_text}{hook_line}\n{rc_extra}\n")).unwrap();

        let t0 = Instant::now();
        let pty = Pty::spawn(cmd, COLS, ROWS).unwrap_or_else(|e| panic!("starting {}: {e}", exe.display()));
        let mut sh = Shell {
            kind,
            pty,
            nonce,
            next_prompt: 0,
            cursor: 0,
            scratch,
            captures: 0,
            rc,
            timeout: PROMPT_TIMEOUT,
            startup: Duration::ZERO,
            reported: Default::default(),
            _sandbox: Arc::clone(&sb.dir),
        };
        let (_, n) = sh.wait_prompt(0, "(shell startup)");
        sh.next_prompt = n + 1;
        sh.startup = t0.elapsed();
        sh
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }
    pub(crate) fn pid(&self) -> u32 {
        self.pty.pid()
    }
    /// The rc file this shell read (`~/.bashrc`, `$ZDOTDIR/.zshrc`,
    /// `$XDG_CONFIG_HOME/fish/config.fish`).
    pub(crate) fn rc_path(&self) -> &Path {
        &self.rc
    }
    pub(crate) fn set_timeout(&mut self, t: Duration) {
        self.timeout = t;
    }
    /// `s` quoted for this shell (see `Kind::quote`).
    pub(crate) fn q(&self, s: &str) -> String {
        self.kind.quote(s)
    }
    pub(crate) fn qp(&self, p: &Path) -> String {
        self.kind.quote_path(p)
    }

    /// Type `cmd` (one line) and Enter; wait for the next prompt; return what
    /// appeared in between (stdout and stderr of the command and of the
    /// prompt hook, merged as on a terminal) without the echoed command line.
    pub(crate) fn run(&mut self, cmd: &str) -> String {
        assert!(!cmd.contains(['\n', '\r']), "Shell::run takes one line; got {cmd:?}");
        let cmd = &self.typed(cmd);
        self.pty.write(format!("{cmd}\r").as_bytes());
        let (raw, n) = self.wait_prompt(self.next_prompt, cmd);
        self.next_prompt = n + 1;
        screen::command_output(&raw, cmd).unwrap_or_else(|e| self.fail(&format!("after `{cmd}`: {e}")))
    }

    /// Type `cmd` (one line) and Enter without waiting for the prompt, for a
    /// test that acts while the line (or the hook after it) still runs;
    /// finish with `finish(cmd)`.
    pub(crate) fn start_line(&mut self, cmd: &str) {
        assert!(!cmd.contains(['\n', '\r']), "Shell::start_line takes one line; got {cmd:?}");
        let cmd = self.typed(cmd);
        self.pty.write(format!("{cmd}\r").as_bytes());
    }

    /// What is typed for `cmd`: `cmd` itself, except in elvish, whose line
    /// editor checks and redraws the line as it is typed (and drops keys
    /// of a long or odd line): there the line runs `cmd` from a file, in
    /// the interactive shell all the same.
    fn typed(&mut self, cmd: &str) -> String {
        if self.kind != Kind::Elvish || cmd.starts_with("eval (slurp < ") {
            return cmd.to_string();
        }
        self.captures += 1;
        let file = self.scratch.join(format!("line{}.elv", self.captures));
        fs::write(&file, cmd).unwrap();
        format!("eval (slurp < {})", self.qp(&file))
    }

    /// Send raw bytes to the terminal, e.g. `b"\x03"` (Ctrl-C: the tty
    /// sends SIGINT to the foreground process group).
    pub(crate) fn send_raw(&mut self, bytes: &[u8]) {
        self.pty.write(bytes);
    }

    /// Wait for the prompt after `start_line(cmd)`; returns what `run` would.
    pub(crate) fn finish(&mut self, cmd: &str) -> String {
        let typed = format!("line{}.elv", self.captures);
        let cmd = if self.kind == Kind::Elvish { typed.as_str() } else { cmd };
        let (raw, n) = self.wait_prompt(self.next_prompt, cmd);
        self.next_prompt = n + 1;
        screen::command_output(&raw, cmd).unwrap_or_else(|e| self.fail(&format!("after `{cmd}`: {e}")))
    }

    /// Run `code` with its stdout redirected to a file; return the file's
    /// bytes. `code` is one line of this shell's syntax. Its stderr still goes
    /// to the terminal (and so into `run`'s result, which is discarded here).
    pub(crate) fn capture(&mut self, code: &str) -> Vec<u8> {
        self.capture_all(&[code]).pop().unwrap()
    }

    /// `capture` for several snippets on one command line, so that all of
    /// them see the state left by the same prompt.
    pub(crate) fn capture_all(&mut self, codes: &[&str]) -> Vec<Vec<u8>> {
        let mut files = Vec::new();
        let mut line = String::new();
        for code in codes {
            self.captures += 1;
            let out = self.scratch.join(format!("capture{}.out", self.captures));
            let o = self.qp(&out);
            let code = code.trim().trim_end_matches(';');
            line.push_str(&match self.kind {
                Kind::Bash | Kind::Zsh => format!("{{ {code}; }} > {o}; "),
                Kind::Fish => format!("begin; {code}; end > {o}; "),
                Kind::Nu => format!("do {{ {code} }} | save -f {o}; "),
                Kind::Xonsh => format!("{code} > {}; ", self.kind.word(&out)),
                // A lambda called at once; the line goes through a file
                // (see `typed`).
                Kind::Elvish => format!("{{ {code} }} > {o}; "),
                // A subshell: tcsh has no grouping that redirects in place.
                Kind::Tcsh => format!("( {code} ) >! {o}; "),
            });
            files.push(out);
        }
        let done = self.scratch.join(format!("capture{}.done", self.captures));
        line.push_str(&match self.kind {
            Kind::Nu => format!("'' | save -f {}", self.qp(&done)),
            Kind::Xonsh => format!("__avt_w({}, b'')", python_literal(done.as_os_str().as_encoded_bytes())),
            Kind::Elvish => format!("echo > {}", self.qp(&done)),
            _ => format!("true > {}", self.qp(&done)),
        });
        let shown = self.run(&line);
        if !done.exists() {
            self.fail(&format!("the capture line did not run: {line}\noutput: {shown}"));
        }
        files.iter().map(|f| fs::read(f).unwrap_or_default()).collect()
    }

    /// A shell variable's value, `None` when unset. Works for unexported
    /// variables too; fish lists are joined with spaces (`PATH`-like ones with
    /// colons).
    pub(crate) fn var(&mut self, name: &str) -> Option<Vec<u8>> {
        self.vars(&[name]).pop().unwrap()
    }

    /// Several variables read by one command line: all are as the same
    /// prompt left them (the hook cannot run in between).
    pub(crate) fn vars(&mut self, names: &[&str]) -> Vec<Option<Vec<u8>>> {
        let codes: Vec<String> = names
            .iter()
            .map(|name| {
                check_name(name);
                match self.kind {
                    Kind::Bash | Kind::Zsh => {
                        format!(r#"if [ -n "${{{name}+x}}" ]; then printf 'set:%s' "${name}"; else printf unset; fi"#)
                    }
                    Kind::Fish => {
                        format!(r#"if set -q {name}; printf 'set:%s' "${name}"; else; printf unset; end"#)
                    }
                    // The hook's bookkeeping is a record in $env.__autovenv.
                    Kind::Nu => format!(
                        "let v = ($env.__autovenv? | default {{}} | get -o {name} | default ($env | get -o {name})); \
                         if $v == null {{ 'unset' }} else if ($v | describe) =~ '^list' {{ 'set:' + ($v | str join '{}') }} else {{ 'set:' + $v }}",
                        if *name == "PATH" { ":" } else { " " }
                    ),
                    Kind::Xonsh => String::new(),
                    // The environment only: the hook's own variables live
                    // in a namespace of the hook.
                    Kind::Elvish => {
                        format!(r"if (has-env {name}) {{ print 'set:'(get-env {name}) }} else {{ print unset }}")
                    }
                    // A one-line `if` substitutes its command's variables
                    // even when false: `eval` of a constant defers that.
                    Kind::Tcsh => format!(
                        r#"if ( $?{name} ) eval /usr/bin/printf set:%s \${name}:q'""'; if ( ! $?{name} ) /usr/bin/printf unset"#
                    ),
                }
            })
            .collect();
        let got = if self.kind == Kind::Xonsh {
            self.xonsh_vars(names)
        } else {
            self.capture_all(&codes.iter().map(String::as_str).collect::<Vec<_>>())
        };
        names
            .iter()
            .zip(got)
            .map(|(name, got)| {
                if got == b"unset" {
                    None
                } else if let Some(v) = got.strip_prefix(b"set:") {
                    Some(v.to_vec())
                } else {
                    self.fail(&format!("unexpected capture for {name}: {:?}", String::from_utf8_lossy(&got)))
                }
            })
            .collect()
    }

    /// xonsh: each variable written by Python, as bytes (`os.fsencode`),
    /// PATH-like ones joined with `:` as xonsh exports them.
    fn xonsh_vars(&mut self, names: &[&str]) -> Vec<Vec<u8>> {
        let mut line = String::from("import os as __avt_os; ");
        let mut files = Vec::new();
        for name in names {
            self.captures += 1;
            let out = self.scratch.join(format!("capture{}.out", self.captures));
            let o = python_literal(out.as_os_str().as_encoded_bytes());
            line.push_str(&format!(
                "__avt_w({o}, b'set:' + __avt_os.fsencode(__xonsh__.env.get_stringified('{name}')) if '{name}' in __xonsh__.env else b'unset'); "
            ));
            files.push(out);
        }
        let done = self.scratch.join(format!("capture{}.done", self.captures));
        line.push_str(&format!("__avt_w({}, b'')", python_literal(done.as_os_str().as_encoded_bytes())));
        let shown = self.run(&line);
        if !done.exists() {
            self.fail(&format!("the capture line did not run: {line}\noutput: {shown}"));
        }
        files.iter().map(|f| fs::read(f).unwrap_or_default()).collect()
    }

    /// `var` as a String (lossy).
    pub(crate) fn var_str(&mut self, name: &str) -> Option<String> {
        self.var(name).map(|v| String::from_utf8_lossy(&v).into_owned())
    }

    /// PATH split on `:`.
    pub(crate) fn path_entries(&mut self) -> Vec<String> {
        let p = self.var_str("PATH").unwrap_or_else(|| self.fail("PATH is unset"));
        p.split(':').map(str::to_string).collect()
    }

    /// The environment a child process of the shell gets (`env -0`, run by
    /// absolute path so a broken PATH cannot hide it).
    pub(crate) fn exported_env(&mut self) -> BTreeMap<String, Vec<u8>> {
        let env = match self.kind {
            Kind::Nu => format!("^{}", self.qp(&tools().env)),
            _ => self.kind.word(&tools().env),
        };
        let raw = self.capture(&format!("{env} -0"));
        raw.split(|&b| b == 0)
            .filter(|e| !e.is_empty())
            .map(|e| {
                let eq = e.iter().position(|&b| b == b'=').unwrap_or(e.len());
                (String::from_utf8_lossy(&e[..eq]).into_owned(), e.get(eq + 1..).unwrap_or_default().to_vec())
            })
            .collect()
    }

    /// Names of the shell variables (exported or not) starting with `prefix`.
    pub(crate) fn var_names(&mut self, prefix: &str) -> Vec<String> {
        check_name(prefix);
        let code = match self.kind {
            Kind::Bash => format!("compgen -v {prefix}"),
            Kind::Zsh => format!("print -rl -- ${{(k)parameters[(I){prefix}*]}}"),
            Kind::Fish => format!("set -n | string match -- '{prefix}*'"),
            Kind::Nu => format!(
                "$env | columns | append ($env.__autovenv? | default {{}} | columns) | where $it starts-with '{prefix}' | str join (char nl)"
            ),
            Kind::Xonsh => format!("echo @('\\n'.join(k for k in __xonsh__.env if k.startswith('{prefix}')))"),
            Kind::Elvish => format!("try {{ /usr/bin/env | /usr/bin/cut -d= -f1 | /usr/bin/grep '^{prefix}' }} catch {{ }}"),
            Kind::Tcsh => format!("set | /usr/bin/cut -f1 | /usr/bin/grep '^{prefix}'; printenv | /usr/bin/cut -d= -f1 | /usr/bin/grep '^{prefix}'"),
        };
        let raw = self.capture(&code);
        let mut names: Vec<String> =
            String::from_utf8_lossy(&raw).lines().filter(|l| !l.is_empty()).map(str::to_string).collect();
        names.sort();
        names.dedup();
        names
    }

    /// `cd` to `dir` (must succeed); returns what was printed, including
    /// anything the prompt hook said.
    pub(crate) fn cd(&mut self, dir: &Path) -> String {
        let out = self.run(&format!("cd {}", self.kind.word(dir)));
        let pwd = self.var_str("PWD");
        if pwd.as_deref() != dir.to_str() {
            self.fail(&format!("cd {} failed: PWD is {pwd:?}; output: {out}", dir.display()));
        }
        out
    }

    /// Export `name=value` (`export` / `set -gx`).
    pub(crate) fn export(&mut self, name: &str, value: &str) -> String {
        check_name(name);
        if self.kind == Kind::Tcsh && value.chars().any(char::is_control) {
            // Not typeable on one line: sourced from a file, where a
            // backslash keeps a newline in the quotes.
            self.captures += 1;
            let file = self.scratch.join(format!("export{}.tcsh", self.captures));
            let q = value.replace('\'', r"'\''").replace('!', r"\!").replace('\n', "\\\n");
            fs::write(&file, format!("setenv {name} '{q}'\n")).unwrap();
            let f = self.qp(&file);
            return self.run(&format!("source {f}"));
        }
        let v = self.q(value);
        match self.kind {
            Kind::Bash | Kind::Zsh => self.run(&format!("export {name}={v}")),
            Kind::Fish => self.run(&format!("set -gx {name} {v}")),
            Kind::Nu => self.run(&format!("$env.{name} = {v}")),
            Kind::Xonsh => self.run(&format!("${name} = {v}")),
            Kind::Elvish => self.run(&format!("set-env {name} {v}")),
            Kind::Tcsh => self.run(&format!("setenv {name} {v}")),
        }
    }

    pub(crate) fn unset(&mut self, name: &str) -> String {
        check_name(name);
        match self.kind {
            Kind::Bash | Kind::Zsh => self.run(&format!("unset {name}")),
            Kind::Fish => self.run(&format!("set -e {name}")),
            Kind::Nu => self.run(&format!("hide-env {name}")),
            Kind::Xonsh => self.run(&format!("del ${name}")),
            Kind::Elvish => self.run(&format!("unset-env {name}")),
            Kind::Tcsh => self.run(&format!("unset {name}; unsetenv {name}")),
        }
    }

    /// Source the rc file again, as a user does after editing it.
    pub(crate) fn source_rc(&mut self) -> String {
        let rc = self.qp(&self.rc.clone());
        let elvish = format!("eval (slurp < {rc})");
        let cmd = match self.kind {
            Kind::Bash => "source ~/.bashrc",
            Kind::Zsh => r#"source "$ZDOTDIR/.zshrc""#,
            Kind::Fish => r#"source "$__fish_config_dir/config.fish""#,
            // config.nu writes the hook file; sourcing that file loads it.
            Kind::Nu => "source $nu.config-path; source ($nu.data-dir | path join vendor/autoload/autovenv.nu)",
            Kind::Xonsh => "source ~/.xonshrc",
            Kind::Elvish => &elvish,
            Kind::Tcsh => "source ~/.tcshrc",
        };
        self.run(cmd)
    }

    /// What the shell has registered to run around prompts: bash
    /// `PROMPT_COMMAND` and the DEBUG trap, zsh's hook arrays, fish's event
    /// handlers. Equal before and after `source_rc` means no double hook.
    /// Lines are sorted: fish moves a redefined handler to the end of its
    /// event's list, which is not a second registration.
    pub(crate) fn hook_registration(&mut self) -> String {
        let code = match self.kind {
            Kind::Bash => "declare -p PROMPT_COMMAND 2>/dev/null; trap -p DEBUG",
            Kind::Zsh => "typeset -p precmd_functions preexec_functions chpwd_functions 2>/dev/null",
            Kind::Fish => "functions --handlers",
            Kind::Nu => "[...$env.config.hooks.pre_prompt ...$env.config.hooks.env_change.PWD] | each {|h| view source $h } | str join (char nl)",
            Kind::Xonsh => "echo @('\\n'.join(f'{e}: {h.__name__}' for e in ('on_pre_prompt', 'on_chdir', 'on_precommand', 'on_postcommand') for h in getattr(events, e)))",
            Kind::Elvish => "echo (count $edit:before-readline) (count $after-chdir)",
            Kind::Tcsh => "alias precmd; alias cwdcmd",
        };
        let text = String::from_utf8_lossy(&self.capture(code)).into_owned();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort_unstable();
        lines.join("\n")
    }

    /// This shell's stamp file: `__autovenv_stamp`, or in elvish, whose
    /// hook keeps its variables to itself, the newest stamp in the
    /// sandbox's stamp folder.
    pub(crate) fn hook_stamp(&mut self) -> String {
        if self.kind != Kind::Elvish {
            return self.var_str("__autovenv_stamp").unwrap_or_else(|| self.fail("the hook keeps no stamp"));
        }
        let dir = self.var_str("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("autovenv")).unwrap_or_default();
        let newest = fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.path().is_file())
            .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
        newest.map_or_else(|| self.fail("no stamp file"), |e| e.path().to_string_lossy().into_owned())
    }

    /// A position in the transcript, for `output_since`.
    pub(crate) fn mark(&self) -> usize {
        self.cursor
    }

    /// Everything shown since `mark` (prompts and echoed commands included),
    /// rendered as text.
    pub(crate) fn output_since(&self, mark: usize) -> String {
        let raw = self.pty.snapshot();
        screen::render(&raw[mark.min(raw.len())..])
    }

    /// The whole session as text.
    pub(crate) fn transcript(&self) -> String {
        self.output_since(0)
    }

    /// Type `exit` and wait for the shell to end.
    pub(crate) fn exit(mut self) -> std::process::ExitStatus {
        self.pty.write(b"exit\r");
        match self.pty.wait_exit(self.timeout) {
            Some(st) => st,
            None => self.fail("the shell did not exit"),
        }
    }

    /// Wait for the prompt numbered at least `min`; return the raw bytes
    /// between the previous prompt and it, and its number.
    fn wait_prompt(&mut self, min: u64, what: &str) -> (Vec<u8>, u64) {
        let needle = format!("[avt:{}:", self.nonce).into_bytes();
        let from = self.cursor;
        let res = self.pty.wait_for(self.timeout, |data| find_prompt(data, from, &needle, min));
        match res {
            Ok(Found::Prompt { start, end, n }) => {
                let mut raw = self.pty.snapshot()[from..start].to_vec();
                if self.kind == Kind::Elvish {
                    if let Some(stale) = raw.windows(needle.len()).rposition(|w| w == needle) {
                        raw.truncate(stale);
                    }
                }
                self.cursor = end;
                (raw, n)
            }
            Ok(Found::Continuation) => {
                self.fail(&format!("the shell wants more input after `{what}` (unbalanced quotes?)"))
            }
            Err(true) => self.fail(&format!("the shell exited while waiting for a prompt after `{what}`")),
            Err(false) => {
                self.fail(&format!("no prompt within {:?} after `{what}` (waiting for prompt #{min})", self.timeout))
            }
        }
    }

    /// Panic with the context needed to understand a failure.
    fn fail(&self, msg: &str) -> ! {
        self.reported.set(true);
        panic!("{} (pid {}): {msg}\n{}", self.kind.name(), self.pty.pid(), tail_for_humans(&self.pty.snapshot()))
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        // An assertion in the test failed: show what the terminal showed.
        if std::thread::panicking() && !self.reported.get() {
            eprintln!("{} transcript at the failure:\n{}", self.kind.name(), tail_for_humans(&self.pty.snapshot()));
        }
    }
}

fn tail_for_humans(raw: &[u8]) -> String {
    const KEEP: usize = 12_000;
    let text = screen::render(raw);
    let cut = text.char_indices().rev().nth(KEEP).map_or(0, |(i, _)| i);
    let raw_tail = String::from_utf8_lossy(&raw[raw.len().saturating_sub(2000)..]);
    // fish pads lines to the terminal width; keep the raw tail readable.
    let raw_tail = raw_tail.split("        ").filter(|s| !s.is_empty()).collect::<Vec<_>>().join("<spaces>");
    let raw_tail = &raw_tail[raw_tail.char_indices().rev().nth(600).map_or(0, |(i, _)| i)..];
    format!(
        "--- terminal (rendered{}) ---\n{}\n--- last raw bytes ---\n{:?}\n--- end ---",
        if cut > 0 { ", tail" } else { "" },
        &text[cut..],
        raw_tail
    )
}

fn find_prompt(data: &[u8], from: usize, needle: &[u8], min: u64) -> Option<Found> {
    let mut i = from;
    while let Some(off) = data.get(i..)?.windows(needle.len()).position(|w| w == needle) {
        let start = i + off;
        let rest = &data[start + needle.len()..];
        if rest.starts_with(b"cont]") {
            return Some(Found::Continuation);
        }
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        match rest.get(digits) {
            None => return None, // the marker is still arriving
            Some(b']') if digits > 0 => {
                let n: u64 = std::str::from_utf8(&rest[..digits]).unwrap().parse().unwrap();
                let end = start + needle.len() + digits + 1;
                if n >= min {
                    return Some(Found::Prompt { start, end, n });
                }
            }
            _ => {}
        }
        i = start + 1;
    }
    None
}

fn check_name(name: &str) {
    let ok = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    assert!(ok, "not a variable name: {name:?}");
}

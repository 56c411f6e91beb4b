# autovenv shell integration for xonsh.
# Installed with, in ~/.xonshrc: execx($(autovenv hook xonsh))
#
# The idle rule, decided in this Python process without starting one:
# nothing to do when what the last run left ($PWD, $VIRTUAL_ENV, $PATH) is
# unchanged and this shell's stamp is newer than every watched path. What is
# compared and watched, why "stamp newer than path" and what it costs:
# docs/internals.md ("The hot path", "nushell and xonsh").
#
# `export xonsh` prints Python statements (ASCII only; other characters and
# bytes that are not UTF-8 as escapes, the latter as the surrogates Python
# uses for them), run here with `exec`. The bookkeeping is plain Python
# globals of this code, so nothing of it reaches the environment.
# This file is pure Python, so it needs no xonsh parsing.

import os as _autovenv_os
import signal as _autovenv_signal
import subprocess as _autovenv_subprocess

from xonsh.built_ins import XSH as _autovenv_XSH

__autovenv_pwd = ""
__autovenv_venv = ""
__autovenv_path = None
# `new` asks the first run for a stamp: `export` makes one only when asked.
__autovenv_stamp = "new"
__autovenv_watch1 = __autovenv_watch2 = __autovenv_watch3 = __autovenv_watch4 = ""
__autovenv_watch5 = __autovenv_watch6 = __autovenv_watch7 = __autovenv_watch8 = ""
__autovenv_watch_rest = []


def __autovenv_path_list(path):
    # The entries as set, before xonsh expands `~` and `$VAR` in them.
    return list(getattr(path, "_l", path or []))


def __autovenv_idle():
    env = _autovenv_XSH.env
    if (
        env.get("PWD", "") != __autovenv_pwd
        or env.get("VIRTUAL_ENV", "") != __autovenv_venv
        or __autovenv_path_list(env.get("PATH")) != __autovenv_path
    ):
        return False
    stat = _autovenv_os.stat
    try:
        stamp = stat(__autovenv_stamp).st_mtime_ns
        # The current folder: missing means changed.
        if stat(__autovenv_watch1).st_mtime_ns >= stamp:
            return False
    except OSError:
        return False
    for path in (
        __autovenv_watch2, __autovenv_watch3, __autovenv_watch4, __autovenv_watch5,
        __autovenv_watch6, __autovenv_watch7, __autovenv_watch8, *__autovenv_watch_rest,
    ):
        if not path:
            break
        try:
            if stat(path).st_mtime_ns >= stamp:
                return False
        except OSError:
            pass  # not written yet: unchanged until it appears
    return True


def __autovenv_hook(**_):
    global __autovenv_path
    if __autovenv_idle():
        return
    env = _autovenv_XSH.env
    child_env = dict(env.detype())
    child_env["AUTOVENV_STAMP"] = __autovenv_stamp
    child_env["AUTOVENV_HOOK"] = "@HOOK_VERSION@"
    # Ctrl-C goes to autovenv, which stops its installer and still prints
    # what to set; here it must not interrupt the wait for that output. A
    # handler, not SIG_IGN, so that the child does not inherit it.
    # Only the main thread may set a handler; xonsh runs some commands
    # (a `cd` among them) in another thread.
    try:
        old = _autovenv_signal.signal(_autovenv_signal.SIGINT, lambda *_: None)
    except ValueError:
        old = None
    try:
        out = _autovenv_subprocess.run(
            [@AUTOVENV@, "export", "xonsh"], env=child_env, stdout=_autovenv_subprocess.PIPE, check=False
        ).stdout
    finally:
        if old is not None:
            _autovenv_signal.signal(_autovenv_signal.SIGINT, old)
    exec(out.decode("ascii"), globals())
    __autovenv_path = __autovenv_path_list(env.get("PATH"))


def __autovenv_on_chdir(**_):
    # Only the interactive shell switches as it changes folder.
    if _autovenv_XSH.env.get("XONSH_INTERACTIVE"):
        __autovenv_hook()


# Register once: handlers of an earlier load of this file are replaced.
for _autovenv_event, _autovenv_handler in (
    (_autovenv_XSH.builtins.events.on_pre_prompt, __autovenv_hook),
    (_autovenv_XSH.builtins.events.on_chdir, __autovenv_on_chdir),
):
    for _autovenv_old in [h for h in _autovenv_event if getattr(h, "__name__", "") == _autovenv_handler.__name__]:
        _autovenv_event.discard(_autovenv_old)
    _autovenv_event(_autovenv_handler)


# `deactivate` (defined by `export` while an env is active, only where no
# `deactivate` alias exists) pauses autovenv in this project until the
# shell leaves it; `autovenv activate` ends the pause. It has to change
# this shell, which a program cannot do from outside it, so like `conda
# activate` it goes through an alias; every other command runs the program
# as it is. AUTOVENV_HOOK tells the program a hook is loaded: it then only
# ends the pause, and the hook activates. The program gets the streams
# xonsh hands the alias (a pipe in a pipeline or a capture).
def __autovenv_command(args, stdin=None, stdout=None, stderr=None):
    global __autovenv_pwd
    child_env = dict(_autovenv_XSH.env.detype())
    if args == ["activate"]:
        child_env["AUTOVENV_HOOK"] = "loaded"
        done = _autovenv_subprocess.run(
            ["autovenv", "activate", "xonsh"], env=child_env, stdout=_autovenv_subprocess.PIPE, check=False
        )
        if done.returncode:
            return done.returncode
        exec(done.stdout.decode("ascii"), globals())
        __autovenv_pwd = ""
        __autovenv_hook()
        return 0
    return _autovenv_subprocess.run(
        ["autovenv", *args], env=child_env, stdin=stdin, stdout=stdout, stderr=stderr, check=False
    ).returncode


_autovenv_XSH.aliases["autovenv"] = __autovenv_command

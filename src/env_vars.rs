//! The names of every variable autovenv reads or writes in the shell: the
//! environment it changes on entry and leave, its own exported markers, and
//! the hook's unexported bookkeeping. The hook files spell the bookkeeping
//! names too; a unit test in `shell::hook` checks that they match.

/// What activation changes in the environment.
pub(crate) const PATH: &str = "PATH";
pub(crate) const VIRTUAL_ENV: &str = "VIRTUAL_ENV";
pub(crate) const VIRTUAL_ENV_PROMPT: &str = "VIRTUAL_ENV_PROMPT";
pub(crate) const PYTHONHOME: &str = "PYTHONHOME";
pub(crate) const UV_PROJECT_ENVIRONMENT: &str = "UV_PROJECT_ENVIRONMENT";
/// The root of the project autovenv activated in this shell.
pub(crate) const AUTOVENV_ROOT: &str = "AUTOVENV_ROOT";
/// The env autovenv activated; its `bin` is the PATH entry to remove on leave.
pub(crate) const AUTOVENV_ENV: &str = "AUTOVENV_ENV";
/// Present iff PYTHONHOME was set before entry (presence, not value, says so:
/// an empty value is a value).
pub(crate) const AUTOVENV_SAVED_PYTHONHOME: &str = "AUTOVENV_SAVED_PYTHONHOME";
pub(crate) const AUTOVENV_SAVED_UV: &str = "AUTOVENV_SAVED_UV_PROJECT_ENVIRONMENT";
/// The untrusted root whose hint was already shown, so it shows once per entry.
pub(crate) const AUTOVENV_HINTED: &str = "AUTOVENV_HINTED";
/// The root whose env `deactivate` turned off in this shell (and the shells
/// it starts): left alone until the shell leaves that project.
pub(crate) const AUTOVENV_PAUSED: &str = "AUTOVENV_PAUSED";

/// Read, never changed: the directory as the person typed it, and a conda
/// env that is active (autovenv then leaves the shell alone).
pub(crate) const PWD: &str = "PWD";
pub(crate) const CONDA_PREFIX: &str = "CONDA_PREFIX";
pub(crate) const CONDA_DEFAULT_ENV: &str = "CONDA_DEFAULT_ENV";

/// Hook bookkeeping, shell variables that are not exported: a child shell
/// starts without them and so runs `export` once at its first prompt.
pub(crate) const LOCAL_PWD: &str = "__autovenv_pwd";
pub(crate) const LOCAL_VENV: &str = "__autovenv_venv";
pub(crate) const LOCAL_STAMP: &str = "__autovenv_stamp";
/// The watched paths: the first few in scalars, which the hooks test inline
/// (cheaper than an array subscript or a loop), the rest in a list.
pub(crate) const LOCAL_WATCH_SLOTS: [&str; 8] = [
    "__autovenv_watch1",
    "__autovenv_watch2",
    "__autovenv_watch3",
    "__autovenv_watch4",
    "__autovenv_watch5",
    "__autovenv_watch6",
    "__autovenv_watch7",
    "__autovenv_watch8",
];
pub(crate) const LOCAL_WATCH_REST: &str = "__autovenv_watch_rest";
/// How the hook hands its stamp to `export` (its variable is not exported);
/// set, even empty, only by a hook: a person or a tool running `export` has
/// no hook to reload.
pub(crate) const STAMP_ENV: &str = "AUTOVENV_STAMP";

/// How the hook tells `export` which hook it is.
pub(crate) const VERSION_ENV: &str = "AUTOVENV_HOOK";

/// The interactive shell's pid, set for the length of a run by a hook that
/// cannot tell a subshell itself (tcsh: `$$` stays the shell's in a
/// backquote or `( … )` subshell, whose `cwdcmd` still runs).
pub(crate) const SHELL_PID_ENV: &str = "AUTOVENV_PID";

# autovenv shell integration for tcsh (6.x).
# In ~/.tcshrc: autovenv hook tcsh | source /dev/stdin
#
# The idle rule, with builtins only (docs/internals.md, "elvish and
# tcsh"): $cwd, $VIRTUAL_ENV, $PATH as the last run left them, and the
# stamp newer than every watched path, in whole seconds (`-M`).
# src/shell/tcsh.rs explains the one-line `if`s, `eval`, `:q""`, the code
# file and `$$`.

set __autovenv_bin = @AUTOVENV@
# Empty at the first prompt and after the rc is sourced again. `new` asks
# the first run for a stamp: `export` makes one only when asked.
set __autovenv_pwd = '' __autovenv_venv = '' __autovenv_path = '' __autovenv_stamp = new
set __autovenv_watch1 = '' __autovenv_watch2 = '' __autovenv_watch3 = '' __autovenv_watch4 = ''
set __autovenv_watch5 = '' __autovenv_watch6 = '' __autovenv_watch7 = '' __autovenv_watch8 = ''
set __autovenv_watch_rest = ( )
set __autovenv_status = 0 __autovenv_run = 0 __autovenv_v = '' __autovenv_cd = 0 __autovenv_fresh = 0 __autovenv_live = 0
if ( ! $?__autovenv_code ) set __autovenv_code = "`mktemp`"

# More watched paths than the eight slots: `export` at every prompt (no
# loop in an alias). A run at a `cd` leaves the next prompt idle (`fresh`):
# whole-second mtimes would run `export` again, repeating its messages.
alias __autovenv_hook 'set __autovenv_status = $status; set __autovenv_v = ""; if ( $?VIRTUAL_ENV ) eval set __autovenv_v = \$VIRTUAL_ENV:q""; set __autovenv_run = $__autovenv_live; if ( $cwd:q == $__autovenv_pwd:q"" && $__autovenv_v:q"" == $__autovenv_venv:q"" && $PATH:q"" == $__autovenv_path:q"" && ( $__autovenv_fresh || ( $#__autovenv_watch_rest == 0 && -e $__autovenv_watch1:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch1:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch2:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch3:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch4:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch5:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch6:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch7:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch8:q"" ) ) ) set __autovenv_run = 0; if ( $__autovenv_run ) setenv AUTOVENV_STAMP $__autovenv_stamp:q""; if ( $__autovenv_run ) setenv AUTOVENV_HOOK @HOOK_VERSION@; if ( $__autovenv_run ) setenv AUTOVENV_PID $$; if ( $__autovenv_run ) $__autovenv_bin:q export tcsh >! $__autovenv_code:q; if ( $__autovenv_run ) source $__autovenv_code:q; if ( $__autovenv_run ) unsetenv AUTOVENV_STAMP AUTOVENV_HOOK AUTOVENV_PID; if ( $__autovenv_run ) set __autovenv_path = $PATH:q""; set __autovenv_fresh = 0; if ( $__autovenv_cd ) set __autovenv_fresh = $__autovenv_run; set __autovenv_cd = 0; set status = $__autovenv_status'

# Before each prompt and, once one was shown (`live`), at each change of
# folder (`cd app && python`), in front of the user's own, once. Not in
# scripts (they read ~/.tcshrc and may set $prompt).
if ( $?prompt ) then
  if ( "`alias precmd`" !~ *__autovenv_hook* ) alias precmd "set __autovenv_live = 1; __autovenv_hook; `alias precmd`"
  if ( "`alias cwdcmd`" !~ *__autovenv_hook* ) alias cwdcmd 'set __autovenv_cd = 1; __autovenv_hook; '"`alias cwdcmd`"
  # `autovenv activate` changes the shell: its code, then the hook.
  alias __autovenv_activate 'setenv AUTOVENV_HOOK loaded; $__autovenv_bin:q activate tcsh >! $__autovenv_code:q; source $__autovenv_code:q; set __autovenv_pwd = ""; __autovenv_hook'
  alias autovenv 'set __autovenv_a = ( \!* ); if ( "$__autovenv_a" == activate ) eval __autovenv_activate; if ( "$__autovenv_a" != activate ) \autovenv \!*'
endif

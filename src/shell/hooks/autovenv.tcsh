# autovenv shell integration for tcsh (6.x).
# Installed with, in ~/.tcshrc: autovenv hook tcsh | source /dev/stdin
#
# The idle rule, decided with builtins only: nothing to do when what the
# last run left ($cwd, $VIRTUAL_ENV, $PATH) is unchanged and this shell's
# stamp is newer than every watched path (docs/internals.md, "The hot
# path"). tcsh's `-M` gives mtimes in whole seconds: an edit in the same
# second as the stamp counts as changed, which costs at most one more run.
#
# tcsh has no functions, so the hook is one alias of one-line commands. A
# one-line `if` guards one command and substitutes that command's
# variables even when the test is false: so a variable that may be unset
# ($VIRTUAL_ENV) is read through `eval` of a constant, and every value goes
# through `:q""` (a "$x" with a newline in it is a syntax error, and `:q`
# alone drops an empty value). `export`'s code is sourced from a file of
# this shell's own (src/shell/tcsh.rs says why not a pipe or backquotes),
# made once here: the only process the hook starts outside `export`.

set __autovenv_bin = @AUTOVENV@
# Empty at the first prompt and after the rc is sourced again. `new` asks
# the first run for a stamp: `export` makes one only when asked.
set __autovenv_pwd = '' __autovenv_venv = '' __autovenv_path = '' __autovenv_stamp = new
set __autovenv_watch1 = '' __autovenv_watch2 = '' __autovenv_watch3 = '' __autovenv_watch4 = ''
set __autovenv_watch5 = '' __autovenv_watch6 = '' __autovenv_watch7 = '' __autovenv_watch8 = ''
set __autovenv_watch_rest = ( )
set __autovenv_status = 0 __autovenv_run = 0 __autovenv_v = ''
if ( ! $?__autovenv_code ) set __autovenv_code = "`mktemp`"

# A watch list longer than the eight slots cannot be looped over in an
# alias: such a project runs `export` at every prompt. Our own PATH change
# is kept after the run, so only someone else's runs it again.
alias __autovenv_hook 'set __autovenv_status = $status; set __autovenv_v = ""; if ( $?VIRTUAL_ENV ) eval set __autovenv_v = \$VIRTUAL_ENV:q""; set __autovenv_run = 1; if ( $cwd:q == $__autovenv_pwd:q"" && $__autovenv_v:q"" == $__autovenv_venv:q"" && $PATH:q"" == $__autovenv_path:q"" && $#__autovenv_watch_rest == 0 && -e $__autovenv_watch1:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch1:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch2:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch3:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch4:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch5:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch6:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch7:q"" && -M $__autovenv_stamp:q"" > -M $__autovenv_watch8:q"" ) set __autovenv_run = 0; if ( $__autovenv_run ) setenv AUTOVENV_STAMP $__autovenv_stamp:q""; if ( $__autovenv_run ) setenv AUTOVENV_HOOK @HOOK_VERSION@; if ( $__autovenv_run ) $__autovenv_bin:q export tcsh >! $__autovenv_code:q; if ( $__autovenv_run ) source $__autovenv_code:q; if ( $__autovenv_run ) unsetenv AUTOVENV_STAMP AUTOVENV_HOOK; if ( $__autovenv_run ) set __autovenv_path = $PATH:q""; set status = $__autovenv_status'

# Run before each prompt and right after each change of folder (so
# `cd app && python …` runs with app's env), in front of what the user
# already had there, once however often the rc is sourced. Only in an
# interactive shell: tcsh reads ~/.tcshrc for scripts too.
if ( $?prompt ) then
  if ( "`alias precmd`" !~ *__autovenv_hook* ) alias precmd "__autovenv_hook; `alias precmd`"
  if ( "`alias cwdcmd`" !~ *__autovenv_hook* ) alias cwdcmd "__autovenv_hook; `alias cwdcmd`"
endif

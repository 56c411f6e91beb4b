# autovenv shell integration for elvish (0.19 and later).
# Installed with, in rc.elv: eval (autovenv hook elvish | slurp)
#
# The idle rule: nothing to do when what the last run left ($pwd,
# $E:VIRTUAL_ENV, $E:PATH) is unchanged and this shell's stamp is newer
# than every watched path (docs/internals.md, "The hot path"). Elvish 0.19
# has no builtin that reads an mtime, so that part is one `test` process,
# the cheapest program that can compare them.
use str

# `eval` runs `export`'s code in a namespace of its own: the hook's
# variables live in one (src/shell/elvish.rs), fresh when the rc is
# evaluated again. `new` asks the first run for a stamp: `export` makes
# one only when asked.
var __autovenv_ns = (ns [
  &__autovenv_pwd=''
  &__autovenv_venv=''
  &__autovenv_stamp=new
  &__autovenv_watch1=''
  &__autovenv_watch2=''
  &__autovenv_watch3=''
  &__autovenv_watch4=''
  &__autovenv_watch5=''
  &__autovenv_watch6=''
  &__autovenv_watch7=''
  &__autovenv_watch8=''
  &__autovenv_watch_rest=[]
])
# PATH as the last run left it: a string compare is cheap in elvish.
var __autovenv_path = ''

fn __autovenv_hook {
  var s = $__autovenv_ns
  if (and (==s $pwd $s[__autovenv_pwd]) (==s $E:VIRTUAL_ENV $s[__autovenv_venv]) (==s $E:PATH $__autovenv_path)) {
    var t = $s[__autovenv_stamp]
    # test's -nt is true when the second path is "" or missing (an
    # include not written yet); the current folder missing means changed.
    var args = [-e $s[__autovenv_watch1]]
    for w [$s[__autovenv_watch1] $s[__autovenv_watch2] $s[__autovenv_watch3] $s[__autovenv_watch4] $s[__autovenv_watch5] $s[__autovenv_watch6] $s[__autovenv_watch7] $s[__autovenv_watch8] (all $s[__autovenv_watch_rest])] {
      set args = [$@args -a $t -nt $w]
    }
    if ?(e:test $@args) {
      return
    }
  }
  tmp E:AUTOVENV_STAMP = $s[__autovenv_stamp]
  tmp E:AUTOVENV_HOOK = @HOOK_VERSION@
  var code = (@AUTOVENV@ export elvish | slurp)
  eval $code &ns=$s &on-end={|n| set __autovenv_ns = $n }
  set __autovenv_path = $E:PATH
}

# Before each prompt, and right after each change of folder (so
# `cd app; python …` runs with app's env). Registered once: evaluating the
# rc again replaces the closures of an earlier evaluation.
fn __autovenv_foreign {|hooks|
  each {|f|
    var def = ''
    try { set def = $f[def] } catch { }
    if (not (str:contains $def __autovenv_hook)) {
      put $f
    }
  } $hooks
}
set edit:before-readline = [{|| __autovenv_hook } (__autovenv_foreign $edit:before-readline)]
set after-chdir = [{|_| __autovenv_hook } (__autovenv_foreign $after-chdir)]

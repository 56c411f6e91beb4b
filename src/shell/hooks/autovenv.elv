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
  &__autovenv_deactivate=''
])
# PATH as the last run left it: a string compare is cheap in elvish.
var __autovenv_path = ''
var __autovenv_bin = @AUTOVENV@
# Set by `deactivate` and `autovenv activate`: the next run is not idle.
var __autovenv_force = $false
# Whether the `deactivate` of the interactive namespace is ours.
var __autovenv_owns_deactivate = $false
var __autovenv_deactivate~ = {|@a| }

fn __autovenv_hook {
  var s = $__autovenv_ns
  if (and (not $__autovenv_force) (==s $pwd $s[__autovenv_pwd]) (==s $E:VIRTUAL_ENV $s[__autovenv_venv]) (==s $E:PATH $__autovenv_path)) {
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
  # In `$after-chdir` elvish has not yet updated $E:PWD: `export` would
  # record the folder left, and the prompt after the `cd` would run it
  # again, repeating its messages.
  tmp E:PWD = $pwd
  tmp E:AUTOVENV_STAMP = $s[__autovenv_stamp]
  tmp E:AUTOVENV_HOOK = @HOOK_VERSION@
  set __autovenv_force = $false
  var code = ($__autovenv_bin export elvish | slurp)
  eval $code &ns=$s &on-end={|n| set __autovenv_ns = $n }
  set __autovenv_path = $E:PATH
  # `deactivate` while an env of autovenv is active. Elvish cannot tell
  # whether the person has a `deactivate` of their own (docs/internals.md).
  var d = $__autovenv_ns[__autovenv_deactivate]
  if (and (==s $d define) (not $__autovenv_owns_deactivate)) {
    edit:add-var deactivate~ $__autovenv_deactivate~
    set __autovenv_owns_deactivate = $true
  } elif (and (==s $d drop) $__autovenv_owns_deactivate) {
    edit:del-var deactivate~
    set __autovenv_owns_deactivate = $false
  }
}

# Deactivates and pauses autovenv for this project in this shell, until
# the shell leaves it; `deactivate nondestructive` (what a venv's
# `activate` runs first) does nothing.
set __autovenv_deactivate~ = {|@a|
  if (not (eq $a [nondestructive])) {
    set-env AUTOVENV_PAUSED (if (has-env AUTOVENV_ROOT) { get-env AUTOVENV_ROOT } else { put '' })
    set __autovenv_force = $true
    __autovenv_hook
  }
}

# `autovenv activate` resumes: it has to change this shell, so it runs
# here; every other `autovenv …` runs the program on PATH, as in the other
# shells (so `autovenv doctor` still runs when the hook's path is gone).
edit:add-var autovenv~ {|@a|
  if (eq $a [activate]) {
    var code = ({ tmp E:AUTOVENV_HOOK = loaded; $__autovenv_bin activate elvish | slurp })
    eval $code &ns=$__autovenv_ns &on-end={|n| set __autovenv_ns = $n }
    set __autovenv_force = $true
    __autovenv_hook
  } else {
    e:autovenv $@a
  }
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

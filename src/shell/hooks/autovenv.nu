# autovenv shell integration for nushell.
# Installed with, in config.nu (nushell sources its vendor autoload folder
# after config.nu):
#   mkdir ($nu.data-dir | path join vendor/autoload)
#   autovenv hook nu | save -f ($nu.data-dir | path join vendor/autoload/autovenv.nu)
#
# The idle rule, decided with builtins only: nothing to do when what the
# last run left ($PWD, $VIRTUAL_ENV, $PATH) is unchanged and this shell's
# stamp is newer than every watched path. What is compared and watched, why
# "stamp newer than path" and what it costs: docs/internals.md ("The hot
# path", "nushell and xonsh").
#
# nushell cannot eval text, so `export nu` prints data, one JSON object per
# change, that __autovenv_apply carries out. The bookkeeping lives in one
# record, $env.__autovenv: nushell passes only strings to other programs,
# so a record stays in this shell as the other shells' unexported variables
# do. Sourcing this file again resets it and registers the hooks once.

$env.__autovenv = {
    __autovenv_pwd: ''
    __autovenv_venv: ''
    __autovenv_path: []
    # `new` asks the first run for a stamp: `export` makes one only when asked.
    __autovenv_stamp: 'new'
    __autovenv_watch1: ''
    __autovenv_watch2: ''
    __autovenv_watch3: ''
    __autovenv_watch4: ''
    __autovenv_watch5: ''
    __autovenv_watch6: ''
    __autovenv_watch7: ''
    __autovenv_watch8: ''
    __autovenv_watch_rest: []
}

# Whether this shell's stamp is newer than every watched path. `ls -D`
# reads a path's own mtime without following a symlink, so the paths are
# resolved first (`path expand`), as bash's -nt follows them. The first
# path is the current folder: missing there means changed; any other
# missing path (an include not written yet) counts as unchanged.
def __autovenv_idle [k: record] {
    let stamp = try { ls -D $k.__autovenv_stamp | get 0.modified } catch { return false }
    let paths = [
        $k.__autovenv_watch1 $k.__autovenv_watch2 $k.__autovenv_watch3 $k.__autovenv_watch4
        $k.__autovenv_watch5 $k.__autovenv_watch6 $k.__autovenv_watch7 $k.__autovenv_watch8
        ...$k.__autovenv_watch_rest
    ] | where $it != '' | path expand
    if ($paths | is-empty) or not ($paths.0 | path exists) {
        return false
    }
    let times = try { ls -D ...$paths | get modified } catch {
        ls -D ...($paths | where {|p| $p | path exists }) | get modified
    }
    $times | all {|t| $t < $stamp }
}

# Carry out what `export nu` printed: set or hide environment variables
# (PATH as a list), or update the bookkeeping record.
def --env __autovenv_apply [] {
    for c in ($in | from json --objects) {
        match $c.op {
            'set' => { load-env {($c.name): $c.value} }
            'unset' => { hide-env -i $c.name }
            _ => { $env.__autovenv = ($env.__autovenv | upsert $c.name $c.value) }
        }
    }
}

def --env __autovenv_hook [] {
    let k = $env.__autovenv
    if $env.PWD == $k.__autovenv_pwd and ($env.VIRTUAL_ENV? | default '') == $k.__autovenv_venv and $env.PATH == $k.__autovenv_path and (__autovenv_idle $k) {
        return
    }
    # nushell gives $env.LAST_EXIT_CODE back after a hook, so the run of
    # the binary leaves the person's as it was.
    with-env {AUTOVENV_STAMP: $k.__autovenv_stamp AUTOVENV_HOOK: '@HOOK_VERSION@'} {
        ^@AUTOVENV@ export nu
    } | __autovenv_apply
    $env.__autovenv = ($env.__autovenv | upsert __autovenv_path $env.PATH)
}

# At each prompt, and when PWD changes. Registered once: a hook of ours
# already in the list (this file sourced again) is replaced.
def --env __autovenv_register [field: string] {
    let hooks = $env.config.hooks? | default {} | get -o $field | default []
    let others = $hooks | where {|h| ($h | describe) != 'closure' or not ((view source $h) =~ '__autovenv_hook') }
    $env.config.hooks = ($env.config.hooks? | default {} | upsert $field ($others | append {|| __autovenv_hook }))
}
__autovenv_register pre_prompt
$env.config.hooks.env_change = ($env.config.hooks.env_change? | default {})
$env.config.hooks.env_change.PWD = (
    $env.config.hooks.env_change.PWD? | default []
    | where {|h| ($h | describe) !~ '^closure' or not ((view source $h) =~ '__autovenv_hook') }
    | append {|before, after| __autovenv_hook }
)

# `deactivate` pauses autovenv in this project until the shell leaves it;
# `autovenv activate` ends the pause. nushell cannot define a command at
# run time, so unlike the other shells' (defined by `export` while an env
# is active) this one is always here and acts only while autovenv has an
# env active. A venv activated by hand (`overlay use env/bin/activate.nu`)
# brings its own `deactivate`, which shadows this one until its overlay is
# hidden; so does a `def deactivate` made after this file was loaded.
# `nondestructive` (a venv's activate clearing the way) does nothing.
def --env deactivate [mode?: string] {
    if $mode == 'nondestructive' {
        return
    }
    if ($env.AUTOVENV_ROOT? | default '') == '' {
        error make --unspanned {msg: 'deactivate: autovenv has no env active in this shell'}
    }
    $env.AUTOVENV_PAUSED = $env.AUTOVENV_ROOT
    $env.__autovenv = ($env.__autovenv | upsert __autovenv_pwd '')
    __autovenv_hook
}

# `autovenv activate` has to change this shell, which a program cannot do
# from outside it, so like `conda activate` it goes through a command of
# the shell; every other `autovenv …` runs the program as it is.
# AUTOVENV_HOOK tells the program a hook is loaded: it then only ends the
# pause, and the hook activates.
def --env --wrapped autovenv [...rest] {
    if $rest == ['activate'] {
        with-env {AUTOVENV_HOOK: 'loaded'} { ^autovenv activate nu } | __autovenv_apply
        $env.__autovenv = ($env.__autovenv | upsert __autovenv_pwd '')
        __autovenv_hook
    } else {
        ^autovenv ...$rest
    }
}

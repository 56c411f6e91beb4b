# autovenv shell integration for fish.
# Installed with: autovenv hook fish | source
#
# The idle rule, decided with builtins only: nothing to do when what the
# last run left ($PWD, $VIRTUAL_ENV, …) is unchanged and this shell's stamp
# is newer than every watched path. What is compared and watched, why
# "stamp newer than path" and what it costs: docs/internals.md ("The hot
# path", "What the hook keeps").
# Defining the function again replaces it, so sourcing the config twice
# registers nothing twice.

set -g __autovenv_pwd ''
set -g __autovenv_venv ''
# `new` asks the first run for a stamp: `export` makes one only when asked.
set -g __autovenv_stamp new
for __autovenv_i in 1 2 3 4 5 6 7 8
    set -g __autovenv_watch$__autovenv_i ''
end
set -e __autovenv_i
set -g __autovenv_watch_rest

# fish keeps $status across event handlers, so there is none to save.
# fish_prompt fires only in an interactive shell.
function __autovenv_hook --on-event fish_prompt
    # One `test` per group of four watched paths (most projects need only
    # the first): each builtin call, and each grouping parenthesis, costs
    # more here than a stat. So an unused slot is not skipped: fish's -nt
    # calls a missing path (or "") older than the stamp, which also makes a
    # missing include count as unchanged until it appears.
    if test "$PWD" = "$__autovenv_pwd" -a "$VIRTUAL_ENV" = "$__autovenv_venv" \
            -a -e "$__autovenv_watch1" -a "$__autovenv_stamp" -nt "$__autovenv_watch1" -a "$__autovenv_stamp" -nt "$__autovenv_watch2" \
            -a "$__autovenv_stamp" -nt "$__autovenv_watch3" -a "$__autovenv_stamp" -nt "$__autovenv_watch4"
        test -z "$__autovenv_watch5"; and return 0
        if test "$__autovenv_stamp" -nt "$__autovenv_watch5" -a "$__autovenv_stamp" -nt "$__autovenv_watch6" \
                -a "$__autovenv_stamp" -nt "$__autovenv_watch7" -a "$__autovenv_stamp" -nt "$__autovenv_watch8"
            set -q __autovenv_watch_rest[1]; or return 0
            for __autovenv_f in $__autovenv_watch_rest
                test "$__autovenv_stamp" -nt "$__autovenv_f"; or break
                set __autovenv_f
            end
            test -z "$__autovenv_f"; and return 0
        end
    end
    AUTOVENV_STAMP="$__autovenv_stamp" AUTOVENV_HOOK=@HOOK_VERSION@ @AUTOVENV@ export fish | source
end

# `cd dir && python …` uses the new folder's env: PWD changes at the cd.
# Not in a non-interactive shell (fish reads config.fish for scripts and
# `fish -c` too), nor inside a command substitution, `(cd x; pwd)`, which
# runs in this very shell: the next prompt switches then.
if status is-interactive
    function __autovenv_on_pwd --on-variable PWD
        status is-command-substitution; or __autovenv_hook
    end
    # Costs nothing on a prompt, unlike comparing "$PATH" there. Our own
    # `export` sets PATH before it sets __autovenv_pwd, and fish runs this
    # at once, so our own changes do not count.
    function __autovenv_on_path --on-variable PATH
        set -g __autovenv_pwd ''
    end
end

# `deactivate` (defined by `export` while an env is active, only where no
# `deactivate` exists) pauses autovenv in this project until the shell
# leaves it; `autovenv activate` ends the pause. It has to change this
# shell, which a program cannot do from outside it, so like `conda
# activate` it goes through a function; every other command runs the
# program as it is. AUTOVENV_HOOK tells the program a hook is loaded: it
# then only ends the pause, and the hook activates.
function autovenv
    if test (count $argv) -eq 1 -a "$argv[1]" = activate
        set -l __autovenv_code (AUTOVENV_HOOK=loaded command autovenv activate fish)
        or return
        string join \n -- $__autovenv_code | source
        set -g __autovenv_pwd ''
        __autovenv_hook
    else
        command autovenv $argv
    end
end

# autovenv shell integration for fish.
# Installed with: autovenv hook fish | source
#
# The idle rule, decided with builtins: nothing to do when $PWD and
# $VIRTUAL_ENV are what the last run left, this shell's stamp file exists,
# and no watched path is newer than the stamp. The last run lists what to
# watch: the current folder and the project root, the requirements files
# and their includes, the project's config files and the global config;
# `allow`, `deny` and `sync` expire every stamp instead of being watched.
# Defining the function again replaces it, so sourcing the config twice
# registers nothing twice.

function __autovenv_hook --on-event fish_prompt --on-variable PWD
    set -l __autovenv_status $status
    if test "$PWD" = "$__autovenv_pwd"; and test "$VIRTUAL_ENV" = "$__autovenv_venv"; and test -n "$__autovenv_stamp"; and test -e "$__autovenv_stamp"
        set -l __autovenv_stale
        for __autovenv_f in $__autovenv_watch
            if test "$__autovenv_f" -nt "$__autovenv_stamp"
                set __autovenv_stale 1
                break
            end
        end
        if test -z "$__autovenv_stale"
            return $__autovenv_status
        end
    end
    AUTOVENV_STAMP="$__autovenv_stamp" @AUTOVENV@ export fish | source
    return $__autovenv_status
end

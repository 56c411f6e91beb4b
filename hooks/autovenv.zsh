# autovenv shell integration for zsh.
# Installed with: eval "$(autovenv hook zsh)"
#
# The idle rule, decided with builtins only (no fork, no exec, no command
# substitution), so a prompt where nothing changed costs microseconds:
# nothing to do when $PWD and $VIRTUAL_ENV are what the last run left, this
# shell has a stamp, and no watched path is newer than the stamp.
# The last run lists what to watch: the current folder and the project root
# (a marker, .autovenv.toml or env/ created or removed), the requirements
# files and their -r/-c includes, the project's config files and the global
# config file. `allow`, `deny` and `sync` expire every stamp instead of
# being watched. Any other change needs a cd.

# Defined before the first prompt so the hook needs no `${x-}` defaults
# (each costs time at every prompt) and still works under `set -u`.
__autovenv_pwd=${__autovenv_pwd-} __autovenv_venv=${__autovenv_venv-} __autovenv_stamp=${__autovenv_stamp-} __autovenv_status=0

__autovenv_hook() {
  # A global, not a local: one less builtin on every prompt.
  __autovenv_status=$?
  # Our own option set, whatever the user's (KSH_ARRAYS, SH_WORD_SPLIT, …).
  emulate -L zsh
  # The first four watched paths are tested inline (a loop costs more than
  # the tests). zsh's -nt is false when the stamp is missing (bash's is
  # true), so the stamp's existence is tested first. An absent entry is
  # skipped by a string test instead of a failing stat.
  if [[ $PWD == "$__autovenv_pwd" && "${VIRTUAL_ENV-}" == "$__autovenv_venv"
        && -n $__autovenv_stamp && -e $__autovenv_stamp
        && ! "${__autovenv_watch[1]-}" -nt "$__autovenv_stamp"
        && ( -z "${__autovenv_watch[2]-}" || ! "${__autovenv_watch[2]}" -nt "$__autovenv_stamp" )
        && ( -z "${__autovenv_watch[3]-}" || ! "${__autovenv_watch[3]}" -nt "$__autovenv_stamp" )
        && ( -z "${__autovenv_watch[4]-}" || ! "${__autovenv_watch[4]}" -nt "$__autovenv_stamp" ) ]]; then
    if (( ${#__autovenv_watch} <= 4 )); then
      return "$__autovenv_status"
    fi
    local __autovenv_f
    for __autovenv_f in "${(@)__autovenv_watch[5,-1]}"; do
      [[ "$__autovenv_f" -nt "$__autovenv_stamp" ]] && break
      __autovenv_f=
    done
    if [[ -z "$__autovenv_f" ]]; then
      return "$__autovenv_status"
    fi
  fi
  eval "$(AUTOVENV_STAMP="${__autovenv_stamp-}" @AUTOVENV@ export zsh)"
  return "$__autovenv_status"
}

# Register once (sourcing the rc twice adds nothing), first in line so
# prompts that show $VIRTUAL_ENV see the new value. chpwd makes `cd dir &&
# python …` on one line use the new env; precmd catches everything else.
typeset -ag precmd_functions chpwd_functions
if (( ! ${precmd_functions[(I)__autovenv_hook]} )); then
  precmd_functions=(__autovenv_hook "${precmd_functions[@]}")
fi
if (( ! ${chpwd_functions[(I)__autovenv_hook]} )); then
  chpwd_functions=(__autovenv_hook "${chpwd_functions[@]}")
fi

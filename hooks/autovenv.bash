# autovenv shell integration for bash (3.2 and later).
# Installed with: eval "$(autovenv hook bash)"
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

# The __autovenv_* variables are set by the eval'd output of `export`.
# shellcheck disable=SC2154
__autovenv_hook() {
  # A global, not a local: one less builtin on every prompt.
  __autovenv_status=$?
  # The first four watched paths are tested inline (a loop costs more than
  # the tests). Every stat counts here: a missing stamp needs no test of its
  # own (the current folder, always watched first, is then "newer"), and an
  # absent entry is skipped by a string test instead of a failing stat.
  if [[ $PWD == "$__autovenv_pwd" && "${VIRTUAL_ENV-}" == "$__autovenv_venv"
        && -n $__autovenv_stamp && ! "${__autovenv_watch[0]-}" -nt "$__autovenv_stamp"
        && ( -z "${__autovenv_watch[1]-}" || ! "${__autovenv_watch[1]}" -nt "$__autovenv_stamp" )
        && ( -z "${__autovenv_watch[2]-}" || ! "${__autovenv_watch[2]}" -nt "$__autovenv_stamp" )
        && ( -z "${__autovenv_watch[3]-}" || ! "${__autovenv_watch[3]}" -nt "$__autovenv_stamp" ) ]]; then
    if (( ${#__autovenv_watch[@]} <= 4 )); then
      return "$__autovenv_status"
    fi
    local __autovenv_f
    for __autovenv_f in "${__autovenv_watch[@]:4}"; do
      [[ "$__autovenv_f" -nt "$__autovenv_stamp" ]] && break
      __autovenv_f=
    done
    if [[ -z "$__autovenv_f" ]]; then
      return "$__autovenv_status"
    fi
  fi
  eval "$(AUTOVENV_STAMP="${__autovenv_stamp-}" @AUTOVENV@ export bash)"
  return "$__autovenv_status"
}

# Register once, first in line so prompts that show $VIRTUAL_ENV see the new
# value, in both forms of PROMPT_COMMAND: the string, and the array of 5.1+.
if [[ "$(declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
  case " ${PROMPT_COMMAND[*]} " in
    *" __autovenv_hook "*) ;;
    *) PROMPT_COMMAND=(__autovenv_hook "${PROMPT_COMMAND[@]}") ;;
  esac
else
  # A string in this branch, whatever shellcheck infers from the other one.
  # shellcheck disable=SC2178,SC2128
  case ";${PROMPT_COMMAND-};" in
    *";__autovenv_hook;"*) ;;
    *) PROMPT_COMMAND="__autovenv_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
  esac
fi

# autovenv shell integration for bash (3.2 and later).
# Installed with: eval "$(autovenv hook bash)"
#
# The idle rule, decided with builtins only (no fork, no exec, no command
# substitution), so a prompt where nothing changed costs microseconds:
# nothing to do when $PWD and $VIRTUAL_ENV are what the last run left, this
# shell's stamp file exists, and no watched path is newer than the stamp.
# The last run lists what to watch: the current folder and the project root
# (a marker, .autovenv.toml or env/ created or removed), the requirements
# files and their -r/-c includes, the project's config files, the trust
# folder (allow, deny) and the global config. Any other change needs a cd.

# The __autovenv_* variables are set by the eval'd output of `export`.
# shellcheck disable=SC2154
__autovenv_hook() {
  local __autovenv_status=$?
  if [[ "$PWD" == "${__autovenv_pwd-}" && "${VIRTUAL_ENV-}" == "${__autovenv_venv-}" && -n "${__autovenv_stamp-}" && -e "${__autovenv_stamp-}" ]]; then
    local __autovenv_f __autovenv_stale=
    for __autovenv_f in ${__autovenv_watch[@]+"${__autovenv_watch[@]}"}; do
      if [[ "$__autovenv_f" -nt "$__autovenv_stamp" ]]; then
        __autovenv_stale=1
        break
      fi
    done
    if [[ -z "$__autovenv_stale" ]]; then
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

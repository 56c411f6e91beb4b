# autovenv shell integration for zsh.
# Installed with: eval "$(autovenv hook zsh)"
#
# The idle rule, decided with builtins only (no fork, no exec, no command
# substitution), so a prompt where nothing changed costs microseconds:
# nothing to do when $PWD and $VIRTUAL_ENV are what the last run left, this
# shell's stamp file exists, and no watched path is newer than the stamp.
# The last run lists what to watch: the current folder and the project root
# (a marker, .autovenv.toml or env/ created or removed), the requirements
# files and their -r/-c includes, the project's config files, the trust
# folder (allow, deny) and the global config. Any other change needs a cd.

__autovenv_hook() {
  local __autovenv_status=$?
  # Our own option set, whatever the user's (KSH_ARRAYS, SH_WORD_SPLIT, …).
  emulate -L zsh
  # The first four watched paths are tested inline (a loop costs more than
  # the tests); a missing entry is "" and never newer than anything.
  if [[ "$PWD" == "${__autovenv_pwd-}" && "${VIRTUAL_ENV-}" == "${__autovenv_venv-}"
        && -n "${__autovenv_stamp-}" && -e "$__autovenv_stamp"
        && ! "${__autovenv_watch[1]-}" -nt "$__autovenv_stamp" && ! "${__autovenv_watch[2]-}" -nt "$__autovenv_stamp"
        && ! "${__autovenv_watch[3]-}" -nt "$__autovenv_stamp" && ! "${__autovenv_watch[4]-}" -nt "$__autovenv_stamp" ]]; then
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

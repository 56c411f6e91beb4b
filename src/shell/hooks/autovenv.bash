# autovenv shell integration for bash (3.2 and later).
# Installed with: eval "$(autovenv hook bash)"
#
# The idle rule, decided with builtins only: nothing to do when what the
# last run left ($PWD, $VIRTUAL_ENV, …) is unchanged and this shell's stamp
# is newer than every watched path. What is compared and watched, why
# "stamp newer than path" and what it costs: docs/internals.md ("The hot
# path", "What the hook keeps").

# Set before the first prompt so the hook needs no `${x-}` defaults (each
# costs time at every prompt) and works under `set -u`. The first run
# fills them in. `new` asks that first run for a stamp: `export` makes one
# only when asked, never for editors and scripts that call it.
__autovenv_pwd='' __autovenv_venv='' __autovenv_plen='' __autovenv_stamp=new __autovenv_status=0
__autovenv_watch1='' __autovenv_watch2='' __autovenv_watch3='' __autovenv_watch4=''
__autovenv_watch5='' __autovenv_watch6='' __autovenv_watch7='' __autovenv_watch8=''
__autovenv_watch_rest=()

# The __autovenv_* variables are set by the eval'd output of `export`.
# shellcheck disable=SC2154
__autovenv_hook() {
  # A global, not a local: one less builtin on every prompt. Called from
  # `cd` (below), $? is the cd's, after the test that let it through.
  # shellcheck disable=SC2319
  __autovenv_status=$?
  # The first eight watched paths live in scalars, filled in order, and are
  # tested inline in two groups of four, since most projects need only the
  # first: a loop over an array costs several stats' worth per path. An
  # unused slot needs no test of its own: -nt is true when the second path
  # is "" (or missing), and one failing stat costs less than a `( -z … )`.
  if [[ $PWD == "$__autovenv_pwd" && ${VIRTUAL_ENV-} == "$__autovenv_venv" && ${#PATH} == "$__autovenv_plen"
        && -e $__autovenv_watch1 && $__autovenv_stamp -nt $__autovenv_watch1 && $__autovenv_stamp -nt $__autovenv_watch2
        && $__autovenv_stamp -nt $__autovenv_watch3 && $__autovenv_stamp -nt $__autovenv_watch4 ]]; then
    [[ -z $__autovenv_watch5 ]] && return "$__autovenv_status"
    if [[ $__autovenv_stamp -nt $__autovenv_watch5 && $__autovenv_stamp -nt $__autovenv_watch6
          && $__autovenv_stamp -nt $__autovenv_watch7 && $__autovenv_stamp -nt $__autovenv_watch8 ]]; then
      # `-` because `set -u` calls an empty array unset.
      [[ -z ${__autovenv_watch_rest-} ]] && return "$__autovenv_status"
      local __autovenv_f
      for __autovenv_f in "${__autovenv_watch_rest[@]}"; do
        [[ $__autovenv_stamp -nt $__autovenv_f ]] || break
        __autovenv_f=
      done
      [[ -z $__autovenv_f ]] && return "$__autovenv_status"
    fi
  fi
  # `export` exits 0 whatever happens and prints only shell code: its status
  # has nothing to tell, and the person's $? is kept in __autovenv_status.
  # shellcheck disable=SC2312
  eval "$(AUTOVENV_STAMP="$__autovenv_stamp" AUTOVENV_HOOK=@HOOK_VERSION@ @AUTOVENV@ export bash)"
  __autovenv_plen=${#PATH}
  return "$__autovenv_status"
}

# `cd dir && python …` (and `cd A; cmd; cd B; cmd`, or a function that
# changes folder) must run with the new folder's env, while bash runs
# PROMPT_COMMAND only once the whole line is done. So `cd`, `pushd` and
# `popd` run the hook right after they succeed, through the convention rvm
# and mise use in bash (`__zsh_like_cd` calls each function listed in
# `chpwd_functions`), so each of these tools keeps working whichever of
# them defined `cd` last. It costs nothing on a prompt, unlike a DEBUG trap,
# which would run before every command (PROMPT_COMMAND's own included) and
# which bash-preexec and others already own. Only the interactive shell
# itself switches: a subshell, `( cd x )` or `$(cd x && pwd)`, keeps the
# env it started with, and prints nothing.
__autovenv_chpwd() {
  [[ $- == *i* && $BASH_SUBSHELL == 0 ]] && __autovenv_hook
  return 0
}
if ! declare -F __zsh_like_cd >/dev/null; then
  __zsh_like_cd() {
    builtin "$@" || return
    local __zsh_like_cd_hook
    # `+`: bash before 4.4 calls an empty array unset under `set -u`.
    for __zsh_like_cd_hook in ${chpwd_functions[@]+"${chpwd_functions[@]}"}; do
      if declare -F "$__zsh_like_cd_hook" >/dev/null; then
        "$__zsh_like_cd_hook" || break
      fi
    done
    return 0
  }
fi
# A `cd` function of the user's own (or another tool's) is left alone: the
# next prompt switches then, as before. The `function` keyword, because an
# alias named `cd` would otherwise be expanded in `cd() {`.
if ! declare -F cd >/dev/null; then
  function cd { __zsh_like_cd cd "$@"; }
  function pushd { __zsh_like_cd pushd "$@"; }
  function popd { __zsh_like_cd popd "$@"; }
fi
case " ${chpwd_functions[*]-} " in
  *" __autovenv_chpwd "*) ;;
  *) chpwd_functions=(__autovenv_chpwd "${chpwd_functions[@]}") ;;
esac

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

# `deactivate` (defined by `export` while an env is active, only where no
# `deactivate` exists) pauses autovenv in this project until the shell
# leaves it; `autovenv activate` ends the pause. It has to change this
# shell, which a program cannot do from outside it, so like `pyenv shell`
# and `conda activate` it goes through a function; every other command
# runs the program as it is. AUTOVENV_HOOK tells the program a hook is
# loaded: it then only ends the pause, and the hook activates.
function autovenv {
  if [[ $# == 1 && $1 == activate ]]; then
    local __autovenv_code
    __autovenv_code=$(AUTOVENV_HOOK=loaded command autovenv activate bash) || return
    eval "$__autovenv_code"
    __autovenv_pwd=''
    __autovenv_hook
  else
    command autovenv "$@"
  fi
}

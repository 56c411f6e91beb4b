# autovenv shell integration for zsh.
# Installed with: eval "$(autovenv hook zsh)"
#
# The idle rule, decided with builtins only: nothing to do when what the
# last run left ($PWD, $VIRTUAL_ENV, …) is unchanged and this shell's stamp
# is newer than every watched path. What is compared and watched, why
# "stamp newer than path" and what it costs: docs/internals.md ("The hot
# path", "What the hook keeps").
# zsh's -nt is false when either path is missing, hence the `! -e`, which
# an idle prompt never reaches for a path that exists.

# Set before the first prompt so the hook needs no `${x-}` defaults (each
# costs time at every prompt) and works under NO_UNSET. The first run fills
# them in. `new` asks that first run for a stamp: `export` makes one only
# when asked, never for editors and scripts that call it.
typeset -g __autovenv_pwd='' __autovenv_venv='' __autovenv_plen='' __autovenv_stamp=new
typeset -g __autovenv_watch1='' __autovenv_watch2='' __autovenv_watch3='' __autovenv_watch4=''
typeset -g __autovenv_watch5='' __autovenv_watch6='' __autovenv_watch7='' __autovenv_watch8=''
typeset -ga __autovenv_watch_rest=()

# zsh runs hook functions without letting them change $?, so unlike bash
# there is no status to keep.
__autovenv_hook() {
  # The idle test comes before `emulate -L zsh`, which costs about as much
  # as a watched path, so it uses only what no option changes: scalars (no KSH_ARRAYS
  # subscripts) inside [[ ]] (no splitting or globbing). The first eight
  # watched paths live in scalars, filled in order, and are tested inline
  # in two groups of four, since most projects need only the first: a loop
  # over an array costs several stats' worth per path. An unused slot is
  # skipped by a string test instead of a failing stat.
  if [[ $PWD == "$__autovenv_pwd" && ${VIRTUAL_ENV-} == "$__autovenv_venv" && ${#PATH} == "$__autovenv_plen"
        && ( -z $__autovenv_watch1 || $__autovenv_stamp -nt $__autovenv_watch1 )
        && ( -z $__autovenv_watch2 || $__autovenv_stamp -nt $__autovenv_watch2 || ! -e $__autovenv_watch2 )
        && ( -z $__autovenv_watch3 || $__autovenv_stamp -nt $__autovenv_watch3 || ! -e $__autovenv_watch3 )
        && ( -z $__autovenv_watch4 || $__autovenv_stamp -nt $__autovenv_watch4 || ! -e $__autovenv_watch4 ) ]]; then
    [[ -z $__autovenv_watch5 ]] && return
    if [[ ( $__autovenv_stamp -nt $__autovenv_watch5 || ! -e $__autovenv_watch5 )
          && ( -z $__autovenv_watch6 || $__autovenv_stamp -nt $__autovenv_watch6 || ! -e $__autovenv_watch6 )
          && ( -z $__autovenv_watch7 || $__autovenv_stamp -nt $__autovenv_watch7 || ! -e $__autovenv_watch7 )
          && ( -z $__autovenv_watch8 || $__autovenv_stamp -nt $__autovenv_watch8 || ! -e $__autovenv_watch8 ) ]]; then
      # `-` because NO_UNSET with KSH_ARRAYS calls an empty array unset.
      [[ -z ${__autovenv_watch_rest-} ]] && return
      local __autovenv_f
      for __autovenv_f in "${__autovenv_watch_rest[@]}"; do
        [[ $__autovenv_stamp -nt $__autovenv_f || ! -e $__autovenv_f ]] || break
        __autovenv_f=
      done
      [[ -z $__autovenv_f ]] && return
    fi
  fi
  # Our own option set for the eval, whatever the user's (KSH_ARRAYS,
  # SH_WORD_SPLIT, …).
  emulate -L zsh
  eval "$(AUTOVENV_STAMP=$__autovenv_stamp AUTOVENV_HOOK=@HOOK_VERSION@ @AUTOVENV@ export zsh)"
  __autovenv_plen=${#PATH}
}

# chpwd runs in command and process substitutions too (`$(cd x && pwd)`),
# where the hook would print its hints into a captured string and change
# nothing the person sees; and in a non-interactive shell that read the rc.
__autovenv_chpwd() {
  emulate -L zsh
  [[ -o interactive && ${zsh_eval_context[(I)(cmdsubst|outsubst|insubst)]} == 0 ]] && __autovenv_hook
  return 0
}

# Register once (sourcing the rc twice adds nothing), first in line so
# prompts that show $VIRTUAL_ENV see the new value. chpwd makes `cd dir &&
# python …` on one line use the new env; precmd catches everything else.
typeset -ag precmd_functions chpwd_functions
if (( ! ${precmd_functions[(I)__autovenv_hook]} )); then
  precmd_functions=(__autovenv_hook "${precmd_functions[@]}")
fi
# A shell that loaded an earlier hook had __autovenv_hook itself there.
chpwd_functions=("${(@)chpwd_functions[@]:#__autovenv_hook}")
if (( ! ${chpwd_functions[(I)__autovenv_chpwd]} )); then
  chpwd_functions=(__autovenv_chpwd "${chpwd_functions[@]}")
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
    __autovenv_code=$(AUTOVENV_HOOK=loaded command autovenv activate zsh) || return
    eval "$__autovenv_code"
    typeset -g __autovenv_pwd=''
    __autovenv_hook
  else
    command autovenv "$@"
  fi
}

#!/usr/bin/env bash
# Whole-process timing of autovenv's per-prompt cost, side by side in one run.
#   bash benches/hot_path.sh            (needs hyperfine, strace, zsh; direnv optional)
# Prints: idle-prompt cost of the bash and zsh hooks, process starts per idle
# prompt, `autovenv export` vs a hello-world binary of the same profile,
# a 60-deep project vs a shallow one, peak RSS, and direnv if installed.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/autovenv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rustc -C opt-level=3 -C codegen-units=1 -C panic=abort -C lto=fat -C strip=symbols \
  --edition 2021 benches/hello.rs -o "$work/hello"
rustc -O --edition 2021 benches/peak_rss.rs -o "$work/peak_rss"

# Unset, not empty: a program that joins an empty XDG_DATA_HOME (xonsh)
# would write into the working folder, the repo.
export HOME=$work/home
unset XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_CACHE_HOME
mkdir -p "$HOME"
unset VIRTUAL_ENV AUTOVENV_ROOT AUTOVENV_ENV CONDA_PREFIX
py=$(python3 -c 'import sys; print(sys.executable)')

make_project() { # dir
  mkdir -p "$1"
  : >"$1/requirements.txt"
  "$py" -m venv --without-pip "$1/env"
  (cd "$1" && "$bin" allow >/dev/null 2>&1)
}
shallow=$work/p
deep=$work$(printf '/d%02d' $(seq 1 60))
make_project "$shallow"
make_project "$deep"
# Projects that watch more: the root, .autovenv.toml, pyproject.toml,
# requirements.txt and n includes. The hooks test eight paths inline, in two
# groups of four, and loop over the rest.
make_busy() { # dir n
  mkdir -p "$1"
  printf '[project]\nname = "busy"\n' >"$1/pyproject.toml"
  echo 'prompt = "busy"' >"$1/.autovenv.toml"
  : >"$1/requirements.txt"
  for i in $(seq 1 "$2"); do
    : >"$1/i$i.txt"
    echo "-r i$i.txt" >>"$1/requirements.txt"
  done
  "$py" -m venv --without-pip "$1/env"
  (cd "$1" && "$bin" allow >/dev/null 2>&1)
}
make_busy "$work/busy4" 0
make_busy "$work/busy6" 2
make_busy "$work/busy10" 6
# A uv.lock project (uv on PATH): watched are the root, uv.lock,
# pyproject.toml, uv.toml and .python-version.
uvlock=$work/uvlock
if command -v uv >/dev/null; then
  mkdir -p "$uvlock"
  printf '[project]\nname = "uvlock"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = []\n' >"$uvlock/pyproject.toml"
  (cd "$uvlock" && uv lock --quiet --offline && "$py" -m venv --without-pip env && "$bin" allow >/dev/null 2>&1)
else
  echo "uv: not installed; the uv.lock project is measured as an empty folder"
  mkdir -p "$uvlock"
fi
# The hook's stamp is dated a few ms back (src/stamp.rs), so right after
# the projects were made their folders still count as changed and the hook
# runs the binary; wait that out, or the idle figures measure the wrong path.
sleep 0.2

# Enter a project in the current shell state and print the variables the
# binary sees at the next prompt in that state.
# shellcheck disable=SC2154 # __autovenv_stamp comes from the eval
state_for() { # dir -> exports for hyperfine
  (cd "$1" && eval "$(AUTOVENV_STAMP=new "$bin" export bash 2>/dev/null)" &&
    printf 'cd %q && export AUTOVENV_ROOT=%q AUTOVENV_ENV=%q VIRTUAL_ENV=%q PATH=%q AUTOVENV_STAMP=%q UV_PROJECT_ENVIRONMENT=%q VIRTUAL_ENV_PROMPT=%q' \
      "$1" "$AUTOVENV_ROOT" "$AUTOVENV_ENV" "$VIRTUAL_ENV" "$PATH" "$__autovenv_stamp" "$UV_PROJECT_ENVIRONMENT" "$VIRTUAL_ENV_PROMPT")
}

# One timing of `sh`'s hook in `dir`: the hook called n times in a loop,
# and the same loop calling nothing: four clock readings (start, end of
# each loop), or from fish two durations with their units.
n=10000
idle_run() { # sh dir
  if [ "$1" = fish ]; then
    # fish has no clock variable: its `time` keyword times the whole loop.
    (cd "$2" && fish --no-config -c "
      '$bin' hook fish | source
      __autovenv_hook 2>/dev/null
      set -l n (seq $n)
      time for i in \$n; __autovenv_hook; end
      time for i in \$n; end" 2>&1 | awk '/Executed in/ {printf "%s %s ", $3, $4}')
  else
    (cd "$2" && "$1" -c "
      $( [ "$1" = zsh ] && echo 'zmodload zsh/datetime' )
      eval \"\$('$bin' hook $1)\"
      __autovenv_hook 2>/dev/null
      s=\$EPOCHREALTIME; i=0
      while (( i < $n )); do __autovenv_hook; i=\$((i+1)); done
      e=\$EPOCHREALTIME
      s0=\$EPOCHREALTIME; i=0
      while (( i < $n )); do i=\$((i+1)); done
      e0=\$EPOCHREALTIME
      echo \"\$s \$e \$s0 \$e0\"")
  fi
}

# Microseconds per idle prompt, the median of `rounds` runs, each in a fresh
# shell. The rounds go round every shell and project in turn, so a burst of
# load on the machine lands in one round of each, not in every round of one.
rounds=11
shells=()
for sh in bash zsh fish; do
  if command -v "$sh" >/dev/null; then shells+=("$sh"); else echo "$sh: not installed"; fi
done
projects=("$shallow" "$work/busy4" "$work/busy6" "$work/busy10" "$uvlock")
for ((r = 0; r < rounds; r++)); do
  for sh in "${shells[@]}"; do
    for p in 0 1 2 3 4; do
      { idle_run "$sh" "${projects[$p]}"; echo; } >>"$work/idle.$sh.$p"
    done
  done
done
echo "## idle prompt (hook function, no process): microseconds per prompt, median of $rounds runs"
for sh in "${shells[@]}"; do
  python3 - "$n" "$sh" "$work/idle.$sh".{0,1,2,3,4} <<'PY'
import statistics, sys
n, sh, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
unit = {"micros": 1, "millis": 1e3, "secs": 1e6}
def per_prompt(line):
    f = line.split()
    if f[1] in unit:  # fish: loop with the hook, empty loop
        return (float(f[0]) * unit[f[1]] - float(f[2]) * unit[f[3]]) / n
    s, e, s0, e0 = map(float, f)
    return ((e - s) - (e0 - s0)) * 1e6 / n
med = [statistics.median(per_prompt(l) for l in open(f) if l.strip()) for f in files]
print(f"{sh}: {med[0]:.1f} us (2 watched paths), {med[1]:.1f} us (4), {med[2]:.1f} us (6), {med[3]:.1f} us (10), {med[4]:.1f} us (uv.lock project)")
PY
done

echo "## process starts per idle prompt (strace, 200 prompts)"
# The code to load the hook, run it once (the non-idle run), then n times.
hook_script() { # sh n
  case $1 in
    fish) echo "'$bin' hook fish | source; __autovenv_hook 2>/dev/null; for i in (seq 1 $2); __autovenv_hook; end" ;;
    *) echo "eval \"\$('$bin' hook $1)\"; __autovenv_hook 2>/dev/null; i=0; while (( i < $2 )); do __autovenv_hook; i=\$((i+1)); done" ;;
  esac
}
count_starts() { # sh n
  (cd "$shallow" && strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$work/trace.$1" \
    "$1" -c "$(hook_script "$1" "$2")" >/dev/null && grep -v resumed "$work/trace.$1" | grep -c -E 'execve|fork|clone')
}
for sh in "${shells[@]}"; do
  # The shell's own exec, its threads, the hook's first run and fish's
  # `seq` are the same with 0 prompts: subtract that baseline.
  echo "$sh: $(( $(count_starts "$sh" 200) - $(count_starts "$sh" 0) )) process starts in 200 idle prompts"
done

echo "## exec path with nothing to do: autovenv export vs hello-world (hyperfine medians)"
st_shallow=$(state_for "$shallow")
st_deep=$(state_for "$deep")
for which in shallow deep; do
  st=$([ $which = shallow ] && echo "$st_shallow" || echo "$st_deep")
  (eval "$st" && hyperfine -N --warmup 100 --runs 2000 --export-json "$work/$which.json" \
    "$bin export bash" "$work/hello" >/dev/null 2>&1)
done
python3 - "$work" <<'PY'
import json, sys
w = sys.argv[1]
def med(f, i): return json.load(open(f"{w}/{f}.json"))["results"][i]["median"]
s, h1 = med("shallow", 0), med("shallow", 1)
d, h2 = med("deep", 0), med("deep", 1)
print(f"hello-world      {h1*1e3:.3f} ms")
print(f"export, shallow  {s*1e3:.3f} ms  = {s/h1:.2f}x hello (target <= 1.3x)")
print(f"export, 60 deep  {d*1e3:.3f} ms  = {d/s:.2f}x shallow (target <= 1.2x)")
PY

echo "## peak RSS of autovenv export (exec path)"
(eval "$st_shallow" && kib=$("$work/peak_rss" "$bin" export bash) && hk=$("$work/peak_rss" "$work/hello") &&
  python3 -c "print('peak RSS %.2f MB (target <= 4 MB); hello-world %.2f MB' % ($kib/1024, $hk/1024))")

if command -v direnv >/dev/null; then
  echo "## direnv export zsh, loaded .envrc, same machine"
  d=$work/direnv && mkdir -p "$d" && echo 'export FOO=1' >"$d/.envrc" && (cd "$d" && direnv allow . && eval "$(direnv export bash 2>/dev/null)" &&
    hyperfine -N --warmup 50 --runs 500 "direnv export zsh" "$work/hello" 2>/dev/null | grep -E 'Time|±')
fi

# nushell and xonsh: their hooks decide an idle prompt in the shell itself
# (nushell with `ls`, xonsh in Python), so no process starts; mise's
# integration for each runs `mise hook-env` at every prompt. Each figure is
# the hook function called in a loop, minus the empty loop, in the shallow
# project; process starts are counted under strace as above (threads, which
# nushell's `ls` starts, are not processes).
nu_bin=$(command -v nu || true)
xonsh_bin=""
if command -v xonsh >/dev/null; then
  xonsh_bin=$(xonsh --no-rc -c 'import os, sys; print(os.path.join(os.path.dirname(sys.executable), "xonsh"))')
fi
mise_bin=$(command -v mise || true)
"$bin" hook nu >"$work/autovenv.nu" 2>/dev/null
[ -n "$mise_bin" ] && "$mise_bin" activate nu >"$work/mise.nu" 2>/dev/null
list_hook() { # shell tool n -> microseconds per prompt (nu, xonsh)
  if [ "$1" = nu ]; then
    local call=__autovenv_hook
    [ "$2" = mise ] && call=mise_hook
    "$nu_bin" --no-config-file -c "
      source $work/$2.nu
      cd $shallow
      $call
      sleep 100ms
      let t = (timeit { for i in 1..$3 { $call } })
      let t0 = (timeit { for i in 1..$3 { } })
      print ((\$t - \$t0) / $3 | into int | \$in / 1000)" 2>/dev/null
  else
    local load="execx(\$('$bin' hook xonsh))" name=__autovenv_hook
    [ "$2" = mise ] && load="execx(\$('$mise_bin' activate xonsh))" name=mise_hook
    (cd "$shallow" && "$xonsh_bin" --no-rc -c "$load
import time
h = [f for f in events.on_pre_prompt if f.__name__ == '$name'][0]
h(); time.sleep(0.1)
t = time.perf_counter()
for i in range($3): h()
t = time.perf_counter() - t
t0 = time.perf_counter()
for i in range($3): pass
print(round((t - (time.perf_counter() - t0)) * 1e6 / $3, 1))" 2>/dev/null)
  fi
}
list_starts() { # shell tool n -> process starts (not threads) in n prompts
  local code
  if [ "$1" = nu ]; then
    local call=__autovenv_hook
    [ "$2" = mise ] && call=mise_hook
    code="source $work/$2.nu; cd $shallow; $call; for i in 0..<$3 { $call }"
    strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$work/trace.list" "$nu_bin" --no-config-file -c "$code" >/dev/null 2>&1
  else
    local load="execx(\$('$bin' hook xonsh))" name=__autovenv_hook
    [ "$2" = mise ] && load="execx(\$('$mise_bin' activate xonsh))" name=mise_hook
    code="$load
h = [f for f in events.on_pre_prompt if f.__name__ == '$name'][0]
h()
for i in range($3): h()"
    (cd "$shallow" && strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$work/trace.list" "$xonsh_bin" --no-rc -c "$code" >/dev/null 2>&1)
  fi
  grep -v -e resumed -e CLONE_THREAD "$work/trace.list" | grep -c -E 'execve|fork|clone'
}
echo "## nushell and xonsh: idle prompt, microseconds (hook function in a loop) and process starts per 100 prompts"
for sh in nu xonsh; do
  shbin=$([ $sh = nu ] && echo "$nu_bin" || echo "$xonsh_bin")
  if [ -z "$shbin" ]; then echo "$sh: not installed"; continue; fi
  for tool in autovenv mise; do
    if [ $tool = mise ] && [ -z "$mise_bin" ]; then echo "$sh, mise: mise not installed"; continue; fi
    n=$([ $tool = mise ] && echo 20 || echo 1000)
    us=$(list_hook "$sh" "$tool" "$n")
    starts=$(($(list_starts "$sh" "$tool" 100) - $(list_starts "$sh" "$tool" 0)))
    echo "$sh, $tool: $us us per idle prompt, $starts process starts in 100 idle prompts"
  done
done

# elvish and tcsh: no clock variable to read inside the loop, so each run
# reads `date` around a loop calling the hook n times and an empty loop of
# the same length (the hook's idle test, as at a prompt, in the shallow
# project; for tcsh, what its `precmd` runs). elvish's hook registers with
# the line editor, which a script has not got: those two lines are left out
# here, and its calls that define functions for the prompt (`edit:add-var`,
# `edit:del-var`) do nothing.
n2=2000
# The loops are elvish and tcsh code: their `$` are theirs.
# shellcheck disable=SC2016
idle_run2() { # sh dir setup-code hook-call
  local f=$work/loop.$1
  case $1 in
    elvish)
      {
        "$bin" hook elvish | grep -v -e '^set edit:before-readline' -e '^set after-chdir' | sed 's/edit:\(add\|del\)-var /nop /'
        echo "$3"
        echo "var s = (date +%s%N); range $n2 | each {|_| $4 }; var e = (date +%s%N)"
        echo "var s0 = (date +%s%N); range $n2 | each {|_| }; var e0 = (date +%s%N)"
        echo 'echo $s $e $s0 $e0'
      } >"$f"
      (cd "$2" && elvish -norc "$f" 2>/dev/null) ;;
    tcsh)
      {
        echo "$3"
        echo "set s = \`date +%s%N\`; @ i = 0"
        echo "while (\$i < $n2)"; echo "$4"; echo '@ i++'; echo 'end'
        echo "set e = \`date +%s%N\`; @ i = 0"
        echo "while (\$i < $n2)"; echo '@ i++'; echo 'end'
        echo "set e0 = \`date +%s%N\`"
        echo 'echo $s $e $e $e0'
      } >"$f"
      (cd "$2" && tcsh -f "$f" 2>/dev/null) ;;
  esac
}
per_prompt_us() { # n "s e s0 e0" in nanoseconds
  python3 -c 'import sys; n = int(sys.argv[1]); s, e, s0, e0 = map(int, sys.argv[2].split()); print("%.1f" % (((e - s) - (e0 - s0)) / 1e3 / n))' "$1" "$2"
}
echo "## idle prompt, elvish and tcsh, shallow project: microseconds per prompt (one run, $n2 prompts)"
if command -v elvish >/dev/null; then
  echo "elvish autovenv: $(per_prompt_us "$n2" "$(idle_run2 elvish "$shallow" '__autovenv_hook' '__autovenv_hook')") us"
else
  echo "elvish: not installed"
fi
if command -v tcsh >/dev/null; then
  echo "tcsh autovenv: $(per_prompt_us "$n2" "$(idle_run2 tcsh "$shallow" "'$bin' hook tcsh >! $work/hook.tcsh; source $work/hook.tcsh; set __autovenv_live = 1; __autovenv_hook" 'set __autovenv_live = 1; __autovenv_hook')") us"
else
  echo "tcsh: not installed"
fi

# The peers' integration in the same shells, on the same loop: direnv
# (tcsh, elvish: `direnv export` at every prompt) and mise (elvish: `mise
# hook-env` at every prompt), in a folder each has loaded.
mise=$(command -v mise || echo /opt/npmtools/node_modules/@jdxcode/mise-linux-x64/bin/mise)
d=$work/direnv && mkdir -p "$d" && echo 'export FOO=1' >"$d/.envrc"
if command -v direnv >/dev/null; then (cd "$d" && direnv allow . 2>/dev/null); fi
n2=200
if command -v direnv >/dev/null && command -v tcsh >/dev/null; then
  # shellcheck disable=SC2016
  echo "tcsh direnv: $(per_prompt_us "$n2" "$(idle_run2 tcsh "$d" 'eval `direnv export tcsh`' 'eval `direnv export tcsh`')") us"
fi
if command -v direnv >/dev/null && command -v elvish >/dev/null; then
  echo "elvish direnv: $(per_prompt_us "$n2" "$(idle_run2 elvish "$d" 'fn __autovenv_hook { var m = [(direnv export elvish | from-json)] }' '__autovenv_hook')") us"
fi
if [ -x "$mise" ] && command -v elvish >/dev/null; then
  m=$work/mise && mkdir -p "$m" && printf '[env]\nFOO = "1"\n' >"$m/mise.toml"
  (cd "$m" && "$mise" trust -q . 2>/dev/null) || true
  echo "elvish mise: $(per_prompt_us "$n2" "$(idle_run2 elvish "$m" "fn __autovenv_hook { eval ('$mise' hook-env -s elvish | slurp) }" '__autovenv_hook')") us"
fi

echo "## process starts per idle prompt, elvish and tcsh (strace, 200 prompts)"
count_starts2() { # sh n
  local f=$work/count.$1
  case $1 in
    elvish) { "$bin" hook elvish | grep -v -e '^set edit:before-readline' -e '^set after-chdir' | sed 's/edit:\(add\|del\)-var /nop /'
              echo "__autovenv_hook; range $2 | each {|_| __autovenv_hook }"; } >"$f" ;;
    tcsh) { echo "'$bin' hook tcsh >! $work/hook2.tcsh; source $work/hook2.tcsh; set __autovenv_live = 1; __autovenv_hook; @ i = 0"
            echo "while (\$i < $2)"; echo 'set __autovenv_live = 1; __autovenv_hook'; echo '@ i++'; echo 'end'; } >"$f" ;;
  esac
  (cd "$shallow" && strace -f -qq -e trace=execve,fork,vfork -o "$work/trace2.$1" "$1" "$([ "$1" = elvish ] && echo -norc || echo -f)" "$f" >/dev/null 2>&1 &&
    grep -v resumed "$work/trace2.$1" | grep -c -E 'execve')
}
for sh in elvish tcsh; do
  command -v "$sh" >/dev/null || continue
  echo "$sh: $(( $(count_starts2 "$sh" 200) - $(count_starts2 "$sh" 0) )) programs started in 200 idle prompts"
done

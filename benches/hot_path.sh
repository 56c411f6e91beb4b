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

export HOME=$work/home XDG_RUNTIME_DIR= XDG_CONFIG_HOME= XDG_DATA_HOME= XDG_STATE_HOME= XDG_CACHE_HOME=
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
# The hook's stamp is dated a few ms back (src/stamp.rs), so right after
# the projects were made their folders still count as changed and the hook
# runs the binary; wait that out, or the idle figures measure the wrong path.
sleep 0.2

# Enter a project in the current shell state and print the variables the
# binary sees at the next prompt in that state.
state_for() { # dir -> exports for hyperfine
  (cd "$1" && eval "$("$bin" export bash 2>/dev/null)" &&
    printf 'cd %q && export AUTOVENV_ROOT=%q AUTOVENV_ENV=%q VIRTUAL_ENV=%q PATH=%q AUTOVENV_STAMP=%q UV_PROJECT_ENVIRONMENT=%q VIRTUAL_ENV_PROMPT=%q' \
      "$1" "$AUTOVENV_ROOT" "$AUTOVENV_ENV" "$VIRTUAL_ENV" "$PATH" "$__autovenv_stamp" "$UV_PROJECT_ENVIRONMENT" "$VIRTUAL_ENV_PROMPT")
}

echo "## idle prompt (hook function, no process): microseconds per prompt"
n=20000
for sh in bash zsh; do
  command -v "$sh" >/dev/null || { echo "$sh: not installed"; continue; }
  us=$(cd "$shallow" && "$sh" -c "
    $( [ "$sh" = zsh ] && echo 'zmodload zsh/datetime' )
    eval \"\$('$bin' hook $sh)\"
    __autovenv_hook 2>/dev/null
    s=\$EPOCHREALTIME; i=0
    while (( i < $n )); do __autovenv_hook; i=\$((i+1)); done
    e=\$EPOCHREALTIME
    s0=\$EPOCHREALTIME; i=0
    while (( i < $n )); do i=\$((i+1)); done
    e0=\$EPOCHREALTIME
    echo \"\$e \$s \$e0 \$s0\"")
  read -r e s e0 s0 <<<"$us"
  python3 -c "e,s,e0,s0=map(float,'$e $s $e0 $s0'.split()); print('$sh: %.2f us per idle prompt (loop overhead subtracted)' % (((e-s)-(e0-s0))/$n*1e6))"
done

if command -v fish >/dev/null; then
  # fish has no clock variable: its `time` keyword times the whole loop, and
  # an empty loop of the same length is subtracted.
  fish_us=$(cd "$shallow" && fish --no-config -c "
    '$bin' hook fish | source
    __autovenv_hook 2>/dev/null
    set -l n (seq $n)
    time for i in \$n; __autovenv_hook; end
    time for i in \$n; end" 2>&1 | awk '/Executed in/ {print $3, $4}')
  python3 - "$n" "$fish_us" <<'PY'
import sys
n = int(sys.argv[1])
vals = sys.argv[2].split()
def us(v, unit): return float(v) * {"micros": 1, "millis": 1e3, "secs": 1e6}[unit]
t = us(vals[0], vals[1]) - us(vals[2], vals[3])
print(f"fish: {t / n:.2f} us per idle prompt (loop overhead subtracted)")
PY
fi

echo "## process starts per idle prompt (strace, 200 prompts)"
for sh in bash zsh; do
  command -v "$sh" >/dev/null || continue
  starts=$(cd "$shallow" && strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$work/trace.$sh" "$sh" -c "
    eval \"\$('$bin' hook $sh)\"
    __autovenv_hook 2>/dev/null
    : START
    i=0; while (( i < 200 )); do __autovenv_hook; i=\$((i+1)); done" && grep -c -E 'execve|fork|clone' "$work/trace.$sh")
  # The shell's own exec, the hook's first (non-idle) run, and the eval are
  # the baseline; run it once more without the loop to subtract them.
  base=$(cd "$shallow" && strace -f -qq -e trace=execve,fork,vfork,clone,clone3 -o "$work/trace0.$sh" "$sh" -c "
    eval \"\$('$bin' hook $sh)\"
    __autovenv_hook 2>/dev/null" && grep -c -E 'execve|fork|clone' "$work/trace0.$sh")
  echo "$sh: $(( (starts - base) )) process starts in 200 idle prompts"
done

echo "## exec path with nothing to do: autovenv export vs hello-world (hyperfine medians)"
st_shallow=$(state_for "$shallow")
st_deep=$(state_for "$deep")
hyperfine -N --warmup 100 --runs 2000 --export-json "$work/h.json" \
  "$work/hello" >/dev/null 2>&1
hello=$(python3 -c "import json; print(json.load(open('$work/h.json'))['results'][0]['median'])")
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

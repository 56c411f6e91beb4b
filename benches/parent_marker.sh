#!/usr/bin/env bash
# What seeing a marker created in a folder above would cost: the idle
# prompt outside any project, in repo/src/pkg of a git work tree that is
# not a project, with the watch list as `export` leaves it (the current
# folder only) and with the two folders up to the work tree's root in the
# next slots too. Same loop as benches/hot_path.sh.
#   bash benches/parent_marker.sh     (needs zsh and fish)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/autovenv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Unset, not empty: a program that joins an empty XDG_DATA_HOME (xonsh)
# would write into the working folder, the repo.
export HOME=$work/home
unset XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_DATA_HOME XDG_STATE_HOME XDG_CACHE_HOME
mkdir -p "$HOME/code/repo/src/pkg" "$HOME/code/repo/.git"
d=$HOME/code/repo/src/pkg
a1=$HOME/code/repo/src a2=$HOME/code/repo
sleep 0.2
n=10000
run() { # sh extra(0|1)
  local set=''
  if [ "$2" = 1 ]; then
    if [ "$1" = fish ]; then set="set -g __autovenv_watch2 '$a1'; set -g __autovenv_watch3 '$a2'"; else set="__autovenv_watch2='$a1'; __autovenv_watch3='$a2'"; fi
  fi
  if [ "$1" = fish ]; then
    (cd "$d" && fish --no-config -c "
      '$bin' hook fish | source
      __autovenv_hook 2>/dev/null
      $set
      set -l n (seq $n)
      time for i in \$n; __autovenv_hook; end
      time for i in \$n; end" 2>&1 | awk '/Executed in/ {printf "%s %s ", $3, $4}')
  else
    (cd "$d" && "$1" -c "
      $( [ "$1" = zsh ] && echo 'zmodload zsh/datetime' )
      eval \"\$('$bin' hook $1)\"
      __autovenv_hook 2>/dev/null
      $set
      s=\$EPOCHREALTIME; i=0
      while (( i < $n )); do __autovenv_hook; i=\$((i+1)); done
      e=\$EPOCHREALTIME
      s0=\$EPOCHREALTIME; i=0
      while (( i < $n )); do i=\$((i+1)); done
      e0=\$EPOCHREALTIME
      echo \"\$s \$e \$s0 \$e0\"")
  fi
}
rounds=${ROUNDS:-11}
for ((r = 0; r < rounds; r++)); do
  for sh in bash zsh fish; do
    for x in 0 1; do { run $sh $x; echo; } >>"$work/idle.$sh.$x"; done
  done
done
for sh in bash zsh fish; do
python3 - "$n" "$sh" "$work/idle.$sh".{0,1} <<'PY'
import statistics, sys
n, sh, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
unit = {"micros": 1, "millis": 1e3, "secs": 1e6}
def per_prompt(line):
    f = line.split()
    if f[1] in unit:
        return (float(f[0]) * unit[f[1]] - float(f[2]) * unit[f[3]]) / n
    s, e, s0, e0 = map(float, f)
    return ((e - s) - (e0 - s0)) * 1e6 / n
med = [statistics.median(per_prompt(l) for l in open(f) if l.strip()) for f in files]
print(f"{sh}: {med[0]:.1f} us (pwd only), {med[1]:.1f} us (pwd + 2 ancestors) -> {med[1]-med[0]:+.1f} us")
PY
done

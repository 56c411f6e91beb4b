#!/usr/bin/env bash
# First entry into a uv.lock project (pyproject.toml with 8 small wheels as
# dependencies, locked by `uv lock`): what the hook does at the first prompt
# in a trusted project (env created with pip in it, `uv sync --locked` into
# it), against the same done by hand, `uv venv --seed && uv sync --frozen`,
# in one run: interleaved rounds, medians, offline, uv's cache warm after
# the warm-up round.
#   bash benches/first_entry_uvlock.sh        (needs python3 and uv)
#   RUNS=10 bash benches/first_entry_uvlock.sh
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/autovenv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The real programs, not pyenv shims (a shim costs tens of ms per call).
py=$(python3 -c 'import sys; print(sys.executable)')
uv=$("$py" -c 'import uv; print(uv.find_uv_bin())' 2>/dev/null || command -v uv || true)
[ -x "$uv" ] || { echo "uv not found" >&2; exit 1; }
mkdir -p "$work/bin" "$work/wheels" "$work/home"
ln -s "$py" "$work/bin/python3"
ln -s "$uv" "$work/bin/uv"

# 8 small pure-Python wheels (5 modules each), plus the interpreter's own
# pip/setuptools wheels and a stand-in `wheel` so `uv venv --seed` works offline.
"$py" benches/bench_wheels.py "$work/wheels"
cp "$("$py" -c 'import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled"))')"/*.whl "$work/wheels/"

# A clean environment: trusted by prefix, offline, nothing inherited.
proj=$work/proj
mkdir -p "$proj" "$work/home/.config/autovenv"
printf '[trust]\nprefixes = ["%s"]\n' "$proj" >"$work/home/.config/autovenv/config.toml"
common=(HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
  XDG_STATE_HOME="$work/home/.local/state" XDG_CACHE_HOME="$work/home/.cache" XDG_RUNTIME_DIR=
  UV_OFFLINE=1 UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never UV_FIND_LINKS="$work/wheels" UV_CACHE_DIR="$work/uv-cache"
  PATH="$work/bin:/usr/bin:/bin")

{
  printf '[project]\nname = "proj"\nversion = "0.1.0"\nrequires-python = ">=3.8"\ndependencies = [\n'
  for i in $(seq 1 8); do printf '  "benchpkg%s==1.0",\n' "$i"; done
  printf ']\n'
} >"$proj/pyproject.toml"
(cd "$proj" && env -i "${common[@]}" uv lock --quiet)

# autovenv: the hook's first run in the trusted project. By hand: uv's own
# workflow, its default `.venv` (autovenv would adopt it, so each round
# removes both).
enter="cd $proj && $bin export bash >/dev/null 2>&1 && test -f env/.autovenv-state"
manual="cd $proj && uv venv --seed --quiet && uv sync --frozen --quiet"
if ! env -i "${common[@]}" sh -c "$enter"; then
  echo "autovenv did not sync the project:" >&2
  env -i "${common[@]}" sh -c "cd $proj && $bin export bash >/dev/null" >&2 || true
  exit 1
fi
# Interleaved rounds (the order rotates every round) rather than one block
# per command, so a load change on a shared machine hits both alike.
"$py" - "$runs" "$proj" "env -i ${common[*]}" "$manual" "$enter" <<'EOF'
import shlex, shutil, statistics, subprocess, sys, time
runs, proj, env, manual, enter = sys.argv[1:]
cases = {
    "by hand: `uv venv --seed && uv sync --frozen`": manual,
    "autovenv: first entry (`uv venv`, then `uv sync --locked` with pip's bundled wheel installed alongside)": enter,
}
times = {k: [] for k in cases}
names = list(cases)
for r in range(int(runs) + 1):  # round 0 is a warm-up, not counted
    for k in names[r % len(names):] + names[: r % len(names)]:
        shutil.rmtree(f"{proj}/env", ignore_errors=True)
        shutil.rmtree(f"{proj}/.venv", ignore_errors=True)
        t = time.perf_counter()
        subprocess.run(shlex.split(env) + ["sh", "-c", cases[k]], check=True)
        if r:
            times[k].append(time.perf_counter() - t)
base = statistics.median(times[names[0]])
print(f"first entry into a uv.lock project with 8 small wheels; medians of {runs} interleaved rounds\n")
print("| what | median | min – max | vs by hand | target |")
print("|---|---|---|---|---|")
for k, tgt in zip(names, ["", "≤ 1.1×"]):
    m = statistics.median(times[k])
    print(f"| {k} | {m:.2f} s | {min(times[k]):.2f} – {max(times[k]):.2f} s | {m / base:.2f}× | {tgt} |")
EOF

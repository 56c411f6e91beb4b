#!/usr/bin/env bash
# First entry into a project with 8 small wheels: the env is created and
# requirements.txt installed. autovenv with uv on PATH and without, and the
# manual workflow every tutorial teaches, measured side by side in one run.
#   bash benches/first_entry.sh        (needs python3 with venv, and uv)
#   RUNS=10 bash benches/first_entry.sh
#   UV_ONLY=1 RUNS=21 bash benches/first_entry.sh   (skips the two `python -m venv`
#     rows, seconds each, so many rounds fit: autovenv's uv path against the peers)
# Offline: the wheels are built here, and pip/uv only look in that folder.
# "autovenv" is what the hook runs at the first prompt in a trusted project
# (`autovenv export bash`). Peers, where installed: direnv with a uv `.envrc`
# (`uv venv --seed`, activate, `uv pip install -r`), and mise with
# `_.python.venv = { create = true }` plus `uv pip install -r` (its env has
# no pip in it); each in its own copy of the project, allowed/trusted first. uv's cache is warm after the warm-up round, as it
# is on a machine that has used uv before; the cold-cache figure is printed
# too. pip gets its own cache folder, warm after the warm-up round as well.
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
mkdir -p "$work/bin-uv" "$work/bin-nouv" "$work/wheels" "$work/home"
for d in bin-uv bin-nouv; do ln -s "$py" "$work/$d/python3"; done
ln -s "$uv" "$work/bin-uv/uv"

# 8 small pure-Python wheels (5 modules each), plus the interpreter's own
# pip/setuptools wheels and a stand-in `wheel` so `uv venv --seed` works offline.
"$py" benches/bench_wheels.py "$work/wheels"
cp "$("$py" -c 'import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled"))')"/*.whl "$work/wheels/"

proj=$work/proj
mkdir -p "$proj"
{ echo "--no-index"; echo "--find-links $work/wheels"; for i in $(seq 1 8); do echo "benchpkg$i==1.0"; done; } >"$proj/requirements.txt"

# A clean environment: trusted by prefix, offline, nothing inherited.
mkdir -p "$work/home/.config/autovenv"
printf '[trust]\nprefixes = ["%s"]\n' "$proj" >"$work/home/.config/autovenv/config.toml"
common=(HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
  XDG_STATE_HOME="$work/home/.local/state" XDG_CACHE_HOME="$work/home/.cache" XDG_RUNTIME_DIR=
  UV_OFFLINE=1 UV_NO_CONFIG=1 UV_PYTHON_DOWNLOADS=never UV_FIND_LINKS="$work/wheels" UV_CACHE_DIR="$work/uv-cache"
  PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_CACHE_DIR="$work/pip-cache")
e() { # PATH-dir -> the env(1) prefix for a command
  printf 'env -i %s PATH=%s:/usr/bin:/bin' "${common[*]}" "$work/$1"
}
if env -i PATH="$work/bin-nouv:/usr/bin:/bin" sh -c 'command -v uv' >/dev/null; then
  echo "uv is reachable without bin-uv; cannot measure the no-uv path" >&2
  exit 1
fi

enter="cd $proj && $bin export bash >/dev/null 2>&1 && test -f env/.autovenv-state"

# The peers, each in its own copy of the project (their files are not
# autovenv markers, but a copy keeps every tool to its own folder).
direnv=$(command -v direnv || true)
mise=${MISE:-$(command -v mise || echo /opt/npmtools/node_modules/@jdxcode/mise-linux-x64/bin/mise)}
[ -x "$mise" ] || mise=
direnv_cmd=
mise_cmd=
if [ -n "$direnv" ]; then
  mkdir -p "$work/peer-direnv" && cp "$proj/requirements.txt" "$work/peer-direnv/"
  printf '%s\n' '[ -d .venv ] || uv venv --quiet --seed .venv' '. .venv/bin/activate' \
    'uv pip install --quiet -r requirements.txt' >"$work/peer-direnv/.envrc"
  ln -s "$direnv" "$work/bin-uv/direnv"
  (cd "$work/peer-direnv" && $(e bin-uv) direnv allow)
  direnv_cmd="cd $work/peer-direnv && direnv export bash >/dev/null 2>&1 && test -f .venv/bin/pip"
fi
if [ -n "$mise" ]; then
  mkdir -p "$work/peer-mise" && cp "$proj/requirements.txt" "$work/peer-mise/"
  printf '[env]\n_.python.venv = { path = ".venv", create = true }\n' >"$work/peer-mise/mise.toml"
  ln -s "$mise" "$work/bin-uv/mise"
  (cd "$work/peer-mise" && $(e bin-uv) mise trust --quiet)
  mise_cmd="cd $work/peer-mise && mise env -s bash >/dev/null 2>&1 && uv pip install --quiet --python .venv/bin/python -r requirements.txt"
fi
manual="cd $proj && python3 -m venv env && env/bin/pip install -r requirements.txt >/dev/null 2>&1"

# Interleaved rounds (the order rotates every round) rather than one block
# per command, so a load change on a shared machine hits all of them alike.
"$py" - "$runs" "$work" "$proj" "$(e bin-nouv)" "$(e bin-uv)" "$manual" "$enter" "$direnv_cmd" "$mise_cmd" "${UV_ONLY:-}" <<'EOF'
import shlex, shutil, statistics, subprocess, sys, time
runs, work, proj, nouv, withuv, manual, enter, direnv, mise, uv_only = sys.argv[1:]
cases = {
    "manual (`python3 -m venv env && env/bin/pip install -r requirements.txt`)": (nouv, manual, False, proj),
    "autovenv, no uv (`python -m venv` + `python -m pip`)": (nouv, enter, False, proj),
    "autovenv, uv (`uv venv` + one `uv pip install` with pip from the bundled wheel)": (withuv, enter, False, proj),
    "autovenv, uv, cold uv cache": (withuv, enter, True, proj),
}
targets = ["", "≤ 1.05×", "≤ 0.10×", ""]
if direnv:
    cases["direnv, uv `.envrc` (`uv venv --seed` + `uv pip install`)"] = (withuv, direnv, False, f"{work}/peer-direnv")
    targets.append("")
else:
    print("direnv not installed: its row is skipped")
if mise:
    cases["mise (`_.python.venv` create, no pip) + `uv pip install`"] = (withuv, mise, False, f"{work}/peer-mise")
    targets.append("")
else:
    print("mise not installed: its row is skipped")
if uv_only:
    for k in list(cases)[:2]:
        del cases[k]
    del targets[:2]
times = {k: [] for k in cases}
names = list(cases)
for r in range(int(runs) + 1):  # round 0 is a warm-up, not counted
    for k in names[r % len(names):] + names[: r % len(names)]:
        env, cmd, cold, where = cases[k]
        shutil.rmtree(f"{where}/env", ignore_errors=True)
        shutil.rmtree(f"{where}/.venv", ignore_errors=True)
        if cold:
            shutil.rmtree(f"{work}/uv-cache", ignore_errors=True)
        t = time.perf_counter()
        subprocess.run(shlex.split(env) + ["sh", "-c", cmd], check=True)
        if r:
            times[k].append(time.perf_counter() - t)
base = statistics.median(times[names[0]])
peers = [statistics.median(times[k]) for k in names if k.startswith(("direnv", "mise"))]
fastest = min(peers) if peers else None
ours = statistics.median(times[next(k for k in names if k.startswith("autovenv, uv ("))])
print(f"first entry into a project with 8 small wheels; medians of {runs} interleaved rounds\n")
print(f"| what | median | min – max | vs {names[0].split(' (')[0]} | target |")
print("|---|---|---|---|---|")
for k, tgt in zip(names, targets):
    m = statistics.median(times[k])
    print(f"| {k} | {m:.3f} s | {min(times[k]):.3f} – {max(times[k]):.3f} s | {m / base:.2f}× | {tgt} |")
if fastest:
    print(f"\nautovenv (uv) against the fastest peer: {ours / fastest:.2f}× (target ≤ 1.00×)")
EOF

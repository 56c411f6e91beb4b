# Print the distributions installed in this env that are neither listed
# (argv[1:], normalised names) nor a dependency, direct or not, of a listed
# one. Run by autovenv with the env's own python for `sync = "exact"` with
# pip (uv does this itself with `uv pip install --exact`).
import importlib.metadata as md
import re
import sys

from pip._vendor.packaging.requirements import Requirement

KEEP = {"pip", "setuptools", "wheel"}


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


installed = {}
for dist in md.distributions():
    name = dist.metadata["Name"]
    if name:
        installed.setdefault(norm(name), dist)

wanted = set()
todo = [norm(n) for n in sys.argv[1:]]
while todo:
    name = todo.pop()
    if name in wanted:
        continue
    wanted.add(name)
    dist = installed.get(name)
    for line in (dist.requires or []) if dist else []:
        req = Requirement(line)
        # Extras of a dependency are not followed: only plain requirements count.
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            todo.append(norm(req.name))

for name in sorted(set(installed) - wanted - KEEP):
    print(installed[name].metadata["Name"])

# Print the distributions installed in this env that are neither listed
# (argv[1:], normalised names) nor a dependency, direct or not, of a listed
# one. An argument that is an absolute path lists what was installed from
# that folder (its direct_url.json, PEP 610): a project whose name only its
# build knows (setup.py). Run by autovenv with the env's own python for
# `sync = "exact"` with pip (uv does this itself with `uv pip install --exact`).
import importlib.metadata as md
import json
import os
import re
import sys
import urllib.parse
import urllib.request

from pip._vendor.packaging.requirements import Requirement

KEEP = {"pip", "setuptools", "wheel"}


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


installed = {}
for dist in md.distributions():
    name = dist.metadata["Name"]
    if name:
        installed.setdefault(norm(name), dist)

def source_folder(dist):
    try:
        url = json.loads(dist.read_text("direct_url.json") or "{}").get("url", "")
    except ValueError:
        return None
    if not url.startswith("file:"):
        return None
    return os.path.realpath(urllib.request.url2pathname(urllib.parse.urlparse(url).path))


folders = {os.path.realpath(a) for a in sys.argv[1:] if a.startswith("/")}
wanted = set()
todo = [norm(n) for n in sys.argv[1:] if not n.startswith("/")]
todo += [name for name, dist in installed.items() if folders and source_folder(dist) in folders]
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

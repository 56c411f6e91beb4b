"""The benchmarks' offline wheel folder: 8 small pure-Python wheels (5
modules each) and a stand-in `wheel`, so `uv venv --seed` works offline.
Usage: python3 benches/bench_wheels.py OUT_DIR"""
import base64, hashlib, os, sys, zipfile
out = sys.argv[1]
def wheel(name, version, nmod):
    di = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": f"VERSION = {version!r}\n"}
    for i in range(nmod):
        files[f"{name}/mod{i}.py"] = "def f(x):\n    return x * %d\n" % i * 20
    files[f"{di}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files[f"{di}/WHEEL"] = "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    rec = ""
    for p, d in files.items():
        h = base64.urlsafe_b64encode(hashlib.sha256(d.encode()).digest()).rstrip(b"=").decode()
        rec += f"{p},sha256={h},{len(d)}\n"
    files[f"{di}/RECORD"] = rec + f"{di}/RECORD,,\n"
    with zipfile.ZipFile(os.path.join(out, f"{name}-{version}-py3-none-any.whl"), "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files.items():
            z.writestr(p, d)
for i in range(1, 9):
    wheel(f"benchpkg{i}", "1.0", 5)
wheel("wheel", "0.0.1", 0)

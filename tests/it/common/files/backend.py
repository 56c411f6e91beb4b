# An in-tree PEP 517 build backend for test projects: no setuptools or
# wheel needed offline. The wheel's dependencies are pyproject.toml's
# `[project] dependencies`, and each build is recorded in `builds.log`
# beside this file, so a test can tell whether the project's code ran.
import base64, hashlib, os, zipfile


def _deps():
    try:
        import tomllib
    except ImportError:  # Python < 3.11: no dependencies declared
        return []
    with open("pyproject.toml", "rb") as f:
        return tomllib.load(f).get("project", {}).get("dependencies", [])


def _wheel(wheel_directory):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "builds.log"), "a") as f:
        f.write("build\n")
    name = "app-0.1-py3-none-any.whl"
    meta = "Metadata-Version: 2.1\nName: app\nVersion: 0.1\n" + "".join("Requires-Dist: %s\n" % d for d in _deps())
    files = {
        "app-0.1.dist-info/METADATA": meta,
        "app-0.1.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        "app.pth": os.getcwd() + "\n",
    }
    record = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for n, text in files.items():
            b = text.encode()
            z.writestr(n, b)
            h = base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (n, h, len(b)))
        record.append("app-0.1.dist-info/RECORD,,")
        z.writestr("app-0.1.dist-info/RECORD", "\n".join(record) + "\n")
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return _wheel(wheel_directory)


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []

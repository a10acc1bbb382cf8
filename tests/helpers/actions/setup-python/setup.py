"""The stand-in setup-python: a fresh venv on $STANDIN_PYTHON per job, over its packages.

The real action puts a CPython of the requested version on PATH. Here the interpreter that runs
the tests is reused: it must match the requested major.minor. The job's venv sees that
interpreter's installed packages (a .pth line, after its own site-packages), so `pip install`
of the pinned requirements is a no-op, and the console scripts (dvc, gto, ...) are re-pointed at
the venv's python so they import what the job installs (its own lockstep).
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path


def main() -> int:
    wanted = os.environ.get("INPUT_PYTHON_VERSION", "").strip()
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted and not (wanted == have or wanted.startswith(have + ".")):
        print(f"::error::python-version {wanted}: the tests' interpreter is {have}")
        return 1
    venv = Path(os.environ["RUNNER_TEMP"]) / "setup-python" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", venv], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "standin-base.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    base_bin = Path(sys.executable).parent
    for script in sorted(base_bin.iterdir()):
        if (venv / "bin" / script.name).exists() or not script.is_file():
            continue
        with open(script, "rb") as handle:
            first = handle.readline()
        if first.startswith(b"#!") and first[2:].strip().startswith(bytes(base_bin)):
            target = venv / "bin" / script.name
            target.write_bytes(b"#!" + bytes(python) + b"\n" + script.read_bytes()[len(first) :])
            target.chmod(0o755)
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
        out.write(f"python-version={sys.version.split()[0]}\npython-path={python}\n")
        out.write("cache-hit=false\n")
    if os.environ.get("INPUT_UPDATE_ENVIRONMENT", "true") == "true":
        with open(os.environ["GITHUB_ENV"], "a", encoding="utf-8") as env:
            env.write(f"pythonLocation={venv}\nPython_ROOT_DIR={venv}\nPython3_ROOT_DIR={venv}\n")
    with open(os.environ["GITHUB_PATH"], "a", encoding="utf-8") as path:
        path.write(f"{venv / 'bin'}\n")
    cache = os.environ.get("INPUT_CACHE") or "none"
    print(f"Python {sys.version.split()[0]} at {python} (cache: {cache}, a miss)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

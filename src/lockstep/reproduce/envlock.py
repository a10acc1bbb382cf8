"""The pinned environment: `requirements.lock` against the running interpreter, and venvs from it.

`requirements.lock` is written by ``uv pip compile pyproject.toml --extra telco --generate-hashes
-o requirements.lock`` (`make lock`), committed, and a dependency of the train stage, so dvc.lock
pins it. ``differences`` lists the locked packages whose installed version differs (or that are
missing); ``build_venv`` makes a virtual environment that installs exactly the lock (hashes
checked) plus the project at the commit being reproduced.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import LockstepError

LOCK_PATH = "requirements.lock"
_PIN = re.compile(
    r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)\s*(?:;([^\\]*))?"
)


def normalize(name: str) -> str:
    """The PEP 503 form of a distribution name: `Scikit_Learn` and `scikit-learn` are one."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _applies(marker: str | None) -> bool:
    if not marker or not marker.strip():
        return True
    from packaging.markers import Marker

    return Marker(marker.strip()).evaluate()


def parse_lock(text: str) -> dict[str, str]:
    """``name==version`` pins of a lock file (normalized names), skipping other platforms' lines."""
    pins = {}
    for line in text.splitlines():
        match = _PIN.match(line.strip())
        if match and _applies(match[3]):
            pins[normalize(match[1])] = match[2]
    return pins


def installed_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def differences(
    locked: dict[str, str], installed: Callable[[str], str | None] = installed_version
) -> list[tuple[str, str, str]]:
    """(package, locked, installed) for each locked package not installed at its locked version."""
    out = []
    for name, want in sorted(locked.items()):
        have = installed(name)
        if have != want:
            out.append((name, want, have or "not installed"))
    return out


def venv_dir(lock: bytes, cache_home: str | None = None) -> Path:
    """Where the venv for this exact lock lives, shared by every reproduce of that lock."""
    base = cache_home or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    name = f"py{sys.version_info[0]}{sys.version_info[1]}-{hashlib.sha256(lock).hexdigest()[:16]}"
    return Path(base) / "lockstep" / "venvs" / name


def venv_commands(venv: Path, lock_file: Path, project: Path) -> list[list[str]]:
    """Create the venv, install the lock with its hashes checked, then the project without deps."""
    python = str(venv / "bin" / "python")
    return [
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [python, "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps", "-r",
         str(lock_file)],
        [python, "-m", "pip", "install", "--quiet", "--no-deps", str(project)],
    ]  # fmt: skip


def build_venv(lock_file: Path, project: Path, echo: Callable[[str], None]) -> Path:
    """A venv matching ``lock_file`` (built once per lock, reused after), with ``project`` in it."""
    venv = venv_dir(lock_file.read_bytes())
    done = venv / ".lockstep-complete"
    if done.exists():
        echo(f"using the environment in {venv}")
        commands = venv_commands(venv, lock_file, project)[2:]
    else:
        echo(f"building the locked environment in {venv} (needs the package index)")
        commands = venv_commands(venv, lock_file, project)
    for command in commands:
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            raise LockstepError(
                f"building the environment failed: {' '.join(command)}\n{proc.stderr[-2000:]}"
            )
    done.write_text("ok\n", encoding="utf-8")
    return venv / "bin"


def check_env(lock: bytes | None, strict: bool) -> None:
    """Compare the running interpreter with REV's lock: a warning, or an error when strict."""
    import click
    from tabulate import tabulate

    if lock is None:
        click.echo(f"note: no {LOCK_PATH} at this commit; the environment is not checked", err=True)
        return
    diff = differences(parse_lock(lock.decode("utf-8")))
    if not diff:
        click.echo(f"environment: matches {LOCK_PATH}", err=True)
        return
    rows = tabulate(diff, headers=["package", "locked", "installed"], disable_numparse=True)
    click.echo(f"environment differs from {LOCK_PATH} at this commit:\n{rows}", err=True)
    if strict:
        raise LockstepError("the environment differs from the lock (--strict-env); try --venv")
    click.echo("(a warning: the verdicts decide; --venv runs in the locked environment)", err=True)

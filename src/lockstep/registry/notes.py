"""Reproduction records kept as Git notes on the commit they are about (``refs/notes/lockstep``).

A record is an in-toto Statement (JSON, sorted keys). Unsigned, the note is the Statement itself;
signed, it is a DSSE envelope whose base64 ``payload`` is the Statement and whose ``signatures``
hold the signature made with the user's git signing key. Notes travel with
``git push origin refs/notes/lockstep`` and
``git fetch origin refs/notes/lockstep:refs/notes/lockstep``.
"""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

from ..errors import LockstepError

NOTES_REF = "lockstep"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"


def _git(args: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise LockstepError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc


def write_note(root: Path, commit: str, path: Path) -> None:
    """Attach the file at ``path`` to ``commit`` as its lockstep note (replacing an older one)."""
    _git(["notes", "--ref", NOTES_REF, "add", "-f", "-F", str(path), commit], root)


def read_note(root: Path, commit: str) -> str | None:
    proc = _git(["notes", "--ref", NOTES_REF, "show", commit], root, check=False)
    return proc.stdout if proc.returncode == 0 else None


def noted_commits(root: Path) -> dict[str, str]:
    """Commit -> note blob for every commit that has a lockstep note."""
    proc = _git(["notes", "--ref", NOTES_REF, "list"], root, check=False)
    pairs = (line.split() for line in proc.stdout.splitlines() if line.strip())
    return {commit: blob for blob, commit in pairs} if proc.returncode == 0 else {}


def open_record(text: str) -> tuple[dict[str, Any], bool]:
    """The Statement in a note and whether it came in a signed envelope."""
    try:
        doc = json.loads(text)
        if isinstance(doc, dict) and "payload" in doc:
            statement = json.loads(base64.b64decode(doc["payload"]))
            return statement, bool(doc.get("signatures"))
    except (ValueError, TypeError) as exc:
        raise LockstepError(f"the lockstep note is not a reproduction record: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("_type") != STATEMENT_TYPE:
        raise LockstepError("the lockstep note is not an in-toto Statement")
    return doc, False


def summary(text: str) -> str:
    """'equivalent, signed' style: the record's overall verdict and whether it is signed."""
    try:
        statement, signed = open_record(text)
    except LockstepError:
        return "unreadable"
    verdict = (statement.get("predicate") or {}).get("verdict", "unknown")
    return f"{verdict}, {'signed' if signed else 'unsigned'}"


def records(root: Path) -> dict[str, str]:
    """Commit -> record summary for every commit with a lockstep note."""
    out = {}
    for commit, blob in noted_commits(root).items():
        proc = _git(["cat-file", "blob", blob], root, check=False)
        out[commit] = summary(proc.stdout) if proc.returncode == 0 else "unreadable"
    return out

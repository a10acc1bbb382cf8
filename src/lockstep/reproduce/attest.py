"""Reproduction records: an in-toto Statement v1 about a commit's outputs, optionally signed.

Subjects are the committed outputs (name, sha256 of the bytes REV's dvc.lock pins, and that md5)
whose bytes were at hand; the predicate holds the commit, the verdict per output with its largest
difference and reproduced sha256, the tolerances, and the machine the reproduction ran on. The
JSON is written with sorted keys and no timestamp (the notes commit records when).

Signing uses git's own configuration: with ``user.signingkey`` set, the Statement is wrapped in a
DSSE envelope (payloadType ``application/vnd.in-toto+json``) and its pre-authentication encoding
is signed by ``gpg.program`` (``--detach-sign -u KEY``, OpenPGP or X.509) or, with
``gpg.format ssh``, by ``ssh-keygen -Y sign -n lockstep-reproduction`` (``gpg.ssh.program``).
Without a signing key the record is the bare Statement, and says it is unsigned.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import json
import math
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import LockstepError
from ..io import sha256_file
from ..registry.notes import NOTES_REF, STATEMENT_TYPE, write_note
from .verdicts import DIFFERENT, EQUIVALENT, IDENTICAL, Tolerances
from .verify import Lookup, Row

PREDICATE_TYPE = "urn:lockstep:reproduction:v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
SSH_NAMESPACE = "lockstep-reproduction"


def overall(verdicts: list[str]) -> str:
    """different if any output is; else equivalent if any is; else identical."""
    for worst in (DIFFERENT, EQUIVALENT):
        if worst in verdicts:
            return worst
    return IDENTICAL


def statement(commit: str, outputs: list[dict[str, Any]], context: dict[str, Any]) -> dict:
    """The Statement. ``outputs``: name, stage, lock_md5, committed_sha256 (or None),
    reproduced_sha256 (or None), verdict, max_difference, note. ``context``: the rest of the
    predicate (requested revision, mode, tolerances, environment)."""
    subjects = [
        {"name": o["name"], "digest": {"sha256": o["committed_sha256"], "md5": o["lock_md5"]}}
        for o in sorted(outputs, key=lambda o: o["name"])
        if o.get("committed_sha256")
    ]
    predicate = {
        **context,
        "commit": commit,
        "verdict": overall([o["verdict"] for o in outputs]),
        "outputs": sorted(outputs, key=lambda o: o["name"]),
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def dumps(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True, allow_nan=False) + "\n").encode("utf-8")


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's pre-authentication encoding: what a signature covers."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def envelope(payload: bytes, keyid: str, signature: bytes) -> dict[str, Any]:
    return {
        "payload": base64.b64encode(payload).decode("ascii"),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [{"keyid": keyid, "sig": base64.b64encode(signature).decode("ascii")}],
    }


def git_config(root: Path, key: str) -> str | None:
    proc = subprocess.run(["git", "config", "--get", key], cwd=root, capture_output=True, text=True)
    return proc.stdout.strip() or None if proc.returncode == 0 else None


@contextlib.contextmanager
def signing_command(root: Path) -> Iterator[tuple[list[str], str] | None]:
    """(command reading data on stdin and writing a signature, keyid), or None without a key."""
    key = git_config(root, "user.signingkey")
    if not key:
        yield None
        return
    fmt = git_config(root, "gpg.format") or "openpgp"
    if fmt != "ssh":
        default = "gpgsm" if fmt == "x509" else "gpg"
        program = git_config(root, f"gpg.{fmt}.program") or git_config(root, "gpg.program")
        yield [program or default, "--detach-sign", "--armor", "-u", key], key
        return
    program = git_config(root, "gpg.ssh.program") or "ssh-keygen"
    base = [program, "-Y", "sign", "-n", SSH_NAMESPACE]
    if key.startswith("key::"):  # a literal public key: ssh-agent holds the private half
        with tempfile.TemporaryDirectory() as tmp:
            pub = Path(tmp) / "key.pub"
            pub.write_text(key[5:] + "\n", encoding="utf-8")
            yield [*base, "-U", "-f", str(pub)], key[5:]
        return
    path = Path(key).expanduser()
    public = path.with_name(path.name + ".pub")
    keyid = public.read_text(encoding="utf-8").strip() if public.is_file() else path.name
    yield [*base, "-f", str(path)], keyid


def sign(root: Path, payload: bytes) -> dict[str, Any] | None:
    """A signed DSSE envelope around ``payload``, or None when git has no signing key."""
    with signing_command(root) as found:
        if found is None:
            return None
        command, keyid = found
        try:
            proc = subprocess.run(command, input=pae(PAYLOAD_TYPE, payload), capture_output=True)
        except OSError as exc:
            raise LockstepError(f"signing the record: cannot run {command[0]} ({exc})") from exc
    if proc.returncode != 0 or not proc.stdout:
        raise LockstepError(
            f"signing the record with {command[0]} failed: "
            f"{proc.stderr.decode(errors='replace').strip()} (unset user.signingkey, or fix it)"
        )
    return envelope(payload, keyid, proc.stdout)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def output_entries(rows: list[Row], tree: Path, find: Lookup) -> list[dict[str, Any]]:
    """One predicate entry per output: its lock md5, committed and reproduced sha256, verdict."""
    entries = []
    for row in rows:
        file = tree / row.path
        reproduced = sha256_file(file) if file.is_file() else None
        committed = reproduced if row.match else None
        if committed is None and not row.expected.endswith(".dir"):
            data = find(row.path, row.expected)
            committed = hashlib.sha256(data).hexdigest() if data is not None else None
        verdict = row.verdict
        entries.append(
            {
                "name": row.path,
                "stage": row.stage,
                "lock_md5": row.expected,
                "committed_sha256": committed,
                "reproduced_sha256": reproduced,
                "verdict": row.outcome,
                "max_difference": _finite(verdict.max_difference)
                if verdict
                else (0.0 if row.match else None),
                "note": verdict.note if verdict else "",
            }
        )
    return entries


def record(
    root: Path,
    commit: str,
    rev: str,
    entries: list[dict[str, Any]],
    tol: Tolerances,
    mode: str,
    venv_lock: bytes | None,
) -> str:
    """Build the Statement, sign it when git can, store it as REV's note; a line saying so."""
    from .envlock import normalize, parse_lock
    from .machine import PACKAGES, facts, versions

    if venv_lock is not None:  # the stages ran in a venv that installed exactly this lock
        pins = parse_lock(venv_lock.decode("utf-8"))
        packages = {n: pins.get(normalize(n), "not in the lock") for n in PACKAGES}
        packages["lockstep"] = versions(())["lockstep"]
    else:
        packages = None
    context = {
        "requested": rev,
        "mode": mode,
        "tolerances": dataclasses.asdict(tol),
        "environment": facts(packages),
    }
    payload = dumps(statement(commit, entries, context))
    signed = sign(root, payload)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "record.json"
        path.write_bytes(dumps(signed) if signed else payload)
        write_note(root, commit, path)
    how = "signed with user.signingkey" if signed else "unsigned: git has no user.signingkey"
    return f"recorded on {commit[:12]} in refs/notes/{NOTES_REF} ({how})"

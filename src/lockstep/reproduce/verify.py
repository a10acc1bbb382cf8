"""Compare the outputs in a folder with the hashes a `dvc.lock` pins, byte for byte.

Hashes are computed here from the files themselves (md5 of the bytes, as DVC 3 records them;
``<md5>.dir`` for a folder, as DVC builds it), never taken from DVC's state database, so a file
restored from a damaged cache object cannot pass for the one that was locked.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io import file_hash

MISSING = "missing"


@dataclass(frozen=True)
class Row:
    stage: str
    path: str
    expected: str
    got: str

    @property
    def match(self) -> bool:
        return self.expected == self.got


def load_lock(text: str) -> dict[str, Any]:
    """The ``stages`` of a dvc.lock, read as YAML 1.2 the way DVC writes it."""
    from ruamel.yaml import YAML

    return (YAML(typ="safe").load(text) or {}).get("stages") or {}


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def stage_order(stages: dict[str, Any]) -> list[str]:
    """Stages so that each comes after the stages whose outputs it depends on (lock order kept)."""
    outs = {name: [o["path"] for o in entry.get("outs", [])] for name, entry in stages.items()}
    needs = {
        name: {
            other
            for dep in entry.get("deps", [])
            for other, paths in outs.items()
            if other != name and any(_inside(dep["path"], p) for p in paths)
        }
        for name, entry in stages.items()
    }
    order: list[str] = []
    while len(order) < len(stages):
        ready = [n for n in stages if n not in order and needs[n] <= set(order)]
        order.append(ready[0] if ready else next(n for n in stages if n not in order))
    return order


def md5_dir(path: Path) -> str:
    """DVC's folder hash: md5 of the sorted JSON list of {md5, relpath} entries, plus '.dir'."""
    entries = [
        {"md5": file_hash(f, "md5"), "relpath": f.relative_to(path).as_posix()}
        for f in sorted(path.rglob("*"), key=lambda p: p.relative_to(path).as_posix())
        if f.is_file()
    ]
    body = json.dumps(entries, sort_keys=True).encode("utf-8")
    return hashlib.md5(body, usedforsecurity=False).hexdigest() + ".dir"


def hash_path(path: Path) -> str:
    if path.is_dir():
        return md5_dir(path)
    return file_hash(path, "md5") if path.is_file() else MISSING


def compare(stages: dict[str, Any], root: Path) -> list[Row]:
    """One row per locked output, stages in dependency order, with the hash found under root."""
    return [
        Row(name, out["path"], str(out.get("md5", "")), hash_path(root / out["path"]))
        for name in stage_order(stages)
        for out in stages[name].get("outs", [])
    ]


def first_mismatch(rows: list[Row]) -> str | None:
    """The first stage (in dependency order) with an output that differs from the lock."""
    return next((row.stage for row in rows if not row.match), None)


def table(rows: list[Row]) -> str:
    from tabulate import tabulate

    body = [[r.path, r.expected, r.got, "yes" if r.match else "NO"] for r in rows]
    headers = ["output", "expected hash", "got", "match"]
    return tabulate(body, headers=headers, disable_numparse=True) + "\n"

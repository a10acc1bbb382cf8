"""Compare the outputs in a folder with the hashes a `dvc.lock` pins, byte for byte.

Hashes are computed here from the files themselves (md5 of the bytes, as DVC 3 records them;
``<md5>.dir`` for a folder, as DVC builds it), never taken from DVC's state database, so a file
restored from a damaged cache object cannot pass for the one that was locked. An output whose
bytes differ is then judged (``verdicts``) against the committed bytes, found in Git or the DVC
cache and trusted only when their md5 is the locked one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..io import file_hash
from .verdicts import DIFFERENT, EQUIVALENT, IDENTICAL, Tolerances, Verdict, judge_output

MISSING = "missing"


@dataclass(frozen=True)
class Row:
    stage: str
    path: str
    expected: str
    got: str
    verdict: Verdict | None = None  # None: judged by the hash alone

    @property
    def match(self) -> bool:
        return self.expected == self.got

    @property
    def outcome(self) -> str:
        if self.verdict is not None:
            return self.verdict.verdict
        return IDENTICAL if self.match else DIFFERENT


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


def md5_dir(path: Path, ignored: Callable[[Path], bool] = lambda _: False) -> str:
    """DVC's folder hash: md5 of the sorted JSON list of {md5, relpath} entries, plus '.dir'
    (``ignored``: the files .dvcignore leaves out)."""
    entries = [
        {"md5": file_hash(f, "md5"), "relpath": f.relative_to(path).as_posix()}
        for f in sorted(path.rglob("*"), key=lambda p: p.relative_to(path).as_posix())
        if f.is_file() and not ignored(f)
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


def first_mismatch(rows: list[Row], allowed: tuple[str, ...] = (IDENTICAL,)) -> str | None:
    """The first stage (in dependency order) with an output whose outcome is not ``allowed``."""
    return next((row.stage for row in rows if row.outcome not in allowed), None)


Lookup = Callable[[str, str], bytes | None]  # (path, md5) -> the committed bytes, or None


def cache_lookup(cache_dir: Path, blob: Callable[[str], bytes | None]) -> Lookup:
    """Committed bytes from Git (``cache: false`` outputs) or the DVC cache, checked by md5."""

    def find(path: str, md5: str) -> bytes | None:
        objects = (cache_dir / "files" / "md5" / md5[:2] / md5[2:], cache_dir / md5[:2] / md5[2:])
        for data in (blob(path), *(o.read_bytes() for o in objects if o.is_file())):
            if data is not None and hashlib.md5(data, usedforsecurity=False).hexdigest() == md5:
                return data
        return None

    return find


def model_rows(stages: dict[str, Any], model: str, find: Lookup, target: str | None) -> Any:
    """The committed feature rows a stage scores ``model`` on (its Parquet deps), or None."""
    import io

    import pandas as pd

    for name in stage_order(stages):
        deps = stages[name].get("deps", [])
        tables = [d for d in deps if str(d.get("path", "")).endswith(".parquet")]
        if not tables or not any(d.get("path") == model for d in deps):
            continue
        data = find(tables[-1]["path"], str(tables[-1].get("md5", "")))
        if data is not None:
            frame = pd.read_parquet(io.BytesIO(data))
            return frame.drop(columns=[target]) if target in frame.columns else frame
    return None


def judge(rows: list[Row], root: Path, find: Lookup, tol: Tolerances, features: Any) -> list[Row]:
    """Each row with its verdict; only outputs whose bytes differ are opened and compared.

    Rows come in dependency order, so an output that names an upstream output by hash (the
    model card's lineage) is judged knowing which upstream outputs were equivalent."""
    out: list[Row] = []
    renames: dict[str, str] = {}
    for row in rows:
        path = root / row.path
        if row.match or row.expected.endswith(".dir") or not path.is_file():
            out.append(row)
            continue
        committed = find(row.path, row.expected)
        rows_for = features(row.path) if row.path.endswith(".skops") else None
        verdict = judge_output(row.path, committed, path.read_bytes(), tol, rows_for, renames)
        if verdict.verdict == EQUIVALENT:
            renames[row.expected] = row.got
        out.append(replace(row, verdict=verdict))
    return out


def _difference(row: Row) -> str:
    found = row.verdict.max_difference if row.verdict else (0.0 if row.match else None)
    return "-" if found is None else f"{found:.3g}"


def _note(row: Row) -> str:
    return row.verdict.note if row.verdict else ""


def table(rows: list[Row]) -> str:
    from tabulate import tabulate

    body = [[r.path, r.outcome, _difference(r), r.expected[:8], r.got[:8], _note(r)] for r in rows]
    headers = ["output", "verdict", "max difference", "locked", "got", "note"]
    return tabulate(body, headers=headers, disable_numparse=True) + "\n"

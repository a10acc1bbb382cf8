"""Verdicts for reproduced outputs: identical bytes, equivalent meaning, or different.

Bytes can differ across machines (another BLAS kernel, another CPU) while the output still means
the same. Each comparison here is pure (bytes or frames in, a ``Verdict`` out) and measures the
largest difference it saw:

- a model: predicted probabilities on the same feature rows, max absolute difference;
- JSON/YAML: same structure and non-numeric values, every number within abs + rel tolerance;
- Parquet: same columns, dtypes and shape, numbers within tolerance, everything else equal;
- Markdown/text: the same text once numbers are set aside, every number within tolerance;
- anything else: identical or different.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, ClassVar
from zipfile import BadZipFile

from ..errors import LockstepError

IDENTICAL, EQUIVALENT, DIFFERENT = "identical", "equivalent", "different"
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


@dataclass(frozen=True)
class Tolerances:
    """How far a number may stray and still mean the same (the ``reproduce`` params section)."""

    SECTION: ClassVar[str] = "reproduce"
    probability: float = 1e-9
    absolute: float = 1e-6
    relative: float = 1e-9

    def __post_init__(self) -> None:
        for name in ("probability", "absolute", "relative"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value >= 0 and math.isfinite(value)):
                raise LockstepError(
                    f"reproduce.{name}: a tolerance must be a number >= 0, got {value!r} "
                    "(set it in conf/config.yaml, then `lockstep params`)"
                )


@dataclass(frozen=True)
class Verdict:
    verdict: str
    max_difference: float | None = None  # the largest |a - b| measured; None: not measured
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict in (IDENTICAL, EQUIVALENT)


def _close(a: float, b: float, tol: Tolerances) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tol.absolute + tol.relative * abs(b)


def _gap(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
    return abs(a - b) if a != b else 0.0


def judge(diffs: list[float], ok: bool, note: str = "") -> Verdict:
    """EQUIVALENT when every difference is within tolerance (``ok``), else DIFFERENT."""
    largest = max(diffs, default=0.0)
    return Verdict(EQUIVALENT if ok else DIFFERENT, largest, note)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def judge_numbers(pairs: list[tuple[float, float]], tol: Tolerances) -> Verdict:
    """(committed, reproduced) number pairs: EQUIVALENT when all are within tolerance."""
    ok = all(_close(a, b, tol) for a, b in pairs)
    return judge([_gap(a, b) for a, b in pairs], ok)


def _walk(a: Any, b: Any, where: str, pairs: list[tuple[float, float]]) -> str:
    """Collect number pairs; the first structural or non-numeric mismatch, or ''."""
    if _is_number(a) and _is_number(b):
        pairs.append((float(a), float(b)))
        return ""
    if isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            extra = sorted(set(a) ^ set(b), key=str)
            return f"{where}: keys differ ({', '.join(map(str, extra))})"
        for key in sorted(a, key=str):
            found = _walk(a[key], b[key], f"{where}.{key}", pairs)
            if found:
                return found
        return ""
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items, reproduced {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _walk(x, y, f"{where}[{i}]", pairs)
            if found:
                return found
        return ""
    return "" if a == b and type(a) is type(b) else f"{where}: {a!r} became {b!r}"


def compare_trees(committed: Any, reproduced: Any, tol: Tolerances) -> Verdict:
    """Parsed JSON/YAML documents: same shape and non-numbers, every number within tolerance."""
    pairs: list[tuple[float, float]] = []
    mismatch = _walk(committed, reproduced, "$", pairs)
    if mismatch:
        return Verdict(DIFFERENT, None, mismatch)
    return judge_numbers(pairs, tol)


def compare_documents(committed: bytes, reproduced: bytes, tol: Tolerances) -> Verdict:
    """JSON (NaN included) or YAML bytes; text that parses as neither is judged as text."""
    import json

    import yaml

    for parse, errors in ((json.loads, ValueError), (yaml.safe_load, yaml.YAMLError)):
        try:
            return compare_trees(parse(committed), parse(reproduced), tol)
        except errors:
            continue
    return compare_text(committed, reproduced, tol)


def compare_text(committed: bytes, reproduced: bytes, tol: Tolerances) -> Verdict:
    """Text (a Markdown model card): equal words and layout, numbers within tolerance."""
    try:
        a, b = committed.decode("utf-8"), reproduced.decode("utf-8")
    except UnicodeDecodeError:
        return Verdict(DIFFERENT, None, "not UTF-8 text")
    if _NUMBER.split(a) != _NUMBER.split(b):
        return Verdict(DIFFERENT, None, "the text differs, not only its numbers")
    pairs = zip(map(float, _NUMBER.findall(a)), map(float, _NUMBER.findall(b)), strict=True)
    return judge_numbers(list(pairs), tol)


def compare_frames(committed: Any, reproduced: Any, tol: Tolerances) -> Verdict:
    """Two DataFrames: same columns, dtypes, shape and index; numbers within tolerance."""
    import numpy as np
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(
            committed, reproduced, check_exact=False, rtol=tol.relative, atol=tol.absolute
        )
        ok, note = True, ""
    except AssertionError as exc:
        ok, note = False, " ".join(str(exc).split())[:200]
    diffs = []
    if list(committed.columns) == list(reproduced.columns) and committed.shape == reproduced.shape:
        for column in committed.columns:
            a, b = committed[column], reproduced[column]
            if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
                x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
                both_nan = np.isnan(x) & np.isnan(y)
                gaps = np.where(both_nan, 0.0, np.abs(x - y))
                diffs.append(float(np.nanmax(gaps, initial=0.0)) if gaps.size else 0.0)
    return judge(diffs, ok, note)


def compare_probabilities(committed: Any, reproduced: Any, tol: Tolerances) -> Verdict:
    """Predicted probabilities of two models on the same rows: max |a - b| <= tol.probability."""
    import numpy as np

    a, b = np.asarray(committed, dtype=float), np.asarray(reproduced, dtype=float)
    if a.shape != b.shape:
        return Verdict(DIFFERENT, None, f"prediction shapes differ: {a.shape} vs {b.shape}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return Verdict(DIFFERENT, None, "a model predicts non-finite probabilities")
    largest = float(np.max(np.abs(a - b), initial=0.0))
    return judge([largest], largest <= tol.probability)


def compare_models(committed: bytes, reproduced: bytes, features: Any, tol: Tolerances) -> Verdict:
    """Load both model files safely and compare predict_proba on the same feature rows."""
    from ..modelfile import loads_model

    try:
        old = loads_model(committed, "the committed model").predict_proba(features)
        new = loads_model(reproduced, "the reproduced model").predict_proba(features)
    except (LockstepError, ValueError, KeyError, TypeError, AttributeError, BadZipFile) as exc:
        return Verdict(DIFFERENT, None, f"could not score both models: {exc}"[:200])
    return compare_probabilities(old, new, tol)


DOCUMENTS, TABLES, TEXTS = (".json", ".yaml", ".yml"), (".parquet",), (".md", ".txt", ".csv")


def judge_output(
    path: str,
    committed: bytes | None,
    reproduced: bytes | None,
    tol: Tolerances,
    features: Any,
    renames: dict[str, str] | None = None,
) -> Verdict:
    """The verdict on one output file; ``features`` are the rows a model is scored on (or None).

    ``renames`` maps the locked hash of each upstream output judged equivalent to its reproduced
    hash: a text or document that names such an output by hash (the model card's lineage) is
    compared as if it named the reproduced one.
    """
    if reproduced is None:
        return Verdict(DIFFERENT, None, "not reproduced")
    if committed == reproduced:
        return Verdict(IDENTICAL, 0.0)
    if committed is None:
        return Verdict(DIFFERENT, None, "the committed bytes are not here to compare (--pull)")
    suffix = path[path.rfind(".") :].lower() if "." in path else ""
    if suffix == ".skops":
        if features is None:
            return Verdict(DIFFERENT, None, "no committed feature rows to score the models on")
        return compare_models(committed, reproduced, features, tol)
    if suffix in TABLES:
        return _compare_parquet(committed, reproduced, tol)
    if suffix not in DOCUMENTS + TEXTS:
        return Verdict(DIFFERENT, None, "bytes differ (no equivalence rule for this kind of file)")
    mapped = committed
    for old, new in (renames or {}).items():
        mapped = mapped.replace(old.encode("ascii"), new.encode("ascii"))
    compare = compare_documents if suffix in DOCUMENTS else compare_text
    verdict = compare(mapped, reproduced, tol)
    if mapped != committed and verdict.ok:
        return Verdict(verdict.verdict, verdict.max_difference, "names equivalent outputs' hashes")
    return verdict


def _compare_parquet(committed: bytes, reproduced: bytes, tol: Tolerances) -> Verdict:
    import io

    import pandas as pd

    try:
        a, b = pd.read_parquet(io.BytesIO(committed)), pd.read_parquet(io.BytesIO(reproduced))
    except Exception as exc:  # pyarrow raises its own types for unreadable bytes
        return Verdict(DIFFERENT, None, f"not readable as Parquet: {exc}"[:200])
    return compare_frames(a, b, tol)

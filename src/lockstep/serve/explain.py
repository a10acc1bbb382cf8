"""`POST /predict?explain=true&top=N`: each record's largest signed contributions.

The contributions are lockstep.explain's.

Nothing here runs for a request that does not ask (and no prediction log that does not keep
explanations): the reply and its cost are then what they were. The Explainer of a loaded model is
built on first use and kept while the model is loaded.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from ..explain import Explainer

_EXPLAINERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def explainer_for(model: Any) -> Explainer:
    """One Explainer per loaded model, built on first use (a server explains many requests)."""
    with _LOCK:
        if model not in _EXPLAINERS:
            _EXPLAINERS[model] = Explainer(model)
        return _EXPLAINERS[model]


def parse_request(explain: str | None, top: str | None) -> int | None:
    """``?explain=true&top=N`` → N contributions per record (0: all), or None when not asked."""
    if explain is None or explain.lower() in ("false", "0", "no", ""):
        return None
    if explain.lower() not in ("true", "1", "yes"):
        raise ValueError(f"explain must be true or false, got {explain!r}")
    try:
        count = 5 if top is None else int(top)
    except ValueError:
        count = -1
    if count < 0:
        raise ValueError(f"top must be a whole number >= 0 (0: every feature), got {top!r}")
    return count


def explanations(
    loaded: Any, batch: Any, top: int | None, keep_all: bool
) -> tuple[list | None, list | None]:
    """(shown in the reply, kept in the log) for a scored batch; (None, None) when not asked."""
    if top is None and not keep_all:
        return None, None
    explainer = explainer_for(loaded.model)
    matrix = loaded.scorer.features(batch)
    full = explainer.records(matrix, 0) if keep_all else None
    if top is None:
        return None, full
    return (full if top == 0 and full else explainer.records(matrix, top)), full

"""Another library's functions replaced for a while, one thread at a time.

lockstep does this in two places, each to skip work whose result it does not use or to get the
same result faster: modelfile imports skops.io with scikit-learn's ``all_estimators`` returning
nothing, and encoding counts text categories for scikit-learn's encoders in pandas' hash table.
The replacement is process-wide while it lasts; both run in single-threaded stage code, and the
lock makes any other thread that tries the same wait instead of restoring the wrong function.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

_LOCK = threading.RLock()


@contextlib.contextmanager
def replaced(module: Any, wrappers: dict[str, Callable[[Any], Any]]) -> Iterator[None]:
    """While active, each ``module.<name>`` is ``wrappers[name](original)``; names ``module``
    does not have are left alone. The originals come back on exit, after an error too."""
    with _LOCK:
        originals = {name: getattr(module, name) for name in wrappers if hasattr(module, name)}
        try:
            for name, original in originals.items():
                setattr(module, name, wrappers[name](original))
            yield
        finally:
            for name, original in originals.items():
                setattr(module, name, original)

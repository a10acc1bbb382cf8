"""Score folds on a Dask cluster: the data goes to the cluster once, tasks carry only params.

The data is one task's result, not scattered data: scattered data whose workers all die is lost
for good (every fold that needs it is then cancelled), while a task's result is recomputed by
the scheduler on a surviving worker. Workers fetch it from each other, once each.

One slot per worker thread, so as many trials run at once as the cluster has threads. Every
submitted fold is awaited: a result, an exception from the fold, or ``KilledWorker`` when the
workers running it died more often than dask's ``distributed.scheduler.allowed-failures``; the
last two fail the trial with the error named. A worker that dies once is not an error: the
scheduler re-runs its task elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .objective import CVData, score_fold


def _hold(value: Any) -> Any:
    return value


class DaskExecutor:
    def __init__(self, client: Any, cv: CVData, fold: Callable = score_fold) -> None:
        from distributed import as_completed

        self.client, self.fold = client, fold
        self.data = client.submit(_hold, cv, pure=False)
        self.slots = max(1, sum(client.nthreads().values()))
        self.pending = as_completed()
        self.tags: dict[str, int] = {}

    def submit(self, tag: int, model: dict[str, Any], fold: int) -> None:
        future = self.client.submit(self.fold, self.data, model, fold, pure=False)
        self.tags[future.key] = tag
        self.pending.add(future)

    def next(self) -> tuple[int, float | None, str | None]:
        future = next(self.pending)
        tag = self.tags.pop(future.key)
        try:
            return tag, future.result(), None
        except Exception as exc:
            return tag, None, f"{type(exc).__name__}: {exc}"
        finally:
            future.release()

    def cancel(self) -> None:
        futures = list(self.pending.futures)
        self.pending.clear()
        if futures:
            self.client.cancel(futures)

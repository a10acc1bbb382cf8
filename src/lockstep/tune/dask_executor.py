"""Score folds on a Dask cluster: the data is scattered to every worker once, tasks carry params.

One slot per worker thread, so as many trials run at once as the cluster has threads. Every
submitted fold is awaited: a result, an exception from the fold, or ``KilledWorker`` when the
workers running it died more often than dask's ``distributed.scheduler.allowed-failures``; the
last two fail the trial with the error named. A worker that dies once is not an error: the
scheduler re-runs its task elsewhere.
"""

from __future__ import annotations

from typing import Any

from .objective import CVData, score_fold


class DaskExecutor:
    def __init__(self, client: Any, cv: CVData) -> None:
        from distributed import as_completed

        self.client = client
        self.data = client.scatter(cv, broadcast=True)
        self.slots = max(1, sum(client.nthreads().values()))
        self.pending = as_completed()
        self.tags: dict[str, int] = {}

    def submit(self, tag: int, model: dict[str, Any], fold: int) -> None:
        future = self.client.submit(score_fold, self.data, model, fold, pure=False)
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

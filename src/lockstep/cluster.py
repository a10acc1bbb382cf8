"""Dask clusters that lockstep hands work to; it never schedules work itself.

``client(scheduler=...)`` connects to an existing dask.distributed scheduler (``tcp://HOST:PORT``)
and fails at once, naming the address, when nothing answers. ``client(workers=N)`` starts a
LocalCluster of N single-threaded worker processes on 127.0.0.1 (its HTTP endpoint on a free
loopback port), and stops it on exit. ``fold_backend`` runs scikit-learn's joblib work (e.g.
cross-validation folds) on a scheduler's workers; a fold computes the same numbers wherever it
runs.

A worker that dies takes its running task with it; the scheduler then re-runs the task on another
worker, up to dask's ``distributed.scheduler.allowed-failures`` times, and after that the task
fails with ``KilledWorker``: work is retried or reported failed, never lost.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from typing import Any

from .errors import LockstepError

CONNECT_SECONDS = 10
PROBE_SECONDS = 3
SCHEMES = ("tcp://", "tls://", "inproc://", "ws://", "wss://")


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:
        raise LockstepError(
            "Dask is not installed: `pip install 'lockstep[tune]'` (dask[distributed])"
        ) from exc
    return distributed


def check_address(address: str, where: str = "--scheduler") -> None:
    if not address.startswith(SCHEMES) or ":" not in address.split("://", 1)[1]:
        raise LockstepError(
            f"{where}: '{address}' is not a scheduler address like tcp://HOST:PORT "
            "(`dask scheduler` prints it)"
        )


def _unreachable(address: str, where: str, reason: object) -> LockstepError:
    return LockstepError(
        f"{where}: cannot reach the Dask scheduler at {address} ({reason}); start it "
        "(`dask scheduler`, then `dask worker ADDRESS` on each machine) or fix the address"
    )


def probe(address: str, where: str = "--scheduler", timeout: float = PROBE_SECONDS) -> None:
    """Fail at once when nothing listens at a tcp:// address (dask itself retries until timeout)."""
    check_address(address, where)
    if not address.startswith("tcp://"):
        return
    host, _, port = address[len("tcp://") :].rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise _unreachable(address, where, exc) from exc


def connect(address: str, where: str = "--scheduler", timeout: float = CONNECT_SECONDS) -> Any:
    """A client of the scheduler at ``address``; a clear error when it cannot be reached."""
    probe(address, where)
    distributed = _distributed()
    try:
        return distributed.Client(address, timeout=f"{timeout}s", set_as_default=True)
    except (OSError, TimeoutError) as exc:
        raise _unreachable(address, where, f"no answer within {timeout:g} s: {exc}") from exc


@contextlib.contextmanager
def client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A Dask client: of ``scheduler`` if given, else of a new LocalCluster of ``workers``."""
    if scheduler:
        with connect(scheduler) as dask_client:
            yield dask_client
        return
    if not workers or workers < 1:
        raise LockstepError(f"--workers: give at least 1 worker, got {workers}")
    distributed = _distributed()
    with (
        distributed.LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            # The scheduler always serves HTTP (health, and the dashboard when bokeh is there);
            # a free loopback port, never a fixed :8787 that another cluster may hold.
            dashboard_address="127.0.0.1:0",
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


@contextlib.contextmanager
def fold_backend(scheduler: str | None, where: str = "train.scheduler") -> Iterator[None]:
    """Run joblib-parallel scikit-learn work on ``scheduler``'s workers; locally when None."""
    if not scheduler:
        yield
        return
    import joblib

    with connect(scheduler, where), joblib.parallel_backend("dask"):
        yield

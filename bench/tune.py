"""Tuning on Dask: the same trials on a LocalCluster of 1 worker and of 2 workers.

Each run is a fresh search (its own journal in a temp folder) of --trials trials of --family on
the real training split (data/features/train.parquet: run `dvc repro featurize` first), with the
seed from conf/ and pruning off. Both runs score the same param sets (drawn once at random and
queued), every trial every fold, so they do the same work. Workers are single-threaded
processes on 127.0.0.1. The wall time of the search is measured after the cluster is up and has
the data (cluster start-up is printed apart), and the speed-up is the 1-worker time divided by
the 2-worker time. The figure depends on the other load on the machine: the load average is
printed before and after.

Prints figures only; it never fails on timing. Run from the project root:
python bench/tune.py --help
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from common import machine

ROOT = Path(__file__).resolve().parents[1]


def setup(family: str, trials: int):
    """The composed config, the tune params (pruning off), the space and the CV data."""
    from lockstep.tune.command import prepare

    opts = {
        "config_dir": str(ROOT / "conf"),
        "trials": trials,
        "input_path": str(ROOT / "data/features/train.parquet"),
    }
    cfg, params, space, cv, _ = prepare(family, (f"tune.prune_after_trials={trials + 1}",), opts)
    return cfg, params, space, cv


def fixed_trials(space: dict, n: int, seed: int) -> list[dict]:
    """``n`` random param sets: both runs score exactly these, so they do the same work."""
    import optuna

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    return [study.ask(space).params for _ in range(n)]


def warm() -> None:
    """Import what a fold needs on a worker, so import time is not counted as search time."""
    import sklearn.ensemble
    import sklearn.linear_model  # noqa: F401

    import lockstep.tune.objective  # noqa: F401


def timed_search(workers: int, family: str, trials: int, folder: Path) -> tuple[float, float, int]:
    """(cluster start-up seconds, search seconds, complete trials) on ``workers`` workers."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from lockstep.cluster import client
    from lockstep.tune.dask_executor import DaskExecutor
    from lockstep.tune.search import Search, finished, open_study

    cfg, params, space, cv = setup(family, trials)
    start = time.perf_counter()
    with client(workers=workers) as dask_client:
        executor = DaskExecutor(dask_client, cv)
        executor.data.result()  # the data is on the cluster before the clock starts
        dask_client.run(warm)
        ready = time.perf_counter()
        storage = JournalStorage(JournalFileBackend(str(folder / f"{workers}.journal")))
        study = open_study(storage, f"bench-{workers}", params)
        for fixed in fixed_trials(space, trials, params.seed):
            study.enqueue_trial(fixed)
        Search(study, params, space, cfg["model"], executor).run()
        done = time.perf_counter()
    complete = sum(t.state.name == "COMPLETE" for t in finished(study))
    return ready - start, done - ready, complete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="hist_gradient_boosting")
    parser.add_argument("--trials", type=int, default=12)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    print(f"machine: {machine()}")
    print(f"{args.trials} trials of {args.family}, every fold scored (pruning off)")
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            startup, search, complete = timed_search(workers, args.family, args.trials, Path(tmp))
            seconds[workers] = search
            print(
                f"  {workers} worker(s): search {search:7.1f} s ({search / args.trials:.2f} s a "
                f"trial, {complete} complete); cluster start-up {startup:.1f} s",
                flush=True,
            )
    print(f"speed-up, 2 workers vs 1: {seconds[1] / seconds[2]:.2f}x")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"cores: {os.cpu_count()} (the ideal speed-up is min(2, free cores))")
    return 0


if __name__ == "__main__":
    sys.exit(main())

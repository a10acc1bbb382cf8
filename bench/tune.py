"""Tuning on Dask: the same trials on a LocalCluster of 1 worker and of 2 workers, alternately.

Each run is a fresh search (its own journal in a temp folder) of --trials trials of --family on
the real training split (data/features/train.parquet: run `dvc repro featurize` first), with the
seed from conf/ and pruning off. Every run scores the same param sets (drawn once at random and
queued), every trial every fold, so they do the same work. Workers are single-threaded
processes on 127.0.0.1. The wall time of the search is measured after the cluster is up and has
the data (cluster start-up is printed apart). Runs alternate (1, 2, 1, 2, ...: --rounds), so a
change in the machine's other load hits both sizes alike.

The speed-up (1-worker time / 2-worker time) is split into its two factors, from the CPU time
the worker processes used during the search:
- cores used: worker CPU seconds / wall seconds. 1.0 per worker on an idle machine; less when
  other processes take the cores (on a shared machine the scheduler shares them out);
- CPU per trial: worker CPU seconds / trials. The same for 1 and 2 workers unless running two
  folds at once costs more (memory bandwidth, caches) or the cluster adds per-task work.
speed-up = (cores used 2 / cores used 1) x (CPU per trial 1 / CPU per trial 2).
With Linux's autogroup scheduling on (printed), a busy machine shares its cores out per session
first: the workers, all in this command's session, then share one session's part, so on a
loaded machine "cores used" hardly grows with a second worker (README "Scaling out").

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


def cpu_seconds(dask_client) -> float:
    """CPU seconds the worker processes have used so far (all their threads)."""
    return sum(dask_client.run(time.process_time).values())


def timed_search(workers: int, family: str, trials: int, folder: Path, run: int) -> dict:
    """Start-up, search wall and worker CPU seconds, complete trials, on ``workers`` workers."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from lockstep.cluster import client
    from lockstep.tune.dask_executor import DaskExecutor
    from lockstep.tune.search import Search, finished, open_study

    cfg, params, space, cv = setup(family, trials)
    start = time.perf_counter()
    with client(workers=workers) as dask_client:
        executor = DaskExecutor(dask_client, cv)
        dask_client.run(warm)
        dask_client.replicate([executor.data])  # every worker holds the data before the clock
        cpu, ready = cpu_seconds(dask_client), time.perf_counter()
        storage = JournalStorage(JournalFileBackend(str(folder / f"{run}.journal")))
        study = open_study(storage, f"bench-{run}", params)
        for fixed in fixed_trials(space, trials, params.seed):
            study.enqueue_trial(fixed)
        Search(study, params, space, cfg["model"], executor).run()
        done, cpu = time.perf_counter(), cpu_seconds(dask_client) - cpu
    complete = sum(t.state.name == "COMPLETE" for t in finished(study))
    return {"startup": ready - start, "wall": done - ready, "cpu": cpu, "complete": complete}


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(runs: dict[int, list[dict]], trials: int) -> None:
    """Medians per size, and the speed-up with its two factors."""
    from statistics import median

    wall = {w: median(r["wall"] for r in rs) for w, rs in runs.items()}
    cores = {w: median(r["cpu"] / r["wall"] for r in rs) for w, rs in runs.items()}
    per_trial = {w: median(r["cpu"] / trials for r in rs) for w, rs in runs.items()}
    pairs = [a["wall"] / b["wall"] for a, b in zip(runs[1], runs[2], strict=True)]
    print(
        f"speed-up, 2 workers vs 1: {wall[1] / wall[2]:.2f}x (medians; each round: "
        f"{', '.join(f'{x:.2f}x' for x in pairs)})"
    )
    print(
        f"  = cores used {cores[2]:.2f}/{cores[1]:.2f} = {cores[2] / cores[1]:.2f}x"
        f"  x  CPU per trial {per_trial[1]:.1f}/{per_trial[2]:.1f} s = "
        f"{per_trial[1] / per_trial[2]:.2f}x"
    )


def autogroup() -> str:
    try:
        with open("/proc/sys/kernel/sched_autogroup_enabled") as handle:
            enabled = handle.read().strip() == "1"
    except OSError:
        return "autogroup scheduling: unknown (no /proc/sys/kernel/sched_autogroup_enabled)"
    return "autogroup scheduling: " + ("on (cores shared per session first)" if enabled else "off")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", default="hist_gradient_boosting")
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2, help="1-then-2-worker pairs to run")
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    print(f"machine: {machine()}; {autogroup()}")
    print(f"{args.trials} trials of {args.family}, every fold scored (pruning off)")
    runs: dict[int, list[dict]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(2 * args.rounds):
            workers = 1 + number % 2
            before = load()
            got = timed_search(workers, args.family, args.trials, Path(tmp), number)
            runs[workers].append(got)
            print(
                f"  {workers} worker(s): search {got['wall']:6.1f} s, worker CPU "
                f"{got['cpu']:6.1f} s (cores used {got['cpu'] / got['wall']:.2f}), "
                f"{got['complete']} complete; start-up {got['startup']:.1f} s; "
                f"load average {before} -> {load()}",
                flush=True,
            )
    summary(runs, args.trials)
    print(f"cores: {os.cpu_count()} (the ideal speed-up is min(2, free cores))")
    return 0


if __name__ == "__main__":
    sys.exit(main())

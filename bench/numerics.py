"""What pinning the numeric environment costs: `lockstep train` pinned against unpinned.

Runs `lockstep train` on the project's committed training features (run `dvc repro` first) as a
fresh process, alternating the configurations in each round so drift in machine load falls on
all of them alike, and prints the median wall time of each and its ratio to the machine's own
choice (`blas_kernel: auto`, thread counts left to the machine). Also prints the model hash each
configuration gave, so the cost can be read beside what the pin buys.

Prints figures only; it never fails on timing. Run: python bench/numerics.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import machine

ROOT = Path(__file__).resolve().parents[1]
LOCKSTEP = Path(sys.executable).parent / "lockstep"
CONFIGS = {
    "auto (machine's choice)": {"blas_kernel": "auto", "blas_threads": None, "omp_threads": None},
    "pinned Haswell, 1 BLAS thread (default)": {
        "blas_kernel": "Haswell",
        "blas_threads": 1,
        "omp_threads": None,
    },
    "pinned Sandybridge, 1 BLAS thread": {
        "blas_kernel": "Sandybridge",
        "blas_threads": 1,
        "omp_threads": None,
    },
}


def params_with(numerics: dict, folder: Path) -> Path:
    """A params.yaml with this numerics section, in ``folder`` (the pin reads --params)."""
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    params["numerics"] = numerics
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def train_once(folder: Path, params: Path) -> tuple[float, str]:
    """Seconds for one `lockstep train` process, and the md5 of the model it wrote."""
    model = folder / "model.skops"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENBLAS_", "OMP_"))}
    start = time.perf_counter()
    subprocess.run(
        [str(LOCKSTEP), "train", "--params", str(params), "--model", str(model),
         "--metrics", str(folder / "cv.json")],
        cwd=folder, env=env, check=True, capture_output=True,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    return seconds, hashlib.md5(model.read_bytes(), usedforsecurity=False).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    features = ROOT / "data/features/train.parquet"
    if not features.exists():
        sys.exit(f"{features} is missing: run `dvc repro` first")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "data/features").mkdir(parents=True)
        shutil.copy(features, folder / "data/features/train.parquet")
        paths = {}
        for i, (name, numerics) in enumerate(CONFIGS.items()):
            (folder / str(i)).mkdir()
            paths[name] = params_with(numerics, folder / str(i))
        times: dict[str, list[float]] = {name: [] for name in CONFIGS}
        hashes: dict[str, set[str]] = {name: set() for name in CONFIGS}
        for _ in range(args.rounds):
            for name in CONFIGS:
                seconds, md5 = train_once(folder, paths[name])
                times[name].append(seconds)
                hashes[name].add(md5)
    print(f"machine: {machine()}")
    base = statistics.median(times[next(iter(CONFIGS))])
    for name in CONFIGS:
        median = statistics.median(times[name])
        print(
            f"{name:42s} median {median:6.2f} s over {args.rounds} runs, "
            f"{median / base:5.2f}x auto; model md5 {', '.join(sorted(hashes[name]))}"
        )


if __name__ == "__main__":
    main()

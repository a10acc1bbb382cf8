"""Bytes of evaluate's Git-tracked plot data as the test set grows (curves thinned, counts only).

Scores are synthetic (a noisy score for a random target with a given positive rate), so the
curves have as many distinct thresholds as rows, the worst case for their size. Prints figures
only. Run: python bench/plot_size.py [--rows 1409,200000,1000000]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from common import machine
from lockstep.config import load_params, section
from lockstep.io import write_json
from lockstep.stages.evaluate import confusion_counts, curves

ROOT = Path(__file__).resolve().parents[1]


def sizes(rows: int, points: int, bins: int, folder: Path) -> dict[str, int]:
    rng = np.random.default_rng(rows)
    y = (rng.random(rows) < 0.27).astype(int)
    proba = np.clip(0.35 * y + 0.65 * rng.random(rows), 0, 1)
    plots = curves(y, proba, ("No", "Yes"), 0.5, bins, points)
    tracked = {
        "roc": plots["roc"],
        "precision_recall": plots["precision_recall"],
        "calibration": plots["calibration"],
        "confusion_counts": confusion_counts(plots["confusion_matrix"]),
    }
    out = {}
    cached = {"confusion_matrix (DVC cache)": plots["confusion_matrix"]}
    for name, data in {**tracked, **cached}.items():
        write_json(str(folder / f"{name}.json"), data)
        out[name] = (folder / f"{name}.json").stat().st_size
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1409,200000,1000000")
    args = parser.parse_args()
    ev = section(load_params(str(ROOT / "params.yaml")), "evaluate")
    print(machine(), f"curve_points={ev['curve_points']}", sep="\n")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in (int(r) for r in args.rows.split(",")):
            got = sizes(rows, ev["curve_points"], ev["calibration_bins"], Path(tmp))
            in_git = sum(v for k, v in got.items() if "cache" not in k)
            detail = ", ".join(f"{k} {v / 1e3:.1f} kB" for k, v in got.items())
            print(f"{rows:>9,} test rows: {in_git / 1e3:.1f} kB in Git ({detail})")


if __name__ == "__main__":
    main()

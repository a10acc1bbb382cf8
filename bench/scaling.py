"""How the data stages scale with rows: ingest → validate → split → featurize at N rows.

The configured source (the bundled Telco data by default) is upsampled to each size: rows are
drawn with replacement, numeric columns jittered within their observed range, categorical and
0/1 columns resampled from their own distribution for a fraction of rows, ids made unique. The
result is written as a Parquet source, and each stage runs as its own `lockstep <stage>` process
with a params.yaml whose ``data.source`` is that file. Wall time and peak RSS are measured per
process: wall time around it, peak RSS from os.wait4 (ru_maxrss). The data is generated in a
separate process so that this one stays small: a child's ru_maxrss starts from its parent's peak.
Train and evaluate run only up to --train-max-rows, with the params' model family or --family.
With --before REV they run --repeats times for REV's code and this checkout's, alternating (ABBA),
on the same data, so a busy machine slows both alike; each line shows the load average. With
--engine dask the source is a folder of Parquet files of --partition-rows rows and the stages write
partitioned Parquet (README, "Scaling out"):
`python bench/scaling.py --engine dask --sizes 1000000,3000000,10000000 --train-max-rows 0`.

Prints figures only; it never fails on timing. Run from anywhere: python bench/scaling.py --help
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from common import machine
from scaling_models import export_code, family_model, run_models, summary

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATA_STAGES = ("ingest", "validate", "split", "featurize")
TARGET_ROWS = 1_000_000
TARGET_SECONDS = 30.0
TARGET_RSS_MB = 3 * 1024
TARGET_DASK_RSS_MB = 4 * 1024  # the dask engine at 10M rows
RSS_UNIT = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(s.replace("_", "")) for s in text.split(",") if s.strip()})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--sizes: {exc}") from exc
    if not sizes or sizes[0] < 100:
        raise argparse.ArgumentTypeError("--sizes: give row counts of at least 100")
    return sizes


def bench_env() -> dict[str, str]:
    """This interpreter's bin first; no inherited lockstep/DVC settings; no analytics."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOCKSTEP_", "DVC_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["DVC_NO_ANALYTICS"] = "1"
    env["PYTHONHASHSEED"] = "0"
    return env


def load_source(params: dict) -> Any:
    """The configured source, read exactly as the ingest stage reads it."""
    from lockstep.config import read_section
    from lockstep.contract.dataconfig import DataConfig
    from lockstep.stages.readers import READERS

    cfg = read_section(DataConfig, params)
    return READERS[cfg.source.kind](cfg.source)


def source_id_column(params: dict) -> str:
    """The id column under its source name (before ``data.rename``)."""
    data = params["data"]
    back = {new: old for old, new in (data.get("rename") or {}).items()}
    return back.get(data["id_column"], data["id_column"])


def upsample(base: Any, rows: int, id_column: str, seed: int | list[int], first_id: int = 1) -> Any:
    """``rows`` noisy rows drawn from ``base``; numeric values stay inside the observed range."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    picked = rng.integers(0, len(base), size=rows)
    out = {}
    for name in base.columns:
        column = base[name]
        if name == id_column:
            out[name] = np.arange(first_id, first_id + rows, dtype="int64")
            continue
        numeric = pd.api.types.is_numeric_dtype(column) and column.nunique() > 2
        if numeric:
            values = column.to_numpy(dtype="float64", na_value=np.nan)[picked]
            noise = rng.normal(0.0, 0.05 * column.std(), size=rows)
            jittered = np.clip(values + noise, column.min(), column.max())  # NaN stays NaN
            if pd.api.types.is_integer_dtype(column):
                out[name] = pd.array(np.rint(jittered)).astype(column.dtype)
            else:
                out[name] = np.round(jittered, 2)
            continue
        values = column.to_numpy()[picked]
        resample = rng.random(rows) < 0.05
        pool = column.dropna().to_numpy()
        values[resample] = pool[rng.integers(0, len(pool), size=int(resample.sum()))]
        out[name] = values
    return pd.DataFrame(out, columns=base.columns).astype(base.dtypes.to_dict())


def write_source(params: dict, rows: int, seed: int, path: str, part_rows: int = 0) -> None:
    """Upsample the configured source to ``rows`` rows and write it to ``path`` as Parquet: one
    file, or with ``part_rows`` a folder of files of that many rows (each seeded by its number,
    so the memory used stays that of one part)."""
    start = time.perf_counter()
    base = load_source(params)
    if not part_rows:
        upsample(base, rows, source_id_column(params), seed).to_parquet(path, index=False)
    else:
        Path(path).mkdir(parents=True)
        for number, first in enumerate(range(0, rows, part_rows)):
            size = min(part_rows, rows - first)
            frame = upsample(base, size, source_id_column(params), [seed, number], first + 1)
            frame.to_parquet(f"{path}/part-{number:05d}.parquet", index=False)
    print(
        f"  {rows:>9} rows  source    {time.perf_counter() - start:7.2f} s  "
        f"(from {len(base)} rows x {base.shape[1]} columns; not counted)",
        flush=True,
    )


def generate(params: dict, rows: int, seed: int, path: Path, part_rows: int) -> None:
    """Run ``write_source`` in a fresh interpreter, keeping this process's memory peak low."""
    process = multiprocessing.get_context("spawn").Process(
        target=write_source, args=(params, rows, seed, str(path), part_rows)
    )
    process.start()
    process.join()
    if process.exitcode != 0:
        sys.exit(f"generating {rows} rows failed (exit code {process.exitcode})")


@dataclass(frozen=True)
class Measure:
    rows: int
    stage: str
    seconds: float  # wall time
    cpu: float  # user + system CPU seconds: less sensitive than wall time to a busy machine
    rss_mb: float  # peak resident set size


def run_stage(
    stage: str, rows: int, cwd: Path, env: dict[str, str], code: Path | None = None
) -> Measure:
    """Run `lockstep <stage>` in ``cwd`` and measure that one process.

    With ``code`` (a folder holding a ``lockstep`` package), that code runs instead of this
    checkout's."""
    log = cwd / f".{stage}.log"
    command = [str(BIN / "lockstep"), stage]
    if code is not None:
        command = [sys.executable, "-c", "from lockstep.cli import main; main()", stage]
        env = {**env, "PYTHONPATH": str(code)}
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"lockstep {stage} exited {proc.returncode}:\n{log.read_text(errors='replace')}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measure(rows, stage, seconds, cpu, usage.ru_maxrss * RSS_UNIT / 2**20)


def total(measures: list[Measure], rows: int) -> Measure:
    """The data stages at ``rows`` together: summed times, the largest peak RSS."""
    data = [m for m in measures if m.rows == rows and m.stage in DATA_STAGES]
    return Measure(
        rows,
        "data total",
        sum(m.seconds for m in data),
        sum(m.cpu for m in data),
        max(m.rss_mb for m in data),
    )


def growth_exponent(rows: list[int], seconds: list[float]) -> float | None:
    """Slope of log(time) against log(rows) between the two largest sizes (1.0 = linear)."""
    if len(rows) < 2 or min(seconds[-2:]) <= 0:
        return None
    return math.log(seconds[-1] / seconds[-2]) / math.log(rows[-1] / rows[-2])


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    sep = "-|-".join("-" * w for w in widths)
    body = [" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join([line, sep, *body])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=parse_sizes("7043,100000,1000000"),
        help="comma-separated row counts (default: 7043,100000,1000000)",
    )
    parser.add_argument(
        "--train-max-rows",
        type=int,
        default=100_000,
        help="run train and evaluate too at sizes up to this many rows (default: 100000; 0: never)",
    )
    parser.add_argument(
        "--engine",
        choices=("pandas", "dask"),
        default="pandas",
        help="data.engine for the data stages (dask: a partitioned Parquet source and outputs)",
    )
    parser.add_argument(
        "--partition-rows",
        type=int,
        default=1_000_000,
        help="dask engine: data.dask.partition_rows, and the rows per source file (default: 1e6)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for the upsampling (default: 0)")
    parser.add_argument(
        "--params", default=str(ROOT / "params.yaml"), help="params.yaml to start from"
    )
    parser.add_argument("--family", help="model family for train/evaluate (conf/model/NAME.yaml)")
    parser.add_argument("--before", metavar="REV", help="also run train/evaluate with REV's code")
    parser.add_argument("--repeats", type=int, default=1, help="train/evaluate runs per code")
    return parser.parse_args(argv)


def run_sizes(
    args: argparse.Namespace, params: dict, env: dict[str, str]
) -> tuple[list[Measure], dict[int, list[Measure]]]:
    """Upsample the source to each size and run the data stages (and train/evaluate) on it."""
    dask = args.engine == "dask"
    measures: list[Measure] = []
    models: dict[int, list[Measure]] = {}
    with tempfile.TemporaryDirectory(prefix="lockstep-scaling-") as tmp:
        before = export_code(ROOT, args.before, Path(tmp) / "before") if args.before else None
        for rows in args.sizes:
            work = Path(tmp) / f"rows-{rows}"
            (work / "data" / "source").mkdir(parents=True)
            source = work / "data" / "source" / "upsampled.parquet"
            generate(params, rows, args.seed, source, args.partition_rows if dask else 0)
            data = {**params["data"], "source": {"kind": "file", "path": str(source)}}
            if dask:
                data |= {"engine": "dask", "dask": {"partition_rows": args.partition_rows}}
            local = {**params, "data": data}
            (work / "params.yaml").write_text(
                yaml.safe_dump(local, sort_keys=False), encoding="utf-8"
            )
            for stage in DATA_STAGES:
                m = run_stage(stage, rows, work, env)
                measures.append(m)
                print(
                    f"  {rows:>9} rows  {stage:<9} {m.seconds:7.2f} s  "
                    f"(CPU {m.cpu:6.2f} s)  {m.rss_mb:7.0f} MB",
                    flush=True,
                )
            if rows <= args.train_max_rows:
                runs = run_models(rows, work, run_stage, env, before, max(1, args.repeats))
                measures += runs
                models[rows] = runs
            shutil.rmtree(work)
    return measures, models


def print_targets(totals: dict[int, Measure]) -> None:
    """The 1M-row targets: wall time of the data stages and peak RSS."""
    print("targets:")
    if TARGET_ROWS in totals:
        t = totals[TARGET_ROWS]
        print(
            f"  ingest→featurize at 1M rows under {TARGET_SECONDS:.0f} s: {t.seconds:.1f} s wall "
            f"({'holds' if t.seconds < TARGET_SECONDS else 'MISSED'}), {t.cpu:.1f} s CPU"
        )
        print(
            f"  peak RSS at 1M rows under {TARGET_RSS_MB / 1024:.0f} GB: {t.rss_mb:.0f} MB "
            f"({'holds' if t.rss_mb < TARGET_RSS_MB else 'MISSED'})"
        )
    else:
        print("  1M-row targets not measured (add 1000000 to --sizes)")


def print_growth(measures: list[Measure], totals: dict[int, Measure]) -> None:
    """How time grows from one size to the next, per data stage: linear or worse."""
    sizes = list(totals)
    if len(sizes) > 1:
        print(
            f"  time growth {sizes[-2]}→{sizes[-1]} rows: exponent = slope of log time on log rows "
            "(1.00 = linear)"
        )
    for stage in (*DATA_STAGES, "data total"):
        rows_of = [m for m in [*measures, *totals.values()] if m.stage == stage]
        wall = growth_exponent(sizes, [m.seconds for m in rows_of])
        cpu = growth_exponent(sizes, [m.cpu for m in rows_of])
        if wall is None or cpu is None:
            continue
        verdict = "linear or better" if max(wall, cpu) <= 1.05 else "WORSE than linear"
        marginal = " → ".join(
            f"{(b.seconds - a.seconds) / (b.rows - a.rows) * 100_000:.2f}"
            for a, b in itertools.pairwise(rows_of)
        )
        print(
            f"    {stage:<10} exponent {wall:5.2f} wall, {cpu:5.2f} CPU: {verdict}; "
            f"added s per 100k added rows: {marginal}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = yaml.safe_load(Path(args.params).read_text(encoding="utf-8"))
    if args.family:
        params["model"] = family_model(ROOT, args.family)
    env = bench_env()
    print(f"machine: {machine()}")
    print(f"upsampling {params['data']['source']} to {', '.join(map(str, args.sizes))} rows")
    if args.engine == "dask":
        print(f"engine dask: {args.partition_rows} rows per part, in-process threads")
    measures, models = run_sizes(args, params, env)
    totals = {rows: total(measures, rows) for rows in args.sizes}
    lines = [
        [
            f"{m.rows}",
            m.stage,
            f"{m.seconds:.2f}",
            f"{m.cpu:.2f}",
            f"{m.rss_mb:.0f}",
            f"{m.seconds / m.rows * 100_000:.3f}",
        ]
        for m in [*measures, *totals.values()]
    ]
    header = ["rows", "stage", "seconds", "CPU s", "peak RSS MB", "s per 100k rows"]
    print()
    print(table(lines, header))
    print()

    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * RSS_UNIT / 2**20
    print(f"peak RSS is per stage process; this process peaked at {own:.0f} MB (a floor for it)")
    skipped = [r for r in args.sizes if r > args.train_max_rows]
    if skipped:
        print(f"train/evaluate skipped at {', '.join(map(str, skipped))} rows (--train-max-rows)")
    print_targets(totals)
    print_growth(measures, totals)
    sizes = list(totals)
    largest = totals[sizes[-1]]
    print(
        f"largest size run: {largest.rows} rows ({args.engine} engine), data stages "
        f"{largest.seconds:.1f} s wall, peak RSS {largest.rss_mb:.0f} MB (target for 10M rows on "
        f"the dask engine: under {TARGET_DASK_RSS_MB / 1024:.0f} GB: "
        f"{'holds' if largest.rss_mb < TARGET_DASK_RSS_MB else 'MISSED'})"
    )
    print(f"train/evaluate of {params['model'].get('family')}:")
    for rows, runs in models.items():
        print("\n".join(summary(runs, rows)))
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What DVC and the CLI cost on top of the work itself.

(a) `dvc repro -f` of the whole pipeline in a temporary clone of the project, against the same
    stage commands run one after another as separate processes without DVC, and inside a single
    Python process (stage timings there include each module's first imports); runs alternate,
    medians are reported, and the ratio `dvc repro -f` / one process (target: at most 2.0);
(b) `lockstep --help` start-up time (median of --help-runs) against the 0.3 s target;
(c) a no-op `dvc repro` (nothing changed) in the project, against DVC's own no-op on a trivial
    pipeline with the same number of stages (each a Python one-liner with one dep and one out, in
    another temporary repository), alternating; medians and their ratio (target: at most 1.2);
(d) the size of what DVC parses on every run (dvc.lock, params.yaml lines) and how often each
    stage process opens params.yaml.

The machine is shared, so absolute times are noisy: read the ratios (taken in one run, runs
alternating) together with the load average printed at the start and the end.
The clone is `git clone` of this repository, so it holds the committed dvc.yaml and params.yaml;
the code that runs is the installed `lockstep` package. Prints figures only; it never fails on
timing. Run from anywhere: python bench/pipeline_overhead.py --help
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import yaml

from common import machine

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HELP_TARGET_SECONDS = 0.3


def clean_environment() -> None:
    """This interpreter's bin first; no inherited lockstep/DVC settings; no analytics."""
    for name in [k for k in os.environ if k.startswith(("LOCKSTEP_", "DVC_"))]:
        del os.environ[name]
    os.environ["PATH"] = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    os.environ["DVC_NO_ANALYTICS"] = "1"
    os.environ["PYTHONHASHSEED"] = "0"


class Timed(NamedTuple):
    seconds: float  # wall time
    cpu: float  # user + system CPU of the process and all its children: steadier on a busy host
    out: str = ""


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(args: list[str], cwd: Path) -> Timed:
    """Run a command and time it. Exit with its output if it fails."""
    if args[0] in ("dvc", "lockstep"):
        args = [str(BIN / args[0]), *args[1:]]
    start, cpu = time.perf_counter(), children_cpu()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - start, children_cpu() - cpu
    if proc.returncode != 0:
        sys.exit(
            f"{' '.join(args)} exited {proc.returncode} in {cwd}\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        )
    return Timed(seconds, cpu, proc.stdout)


def stage_commands(project: Path) -> list[tuple[str, list[str]]]:
    """(name, argv) of every stage in dvc.yaml, in file order (the pipeline order)."""
    stages = yaml.safe_load((project / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    commands = []
    for name, stage in stages.items():
        cmd = stage["cmd"]
        if not isinstance(cmd, str):
            sys.exit(f"stage {name}: only single-command stages can run in-process")
        commands.append((name, shlex.split(cmd)))
    return commands


def run_stage_in_process(name: str, argv: list[str]) -> None:
    import runpy

    from lockstep.cli import main as cli

    if argv[0] == "lockstep":
        cli.main(argv[1:], prog_name="lockstep", standalone_mode=False)
    elif argv[0] in ("python", "python3") and argv[1:2] == ["-m"]:
        sys.argv = [argv[2], *argv[3:]]
        try:
            runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
    else:
        raise SystemExit(f"stage {name}: cannot run {argv[0]!r} in-process")


def run_in_process(project: str, results: multiprocessing.Queue) -> None:
    """Run every stage command inside this one process; put [(stage, seconds), ...]."""
    import contextlib

    os.chdir(project)
    timings = []
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        for name, argv in stage_commands(Path(project)):
            start = time.perf_counter()
            run_stage_in_process(name, argv)
            timings.append((name, time.perf_counter() - start))
    results.put(timings)


def as_processes(project: Path, stages: list[tuple[str, list[str]]]) -> Timed:
    """The stage commands as separate processes, one after another, without DVC."""
    runs = []
    for _, argv in stages:
        if argv[0] in ("python", "python3"):
            argv = [sys.executable, *argv[1:]]
        runs.append(run(argv, project))
    return Timed(sum(r.seconds for r in runs), sum(r.cpu for r in runs))


def in_process(project: Path) -> tuple[Timed, list[tuple[str, float]]]:
    """A fresh interpreter running all stages (imports included), and its time per stage."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    start, cpu = time.perf_counter(), children_cpu()
    process = context.Process(target=run_in_process, args=(str(project), results))
    process.start()
    process.join()
    timed = Timed(time.perf_counter() - start, children_cpu() - cpu)
    if process.exitcode != 0:
        sys.exit(f"in-process run failed (exit code {process.exitcode})")
    return timed, results.get(timeout=60)


def trivial_pipeline(repo: Path, stages: int) -> None:
    """A git+DVC repository whose pipeline is ``stages`` Python one-liners in a chain, each with
    one dep and one out (the first reads a committed seed file)."""
    repo.mkdir()
    run(["git", "init", "-q"], repo)
    run(["dvc", "init", "-q"], repo)
    for option, value in (("autostage", "true"), ("analytics", "false"), ("check_update", "false")):
        run(["dvc", "config", f"core.{option}", value], repo)
    (repo / "s0.txt").write_text("lockstep\n")
    chain = {}
    for i in range(1, stages + 1):
        copy = f"import shutil; shutil.copyfile('s{i - 1}.txt', 's{i}.txt')"
        chain[f"s{i}"] = {
            "cmd": f'python -c "{copy}"',
            "deps": [f"s{i - 1}.txt"],
            "outs": [f"s{i}.txt"],
        }
    (repo / "dvc.yaml").write_text(yaml.safe_dump({"stages": chain}, sort_keys=False))
    run(["dvc", "repro"], repo)


def noop_pair(ours: Path, theirs: Path, runs: int) -> tuple[Timed, Timed]:
    """Medians of ``runs`` no-op `dvc repro`s in each repository, alternating (after one each
    that settles any leftover work)."""
    for repo in (ours, theirs):
        run(["dvc", "repro"], repo)
    times: dict[Path, list[Timed]] = {ours: [], theirs: []}
    for i in range(runs):
        for repo in (ours, theirs) if i % 2 == 0 else (theirs, ours):
            timed = run(["dvc", "repro"], repo)
            if "Running stage" in timed.out:
                print(f"  note: a stage re-ran during the no-op measurement in {repo.name}")
            times[repo].append(timed)
    return median(times[ours]), median(times[theirs])


# Runs one `lockstep` command and reports how often it opened params.yaml for reading.
COUNT_READS = """
import atexit, os, sys
opened = []
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, os.PathLike)):
        if os.fspath(args[0]).endswith("params.yaml") and "w" not in str(args[1] or "r"):
            opened.append(1)
sys.addaudithook(hook)
atexit.register(lambda: print(f"params.yaml reads: {len(opened)}", file=sys.stderr))
from lockstep.cli import main
main(sys.argv[1:], prog_name="lockstep")
"""


def params_reads(project: Path, stages: list[tuple[str, list[str]]]) -> list[tuple[str, int]]:
    """(stage, times its process opened params.yaml) for each `lockstep` stage command."""
    counts = []
    for name, argv in stages:
        if argv[0] != "lockstep":
            continue
        proc = subprocess.run(
            [sys.executable, "-c", COUNT_READS, *argv[1:]],
            cwd=project,
            capture_output=True,
            text=True,
        )
        found = [line for line in proc.stderr.splitlines() if line.startswith("params.yaml reads")]
        if proc.returncode != 0 or not found:
            sys.exit(f"{name}: counting params.yaml reads failed\n{proc.stderr}")
        counts.append((name, int(found[-1].rsplit(" ", 1)[1])))
    return counts


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def median(times: list[Timed]) -> Timed:
    return Timed(
        statistics.median(t.seconds for t in times), statistics.median(t.cpu for t in times)
    )


def show(label: str, timed: Timed, note: str = "", digits: int = 2) -> None:
    wall, cpu = f"{timed.seconds:.{digits}f}", f"{timed.cpu:.{digits}f}"
    print(f"  {label:<24} {wall:>7} s wall  {cpu:>7} s CPU  {note}".rstrip())


def full_pipeline(project: Path, stages: list, runs: int) -> None:
    """(a): dvc repro -f, each stage as its own process, and all stages in one process."""
    names = ", ".join(name for name, _ in stages)
    print(f"\n(a) full pipeline, {len(stages)} stages ({names}), medians of {runs}")
    run(["dvc", "repro"], project)  # the inputs every later run needs; not timed
    kinds: dict[str, list] = {"dvc": [], "separate": [], "one": [], "stages": []}
    order = ["dvc", "separate", "one"]
    for i in range(runs):
        for kind in order[i % 3 :] + order[: i % 3]:  # each kind first in turn
            if kind == "dvc":
                kinds["dvc"].append(run(["dvc", "repro", "-f"], project))
            elif kind == "separate":
                kinds["separate"].append(as_processes(project, stages))
            else:
                timed, timings = in_process(project)
                kinds["one"].append(timed)
                kinds["stages"].append(timings)
        print(
            f"  run {i + 1}: dvc repro -f {kinds['dvc'][-1].seconds:6.2f} s, separate "
            f"processes {kinds['separate'][-1].seconds:6.2f} s, one process "
            f"{kinds['one'][-1].seconds:6.2f} s (wall; load {load()})"
        )
    per_stage = {
        name: statistics.median(dict(t)[name] for t in kinds["stages"])
        for name, _ in kinds["stages"][0]
    }
    for name, seconds in per_stage.items():
        print(f"    in-process {name:<10} {seconds:6.2f} s wall (median)")
    dvc, separate, process = (median(kinds[k]) for k in ("dvc", "separate", "one"))
    in_stages = sum(per_stage.values())
    show("dvc repro -f", dvc)
    show("separate processes", separate, "(each stage command, no DVC)")
    show(
        "one Python process",
        process,
        f"(stages {in_stages:.2f} s + interpreter and imports {process.seconds - in_stages:.2f} s)",
    )
    for kind, label in (("seconds", "wall"), ("cpu", "CPU")):
        d, sep, one = (getattr(t, kind) for t in (dvc, separate, process))
        print(
            f"  ratio dvc / one process  {d / one:5.2f}x {label:<4}  "
            f"(DVC itself {d - sep:+.2f} s, per-stage start-up {sep - one:+.2f} s; "
            "target 2.0x)"
        )


def help_time(project: Path, runs: int) -> None:
    """(b): the start-up of `lockstep --help` against a bare interpreter's."""
    print(f"\n(b) lockstep --help, {runs} runs")
    run(["lockstep", "--help"], project)
    helps = [run(["lockstep", "--help"], project) for _ in range(runs)]
    help_median = median(helps)
    floor = median([run([sys.executable, "-c", "pass"], project) for _ in range(5)])
    verdict = "met" if help_median.seconds < HELP_TARGET_SECONDS else "MISSED"
    walls = [h.seconds for h in helps]
    show(
        "lockstep --help median",
        help_median,
        f"(min {min(walls):.3f}, max {max(walls):.3f}); target {HELP_TARGET_SECONDS} s: {verdict}",
        digits=3,
    )
    show("python -c pass median", floor, digits=3)


def noop_repro(project: Path, trivial: Path, stages: list, runs: int) -> None:
    """(c): a no-op `dvc repro` of this project against a trivial pipeline of as many stages."""
    print(f"\n(c) no-op dvc repro, median of {runs} runs each, alternating")
    trivial_pipeline(trivial, len(stages))
    ours, theirs = noop_pair(project, trivial, runs)
    version = median([run(["dvc", "--version"], trivial) for _ in range(3)])
    show(f"lockstep ({len(stages)} stages)", ours, digits=3)
    show(f"trivial python ({len(stages)})", theirs, digits=3)
    print(
        f"  ratio                    {ours.seconds / theirs.seconds:7.2f}x wall "
        f"{ours.cpu / theirs.cpu:7.2f}x CPU  (target 1.2x)"
    )
    show("dvc --version", version, "(DVC start-up alone)", digits=3)


def parsed(project: Path, stages: list) -> None:
    """(d): the lines of dvc.lock and params.yaml, DVC's YAML parser, and params.yaml reads."""
    print("\n(d) what every run parses")
    print(f"  dvc.lock     {lines(project / 'dvc.lock'):5d} lines")
    print(f"  params.yaml  {lines(project / 'params.yaml'):5d} lines")
    from ruamel.yaml.main import CParser

    parser = "C (ruamel.yaml.clib)" if CParser else "pure Python: pip install ruamel.yaml.clib"
    print(f"  DVC's YAML parser: {parser}")
    reads = params_reads(project, stages)
    each = ", ".join(f"{name} {n}" for name, n in reads)
    print(f"  params.yaml reads by the stage processes: {sum(n for _, n in reads)} ({each})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="full-pipeline runs of each kind, alternating; medians are reported (default: 3)",
    )
    parser.add_argument(
        "--help-runs", type=int, default=10, help="`lockstep --help` runs (default: 10)"
    )
    parser.add_argument(
        "--noop-runs", type=int, default=9, help="no-op `dvc repro` runs per repo (default: 9)"
    )
    args = parser.parse_args(argv)
    if min(args.runs, args.help_runs, args.noop_runs) < 1:
        parser.error("run counts must be at least 1")
    clean_environment()
    print(f"machine: {machine()}")

    with tempfile.TemporaryDirectory(prefix="lockstep-overhead-") as tmp:
        project = Path(tmp) / "project"
        os.environ["DVC_SITE_CACHE_DIR"] = str(Path(tmp) / "dvc-site")  # not /var/tmp/dvc
        run(["git", "clone", "-q", str(ROOT), str(project)], Path(tmp))
        stages = stage_commands(project)
        full_pipeline(project, stages, args.runs)
        help_time(project, args.help_runs)
        noop_repro(project, Path(tmp) / "trivial", stages, args.noop_runs)
        parsed(project, stages)
    print(f"\nload average at the end: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What `lockstep explain` (and the PR report's explain section) costs on the bundled data.

In a temporary clone of this repository (with a copy of its DVC cache, so what this checkout has
reproduced is not run again): `dvc repro` the committed pipeline (the base), then
commit a head that changes a param (`class_weight: balanced` in the selected model's conf file)
and a code file (a comment in the train stage, so DVC re-runs train and what follows), reproduced
and committed with its metrics. Then it times `lockstep explain --base HEAD~1` (2 changed
factors: 4 runs, 2 of them hybrid pipeline runs in worktrees) and `lockstep report --explain`
right after it (DVC's run-cache has seen every hybrid by then). The code that runs is the
installed `lockstep` package. Prints figures only; it never fails on timing.
Usage: python bench/explain.py
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import machine

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
GIT_ID = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def run(args: list[str], cwd: Path) -> tuple[float, str]:
    """(seconds, stdout + stderr) of a command; exit with its output if it fails."""
    if args[0] in ("dvc", "lockstep"):
        args = [str(BIN / args[0]), *args[1:]]
    env = {**os.environ, **GIT_ID, "DVC_NO_ANALYTICS": "1"}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout + proc.stderr


def make_head(project: Path) -> None:
    """A param change (the selected model's class_weight) and a code change (a comment)."""
    defaults = yaml.safe_load((project / "conf/config.yaml").read_text())["defaults"]
    model = next(d["model"] for d in defaults if isinstance(d, dict) and "model" in d)
    conf = project / "conf/model" / f"{model}.yaml"
    text = re.sub(r"(?m)^class_weight:.*\n", "", conf.read_text())
    conf.write_text(text + "class_weight: balanced\n")
    train = project / "src/lockstep/stages/train.py"
    train.write_text(train.read_text() + "# a code change for bench/explain.py\n")
    run(["lockstep", "params"], project)


def main() -> None:
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(prefix="lockstep-bench-explain-") as tmp:
        project = Path(tmp) / "project"
        run(["git", "clone", "-q", str(ROOT), str(project)], Path(tmp))
        if (ROOT / ".dvc/cache").is_dir():  # a copy: what this checkout has reproduced is cached
            shutil.copytree(ROOT / ".dvc/cache", project / ".dvc/cache")
        base_repro, _ = run(["dvc", "repro"], project)
        run(["git", "add", "-A"], project)
        run(["git", "commit", "-q", "--allow-empty", "-m", "base reproduced"], project)
        make_head(project)
        head_repro, _ = run(["dvc", "repro"], project)
        run(["git", "add", "-A"], project)
        run(["git", "commit", "-q", "-m", "head: class_weight balanced, train.py touched"], project)
        seconds, out = run(["lockstep", "explain", "--base", "HEAD~1"], project)
        runs = re.search(r"(\d+) runs \((\d+) hybrid\)", out)
        report, _ = run(
            ["lockstep", "report", "--base", "HEAD~1", "--head", "HEAD", "--explain"], project
        )
        print(f"dvc repro: base {base_repro:.1f} s, head {head_repro:.1f} s")
        print(f"lockstep explain: {seconds:.1f} s, {runs[1]} runs ({runs[2]} hybrid pipeline runs)")
        print(f"lockstep report --explain right after (run-cache warm): {report:.1f} s")
        wanted = re.compile(r"^(roc_auc: |  (data|params|code|total) +[+-]|\d+ runs)")
        print("\n".join(line for line in out.splitlines() if wanted.match(line)))
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

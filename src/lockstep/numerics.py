"""The numeric environment every stage runs in, pinned so model bytes match on every machine.

OpenBLAS (bundled with numpy's and scipy's wheels) picks its kernel from the CPU when it loads:
the same lbfgs fit sums in another order under SkylakeX, Haswell or Sandybridge kernels, and the
saved model differs in its last bits. The ``numerics`` section of params.yaml names one kernel
family (``Haswell`` by default: every x86-64 CPU with AVX2 and FMA runs it) and thread counts;
``lockstep`` sets ``OPENBLAS_CORETYPE`` and the thread variables before numpy is imported, so a
fresh clone's ``dvc repro`` reproduces the committed ``dvc.lock`` byte for byte.

Where the pin cannot hold (no AVX2, another architecture, a numpy built on MKL or Accelerate),
one warning says so and the machine's own kernel runs: outputs may then differ in their bits,
and ``lockstep reproduce`` judges them by meaning instead. Nothing here imports numpy.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from .paths import PARAMS_FILE

AUTO = "auto"
# What each OpenBLAS kernel family needs from an x86-64 CPU (flags as /proc/cpuinfo spells them).
KERNEL_FLAGS: dict[str, frozenset[str]] = {
    "Prescott": frozenset({"sse3"}),
    "Nehalem": frozenset({"sse4_2"}),
    "Sandybridge": frozenset({"avx"}),
    "Haswell": frozenset({"avx2", "fma"}),
    "Zen": frozenset({"avx2", "fma"}),
    "SkylakeX": frozenset({"avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"}),
    "Cooperlake": frozenset({"avx512f", "avx512_bf16"}),
}
X86_64 = ("x86_64", "amd64")
# Set when the kernel is pinned, so a later check (here or in a subprocess) knows what to expect.
PINNED_VAR = "LOCKSTEP_BLAS_KERNEL"


@dataclass(frozen=True)
class NumericsParams:
    """The ``numerics`` section of params.yaml."""

    blas_kernel: str = "Haswell"  # an OpenBLAS kernel family, or `auto` for the CPU's own choice
    blas_threads: int | None = 1  # BLAS threads; null leaves it to the machine
    omp_threads: int | None = None  # OpenMP threads (tree models); null leaves it to the machine


@dataclass(frozen=True)
class Plan:
    """What to set in the environment, and the one warning to print (if any)."""

    env: dict[str, str]
    warning: str | None
    pinned: bool


def plan(params: NumericsParams, machine: str, cpu_flags: frozenset[str] | None) -> Plan:
    """Decide the environment for ``params`` on a CPU (``cpu_flags`` None when unknown)."""
    env = {}
    if params.blas_threads is not None:
        env["OPENBLAS_NUM_THREADS"] = str(params.blas_threads)
    if params.omp_threads is not None:
        env["OMP_NUM_THREADS"] = str(params.omp_threads)
    kernel = params.blas_kernel
    if kernel == AUTO:
        return Plan(env, None, pinned=False)
    if kernel not in KERNEL_FLAGS:
        known = ", ".join([*sorted(KERNEL_FLAGS), AUTO])
        raise ValueError(f"numerics.blas_kernel: unknown kernel '{kernel}' (one of: {known})")
    fallback = (
        "; the machine's own BLAS kernel runs instead, so model bytes may differ from dvc.lock"
        " (`lockstep reproduce` then compares predictions and metrics within a tolerance)"
    )
    if machine.lower() not in X86_64:
        return Plan(
            env,
            f"numerics: {machine} is not x86-64, the {kernel} kernel is x86-64 only" + fallback,
            pinned=False,
        )
    if cpu_flags is None:
        return Plan(env, "numerics: cannot read this CPU's features" + fallback, pinned=False)
    missing = sorted(KERNEL_FLAGS[kernel] - cpu_flags)
    if missing:
        return Plan(
            env,
            f"numerics: this CPU lacks {', '.join(missing)} for the {kernel} kernel" + fallback,
            pinned=False,
        )
    env["OPENBLAS_CORETYPE"] = kernel
    env[PINNED_VAR] = kernel
    return Plan(env, None, pinned=True)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str] | None:
    """The CPU's feature flags (Linux), or None when they cannot be read."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return None


def read_params(path: str | Path = PARAMS_FILE) -> NumericsParams:
    """The ``numerics`` section of ``path``; the defaults when the file or section is absent.

    The parse is shared with the command that runs next (config.parse_params)."""
    import yaml

    from .config import build, parse_params

    path = Path(path)
    if not path.is_file():
        return NumericsParams()
    try:
        data = parse_params(path) or {}
    except yaml.YAMLError:
        return NumericsParams()  # the stage itself reports the broken file, with its position
    section = data.get("numerics") if isinstance(data, dict) else None
    return NumericsParams() if section is None else build(NumericsParams, section, "numerics")


def pin(params_path: str | Path = PARAMS_FILE, *, warn: bool = True) -> Plan | None:
    """Pin this process's numerics from params.yaml, before numpy loads; None if too late.

    Subprocesses (dvc's stages, joblib workers) inherit the environment, so they are pinned too.
    """
    if "numpy" in sys.modules:
        return None
    params = read_params(params_path)
    result = plan(params, platform.machine(), cpu_flags())
    os.environ.update(result.env)
    if warn and result.warning:
        print(f"lockstep: warning: {result.warning}", file=sys.stderr)
    return result


def describe() -> list[dict[str, object]]:
    """The numeric libraries loaded in this process (threadpoolctl): for records, not outputs."""
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "prefix", "version", "architecture", "threading_layer", "num_threads")
    return [{k: info.get(k) for k in keys if k in info} for info in threadpool_info()]


def check() -> str | None:
    """After numpy/scipy load: a warning when a pinned kernel is not the one running."""
    expected = os.environ.get(PINNED_VAR)
    if not expected:
        return None
    for info in describe():
        if info.get("internal_api") == "openblas":
            if str(info.get("architecture", "")).lower() != expected.lower():
                return (
                    f"numerics: OpenBLAS runs the {info.get('architecture')} kernel, not"
                    f" {expected}; model bytes may differ from dvc.lock"
                )
        elif info.get("internal_api") in ("mkl", "blis", "accelerate"):
            return (
                f"numerics: numpy/scipy use {info['internal_api']}, not OpenBLAS; the kernel"
                " cannot be pinned, so model bytes may differ from dvc.lock"
            )
    return None

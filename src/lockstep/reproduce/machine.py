"""Facts about the machine a reproduction ran on, for reproduction records only.

CPU model, architecture and the SIMD flags that decide which BLAS kernel runs; the BLAS and
OpenMP libraries numpy and scikit-learn loaded (threadpoolctl via ``numerics.describe``: library,
version, kernel, threads) and whether the pinned kernel is the one running; the numeric
environment variables; Python, the OS and the versions of the packages that shape the numbers.
These facts never go into tracked pipeline outputs, which must not depend on the machine.
"""

from __future__ import annotations

import contextlib
import os
import platform
from pathlib import Path
from typing import Any

# The flags that decide which kernels OpenBLAS and NumPy can use on x86-64 and ARM.
SIMD_FLAGS = (
    "sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_bf16",
    "avx512_vnni", "amx_tile", "neon", "asimd", "sve", "sve2",
)  # fmt: skip
PACKAGES = ("numpy", "scipy", "scikit-learn", "pandas", "pyarrow", "skops", "threadpoolctl", "dvc")
NUMERIC_ENV = (
    "LOCKSTEP_BLAS_KERNEL", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OPENBLAS_L2_SIZE",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MKL_CBWR", "VECLIB_MAXIMUM_THREADS",
)  # fmt: skip


def cpu(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, Any]:
    """Model name, architecture and the SIMD flags present (flags as numerics reads them)."""
    from ..numerics import cpu_flags

    model = ""
    with contextlib.suppress(OSError):
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() in ("model name", "hardware", "cpu model"):
                model = value.strip()
                break
    flags = cpu_flags(cpuinfo) or frozenset()
    return {
        "model": model or platform.processor() or "unknown",
        "architecture": platform.machine(),
        "simd_flags": [f for f in SIMD_FLAGS if f in flags],
        "logical_cpus": os.cpu_count(),
    }


def versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in (*names, "lockstep"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def facts(packages: dict[str, str] | None = None) -> dict[str, Any]:
    """The environment of this process (numpy and scikit-learn loaded, so their pools show)."""
    import numpy  # noqa: F401  (loads the BLAS threadpoolctl reports)
    import sklearn  # noqa: F401  (loads its OpenMP runtime)

    from ..numerics import check, describe

    libc = platform.libc_ver()
    return {
        "cpu": cpu(),
        "blas": describe(),
        "blas_warning": check(),
        "numeric_env": {k: os.environ[k] for k in NUMERIC_ENV if k in os.environ},
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "os": {
            "system": platform.system(),
            "release": platform.release(),
            "libc": " ".join(filter(None, libc)) or "unknown",
        },
        "packages": packages if packages is not None else versions(),
    }

"""Facts about the machine a reproduction ran on, for reproduction records only.

CPU model, architecture and the SIMD flags that decide which BLAS kernel runs; the BLAS and
OpenMP libraries numpy and scikit-learn loaded (threadpoolctl: library, version, kernel, threads);
the numeric environment variables; Python, the OS and the versions of the packages that shape the
numbers. These facts never go into tracked pipeline outputs, which must not depend on the machine.
"""

from __future__ import annotations

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
NUMERIC_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OPENBLAS_L2_SIZE", "OMP_NUM_THREADS",
               "MKL_NUM_THREADS", "MKL_CBWR", "VECLIB_MAXIMUM_THREADS")  # fmt: skip


def cpu(cpuinfo: str) -> dict[str, Any]:
    """Model name and the SIMD flags present, from the text of /proc/cpuinfo (Linux)."""
    model, flags = "", set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "hardware", "cpu model") and not model:
            model = value.strip()
        elif key in ("flags", "features") and not flags:
            flags = set(value.split())
    return {
        "model": model or platform.processor() or "unknown",
        "architecture": platform.machine(),
        "simd_flags": [f for f in SIMD_FLAGS if f in flags],
        "logical_cpus": os.cpu_count(),
    }


def blas(pools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The thread pools threadpoolctl found: library, version, kernel and threads (no paths)."""
    keys = ("user_api", "internal_api", "version", "architecture", "threading_layer", "num_threads")
    out = [{k: pool[k] for k in keys if pool.get(k) is not None} for pool in pools]
    for entry, pool in zip(out, pools, strict=True):
        entry["library"] = Path(str(pool.get("filepath", ""))).name
    return sorted(out, key=lambda e: (e.get("user_api", ""), e["library"]))


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
    from threadpoolctl import threadpool_info

    info = Path("/proc/cpuinfo")
    text = info.read_text(encoding="utf-8", errors="replace") if info.is_file() else ""
    libc = platform.libc_ver()
    return {
        "cpu": cpu(text),
        "blas": blas(threadpool_info()),
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

"""What the benchmarks share: a one-line description of the machine they ran on."""

from __future__ import annotations

import os
import platform


def machine() -> str:
    import psutil

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    memory = psutil.virtual_memory().total / 2**30
    return (
        f"{os.cpu_count()} CPUs, {memory:.1f} GiB RAM, Python {platform.python_version()}, "
        f"load average {load}"
    )

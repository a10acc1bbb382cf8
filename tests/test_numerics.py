"""The numeric pin: which kernel a CPU gets, and that a stage process really runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from lockstep.numerics import AUTO, KERNEL_FLAGS, NumericsParams, cpu_flags, plan, read_params
from tests.conftest import ROOT, project_env

AVX2 = frozenset({"sse3", "sse4_2", "avx", "avx2", "fma"})


def test_an_avx2_cpu_is_pinned_to_the_configured_kernel():
    result = plan(NumericsParams(), "x86_64", AVX2)
    assert result.pinned and result.warning is None
    assert result.env["OPENBLAS_CORETYPE"] == "Haswell"
    assert result.env["OPENBLAS_NUM_THREADS"] == "1"
    assert "OMP_NUM_THREADS" not in result.env


@pytest.mark.parametrize(
    ("machine", "flags", "said"),
    [
        ("x86_64", frozenset({"sse3", "avx"}), "lacks avx2, fma for the Haswell kernel"),
        ("aarch64", AVX2, "aarch64 is not x86-64"),
        ("x86_64", None, "cannot read this CPU's features"),
    ],
)
def test_a_cpu_that_cannot_run_the_kernel_falls_back_with_one_warning(machine, flags, said):
    result = plan(NumericsParams(), machine, flags)
    assert not result.pinned and "OPENBLAS_CORETYPE" not in result.env
    assert said in result.warning and "may differ from dvc.lock" in result.warning


def test_auto_leaves_the_kernel_to_the_machine_and_an_unknown_kernel_is_refused():
    result = plan(
        NumericsParams(blas_kernel=AUTO, blas_threads=None, omp_threads=2), "x86_64", AVX2
    )
    assert result.env == {"OMP_NUM_THREADS": "2"} and result.warning is None
    with pytest.raises(ValueError, match=r"unknown kernel 'Haswel'.*Haswell"):
        plan(NumericsParams(blas_kernel="Haswel"), "x86_64", AVX2)


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse3 avx2 fma\n")
    assert cpu_flags(info) == frozenset({"fpu", "sse3", "avx2", "fma"})
    assert cpu_flags(tmp_path / "missing") is None


def test_params_come_from_the_numerics_section_and_reject_unknown_keys(tmp_path):
    path = tmp_path / "params.yaml"
    assert read_params(path) == NumericsParams()
    path.write_text("numerics:\n  blas_kernel: Sandybridge\n  blas_threads: 2\n")
    assert read_params(path) == NumericsParams("Sandybridge", 2, None)
    path.write_text("numerics:\n  blas_kernal: Haswell\n")
    with pytest.raises(Exception, match="unknown key 'blas_kernal'"):
        read_params(path)


PROBE = """
import json, sys
from lockstep.numerics import pin
pin(sys.argv[1])
import numpy, scipy.linalg
from threadpoolctl import threadpool_info
print(json.dumps([(i["architecture"], i["num_threads"]) for i in threadpool_info()]))
"""


@pytest.mark.skipif(not (cpu_flags() or frozenset()) >= KERNEL_FLAGS["Haswell"], reason="no AVX2")
@pytest.mark.parametrize("machine_kernel", ["Sandybridge", "SkylakeX"])
def test_a_process_runs_the_pinned_kernel_whatever_the_machine_sets(tmp_path, machine_kernel):
    """numpy's and scipy's OpenBLAS both run the pinned kernel, one thread, in a new process."""
    params = tmp_path / "params.yaml"
    params.write_text("numerics:\n  blas_kernel: Haswell\n  blas_threads: 1\n")
    env = project_env(OPENBLAS_CORETYPE=machine_kernel, OPENBLAS_L2_SIZE="123456")
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(params)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    libraries = json.loads(out)
    assert len(libraries) >= 2 and all(lib == ["Haswell", 1] for lib in libraries), libraries

"""One measurement in a fresh Python process: the benchmarks that compare frameworks run
each (framework, configuration, optimizer) this way, so that nothing one framework leaves
behind (threads, caches, memory) reaches the next (docs/benchmarks.md, "Measuring on a
noisy machine").

The benchmark script runs itself again with ``--worker``, its worker arguments and the
path of a JSON file it writes its result into.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path


def run_worker(script: str, worker_args: list, env: dict, label: str) -> dict | None:
    """``python script --worker *worker_args result.json`` under ``env``; the JSON result,
    or None (with the error's last line printed, naming ``label``) if the worker failed."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "result.json"
        command = [sys.executable, script, "--worker", *map(str, worker_args), str(out)]
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = done.stderr.strip().splitlines()[-1:]
            print(f"  {label} failed: {tail}", file=sys.stderr)
            return None
        return json.loads(out.read_text())


# A deepgrad row whose name ends so runs with its products in Intel MKL (DEEPGRAD_BLAS=mkl,
# from ``pip install "deepgrad[mkl]"``), beside the same row on NumPy's OpenBLAS.
MKL = " (MKL)"


def mkl_installed() -> bool:
    """Whether deepgrad would find MKL's runtime library here (``deepgrad.blas.mkl_paths``)."""
    from deepgrad import blas

    return bool(blas.mkl_paths())


# A deepgrad row whose name ends so runs without numba (DEEPGRAD_FUSED=0): the NumPy rules
# only, nothing compiled or loaded, beside the same row with its kernels.
NO_NUMBA = " (no numba)"
# One whose name ends so runs without the C loops (DEEPGRAD_NATIVE=0): the optimizer's
# update on numba's kernel or the NumPy rules, as on a machine without a C compiler.
NO_C_COMPILER = " (no C compiler)"
# One whose name ends so starts the kernels at the first step (DEEPGRAD_FUSED=1), where
# the default lets a fit choose (training/kernel_start.py).
KERNELS_FROM_START = " (kernels from the start)"
# One whose name ends so runs NumPy's OpenBLAS on its AVX-512 kernels
# (OPENBLAS_CORETYPE=SkylakeX), where the machine's environment pins another core type (the
# development machine kind pins Haswell, AVX2, on an AVX-512 CPU: docs/benchmarks.md,
# "The OpenBLAS kernels of the development machine").
AVX512_OPENBLAS = " (AVX-512 OpenBLAS)"


def row_environment(framework: str) -> dict:
    """What a row's worker adds to its environment: DEEPGRAD_BLAS=mkl for an MKL row,
    DEEPGRAD_FUSED=0 for a row without numba, 1 for one with the kernels from the start,
    DEEPGRAD_NATIVE=0 for one without the C loops,
    OPENBLAS_CORETYPE=SkylakeX for one on OpenBLAS's AVX-512 kernels."""
    if framework.endswith(MKL):
        return {"DEEPGRAD_BLAS": "mkl"}
    if framework.endswith(NO_NUMBA):
        return {"DEEPGRAD_FUSED": "0"}
    if framework.endswith(KERNELS_FROM_START):
        return {"DEEPGRAD_FUSED": "1"}
    if framework.endswith(NO_C_COMPILER):
        return {"DEEPGRAD_NATIVE": "0"}
    if framework.endswith(AVX512_OPENBLAS):
        return {"OPENBLAS_CORETYPE": "SkylakeX"}
    return {}

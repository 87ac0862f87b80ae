"""What a benchmark ran on: the CPU, and the kernels NumPy's BLAS chose for it.

Printed at the top of every benchmark's output, because the verdicts depend on it: on
the development machine kind the same commands have met an AMD EPYC of family 26 (Zen 5)
with AVX-512, where NumPy's OpenBLAS 0.3.31 does not recognise the CPU and runs its AVX2
("Haswell") kernels, and XLA's products run at twice their speed
(docs/benchmarks.md, "NumPy's OpenBLAS on an AMD Zen 5").

    python benchmarks/machine.py
    python benchmarks/machine.py --product          # and one product of the medium net
    OPENBLAS_CORETYPE=SkylakeX python benchmarks/machine.py --product
"""

from __future__ import annotations

import argparse
import os
import platform
import time


def cpu() -> str:
    """The CPU's model name, family and model, whether it has AVX-512, and its core count."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    avx512 = "avx512f" in fields.get("flags", "").split()
    return (
        f"{fields.get('model name', '?')} (family {fields.get('cpu family', '?')}, model "
        f"{fields.get('model', '?')}), {os.cpu_count()} cores, "
        f"{'with' if avx512 else 'without'} AVX-512"
    )


def blas() -> str:
    """NumPy's BLAS, its version and the kernels it chose (threadpoolctl, when installed)."""
    import numpy as np

    try:
        import threadpoolctl
    except ImportError:
        return f"NumPy {np.__version__} (install threadpoolctl to see its BLAS's kernels)"
    np.ones(1) @ np.ones(1)  # NumPy's BLAS loaded
    pools = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
    described = ", ".join(
        f"{p.get('internal_api')} {p.get('version')} ({p.get('architecture', '?')} kernels, "
        f"{p.get('num_threads')} threads)"
        for p in pools
    )
    core = os.environ.get("OPENBLAS_CORETYPE")
    return f"NumPy {np.__version__}: {described or 'no BLAS found'}" + (
        f", OPENBLAS_CORETYPE={core}" if core else ""
    )


def describe() -> str:
    """Two lines for a benchmark's header: the machine, then the load average."""
    return f"machine: {cpu()}; {blas()}\nload average before: {os.getloadavg()}"


def time_product(rows: int = 256, inner: int = 1024, columns: int = 1024) -> str:
    """One float32 product of the medium net's shapes (a batch of 256 by a 1024 × 1024
    weight), timed 200 times after 20 warm-up calls: the median, the minimum, GFLOP/s."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((rows, inner), dtype=np.float32)
    w = rng.standard_normal((inner, columns), dtype=np.float32)
    out = np.empty((rows, columns), np.float32)
    for _ in range(20):
        np.matmul(a, w, out=out)
    times = []
    for _ in range(200):
        start = time.perf_counter()
        np.matmul(a, w, out=out)
        times.append(time.perf_counter() - start)
    times.sort()
    median = times[len(times) // 2]
    return (
        f"{rows} x {inner} @ {inner} x {columns} float32: median {median * 1e3:.3f} ms, "
        f"min {times[0] * 1e3:.3f} ms, {2 * rows * inner * columns / median / 1e9:.0f} GFLOP/s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--product", action="store_true", help="also time one product")
    args = parser.parse_args()
    print(describe())
    if args.product:
        print(time_product())

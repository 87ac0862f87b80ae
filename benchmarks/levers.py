"""Levers measured and rejected (docs/benchmarks.md, "Measured and rejected (2026-12-03)").

Four experiments, repeated ``--rounds`` times, printing a range:

- ``pair``: a layer's two backward products at deep's shapes (δ Wᵀ and aᵀ δ, which do not
  depend on each other) one after the other on OpenBLAS's two threads, against the two on
  one thread each side by side in two Python threads (each running its own loop), and
  handed to a worker thread and back (a lock each way). The one-thread forms run first in
  each round, after a pause, so that OpenBLAS's workers have stopped spinning; inside a
  training step they would still be spinning from the forward products;
- ``adam-threads``: Adam's update over 1.86M float32 parameters as a numba loop on one
  thread and as a ``prange`` loop on two, alone, right after an OpenBLAS product, and in
  a loop of one product and one update;
- ``jax-products``: single products at medium's and deep's shapes with NumPy and with
  ``jax.jit``, and 48 (deep) or 6 (medium) products inside one jitted program;
- ``background-import``: can ``import numba`` (the larger part of the kernels' start-up)
  hide behind an epoch on the NumPy rules if a thread does it? One epoch of tiny/adam and
  medium/adam (8,192 samples, compiled, recorded before), each in a fresh process: with
  no numba, after ``import numba``, and with ``import numba`` in a thread started with
  the epoch, timed until both are done.

- ``background-compile``: with numba's cache cold, can the kernels compile in a child
  process while the fit goes on on the NumPy rules, instead of stalling its first epoch?
  Four epochs of medium/adam in a fresh process on the NumPy rules, alone and with a child
  started with the first epoch that compiles the kernels (a 3-batch fit with
  ``DEEPGRAD_FUSED=1``) into an empty ``NUMBA_CACHE_DIR``; each epoch's time and when the
  child was done.

The first three run in this process; the last two start one per measurement.

    python benchmarks/levers.py --experiment pair
    python benchmarks/levers.py --experiment adam-threads
    python benchmarks/levers.py --experiment jax-products     # needs jax
    python benchmarks/levers.py --experiment background-import   # needs numba
    python benchmarks/levers.py --experiment background-compile  # needs numba
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("NUMBA_NUM_THREADS", "2")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2"
)

import numpy as np

RNG = np.random.default_rng(0)


def per_call(function: Callable, calls: int) -> float:
    """µs per call of ``function`` over a block of ``calls``."""
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


def pair(rounds: int) -> None:
    from threadpoolctl import threadpool_limits

    a, d = RNG.standard_normal((2, 128, 256), np.float32)
    w = RNG.standard_normal((256, 256), np.float32)
    weight_grad, input_grad = np.empty((256, 256), np.float32), np.empty((128, 256), np.float32)

    def first():
        np.matmul(a.T, d, out=weight_grad)

    def second():
        np.matmul(d, w.T, out=input_grad)

    def both():
        first()
        second()

    go, done = threading.Lock(), threading.Lock()
    go.acquire()
    done.acquire()

    def worker():
        while True:
            go.acquire()
            second()
            done.release()

    threading.Thread(target=worker, daemon=True).start()

    def handed_over_by_locks():
        go.release()
        first()
        done.acquire()

    def side_by_side(calls: int) -> float:
        thread = threading.Thread(target=lambda: [second() for _ in range(calls)])
        start = time.perf_counter()
        thread.start()
        for _ in range(calls):
            first()
        thread.join()
        return (time.perf_counter() - start) / calls * 1e6

    results: dict[str, list[float]] = {}
    for _ in range(rounds):
        time.sleep(1.0)  # OpenBLAS's workers stop spinning after its last two-thread call
        with threadpool_limits(1, "blas"):
            results.setdefault("one thread each, side by side, own loops", []).append(
                side_by_side(400)
            )
            results.setdefault("one thread each, handed over with locks", []).append(
                per_call(handed_over_by_locks, 400)
            )
        results.setdefault("OpenBLAS's two threads, one after the other", []).append(
            per_call(both, 400)
        )
    report("µs per pair, 128 × 256 @ 256 × 256 (deep)", results)


def adam_threads(rounds: int) -> None:
    import numba

    # deepgrad's Adam rule (optimizers/adam_rules.py) written out in the loop, as numba
    # compiles deepgrad's kernel (one pass, vectorised); compiled twice: without
    # ``parallel``, ``prange`` is ``range``.
    def adam_loop(g, p, m, v, size, omb1, b2, omb2, irb2, eps):
        for i in numba.prange(g.size):
            gi = g[i]
            mi = m[i] + omb1 * (gi - m[i])
            vi = b2 * v[i] + omb2 * (gi * gi)
            p[i] = p[i] - size * (mi / (np.sqrt(vi) * irb2 + eps))
            m[i] = mi
            v[i] = vi

    one_thread = numba.njit(error_model="numpy")(adam_loop)
    two_threads = numba.njit(error_model="numpy", parallel=True)(adam_loop)

    g, p, m, v = RNG.random((4, 1_863_690), np.float32)
    scalars = tuple(np.float32(s) for s in (1e-3, 0.1, 0.999, 0.001, 1.0, 1e-7))
    a = RNG.standard_normal((256, 1024), np.float32)
    w = RNG.standard_normal((1024, 1024), np.float32)
    out = np.empty((256, 1024), np.float32)
    results: dict[str, list[float]] = {}
    for kernel in (one_thread, two_threads):
        kernel(g, p, m, v, *scalars)  # compiled here, not timed
    for _ in range(rounds):
        for name, kernel in (("one thread", one_thread), ("two threads", two_threads)):
            alone, after = [], []
            for _ in range(30):
                start = time.perf_counter()
                kernel(g, p, m, v, *scalars)
                alone.append(time.perf_counter() - start)
                np.matmul(a, w, out=out)
                start = time.perf_counter()
                kernel(g, p, m, v, *scalars)
                after.append(time.perf_counter() - start)
            results.setdefault(f"{name}, alone", []).append(np.median(alone) * 1e3)
            results.setdefault(f"{name}, right after a product", []).append(np.median(after) * 1e3)

            def product_and_update(kernel=kernel):
                np.matmul(a, w, out=out)
                kernel(g, p, m, v, *scalars)

            loop = per_call(product_and_update, 30)
            results.setdefault(f"{name}: a product and an update", []).append(loop / 1e3)
    report("ms, Adam over 1.86M float32 parameters (medians of 30 calls)", results)


def jax_products(rounds: int) -> None:
    import jax
    import jax.numpy as jnp

    def best(function: Callable, calls: int = 20, blocks: int = 5) -> float:
        function()
        times = []
        for _ in range(blocks):
            start = time.perf_counter()
            for _ in range(calls):
                result = function()
            jax.block_until_ready(result)
            times.append((time.perf_counter() - start) / calls)
        return min(times) * 1e6

    shapes = {
        "medium a @ W": ((256, 1024), (1024, 1024), lambda x, y: x @ y),
        "medium aᵀ @ δ": ((256, 1024), (256, 1024), lambda x, y: x.T @ y),
        "medium δ @ Wᵀ": ((256, 1024), (1024, 1024), lambda x, y: x @ y.T),
        "deep a @ W": ((128, 256), (256, 256), lambda x, y: x @ y),
        "deep aᵀ @ δ": ((128, 256), (128, 256), lambda x, y: x.T @ y),
        "deep δ @ Wᵀ": ((128, 256), (256, 256), lambda x, y: x @ y.T),
    }
    results: dict[str, list[float]] = {}
    for _ in range(rounds):
        for name, (shape_x, shape_y, product) in shapes.items():
            x = RNG.standard_normal(shape_x, np.float32)
            y = RNG.standard_normal(shape_y, np.float32)
            jitted, jx, jy = jax.jit(product), jnp.asarray(x), jnp.asarray(y)
            results.setdefault(f"{name}: NumPy", []).append(best(partial(product, x, y)))
            results.setdefault(f"{name}: JAX jit", []).append(best(partial(jitted, jx, jy)))
        for config, batch, width, layers in (("deep", 128, 256, 16), ("medium", 256, 1024, 2)):
            a = RNG.standard_normal((batch, width), np.float32) * 0.05
            d = RNG.standard_normal((batch, width), np.float32) * 0.05
            weights = [
                RNG.standard_normal((width, width), np.float32) * 0.05 for _ in range(layers)
            ]

            def chain(a, d, weights):
                x, g = a, d
                for w in weights:
                    x = x @ w
                for w in weights:
                    g = g @ w.T
                return x, g, [a.T @ (d * (i + 1)) for i in range(len(weights))]

            jitted_chain = jax.jit(chain)
            ja, jd, jw = jnp.asarray(a), jnp.asarray(d), [jnp.asarray(w) for w in weights]
            count = 3 * layers
            name = f"{config}: {count} products in one program"
            results.setdefault(f"{name}, NumPy", []).append(
                best(partial(chain, a, d, weights)) / count
            )
            results.setdefault(f"{name}, JAX jit", []).append(
                best(partial(jitted_chain, ja, jd, jw)) / count
            )
    report("µs per product (best of 5 blocks of 20 calls)", results)


def background_import(rounds: int) -> None:
    modes = ("no numba", "import numba, then the epoch", "import numba in a thread")
    results: dict[str, list[float]] = {}
    for _ in range(rounds):
        for config in ("tiny", "medium"):
            for mode in modes:
                child = subprocess.run(
                    [sys.executable, __file__, "--epoch-with", config, mode],
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "DEEPGRAD_FUSED": "0"},
                )
                seconds = float(child.stdout.split()[-1])
                results.setdefault(f"{config}/adam: {mode}", []).append(seconds)
    report("s, one epoch and the import, each in a fresh process", results)


def epoch_with(config: str, mode: str) -> None:
    """One of ``background_import``'s measurements, in this (fresh) process."""
    from fit import CONFIGS, build_deepgrad, make_data

    sizes, batch = CONFIGS[config]
    x, y = make_data(sizes, 8192)
    model = build_deepgrad(sizes, "adam", True)
    model.fit(x[: 4 * batch], y[: 4 * batch], batch_size=batch, epochs=1, verbose=0)
    start = time.perf_counter()
    if mode == "import numba, then the epoch":
        import numba  # noqa: F401
    importer = None
    if mode == "import numba in a thread":
        importer = threading.Thread(target=__import__, args=("numba",))
        importer.start()
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    if importer is not None:
        importer.join()
    print(time.perf_counter() - start)


def background_compile(rounds: int) -> None:
    results: dict[str, list[float]] = {}
    for _ in range(rounds):
        for mode in ("alone", "with a child compiling"):
            child = subprocess.run(
                [sys.executable, __file__, "--epochs-with", "medium", mode],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "DEEPGRAD_FUSED": "0"},
            )
            *epochs, child_done = (float(word) for word in child.stdout.split())
            for epoch, seconds in enumerate(epochs, 1):
                results.setdefault(f"medium/adam {mode}: epoch {epoch}", []).append(seconds)
            if child_done > 0:
                results.setdefault("the child done, from the first epoch's start", []).append(
                    child_done
                )
    report("s, in a fresh process each", results)


def epochs_with(config: str, mode: str) -> None:
    """One of ``background_compile``'s measurements, in this (fresh) process: each epoch's
    seconds, then when the child was done (0 without one)."""
    from fit import CONFIGS, build_deepgrad, make_data

    sizes, batch = CONFIGS[config]
    x, y = make_data(sizes, 8192)
    model = build_deepgrad(sizes, "adam", True)
    model.fit(x[: 4 * batch], y[: 4 * batch], batch_size=batch, epochs=1, verbose=0)
    child = None
    start = time.perf_counter()
    if mode == "with a child compiling":
        script = (
            "import sys; sys.path.insert(0, sys.argv[1]); from fit import *; "
            "sizes, batch = CONFIGS[sys.argv[2]]; x, y = make_data(sizes, 3 * batch); "
            "build_deepgrad(sizes, 'adam', True).fit(x, y, batch_size=batch, verbose=0)"
        )
        cache = tempfile.mkdtemp()  # empty: numba compiles every kernel
        environment = {**os.environ, "DEEPGRAD_FUSED": "1", "NUMBA_CACHE_DIR": cache}
        child = subprocess.Popen(
            [sys.executable, "-c", script, os.path.dirname(__file__), config], env=environment
        )
    ends = []
    child_done = 0.0
    for _ in range(4):
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
        ends.append(time.perf_counter())
        if child is not None and not child_done and child.poll() is not None:
            child_done = ends[-1] - start
    if child is not None:
        child.wait()
        child_done = child_done or time.perf_counter() - start
    starts = [start, *ends[:-1]]
    print(*(f"{b - a:.3f}" for a, b in zip(starts, ends, strict=True)), f"{child_done:.3f}")


def report(title: str, results: dict[str, list[float]]) -> None:
    print(f"{title}; range over {len(next(iter(results.values())))} rounds, load {os.getloadavg()}")
    for name, values in results.items():
        print(f"  {name}: {min(values):.2f}–{max(values):.2f}")


EXPERIMENTS = {
    "pair": pair,
    "adam-threads": adam_threads,
    "jax-products": jax_products,
    "background-import": background_import,
    "background-compile": background_compile,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--experiment", choices=list(EXPERIMENTS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epoch-with", nargs=2, help=argparse.SUPPRESS)  # one child's run
    parser.add_argument("--epochs-with", nargs=2, help=argparse.SUPPRESS)  # one child's run
    args = parser.parse_args()
    if args.epoch_with:
        epoch_with(*args.epoch_with)
    elif args.epochs_with:
        epochs_with(*args.epochs_with)
    elif args.experiment:
        EXPERIMENTS[args.experiment](args.rounds)
    else:
        parser.error("--experiment is required")


if __name__ == "__main__":
    main()

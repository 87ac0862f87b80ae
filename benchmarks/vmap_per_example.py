"""Per-example gradients of an MLP's loss: ``vmap(grad(loss))`` against a Python loop of
``grad`` (deepgrad), and against ``torch.func.vmap(grad)`` and ``jax.vmap(grad)`` when they
are installed. Each figure is the minimum over 7 runs, in ms per batch.

    python benchmarks/vmap_per_example.py [--batch 256] [--features 20] [--hidden 64]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad.ops.activations_math import sparse_softmax_cross_entropy


def best_ms(fn: Callable[[], object], runs: int = 7) -> float:
    fn()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def loss(params, x, y):
    hidden = dnp.tanh(x @ params["W1"] + params["b1"])
    return sparse_softmax_cross_entropy(hidden @ params["W2"] + params["b2"], y)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--classes", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.standard_normal((args.features, args.hidden)) * 0.1,
        "b1": np.zeros(args.hidden),
        "W2": rng.standard_normal((args.hidden, args.classes)) * 0.1,
        "b2": np.zeros(args.classes),
    }
    xs = rng.standard_normal((args.batch, args.features))
    ys = rng.integers(0, args.classes, args.batch)

    per_example = dg.vmap(dg.grad(loss), in_axes=(None, 0, 0))
    grad = dg.grad(loss)
    results = {
        "deepgrad vmap(grad)": best_ms(lambda: per_example(params, xs, ys)),
        "deepgrad loop of grad": best_ms(
            lambda: [grad(params, x, y) for x, y in zip(xs, ys, strict=True)], runs=3
        ),
    }
    results.update(_torch(params, xs, ys))
    results.update(_jax(params, xs, ys))
    floor = results["deepgrad vmap(grad)"]
    print(
        f"per-example gradients, batch {args.batch}, MLP {args.features}-{args.hidden}-"
        f"{args.classes}, float64"
    )
    for name, ms in results.items():
        print(f"  {name:28s} {ms:9.2f} ms   ({ms / floor:5.2f}× deepgrad vmap)")


def _torch(params, xs, ys) -> dict:
    try:
        import torch
        from torch.func import grad, vmap
    except ImportError:
        return {}
    p = {k: torch.tensor(v) for k, v in params.items()}
    x, y = torch.tensor(xs), torch.tensor(ys)

    def torch_loss(p, x, y):
        logits = torch.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        return torch.nn.functional.cross_entropy(logits[None], y[None])

    fn = vmap(grad(torch_loss), in_dims=(None, 0, 0))
    return {"torch.func vmap(grad)": best_ms(lambda: fn(p, x, y))}


def _jax(params, xs, ys) -> dict:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)

    def jax_loss(p, x, y):
        logits = jnp.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        return -jax.nn.log_softmax(logits)[y]

    fn = jax.vmap(jax.grad(jax_loss), in_axes=(None, 0, 0))
    jitted = jax.jit(fn)
    p = {k: jnp.asarray(v) for k, v in params.items()}
    x, y = jnp.asarray(xs), jnp.asarray(ys)
    return {
        "jax vmap(grad), eager": best_ms(lambda: jax.block_until_ready(fn(p, x, y))),
        "jax jit(vmap(grad))": best_ms(lambda: jax.block_until_ready(jitted(p, x, y))),
    }


if __name__ == "__main__":
    main()

"""The reverse pass alone: ``backward_pass`` over one recorded graph, µs per node.

``benchmarks/overhead.py`` times a whole step (forward, graph, backward) and is too coarse
to show a change to the reverse loop on a noisy machine: the loop is a third of the step,
and the machine moves a row by more than that between runs. This script records two
graphs once and walks them again and again (the graph kept), in blocks of ``--calls``
calls:

- **chain**: ``overhead.py``'s 50 chained ops (multiply, add, tanh) on 16 float32
  elements, then a sum: every node has one parent on the tape;
- **dag**: 200 nodes, each adding two of the eight before it, chosen at random (seeded):
  nodes with two parents, reached from several consumers, several waiting at a time.

Per node means per node the walk visits (those the output depends on).

With ``--baseline REV``, the reverse loop of ``src/deepgrad/autodiff/graph.py`` at git
revision REV is loaded beside the working tree's (the rest of the engine is the working
tree's, so REV's ``graph.py`` must fit it) and the two alternate block by block, the order
swapped every block. Both must give the same gradient bit for bit. Reports each one's
median over the blocks, its minimum and spread (max/min), the ratio of its median to the
first row's (the baseline's) and the load average:

    python benchmarks/backward_walk.py --baseline HEAD        # the working tree's change
    python benchmarks/backward_walk.py --quick                # smoke run (CI)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad.autodiff import graph
from deepgrad.autodiff.primitive import node_of

sys.path.insert(0, str(Path(__file__).parent))
import machine
import overhead  # (the chain: this folder's module)

DAG_NODES = 200


def chain_graph() -> tuple[dg.Tensor, dg.Tensor]:
    """overhead.py's chain and its sum: the input and the output."""
    x0, c = overhead.make_inputs()
    x = dg.tensor(x0, requires_grad=True)
    return x, overhead.chain(x, c, dnp.tanh).sum()


def dag_graph() -> tuple[dg.Tensor, dg.Tensor]:
    """A random DAG of additions, each node adding two of the eight before it, then a sum."""
    rng = np.random.default_rng(0)
    x = dg.tensor(rng.standard_normal(16).astype(np.float32), requires_grad=True)
    nodes = [x]
    for _ in range(DAG_NODES):
        first, second = rng.integers(max(0, len(nodes) - 8), len(nodes), size=2)
        nodes.append(nodes[first] + nodes[second])
    return x, nodes[-1].sum()


def reached(output: dg.Tensor) -> int:
    """How many nodes the output depends on: those a walk from it visits."""
    seen, waiting = {id(output)}, [output]
    while waiting:
        for _, parent in node_of(waiting.pop()).parents:
            if node_of(parent) is not None and id(parent) not in seen:
                seen.add(id(parent))
                waiting.append(parent)
    return len(seen)


def baseline_walk(revision: str) -> Callable:
    """``backward_pass`` as graph.py had it at git ``revision``, loaded as its own module."""
    path = "src/deepgrad/autodiff/graph.py"
    root = Path(__file__).resolve().parent.parent
    source = subprocess.run(
        ["git", "-C", str(root), "show", f"{revision}:{path}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The engine's hook is the working tree's: REV's module must not take it over.
    source = source.replace("ENGINE.backward = backward", "")
    module = types.ModuleType(f"graph_at_{revision}")
    exec(compile(source, f"{revision}:{path}", "exec"), module.__dict__)
    return module.backward_pass


def walk_times(walks: dict[str, Callable], make_graph: Callable, blocks: int, calls: int):
    """µs per node of each walk over one graph, a list per walk, one entry per block."""
    x, output = make_graph()
    nodes = reached(output)
    seed = np.ones((), output._value.dtype)
    reference = None
    for name, walk in walks.items():  # same bits, or the timings compare nothing
        gradient = np.asarray(walk([output], [seed], 0)[id(x)][1])
        if reference is None:
            reference = gradient
        elif not np.array_equal(gradient, reference):
            raise AssertionError(f"{name}: another gradient than {next(iter(walks))}'s")
    times: dict[str, list[float]] = {name: [] for name in walks}
    names = list(walks)
    for block in range(blocks):
        for name in names if block % 2 == 0 else names[::-1]:
            walk = walks[name]
            start = time.perf_counter()
            for _ in range(calls):
                walk([output], [seed], 0)
            times[name].append((time.perf_counter() - start) / calls / nodes * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", help="a git revision to compare with")
    parser.add_argument("--blocks", type=int, default=40, help="blocks per walk")
    parser.add_argument("--calls", type=int, default=200, help="walks per block")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args()
    if args.quick:
        args.blocks, args.calls = 2, 5
    walks = {f"at {args.baseline}": baseline_walk(args.baseline)} if args.baseline else {}
    walks["working tree"] = graph.backward_pass
    print(machine.describe())  # the CPU, NumPy's BLAS kernels, the load
    results = {
        name: walk_times(walks, make, args.blocks, args.calls)
        for name, make in (("chain", chain_graph), ("dag", dag_graph))
    }
    print(f"load average after: {os.getloadavg()}\n")
    print(f"µs per node, {args.blocks} alternating blocks of {args.calls} walks\n")
    print("| graph | walk | median | min | spread | ratio to the first row |")
    print("|---|---|---:|---:|---:|---:|")
    for graph_name, times in results.items():
        first = statistics.median(next(iter(times.values())))
        for name, values in times.items():
            median = statistics.median(values)
            print(
                f"| {graph_name} | {name} | {median:.2f} | {min(values):.2f} "
                f"| ×{max(values) / min(values):.2f} | {median / first:.2f}x |"
            )


if __name__ == "__main__":
    main()

"""Symbolic, numerical and automatic differentiation, compared (Baydin et al., JMLR 2018).

Three experiments. (1) Expression swell: the logistic map l_{n+1} = 4 l_n (1 − l_n)
differentiated symbolically by SymPy grows exponentially with n once expanded, while
automatic differentiation of the same program costs a constant number of operations per
iteration. (2) Numerical differentiation: the central difference (f(x + h) − f(x − h))/2h
has a truncation error ∝ h² and a round-off error ∝ ε/h, so its error against the exact
AD derivative is U-shaped in h, never better than about 1e-11 in float64. (3) The cost
of a gradient of n inputs: forward mode needs n passes (one per input direction),
reverse mode one pass, whatever n.

Look at: the symbolic derivative's size shooting up against AD's straight line (left),
the U of the central difference's error (middle), and forward mode's time growing with n
while reverse mode's stays flat (right).

    python examples/differentiation_modes.py [--quick] [--output FOLDER]
"""

import time

import numpy as np

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import viz
from deepgrad.gallery import example_main


def logistic_map(x, n: int):
    value = x
    for _ in range(n):
        value = 4 * value * (1 - value)
    return value


def expression_swell(ns) -> dict:
    """Operation counts: SymPy's derivative (as is, and expanded) against AD's trace."""
    import sympy

    x = sympy.Symbol("x")
    sizes = {"symbolic": [], "symbolic, expanded": [], "automatic (trace steps)": []}
    for n in ns:
        derivative = sympy.diff(logistic_map(x, n), x)
        sizes["symbolic"].append(sympy.count_ops(derivative))
        sizes["symbolic, expanded"].append(sympy.count_ops(sympy.expand(derivative)))
        table = dg.trace(lambda v, n=n: logistic_map(v, n), 0.3)
        sizes["automatic (trace steps)"].append(len(table.primal) + len(table.adjoint))
    return sizes


def central_difference_errors(hs, n: int = 4, x: float = 0.3) -> np.ndarray:
    exact = float(dg.grad(lambda v: logistic_map(v, n))(x))
    estimates = np.array([(logistic_map(x + h, n) - logistic_map(x - h, n)) / (2 * h) for h in hs])
    return np.abs(estimates - exact)


def gradient_costs(sizes, repeats: int) -> tuple[dict, dict]:
    """Seconds for the gradient of f(x) = Σ tanh(W x)² (n inputs, 16 outputs inside), and
    the passes through f each mode makes (what the seconds follow)."""
    times = {"forward mode (n passes)": [], "reverse mode (1 pass)": []}
    passes = {name: [] for name in times}
    for n in sizes:
        w = np.random.default_rng(0).standard_normal((16, n)) / np.sqrt(n)
        calls = [0]

        def f(x, w=w, calls=calls):
            calls[0] += 1
            return dnp.sum(dnp.tanh(w @ x) ** 2)

        x = np.ones(n)
        forward = dg.jacobian(f, mode="fwd")
        reverse = dg.grad(f)
        for name, fn in zip(times, (forward, reverse), strict=True):
            calls[0] = 0
            fn(x)
            passes[name].append(calls[0])
        np.testing.assert_allclose(forward(x), reverse(x), rtol=1e-10)
        for name, fn in zip(times, (forward, reverse), strict=True):
            start = time.perf_counter()
            for _ in range(repeats):
                fn(x)
            times[name].append((time.perf_counter() - start) / repeats)
    return times, passes


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    ns = list(range(1, 5 if quick else 7))
    sizes = expression_swell(ns)
    print("logistic map l_{n+1} = 4 l_n (1 − l_n): size of d l_n / dx")
    print(f"{'n':>2} {'symbolic':>9} {'expanded':>9} {'AD steps':>9}")
    for i, n in enumerate(ns):
        row = [sizes[k][i] for k in sizes]
        print(f"{n:>2} {row[0]:>9} {row[1]:>9} {row[2]:>9}")

    hs = np.logspace(-1, -13, 25)
    errors = central_difference_errors(hs)
    best = int(np.argmin(errors))
    print(f"central difference on l_4 at 0.3: best h = {hs[best]:.0e}, error {errors[best]:.1e}")
    print(f"  h = 1e-1: error {errors[0]:.1e}; h = {hs[-1]:.0e}: error {errors[-1]:.1e}")

    input_sizes = [1, 4, 16, 64] if quick else [1, 4, 16, 64, 256]
    costs, passes = gradient_costs(input_sizes, repeats=3 if quick else 10)
    print("gradient of Σ tanh(W x)² with n inputs, milliseconds:")
    for i, n in enumerate(input_sizes):
        fwd, rev = (costs[k][i] * 1e3 for k in costs)
        print(f"  n = {n:>3}: forward {fwd:8.2f}   reverse {rev:6.2f}")

    fig, axes = viz.figure(ncols=3, width=4.0)
    swell_ax, h_ax, cost_ax = axes[0]
    for name, values in sizes.items():
        swell_ax.semilogy(ns, values, "o-", label=name)
    swell_ax.set(title="expression swell", xlabel="n (iterations of the map)", ylabel="operations")
    swell_ax.legend(fontsize=8)
    h_ax.loglog(hs, np.maximum(errors, 1e-17), "o-")
    # Reference slopes through the two ends of the curve.
    h_ax.loglog(hs, errors[0] * (hs / hs[0]) ** 2, ":", color="grey", label="∝ h² (truncation)")
    h_ax.loglog(hs, errors[-1] * hs[-1] / hs, "--", color="grey", label="∝ ε/h (round-off)")
    h_ax.set(title="central difference error", xlabel="step h", ylabel="|estimate − AD|")
    h_ax.set_ylim(1e-14, 10)
    h_ax.legend(fontsize=8)
    for name, values in costs.items():
        cost_ax.loglog(input_sizes, np.array(values) * 1e3, "o-", label=name)
    cost_ax.set(title="cost of a gradient", xlabel="inputs n", ylabel="milliseconds")
    cost_ax.legend(fontsize=8)
    fig.tight_layout()
    viz.save(fig, f"{output}/differentiation_modes.png")
    return {
        "expanded_sizes": sizes["symbolic, expanded"],
        "ad_sizes": sizes["automatic (trace steps)"],
        "best_h": float(hs[best]),
        "best_error": float(errors[best]),
        "input_sizes": input_sizes,
        "forward_seconds": costs["forward mode (n passes)"],
        "reverse_seconds": costs["reverse mode (1 pass)"],
        "forward_passes": passes["forward mode (n passes)"],
        "reverse_passes": passes["reverse mode (1 pass)"],
    }


if __name__ == "__main__":
    example_main(run, __doc__)

"""Backpropagation by hand (Algorithm 18.1 of Efron & Hastie) next to deepgrad's reverse mode.

A net with two hidden layers, z_{l+1} = g(W_l a_l + b_l), a_{l+1} = g(z_{l+1}), tanh
hidden units and a linear output, squared-error loss L = ½ Σ (a_out − y)² / n. The
algorithm, written out in NumPy: the feed-forward pass stores every a_l; at the output
δ = ∂L/∂z_out = (a_out − y)/n; the δ recursion δ_l = (W_lᵀ δ_{l+1}) ⊙ g′(z_l) carries it
back; and ∂L/∂W_l = δ_{l+1} a_lᵀ, ∂L/∂b_l = Σ δ_{l+1}. Then the same net's gradient from
``loss.backward()``. In float64 they agree to rounding.

Look at: the table of the largest difference per weight matrix (about 1e-16, rounding),
and the two gradients drawn side by side for the first layer.

    python examples/backprop_by_hand.py [--quick] [--output FOLDER]
"""

import itertools

import numpy as np

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import viz
from deepgrad.gallery import example_main

SIZES = [4, 8, 6, 1]  # input, two hidden layers, output


def by_hand(weights, biases, x, y):
    """Algorithm 18.1: feed forward, δ at the output, δ recursion, ∂L/∂W = δ aᵀ."""
    activations, pre_activations = [x.T], []
    for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
        z = w @ activations[-1] + b[:, None]
        pre_activations.append(z)
        last = layer == len(weights) - 1
        activations.append(z if last else np.tanh(z))  # linear output
    n = x.shape[0]
    delta = (activations[-1] - y.T) / n  # ∂L/∂z at the output (linear, squared error)
    grad_w, grad_b = [None] * len(weights), [None] * len(weights)
    for layer in reversed(range(len(weights))):
        grad_w[layer] = delta @ activations[layer].T
        grad_b[layer] = delta.sum(axis=1)
        if layer > 0:
            tanh_derivative = 1 - np.tanh(pre_activations[layer - 1]) ** 2
            delta = (weights[layer].T @ delta) * tanh_derivative
    return grad_w, grad_b


def by_reverse_mode(weights, biases, x, y):
    ws = [dg.tensor(w, requires_grad=True) for w in weights]
    bs = [dg.tensor(b, requires_grad=True) for b in biases]
    a = x.T
    for layer, (w, b) in enumerate(zip(ws, bs, strict=True)):
        z = w @ a + dnp.reshape(b, (-1, 1))
        a = z if layer == len(ws) - 1 else dnp.tanh(z)
    loss = 0.5 * dnp.sum((a - y.T) ** 2) / x.shape[0]
    loss.backward()
    return [w.grad.numpy() for w in ws], [b.grad.numpy() for b in bs]


def run(quick: bool = False, output: str = "deepgrad-gallery") -> dict:
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((m, n)) / np.sqrt(n) for n, m in itertools.pairwise(SIZES)]
    biases = [0.1 * rng.standard_normal(m) for m in SIZES[1:]]
    x = rng.standard_normal((32, SIZES[0]))
    y = rng.standard_normal((32, 1))
    hand_w, hand_b = by_hand(weights, biases, x, y)
    auto_w, auto_b = by_reverse_mode(weights, biases, x, y)
    differences = {}
    print("largest |by hand − reverse mode| (float64):")
    for layer in range(len(weights)):
        dw = float(np.max(np.abs(hand_w[layer] - auto_w[layer])))
        db = float(np.max(np.abs(hand_b[layer] - auto_b[layer])))
        differences[f"W{layer + 1}"], differences[f"b{layer + 1}"] = dw, db
        print(f"  ∂L/∂W{layer + 1} {hand_w[layer].shape}: {dw:.1e}   ∂L/∂b{layer + 1}: {db:.1e}")

    fig, axes = viz.figure(ncols=3, width=3.8, height=3.0)
    hand_ax, auto_ax, agree_ax = axes[0]
    scale = np.abs(hand_w[0]).max()
    for ax, values, title in (
        (hand_ax, hand_w[0], "∂L/∂W1 by hand (Alg. 18.1)"),
        (auto_ax, auto_w[0], "∂L/∂W1 by reverse mode"),
    ):
        image = ax.imshow(values.T, cmap="RdBu", vmin=-scale, vmax=scale)
        ax.set(title=title, xlabel="hidden unit", ylabel="input unit")
        ax.grid(False)
    fig.colorbar(image, ax=auto_ax, shrink=0.8)
    hand_all = np.concatenate([g.ravel() for g in hand_w + hand_b])
    auto_all = np.concatenate([g.ravel() for g in auto_w + auto_b])
    agree_ax.plot(hand_all, auto_all, "o", markersize=3)
    agree_ax.axline((0, 0), slope=1, color="grey", linewidth=0.8)
    worst = max(differences.values())
    agree_ax.set(
        title=f"every gradient entry: max diff {worst:.0e}",
        xlabel="by hand",
        ylabel="reverse mode",
    )
    fig.tight_layout()
    viz.save(fig, f"{output}/backprop_by_hand.png")
    return differences


if __name__ == "__main__":
    example_main(run, __doc__)

"""Strong Wolfe line search with cubic interpolation, as PyTorch's L-BFGS uses it
(a port of lswolfe.lua from Torch7, which follows Nocedal & Wright, Algorithm 3.5)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def cubic_interpolate(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """The minimiser of the cubic through two points with values and slopes, in bounds."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        position = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(position, low), high)


@dataclass
class _Interval:
    """Trial steps along the direction with their losses, gradients and slopes g·d: one
    point (the conditions hold there) or the two ends of a bracket."""

    steps: list[float]
    losses: list[float]
    grads: list[np.ndarray]
    slopes: list[float]


def strong_wolfe(
    evaluate: Callable[[float], tuple[float, np.ndarray]],
    t: float,
    d: np.ndarray,
    f: float,
    g: np.ndarray,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, np.ndarray, float, int]:
    """Find a step t along d meeting the strong Wolfe conditions; returns (f, g, t, evals).

    ``evaluate(t)`` returns the loss and flat gradient at x + t·d. First a bracket that
    holds such a step is found (or the step itself), then it is zoomed into.
    """
    interval, done, ls_iter, evals = _bracket(evaluate, t, d, f, g, gtd, c1, c2, max_ls)
    return _zoom(
        evaluate, interval, done, ls_iter, evals, d, f, gtd, c1, c2, tolerance_change, max_ls
    )


def _bracket(evaluate, t, d, f, g, gtd, c1, c2, max_ls) -> tuple[_Interval, bool, int, int]:
    """Step forward (extrapolating by cubic interpolation) until the minimum is bracketed
    or t meets both conditions; returns (interval, done, iterations, evaluations)."""
    f_new, g_new = evaluate(t)
    evals, gtd_new = 1, float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g.copy(), gtd
    ls_iter = 0
    while ls_iter < max_ls:
        too_high = f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev)
        if not too_high and abs(gtd_new) <= -c2 * gtd:  # both conditions hold at t
            return _Interval([t], [f_new], [g_new], [gtd_new]), True, ls_iter, evals
        if too_high or gtd_new >= 0:  # the minimum lies between t_prev and t
            interval = _Interval(
                [t_prev, t], [f_prev, f_new], [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            )
            return interval, False, ls_iter, evals
        tmp = t
        t = cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(t + 0.01 * (t - t_prev), t * 10)
        )
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    return _Interval([0.0, t], [f, f_new], [g, g_new], [gtd, gtd_new]), False, ls_iter, evals


def _zoom_step(interval: _Interval, insufficient: bool) -> tuple[float, bool]:
    """The next trial step inside the bracket: the cubic's minimiser, moved away from an
    end it comes too close to; returns (t, insufficient progress)."""
    steps = interval.steps
    t = cubic_interpolate(
        steps[0],
        interval.losses[0],
        interval.slopes[0],
        steps[1],
        interval.losses[1],
        interval.slopes[1],
    )
    eps = 0.1 * (max(steps) - min(steps))
    if min(max(steps) - t, t - min(steps)) >= eps:
        return t, False
    if insufficient or t >= max(steps) or t <= min(steps):  # too close to an end
        if abs(t - max(steps)) < abs(t - min(steps)):
            return max(steps) - eps, False
        return min(steps) + eps, False
    return t, True


def _zoom(evaluate, interval, done, ls_iter, evals, d, f, gtd, c1, c2, tolerance_change, max_ls):
    """Shrink the bracket until a step meets both conditions; returns (f, g, t, evals)."""
    d_norm = float(np.abs(d).max())
    steps, losses, grads, slopes = interval.steps, interval.losses, interval.grads, interval.slopes
    insufficient = False
    low, high = (0, 1) if losses[0] <= losses[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(steps[1] - steps[0]) * d_norm < tolerance_change:
            break
        t, insufficient = _zoom_step(interval, insufficient)
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= losses[low]:
            steps[high], losses[high], grads[high], slopes[high] = t, f_new, g_new.copy(), gtd_new
            low, high = (0, 1) if losses[0] <= losses[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (steps[high] - steps[low]) >= 0:
                steps[high], losses[high], grads[high], slopes[high] = (
                    steps[low],
                    losses[low],
                    grads[low],
                    slopes[low],
                )
            steps[low], losses[low], grads[low], slopes[low] = t, f_new, g_new.copy(), gtd_new
    return losses[low], grads[low], steps[low], evals

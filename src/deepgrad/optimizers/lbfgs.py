"""L-BFGS (Liu & Nocedal, 1989), full batch with a closure, in PyTorch's form."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from deepgrad.optimizers.base import Optimizer
from deepgrad.optimizers.line_search import strong_wolfe
from deepgrad.tensor import Tensor, mark_written, raw_data


class LBFGS(Optimizer):
    """Limited-memory BFGS: the direction −H g from the last ``history_size`` pairs
    (s, y) by the two-loop recursion, the step either η (``line_search_fn=None``) or from a
    strong Wolfe line search (``"strong_wolfe"``). Up to ``max_iter`` iterations per
    ``step(closure)``; the closure re-evaluates the loss and its gradient::

        def closure():
            opt.zero_grad(); loss = objective(); loss.backward(); return loss
        opt.step(closure)

    ``fit`` passes such a closure itself, so ``compile(optimizer="lbfgs")`` works too; use
    it with ``batch_size=None`` (full batch), as the method assumes a fixed objective.
    """

    needs_closure = True

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: float = 1.0,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        self.max_iter, self.max_eval = int(max_iter), int(max_eval or max_iter * 5 // 4)
        self.tolerance_grad, self.tolerance_change = tolerance_grad, tolerance_change
        self.history_size, self.line_search_fn = int(history_size), line_search_fn
        self.memory: dict[str, Any] = {"n_iter": 0, "func_evals": 0}
        super().__init__(params, learning_rate)

    def build(self, params: list[Tensor]) -> None:
        super().build(params)
        groups = self._require_built().groups
        if not groups:
            raise ValueError(
                "LBFGS: no parameters to optimize (an empty list, or a model with no "
                "trainable weights); give it the weights to fit"
            )
        if len(groups) != 1:
            dtypes = ", ".join(str(group.values.dtype) for group in groups)
            raise ValueError(f"LBFGS: all parameters must share one dtype, got {dtypes}")

    def _refuse_constraints(self) -> None:
        """Raise for a parameter with a ``constraint``: projecting after each iteration
        would break the line search and the curvature pairs (s, y), which assume the step
        taken is the step computed, so L-BFGS applies none (Keras has no L-BFGS)."""
        for param in self._require_built().params:
            constraint = getattr(param, "constraint", None)
            if constraint is not None:
                raise ValueError(
                    f"LBFGS: a weight of shape {param.shape} has the constraint "
                    f"{constraint!r}, which L-BFGS cannot apply (its line search and "
                    "curvature pairs assume unconstrained steps); train it with another "
                    "optimizer (SGD, Adam, ...) or without the constraint"
                )

    def _evaluate(self, closure: Callable) -> tuple[float, np.ndarray]:
        loss = float(raw_data(closure()))
        flat = self._require_built()
        flat.sync()
        if self.data_parallel is not None:  # the global batch's loss and gradient
            self.data_parallel.reduce_gradients(flat)
            loss = self.data_parallel.reduce_value(loss)
        return loss, flat.groups[0].grads.astype(np.float64)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Up to ``max_iter`` L-BFGS iterations, each re-evaluating ``closure``; returns
        the loss before the first."""
        if closure is None:
            raise ValueError(
                "LBFGS.step needs a closure that recomputes the loss and calls backward()"
            )
        self._refuse_constraints()
        memory, rate = self.memory, self.current_learning_rate()
        loss, g = self._evaluate(closure)
        first_loss, evals = loss, 1
        memory["func_evals"] += 1
        if np.abs(g).max() <= self.tolerance_grad:
            return first_loss
        d, t = memory.get("d"), memory.get("t")
        h_diag, prev_g = memory.get("h_diag", 1.0), memory.get("prev_g")
        prev_loss = memory.get("prev_loss")
        for n_iter in range(1, self.max_iter + 1):
            memory["n_iter"] += 1
            self.iterations += 1
            d, h_diag = self._next_direction(g, prev_g, d, t, h_diag)
            prev_g, prev_loss = g.copy(), loss
            t = min(1.0, 1.0 / np.abs(g).sum()) * rate if memory["n_iter"] == 1 else rate
            gtd = float(g @ d)
            if gtd > -self.tolerance_change:
                break
            loss, g, t, ls_evals = self._move(closure, d, t, loss, g, gtd, n_iter == self.max_iter)
            evals += ls_evals
            memory["func_evals"] += ls_evals
            if (
                n_iter == self.max_iter
                or evals >= self.max_eval
                or (ls_evals and np.abs(g).max() <= self.tolerance_grad)
                or np.abs(d * t).max() <= self.tolerance_change
                or abs(loss - prev_loss) < self.tolerance_change
            ):
                break
        memory.update(d=d, t=t, h_diag=h_diag, prev_g=prev_g, prev_loss=prev_loss)
        return first_loss

    def _next_direction(
        self, g: np.ndarray, prev_g: Any, d: Any, t: Any, h_diag: float
    ) -> tuple[np.ndarray, float]:
        """−g at the first iteration (the history cleared); later, the pair (y, s) of the
        last step joins the history if its curvature y·s is positive, and the direction
        is −H g by the two-loop recursion."""
        memory = self.memory
        dirs, steps, ro = (memory.setdefault(k, []) for k in ("dirs", "steps", "ro"))
        if memory["n_iter"] == 1:
            for history in (dirs, steps, ro):
                history.clear()
            return -g, 1.0
        y, s = g - prev_g, d * t
        ys = float(y @ s)
        if ys > 1e-10:
            if len(dirs) == self.history_size:
                for history in (dirs, steps, ro):
                    history.pop(0)
            dirs.append(y)
            steps.append(s)
            ro.append(1.0 / ys)
            h_diag = ys / float(y @ y)
        return self._direction(g, dirs, steps, ro, h_diag), h_diag

    def _move(
        self,
        closure: Callable,
        d: np.ndarray,
        t: float,
        loss: float,
        g: np.ndarray,
        gtd: float,
        last: bool,
    ) -> tuple[float, np.ndarray, float, int]:
        """Step along d: by the strong Wolfe line search, or by t (and evaluate there
        unless this is the ``last`` iteration); returns (loss, g, t, evaluations)."""
        flat = self._require_built()
        values = flat.groups[0].values
        if self.line_search_fn == "strong_wolfe":
            start = values.astype(np.float64)

            def evaluate(step_size: float) -> tuple[float, np.ndarray]:
                values[...] = start + step_size * d
                mark_written(*flat.params)
                return self._evaluate(closure)

            loss, g, t, ls_evals = strong_wolfe(evaluate, t, d, loss, g, gtd)
            values[...] = start + t * d
            mark_written(*flat.params)
            return loss, g, t, ls_evals
        values += (t * d).astype(values.dtype)
        mark_written(*flat.params)  # a graph made before must not read the new values
        if last:
            return loss, g, t, 0
        loss, g = self._evaluate(closure)
        return loss, g, t, 1

    @staticmethod
    def _direction(g, dirs, steps, ro, h_diag) -> np.ndarray:
        """The two-loop recursion: −H g from the stored curvature pairs."""
        alphas = [0.0] * len(dirs)
        q = -g
        for i in range(len(dirs) - 1, -1, -1):
            alphas[i] = float(steps[i] @ q) * ro[i]
            q = q - alphas[i] * dirs[i]
        r = q * h_diag
        for i in range(len(dirs)):
            beta = float(dirs[i] @ r) * ro[i]
            r = r + steps[i] * (alphas[i] - beta)
        return r

    def state_arrays(self) -> dict[str, np.ndarray]:
        memory, n = self.memory, self.flat.groups[0].values.size if self.flat else 0
        pairs = len(memory.get("dirs", []))
        return {
            "iterations": np.array(self.iterations, np.int64),
            "n_iter": np.array(memory["n_iter"], np.int64),
            "func_evals": np.array(memory["func_evals"], np.int64),
            "dirs": np.array(memory.get("dirs", [])).reshape(pairs, n),
            "steps": np.array(memory.get("steps", [])).reshape(pairs, n),
            "ro": np.array(memory.get("ro", []), np.float64),
            "scalars": np.array(
                [
                    memory.get("t") or 0.0,
                    memory.get("h_diag", 1.0),
                    memory.get("prev_loss") if memory.get("prev_loss") is not None else np.nan,
                ]
            ),
            "d": np.asarray(memory["d"] if memory.get("d") is not None else np.zeros(n)),
            "prev_g": np.asarray(
                memory["prev_g"] if memory.get("prev_g") is not None else np.zeros(n)
            ),
        }

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        expected = {
            "iterations",
            "n_iter",
            "func_evals",
            "dirs",
            "steps",
            "ro",
            "scalars",
            "d",
            "prev_g",
        }
        if set(arrays) != expected:
            raise ValueError(
                f"LBFGS: optimizer state has entries {sorted(arrays)}, expected {sorted(expected)}"
            )
        t, h_diag, prev_loss = (float(v) for v in arrays["scalars"])
        self.iterations = int(arrays["iterations"])
        self.memory = {
            "n_iter": int(arrays["n_iter"]),
            "func_evals": int(arrays["func_evals"]),
            "dirs": list(arrays["dirs"]),
            "steps": list(arrays["steps"]),
            "ro": list(arrays["ro"]),
            "t": t,
            "h_diag": h_diag,
            "prev_loss": None if np.isnan(prev_loss) else prev_loss,
            "d": arrays["d"],
            "prev_g": arrays["prev_g"],
        }

    def get_config(self) -> dict:
        return {
            "learning_rate": self.learning_rate,
            "max_iter": self.max_iter,
            "max_eval": self.max_eval,
            "tolerance_grad": self.tolerance_grad,
            "tolerance_change": self.tolerance_change,
            "history_size": self.history_size,
            "line_search_fn": self.line_search_fn,
        }

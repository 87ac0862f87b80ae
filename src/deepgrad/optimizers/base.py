"""``Optimizer``: one update rule, applied once per step to the whole flat buffer.

A subclass writes ``init_state(values)`` (its flat state arrays) and
``update(values, grads, state, rate, group)``, in place; most updates call an elementwise
rule (``elementwise.py``) with the optimizer's scalars. Everything that cuts across
rules lives here, once: coupled weight decay (L2 added to the gradient), decoupled weight
decay (θ ← θ − ηλθ, as in AdamW), gradient clipping by value, by each parameter's norm
and by the global norm, an exponential moving average of the weights, learning rates
that are numbers or schedules (callables from the step count to a rate), Keras' gradient
accumulation (one update every n steps, from the mean of their gradients) and, last,
Keras' weight constraints (θ ← constraint(θ) for a parameter that has one).
"""

from __future__ import annotations

import contextlib
import inspect
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar, cast

import numpy as np

from deepgrad.autodiff.modes import no_grad
from deepgrad.backend import to_numpy
from deepgrad.device import device_of, to_device
from deepgrad.optimizers import schedules
from deepgrad.optimizers.flat import FlatGroup, FlatParameters
from deepgrad.tensor import Tensor, mark_written, raw_data

_Self = TypeVar("_Self", bound="Optimizer")


# Keras 3's ``Optimizer`` parameters after the learning rate, in its order.
KERAS_BASE_ARGUMENTS = (
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
)


def keras_positional_names(cls: type) -> list[str]:
    """The parameters Keras 3 binds the positional arguments after the learning rate to
    (a class Keras lacks: deepgrad's own, in their order).

    >>> from deepgrad.optimizers import AdamW
    >>> keras_positional_names(AdamW)[:3]
    ['weight_decay', 'beta_1', 'beta_2']
    """
    # the order belongs with the __init__ it describes: a subclass that keeps its parent's
    # __init__ keeps its parent's order
    defining = next(klass for klass in cls.__mro__ if "__init__" in klass.__dict__)
    own = defining.__dict__.get("keras_arguments")
    if own is None:
        parameters = inspect.signature(cls.__init__).parameters.values()
        names = [p.name for p in parameters if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
        return names[names.index("learning_rate") + 1 :]
    return [*own, *(name for name in KERAS_BASE_ARGUMENTS if name not in own)]


class Optimizer:
    """Base class of all optimizers.

    Use it with ``model.compile(optimizer=...)``, or in a plain loop::

        opt = optimizers.SGD(model.trainable_weights, learning_rate=0.1)
        loss.backward(); opt.step(); opt.zero_grad()

    Args:
        weight_decay: λ of an L2 penalty added to the gradient (g ← g + λθ), PyTorch's
            meaning. (Keras' ``weight_decay`` is decoupled: use ``decoupled_weight_decay``.)
            None is 0, as Keras writes "no decay" in its configs.
        decoupled_weight_decay: λ of θ ← θ − ηλθ before the update (Loshchilov & Hutter);
            None is 0.
        clipvalue: clip each gradient element to [−c, c].
        clipnorm: rescale each parameter's gradient to norm at most c (Keras' meaning).
        global_clipnorm: rescale all gradients together to global norm at most c.
            Each of the three clips nothing when None or 0, as Keras reads them; a
            negative threshold is refused.
        use_ema, ema_momentum: keep θ̄ ← m θ̄ + (1 − m) θ; ``fit`` validates with the
            model's own weights and ends with the model holding θ̄ (Keras' behaviour;
            ``with optimizer.averaged_weights():`` evaluates with θ̄).
        ema_overwrite_frequency: with ``use_ema``, overwrite the weights with θ̄ every this
            many steps (Keras' meaning); None: only at the end of ``fit``.
        maximize: ascend the objective (g ← −g before everything else), as in PyTorch.
        gradient_accumulation_steps: Keras' gradient accumulation: None, or n >= 2 to
            update the weights once every n steps, with the mean of the n gradients (the
            other steps only add their gradient to an accumulator, saved with the state).
            As in Keras, ``iterations`` counts the updates (steps // n), a learning-rate
            schedule sees the steps, the moving average and the constraints run at every
            step, and clipping and weight decay at the updates.

    ``decoupled_weight_decay=True`` or ``False`` is PyTorch's flag (Adam, NAdam, RAdam):
    True makes ``weight_decay`` the decoupled λ; a number is the decoupled λ itself.
    """

    needs_closure = False  # True for rules that re-evaluate the objective (L-BFGS)
    # Keras 3's positional parameters after the learning rate, in its order and spelling,
    # that come before its base class's (KERAS_BASE_ARGUMENTS), set beside each __init__;
    # a class without one is not Keras'. Only the message for a Keras-style positional
    # call depends on it.
    keras_arguments: tuple[str, ...] | None = ()

    def __new__(cls: type[_Self], *args: Any, **kwargs: Any) -> _Self:
        # Keras writes the learning rate first and the other arguments after it
        # (SGD(0.1, 0.9) has momentum 0.9); here they would land one place off and the
        # argument after the rate would be lost, so refuse them rather than guess.
        if (
            len(args) > 1
            and isinstance(args[0], numbers.Real | schedules.Schedule)
            and not isinstance(args[0], bool)
        ):
            after_rate = keras_positional_names(cls)
            by_name = ", ".join(
                f"{name}={value!r}" for name, value in zip(after_rate, args[1:], strict=False)
            )
            raise TypeError(
                f"{cls.__name__}: with the learning rate first (Keras' order), pass the other "
                f"arguments by name: {cls.__name__}({args[0]!r}, {by_name}), as Keras reads "
                f"them. Positionally, deepgrad reads PyTorch's order, "
                f"{cls.__name__}(params, learning_rate, ...)"
            )
        return object.__new__(cls)

    def __init__(
        self,
        params: Iterable[Tensor] | None = None,
        learning_rate: Any = 0.01,
        weight_decay: float | None = 0.0,
        decoupled_weight_decay: float | bool | None = 0.0,
        clipvalue: float | None = None,
        clipnorm: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        maximize: bool = False,
        gradient_accumulation_steps: int | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            raise TypeError(_unknown_arguments(type(self).__name__, unknown))
        if isinstance(params, numbers.Real | schedules.Schedule) and not isinstance(params, bool):
            # Keras writes the learning rate first (RMSprop(0.001)), PyTorch the parameters.
            params, learning_rate = None, params
        elif callable(params):
            raise TypeError(
                f"{type(self).__name__}: the first argument is the parameters to train (or a "
                f"learning rate, as in Keras); pass a function by name: "
                f"{type(self).__name__}(learning_rate={params!r})"
            )
        clips = {"clipvalue": clipvalue, "clipnorm": clipnorm, "global_clipnorm": global_clipnorm}
        given = [f"{name}={value!r}" for name, value in clips.items() if value is not None]
        if len(given) > 1:  # Keras refuses two too: which applies first is not obvious
            raise ValueError(
                f"{type(self).__name__}: only one of clipvalue, clipnorm and global_clipnorm "
                f"can be set, as in Keras; got {', '.join(given)}"
            )
        if not 0 <= ema_momentum < 1:
            raise ValueError(f"ema_momentum must be in [0, 1), got {ema_momentum}")
        self.learning_rate = schedules.checked_rate(type(self).__name__, learning_rate)
        # None: no decay, as Keras writes it (weight_decay=None is in its configs)
        weight_decay = 0.0 if weight_decay is None else weight_decay
        decoupled_weight_decay = 0.0 if decoupled_weight_decay is None else decoupled_weight_decay
        if isinstance(decoupled_weight_decay, bool | np.bool_):
            # PyTorch's flag: weight_decay is decoupled (True) or L2 (False). Read as a
            # number, True would be a decoupled λ of 1 on top of the L2 penalty.
            if decoupled_weight_decay:
                weight_decay, decoupled_weight_decay = 0.0, weight_decay
            else:
                decoupled_weight_decay = 0.0
        self.weight_decay = float(weight_decay)
        self.decoupled_weight_decay = float(decoupled_weight_decay)
        self.maximize = bool(maximize)
        self.clipvalue, self.clipnorm, self.global_clipnorm = (
            _checked_clip(type(self).__name__, name, value) for name, value in clips.items()
        )
        if ema_overwrite_frequency is not None and (
            isinstance(ema_overwrite_frequency, bool)
            or not isinstance(ema_overwrite_frequency, numbers.Integral)
            or ema_overwrite_frequency < 1
        ):
            raise ValueError(
                f"{type(self).__name__}: ema_overwrite_frequency must be None or a number of "
                f"steps >= 1, got {ema_overwrite_frequency!r}"
            )
        if ema_overwrite_frequency is not None and not use_ema:
            raise ValueError(
                f"{type(self).__name__}: ema_overwrite_frequency={ema_overwrite_frequency} "
                "overwrites the weights with their moving average, which needs use_ema=True"
            )
        self.use_ema, self.ema_momentum = use_ema, float(ema_momentum)
        self.ema_overwrite_frequency = (
            None if ema_overwrite_frequency is None else int(ema_overwrite_frequency)
        )
        self.gradient_accumulation_steps = _checked_accumulation_steps(
            type(self).__name__, gradient_accumulation_steps
        )
        # Every step taken (Keras' ``_iterations``); ``iterations`` is the updates made.
        self._iterations = 0
        self.data_parallel: Any = None  # set by distributed.DataParallel
        self.flat: FlatParameters | None = None
        self.state: list[dict[str, np.ndarray]] = []
        # Work buffers of the elementwise rules, reused every step (not state: not saved).
        self.scratch: dict = {}
        if params is not None:
            params = list(params)
            if not params:  # an unbuilt model's weights: training would silently do nothing
                raise ValueError(
                    f"{type(self).__name__}: no parameters were given (an empty list). A "
                    "model's weights are created on its first call: call it once on a batch, "
                    "or build it with model.build((None, n_features)), before "
                    f"{type(self).__name__}(model.trainable_weights)"
                )
            self.build(params)

    def build(self, params: list[Tensor]) -> None:
        """Bind to ``params`` (their data move into the optimizer's flat buffers)."""
        self.flat = FlatParameters(params)
        self.state, self.scratch = [], {}
        for group in self.flat.groups:
            state = self.init_state(group.values)
            self.init_group_state(group, state)
            if self.use_ema:
                state["ema"] = group.values.copy()
            if self.gradient_accumulation_steps:
                state["gradient_accumulator"] = np.zeros_like(group.values)
            self.state.append(state)

    @property
    def params(self) -> list[Tensor]:
        """The parameters being trained."""
        return [] if self.flat is None else self.flat.params

    @property
    def iterations(self) -> int:
        """The updates made so far, Keras' ``optimizer.iterations``: the steps taken, or,
        with ``gradient_accumulation_steps`` n, the steps // n.

        >>> import numpy as np
        >>> import deepgrad as dg
        >>> from deepgrad import optimizers
        >>> w = dg.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
        >>> opt = optimizers.SGD([w], learning_rate=0.5, gradient_accumulation_steps=2)
        >>> for g in ([1.0, 0.0], [3.0, 2.0], [5.0, 5.0]):
        ...     opt.apply([np.array(g, np.float32)])
        >>> w.numpy(), opt.iterations  # one update, with the mean of the first two
        (array([0. , 1.5], dtype=float32), 1)
        """
        return self._iterations // (self.gradient_accumulation_steps or 1)

    @iterations.setter
    def iterations(self, updates: int) -> None:
        self._iterations = int(updates) * (self.gradient_accumulation_steps or 1)

    def current_learning_rate(self) -> float:
        """The rate for the next step (a schedule is evaluated at the count of steps taken,
        which Keras' schedules see also with gradient accumulation)."""
        rate = self.learning_rate
        if callable(rate):
            return float(cast(Callable[[int], float], rate)(self._iterations))
        return float(rate)

    def apply(self, grads: Iterable[Any], trainable_variables: Iterable[Tensor] | None = None):
        """One update from the gradients given, as Keras' ``optimizer.apply(grads, vars)``:
        each gradient is written to its variable's ``.grad`` and ``step()`` runs. Without
        ``trainable_variables`` the gradients follow the order of ``params``. The optimizer
        updates every parameter it holds, in one flat buffer: give a gradient for each (in
        any order); an optimizer with no parameters yet is bound to these variables.
        """
        grads = list(grads)
        variables = self.params if trainable_variables is None else list(trainable_variables)
        if self.flat is None and variables:
            self.build(variables)
        params = self.params
        if len(grads) != len(variables):
            raise ValueError(
                f"{type(self).__name__}.apply: {len(grads)} gradients for {len(variables)} "
                "variables"
            )
        if {id(v) for v in variables} != {id(p) for p in params} or len(variables) != len(params):
            raise ValueError(
                f"{type(self).__name__}.apply: the variables must be exactly the {len(params)} "
                f"parameters the optimizer holds (got {len(variables)}, not the same tensors); "
                "it updates them together, in one flat buffer"
            )
        for variable, grad in zip(variables, grads, strict=True):
            if grad is None:
                raise ValueError(
                    f"{type(self).__name__}.apply: the gradient of a variable of shape "
                    f"{variable.shape} is None (it does not reach the loss?)"
                )
            value = grad._value if isinstance(grad, Tensor) else grad
            if np.shape(value) != variable.shape:
                raise ValueError(
                    f"{type(self).__name__}.apply: a gradient of shape {np.shape(value)} for "
                    f"a variable of shape {variable.shape}"
                )
            if variable.grad is None or variable.grad._value is not value:
                variable.grad = Tensor._make(value, -1)
        return self.step()

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Tensor]]) -> Any:
        """``apply`` from (gradient, variable) pairs, as Keras' ``apply_gradients``."""
        pairs = list(grads_and_vars)
        return self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def zero_grad(self) -> None:
        """Set every gradient to zero (one fill of the flat gradient buffer)."""
        self._require_built().zero_grad()

    # Whether update() runs a numba kernel where one fits (Adam's, momentum's): a fit starts
    # the kernels sooner for such an optimizer, whose update they make 2-4x faster
    # (training/kernel_start.py).
    update_has_kernel = False

    def applies_in_products(self) -> bool:
        """Whether a compiled training step may apply this optimizer's step itself, inside
        the products that compute the weights' gradients (``compiler/descent.py``): only
        for plain SGD, whose step is θ ← θ − ηg and nothing else."""
        return False

    def step(
        self, closure: Callable[[], Any] | None = None, *, applied: Sequence[Tensor] = ()
    ) -> Any:
        """Apply one update to every parameter from its ``.grad``.

        ``closure`` (re-evaluate the loss, call backward, return the loss) is accepted for
        PyTorch compatibility and called first; L-BFGS needs it. ``applied``: parameters
        this step has already updated (a compiled step's plain SGD inside the gradient
        products, ``applies_in_products``), which have no gradient and are left alone.
        """
        flat = self._require_built()
        loss = closure() if closure is not None else None
        if applied and not self.applies_in_products():
            raise RuntimeError(
                f"{type(self).__name__}.step: {len(applied)} parameters were updated inside "
                "the gradient products, which only plain SGD allows (its settings changed "
                "since the step was compiled?)"
            )
        if self._moves_without_gradient():
            _refuse_missing_gradients(type(self).__name__, flat.params, applied)
        flat.sync(applied)
        if self.data_parallel is not None:  # one Allreduce of the flat gradient buffer
            self.data_parallel.reduce_gradients(flat)
        rate = self.current_learning_rate()
        updates_before = self.iterations
        updating = self._gather_gradients(flat)
        self._iterations += 1
        if updating:
            self._update(flat, rate, applied)
        if self.use_ema:
            self._update_average(flat, updates_before)
        _apply_constraints(flat.params)
        mark_written(*flat.params)  # a graph made before must not read the new values
        return loss

    def _moves_without_gradient(self) -> bool:
        """Whether a step with a zero gradient may change a parameter or its state
        (momentum, moments, weight decay, the moving average, a step count of its own in
        PyTorch): then a parameter whose ``.grad`` is None, which PyTorch would skip, is
        refused rather than read as a zero gradient. Plain SGD's step is 0 there."""
        return True

    def _gather_gradients(self, flat: FlatParameters) -> bool:
        """Keras' gradient accumulation: whether this step updates the weights. A step
        that does not adds its gradient to the accumulator; the one that does (every n-th)
        replaces its gradient with (g + accumulated) / n, Keras' mean, and empties the
        accumulator. Without accumulation every step updates."""
        steps = self.gradient_accumulation_steps
        if not steps:
            return True
        updating = (self._iterations + 1) % steps == 0
        for group, state in zip(flat.groups, self.state, strict=True):
            accumulator = state["gradient_accumulator"]
            if updating:
                group.grads += accumulator
                group.grads /= steps
                accumulator.fill(0)
            else:
                accumulator += group.grads
        return updating

    def _update(self, flat: FlatParameters, rate: float, applied: Sequence[Tensor]) -> None:
        """The update proper: clipping, weight decay, then the rule on every buffer."""
        if self.global_clipnorm is not None:
            self._clip_global_norm(flat, self.global_clipnorm)
        for group, state in zip(flat.groups, self.state, strict=True):
            grads = self._prepare_gradient(group)
            if self.decoupled_weight_decay:
                group.values *= 1.0 - rate * self.decoupled_weight_decay
            if applied:  # plain SGD, stateless: the other parameters' parts alone
                self._update_parts(group, grads, state, rate, group.parts_without(applied))
            else:
                self.update(group.values, grads, state, rate, group)

    def _update_average(self, flat: FlatParameters, updates_before: int) -> None:
        """Keras' moving average, at every step (also one that only accumulates): with
        momentum 0 while no update had been made before the step (the first average is θ₁
        itself), and the weights overwritten with it when the updates made by the end of
        the step are a multiple of ``ema_overwrite_frequency``."""
        momentum = self.ema_momentum if updates_before else 0.0
        frequency = self.ema_overwrite_frequency
        overwrite = frequency is not None and (updates_before + 1) % frequency == 0
        for group, state in zip(flat.groups, self.state, strict=True):
            state["ema"] *= momentum
            state["ema"] += (1.0 - momentum) * group.values
            if overwrite:
                group.values[...] = state["ema"]

    def _update_parts(
        self, group: FlatGroup, grads: np.ndarray, state: dict, rate: float, parts: tuple
    ) -> None:
        """The update of a stateless rule over part of the buffer: long runs in place, the
        short ones gathered, updated together and put back (the same bits: elementwise)."""
        runs, scattered = parts
        for start, stop in runs:
            self.update(group.values[start:stop], grads[start:stop], state, rate, group)
        if scattered.size:
            values = group.values[scattered]
            self.update(values, grads[scattered], state, rate, group)
            group.values[scattered] = values

    def _prepare_gradient(self, group: FlatGroup) -> np.ndarray:
        grads = group.grads
        if self.maximize:  # PyTorch's order: negated before the L2 term is added
            np.negative(grads, out=grads)
        if self.clipvalue is not None:
            np.clip(grads, -self.clipvalue, self.clipvalue, out=grads)
        if self.clipnorm is not None:
            norms = group.norms(grads)
            scale = np.minimum(1.0, self.clipnorm / np.maximum(norms, 1e-12))
            grads *= group.spread(scale.astype(grads.dtype))
        if self.weight_decay:
            return grads + self.weight_decay * group.values
        return grads

    @staticmethod
    def _clip_global_norm(flat: FlatParameters, clipnorm: float) -> None:
        total = math.sqrt(sum(_squared_norm(g.grads) for g in flat.groups))
        if total > clipnorm:
            for group in flat.groups:
                group.grads *= clipnorm / total

    def _require_built(self) -> FlatParameters:
        """The flat buffers, or an error that says how to bind parameters."""
        if self.flat is None:
            raise RuntimeError(
                f"{type(self).__name__}: no parameters; pass them "
                f"({type(self).__name__}(model.trainable_weights, ...)) or compile a model with it"
            )
        return self.flat

    def init_state(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """The state arrays of one flat buffer (moments, velocities), shaped as it."""
        return {}

    def init_group_state(self, group: FlatGroup, state: dict[str, np.ndarray]) -> None:
        """For rules whose state depends on the parameters' shapes (factored moments)."""

    def update(
        self, values: np.ndarray, grads: np.ndarray, state: dict, rate: float, group: FlatGroup
    ) -> None:
        """Apply the rule to one flat buffer, in place (``self.iterations`` is the step t)."""
        raise NotImplementedError

    # ---- the averaged weights ----------------------------------------------------------

    def averaged_state(self, state: dict[str, np.ndarray]) -> np.ndarray | None:
        """The averaged weights this optimizer keeps for one buffer, if any: the moving
        average with ``use_ema`` (ASGD overrides it with its Polyak–Ruppert average)."""
        return state["ema"] if self.use_ema else None

    @contextlib.contextmanager
    def averaged_weights(self) -> Iterator[None]:
        """Inside the block the parameters hold their average (``use_ema``, ASGD);
        ``fit`` validates inside it."""
        flat = self.flat
        # no buffer at all for a model without trainable weights (a statistics-only net)
        if flat is None or not self.state or self.averaged_state(self.state[0]) is None:
            yield
            return
        saved = [group.values.copy() for group in flat.groups]
        self.finalize_weights()
        try:
            yield
        finally:
            for group, values in zip(flat.groups, saved, strict=True):
                group.values[...] = values
            mark_written(*flat.params)

    @contextlib.contextmanager
    def validation_weights(self) -> Iterator[None]:
        """The weights ``fit`` validates with, inside the block: the model's own, also
        with ``use_ema``, as Keras 3 validates (its ``SwapEMAWeights`` callback swaps the
        average in). ASGD, whose average is the rule's estimate, swaps it in."""
        yield

    def finalize_weights(self) -> None:
        """Overwrite the parameters with their average, as Keras does with ``use_ema`` at
        the end of ``fit``."""
        if self.flat is None:
            return
        for group, state in zip(self.flat.groups, self.state, strict=True):
            average = self.averaged_state(state)
            if average is not None:
                group.values[...] = average
                mark_written(*group.params)

    # ---- saving -------------------------------------------------------------------------

    def get_config(self) -> dict:
        """The constructor's arguments, to rebuild the optimizer (schedules serialised)."""
        rate: Any = self.learning_rate
        if callable(rate) and hasattr(rate, "get_config"):
            rate = schedules.serialize(cast(schedules.Schedule, rate))
        elif callable(rate):
            raise ValueError("an optimizer with a plain-function learning rate cannot be saved")
        config = {"learning_rate": rate}
        for name in (
            "weight_decay",
            "decoupled_weight_decay",
            "clipvalue",
            "clipnorm",
            "global_clipnorm",
            "use_ema",
            "ema_momentum",
            "ema_overwrite_frequency",
            "maximize",
            "gradient_accumulation_steps",
        ):
            config[name] = getattr(self, name)
        return config

    @classmethod
    def from_config(cls: type[_Self], config: dict) -> _Self:
        """The optimizer ``get_config`` describes (a schedule's config read back), as
        Keras' ``from_config``.

        >>> from deepgrad import optimizers
        >>> from deepgrad.optimizers import schedules
        >>> opt = optimizers.Adam(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5))
        >>> optimizers.Adam.from_config(opt.get_config()).current_learning_rate()
        0.1
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.get(config["learning_rate"])
        return cls(**config)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to resume bit for bit: state arrays (with gradient
        accumulation, the accumulators) and the count of steps taken (as Keras saves it:
        every step, also those that only accumulated)."""
        arrays = {"iterations": np.array(self._iterations, np.int64)}
        for g, state in enumerate(self.state):
            for name, array in state.items():
                arrays[f"{g}.{name}"] = to_numpy(array)  # copied from the device, if on one
        return arrays

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore ``state_arrays`` output, after checking every name and shape."""
        expected = self.state_arrays()
        if set(arrays) != set(expected):
            raise ValueError(
                f"{type(self).__name__}: optimizer state has entries {sorted(arrays)}, "
                f"expected {sorted(expected)}"
            )
        for name, array in arrays.items():
            if np.shape(array) != np.shape(expected[name]):
                raise ValueError(
                    f"{type(self).__name__}: optimizer state {name!r} has shape "
                    f"{np.shape(array)}, expected {np.shape(expected[name])}"
                )
        self._iterations = int(arrays["iterations"])
        for g, state in enumerate(self.state):
            for name in state:
                state[name][...] = to_device(arrays[f"{g}.{name}"], device_of(state[name]))


def _refuse_missing_gradients(
    optimizer: str, params: list[Tensor], applied: Sequence[Tensor]
) -> None:
    """Refuse a step while a parameter's ``.grad`` is None (PyTorch's ``zero_grad()`` sets
    it so, and a weight the loss does not reach keeps it). PyTorch skips such a parameter,
    its state and its step count included; the rule here runs over the whole flat buffer
    with one step count, and reading None as a zero gradient would still move the weight
    (momentum, Adam's moments, weight decay)."""
    skipped = {id(p) for p in applied}
    missing = [p for p in params if p.grad is None and id(p) not in skipped]
    if missing:
        shapes = ", ".join(str(p.shape) for p in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise RuntimeError(
            f"{optimizer}.step: {len(missing)} of its {len(params)} parameters have no "
            f"gradient (.grad is None), of shapes {shapes}{more}: set to None (by "
            "model.zero_grad(), as PyTorch's) and not reached by the loss's backward(). "
            "PyTorch skips such a parameter; deepgrad updates all the parameters it holds "
            "together, and would move it with a zero gradient (momentum, moving moments, "
            "weight decay). Give the optimizer only the parameters the loss reaches, or "
            "set their gradients to zeros (optimizer.zero_grad() does) to update them "
            "with a zero gradient"
        )


def _apply_constraints(params: list[Tensor]) -> None:
    """θ ← constraint(θ) for each parameter that has one (a layer's ``kernel_constraint``,
    ``deepgrad.constraints``): Keras' last act of a step, after the update and the moving
    average, whichever executor made the update (eager, compiled, inside the products)."""
    for param in params:
        constraint = getattr(param, "constraint", None)
        if constraint is not None:
            _project(param, constraint)


def _project(param: Tensor, constraint: Callable[[Any], Any]) -> None:
    """Write ``constraint(param)`` over the parameter's values, in place (they are a view
    into the flat buffer), as Keras' ``variable.assign(variable.constraint(variable))``."""
    with no_grad():
        projected = raw_data(constraint(param))
    if np.shape(projected) != param.shape:
        raise ValueError(
            f"the constraint {constraint!r} returned a value of shape {np.shape(projected)} "
            f"for a weight of shape {param.shape}; a constraint must keep the weight's shape"
        )
    param._value[...] = projected


def _squared_norm(values: np.ndarray) -> float:
    """Σ v², in float64 when the values' own dtype overflows (float32 beyond about 1e19),
    as ``clipnorm``'s per-parameter norms are: an infinite norm would scale the step to 0."""
    total = float(np.dot(values, values))
    if math.isinf(total) and values.dtype != np.float64:
        as_float64 = np.asarray(values, dtype=np.float64)
        total = float(np.dot(as_float64, as_float64))
    return total


def _checked_clip(optimizer: str, name: str, value: Any) -> float | None:
    """A clipping threshold as Keras reads it: None or 0 for no clipping (Keras clips only
    with a threshold > 0), else a positive number; a negative one, which Keras ignores,
    is refused."""
    if value is None:
        return None
    threshold = float(value) if isinstance(value, numbers.Real) else math.nan
    if isinstance(value, bool) or not threshold >= 0:
        raise ValueError(
            f"{optimizer}: {name} must be None, 0 (no clipping, as Keras reads it) or a "
            f"positive number, got {value!r}"
        )
    return threshold if threshold > 0 else None


def _checked_accumulation_steps(optimizer: str, steps: Any) -> int | None:
    """``gradient_accumulation_steps`` as Keras takes it: None (or 0) for none, else an
    integer >= 2."""
    if steps is None or (isinstance(steps, numbers.Integral) and steps == 0):
        return None
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 2:
        raise ValueError(
            f"{optimizer}: gradient_accumulation_steps must be None or an integer >= 2 (the "
            f"steps whose gradients are averaged into one update), got {steps!r}"
        )
    return int(steps)


# Arguments of Keras' and PyTorch's optimizers that deepgrad does not take, and what to do.
_NOT_TAKEN = {
    "loss_scale_factor": "there is no loss scaling (deepgrad trains in float32 or float64)",
    "exclude_from_weight_decay": "give the excluded parameters their own optimizer",
    "l1_regularization_strength": "Ftrl's λ₁ is l1 (the same number)",
    "l2_regularization_strength": "Ftrl's λ₂ is l2, twice Keras' l2_regularization_strength",
    "l2_shrinkage_regularization_strength": "Ftrl has no L2 shrinkage: leave it at Keras' 0",
    "foreach": "there is one implementation of each rule, over a flat buffer",
    "fused": "there is one implementation of each rule, over a flat buffer",
    "capturable": "there is one implementation of each rule, over a flat buffer",
    "differentiable": "the step is not differentiable",
}


def _unknown_arguments(optimizer: str, unknown: dict[str, Any]) -> str:
    """The error for constructor arguments the optimizer does not take."""
    lines = [f"{optimizer} does not take {', '.join(repr(name) for name in unknown)}"]
    lines += [f"  {name}: {_NOT_TAKEN[name]}" for name in unknown if name in _NOT_TAKEN]
    return "\n".join(lines)

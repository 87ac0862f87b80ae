"""One batch: ``compile``, then ``train_step`` and ``test_step`` and their running logs.

One training step is the lecture's loop: forward, the objective (negative log-likelihood
+ regularisation penalties), backward, update. ``fit`` and ``evaluate`` (trainer.py) call
these once per batch; ``train_on_batch`` and friends call them directly.
"""

from __future__ import annotations

import copy
import functools
import operator
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np

from deepgrad import losses as losses_module
from deepgrad import metrics as metrics_module
from deepgrad import optimizers as optimizers_module
from deepgrad.autodiff.graph import backward
from deepgrad.autodiff.modes import no_grad
from deepgrad.backend import to_numpy
from deepgrad.compiler import CompiledFunction
from deepgrad.compiler.descent import InProductDescent
from deepgrad.compiler.jit import MAX_SIGNATURES, TooManySignatures
from deepgrad.device import Device, device_of, to_device, using_device
from deepgrad.layers import structure
from deepgrad.losses.outputs import per_output_sample_weight
from deepgrad.tensor import raw_data
from deepgrad.training.auto_jit import runs_only_deepgrad_code
from deepgrad.training.data import ClassWeighted, class_weights_of

if TYPE_CHECKING:
    from deepgrad.layers.base import Layer


def _to(where: Device, batch: Any) -> Any:
    """The arrays of a batch (an array, or a list, tuple or dict of them) on ``where``."""
    if isinstance(batch, list | tuple):
        return type(batch)(_to(where, part) for part in batch)
    if isinstance(batch, dict):
        return {key: _to(where, part) for key, part in batch.items()}
    return to_device(batch, where) if hasattr(batch, "dtype") else batch


def _host(array: Any) -> Any:
    """A device array copied to the host (metrics are kept there); anything else as it is."""
    return to_numpy(array) if device_of(array).kind != "cpu" else array


def on_model_device(step: Callable) -> Callable:
    """Run a one-batch step with the batch moved to the model's device (host data move batch
    by batch, never the whole data set), which is the current device meanwhile, so that the
    layers' random draws are made there too."""

    @functools.wraps(step)
    def run(self: Any, x: Any, *rest: Any) -> Any:
        where = self.device
        if where.kind == "cpu":
            return step(self, x, *rest)
        with using_device(where):
            return step(self, *_to(where, (x, *rest)))

    return run


class Steps:
    """The one-batch half of ``Model``'s training API (``Trainer`` adds the loops)."""

    optimizer: Any = None
    loss: Any = None
    compiled_metrics: Sequence[Any] = ()
    stop_training: bool = False
    _jit: bool | str = False  # True, False or "auto" (compile's argument)
    _jit_auto: bool | None = None  # what "auto" came to, once decided
    _custom_logs: dict | None = None
    # What compile() keeps in lists and dicts (metrics, compiled steps, its arguments): no
    # sublayer is ever among them (Model adds these to the layer's _holds_no_sublayers).
    _compile_bookkeeping = frozenset(
        {
            "_compile_arguments",
            "_compiled_steps",
            "_metric_slots",
            "_metric_names",
            "_metric_identifiers",
            "_output_loss_trackers",
            "_loss_dict_order",
            "compiled_metrics",
        }
    )

    def __setattr__(self, name: str, value: Any) -> None:
        """A ``loss`` assigned after ``compile`` drops the compiled steps, recorded with the
        one before (they would go on training on it), to be recorded again."""
        if name == "loss" and self.__dict__.get("_compiled_steps"):
            self._compiled_steps.clear()
        super().__setattr__(name, value)

    if TYPE_CHECKING:  # what Layer, the other half of Model, brings (for the type checker)
        built: bool
        name: str
        trainable_weights: list
        losses: list
        output_names: list[str]

        def __call__(self, inputs: Any, training: bool | None = None) -> Any: ...
        @property
        def device(self) -> Device: ...
        def _cast(self, inputs: Any) -> Any: ...
        def _weights_now(self) -> Any: ...

    def compile(
        self,
        optimizer: Any = "rmsprop",
        loss: Any = None,
        loss_weights: Any = None,
        metrics: Any = None,
        weighted_metrics: Any = None,
        run_eagerly: bool = False,
        *,
        jit: bool | str = "auto",
    ) -> None:
        """Choose the optimizer (RMSprop when none is given, as in Keras 3), the loss (the
        negative log-likelihood) and the metrics.

        The arguments come in Keras 3's order, ``(optimizer, loss, loss_weights, metrics,
        weighted_metrics, run_eagerly)``: ``compile("sgd", "mse", None, ["mae"])`` has the
        metric ``mae``. ``jit`` is keyword-only (Keras' seventh is ``steps_per_execution``).

        As in Keras 3, ``metrics`` are computed without weights and ``weighted_metrics``
        with the sample weights (``fit``'s ``sample_weight`` times its ``class_weight``),
        which weigh the loss in any case. A weighted metric whose name an unweighted one
        has already is logged as ``weighted_<name>``.

        With several outputs ``loss``, ``loss_weights`` and ``metrics`` are lists (one
        entry per output) or dicts keyed by output name; the logs then hold
        ``<output>_loss`` and ``<output>_<metric>`` as in Keras. ``loss`` may be left out
        when ``train_step`` is overridden, or when the model's only losses are its own
        (``add_loss``).

        ``jit`` chooses how the training and evaluation steps run. ``True`` compiles
        them (see ``deepgrad.compile``): forward, objective and backward are recorded on
        the first two batches (compared), on the first batch of each later shape, and
        replayed from then on as one flat plan on preallocated buffers, with the gradients
        computed straight into the optimizer's flat buffer. Same numbers as eager, bit for
        bit, faster; Python in a custom layer's ``call`` then runs only while recording.
        ``False`` runs them eagerly. ``"auto"`` (the default, as Keras 3's
        ``jit_compile="auto"``) compiles them when all the code inside the step is
        deepgrad's (its layers, activations, regularizers and losses, on the CPU) and runs
        them eagerly as soon as a layer, activation, regularizer or loss of your own is in
        it; it is decided at the first step (``model.jit`` then says which).
        ``run_eagerly=True`` (Keras' name) is ``jit=False``.
        """
        if run_eagerly and jit is True:
            raise ValueError("compile: jit=True and run_eagerly=True contradict each other")
        self.jit = False if run_eagerly else jit  # checked, and "auto" decided afresh
        names = list(self.output_names)
        self.optimizer = optimizers_module.get(optimizer)
        if loss is None:
            self.loss = None
        elif _per_output(loss) or len(names) > 1 or loss_weights is not None:
            self.loss = losses_module.OutputLosses(loss, names, loss_weights)
        else:
            self.loss = losses_module.get(loss)
        self._compile_arguments = {
            "loss": loss,
            "loss_weights": loss_weights,
            "metrics": metrics,
            "weighted_metrics": weighted_metrics,
        }
        self._metric_slots = _metric_slots(metrics, names, self.loss, weighted=False) + (
            _metric_slots(weighted_metrics, names, self.loss, weighted=True)
        )
        self.compiled_metrics = [slot.metric for slot in self._metric_slots]
        self._metric_names = _log_names(self._metric_slots, names)
        self._metric_identifiers = list(metrics) if isinstance(metrics, list | tuple) else []
        self._loss_tracker = metrics_module.Mean("loss")
        self._output_loss_trackers = _output_loss_trackers(self.loss, names)
        self._loss_dict_order = _loss_dict_order(loss, getattr(self, "_outputs", None))
        self._compiled_steps: dict = {}
        self._custom_logs = None

    def _require_compiled(self, what: str) -> None:
        if self.optimizer is None:
            raise RuntimeError(
                f"{what}: compile the model first, e.g. model.compile(optimizer='adam', loss='mse')"
            )

    def _parameters(self) -> list:
        loss_weights = self.loss.trainable_weights if self.loss is not None else []
        return self.trainable_weights + loss_weights

    def _bind_optimizer(self) -> None:
        """Build the optimizer on the trainable weights, or check that they are still the
        ones it was built on. Every batch asks; while the weight list is the one already
        checked (``layers/weight_lists.py`` keeps it while the structure is unchanged), the
        answer is known."""
        weights = self._weights_now()
        loss_weights = self.loss.trainable_weights if self.loss is not None else []
        checked = self.__dict__.get("_checked_binding")
        if (
            checked is not None
            and checked[0] is self.optimizer
            and checked[1] is weights
            and len(checked[2]) == len(loss_weights)
            and all(map(operator.is_, checked[2], loss_weights))
            and checked[3] is self.optimizer.flat  # not built again on other parameters
        ):
            return
        params = self._parameters()
        bound = self.optimizer.params
        if not bound:
            self.optimizer.build(params)
        elif [id(p) for p in bound] != [id(p) for p in params]:
            raise RuntimeError(
                f"the model's trainable weights ({len(params)}) are not the ones its optimizer "
                f"was built on ({len(bound)}): a layer was frozen, unfrozen or added since, or "
                f"the optimizer {type(self.optimizer).__name__} trained another model. An "
                "optimizer keeps the state of the weights it was built on: call compile() "
                "again with a new optimizer (a name, or a new object), as Keras requires"
            )
        # kept past __setattr__, which would mark the structure changed (a tuple of objects)
        self.__dict__["_checked_binding"] = (
            self.optimizer,
            weights,
            list(loss_weights),
            self.optimizer.flat,
        )

    def _prepare(self, x: Any) -> None:
        """Build the model on its first batch and bind the optimizer to its weights."""
        if not self.built:
            self(structure.map_structure(_first_sample, x))
        self._bind_optimizer()

    # ---- the objective ------------------------------------------------------------------

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        """The objective, as Keras' ``compute_loss``: the compiled loss (−log-likelihood,
        summed over outputs with ``loss_weights``) + the regularisation penalties + the
        losses added with ``add_loss`` in the last call. A scalar Tensor; call
        ``backward()`` on it."""
        return self._objective_and_components(y, y_pred, sample_weight)[0]

    def objective(self, y: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        """−log-likelihood (the loss) + every regularisation penalty and added loss."""
        return self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)

    def _objective_and_components(self, y: Any, y_pred: Any, sample_weight: Any) -> tuple:
        components: list = []
        terms = list(self.losses)
        if isinstance(self.loss, losses_module.OutputLosses):
            components = self.loss.components(
                self._per_output(y, "y"), self._per_output(y_pred, "y_pred"), sample_weight
            )
            terms.insert(0, self.loss.combine(components))
        elif self.loss is not None:
            terms.insert(0, self.loss(structure.unpack(y), y_pred, sample_weight))
        if not terms:
            raise ValueError(
                f"{self.name}: no loss to compute: the model was compiled without a loss "
                "and added none with add_loss; compile with one "
                "(model.compile(optimizer, loss='mse')) or override train_step/test_step"
            )
        value = terms[0]
        for term in terms[1:]:
            value = value + term
        return value, [c for c in components if c is not None]

    def _per_output(self, value: Any, what: str) -> list:
        """Targets or predictions as a list in ``output_names`` order."""
        value = structure.unpack(value)
        names = list(self.output_names)
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"{self.name}: {what} has keys {unknown}; the outputs are {names}")
            return [value.get(name) for name in names]
        if isinstance(value, list | tuple) and len(names) > 1:
            return list(value)
        return [value]

    # ---- the steps: Keras' signatures ---------------------------------------------------

    def train_step(self, data: Any) -> dict:
        """One update on one batch ``data`` = (x, y) or (x, y, sample_weight), Keras'
        signature: forward, objective, backward, update; returns the running logs.

        Override it to customise what ``fit`` does (see docs/training.md, "Custom
        train_step"); ``fit`` calls it with each batch."""
        x, y, sample_weight = unpack_data(data)
        # lists and dicts, for the compiler
        x, y, sample_weight = map(structure.unpack, (x, y, sample_weight))
        self._train_batch_step(x, y, sample_weight)
        return self._logs()

    def test_step(self, data: Any) -> dict:
        """The loss and metrics on one batch ``data`` (no update); returns the running logs.
        Override it to customise ``evaluate``."""
        x, y, sample_weight = unpack_data(data)
        x, y, sample_weight = map(structure.unpack, (x, y, sample_weight))
        return self._test_batch_step(x, y, sample_weight)

    def _test_batch_step(self, x: Any, y: Any, sample_weight: Any) -> dict:
        result = self._run_compiled("test", x, y, sample_weight) if self.jit else None
        if result is None:
            result = self._predict_and_objective(x, y, sample_weight)
        y_pred, value, components = result
        self._update_metrics(y, y_pred, sample_weight, value, components)
        return self._logs()

    @on_model_device
    def run_train_step(self, x: Any, y: Any, sample_weight: Any = None) -> dict:
        """What ``fit`` calls on each batch: ``train_step((x, y[, sample_weight]))``."""
        return self._run_step(self.train_step, Steps.train_step, x, y, sample_weight)

    @on_model_device
    def run_test_step(self, x: Any, y: Any = None, sample_weight: Any = None) -> dict:
        """What ``evaluate`` calls on each batch: ``test_step((x, y[, sample_weight]))``."""
        return self._run_step(self.test_step, Steps.test_step, x, y, sample_weight)

    def _run_step(self, step: Any, default: Any, x: Any, y: Any, sample_weight: Any) -> dict:
        if getattr(step, "__func__", None) is default:
            return step((x, y, sample_weight))
        data = (structure.unpack(x), structure.unpack(y), structure.unpack(sample_weight))
        logs = step(data[:2] if sample_weight is None else data)
        if not isinstance(logs, dict):
            raise TypeError(
                f"{type(self).__name__}.{default.__name__} must return a dict of logs "
                f"(name → value), got {type(logs).__name__}"
            )
        self._custom_logs = by_name(_as_floats(logs))
        return self._custom_logs

    def _train_batch_step(self, x: Any, y: Any, sample_weight: Any) -> None:
        """What ``train_step`` does but for making the logs (``fit``'s direct batch path
        needs none until the epoch ends)."""
        self._prepare(x)
        evaluated: list = []

        def closure() -> Any:
            """The objective and its gradient at the current weights (L-BFGS calls it
            several times per step; the first evaluation is the one logged)."""
            result = self._run_compiled("train", x, y, sample_weight) if self.jit else None
            if result is None:  # eager: .grad overwritten, as the compiled step does it
                result = self._forward_backward(x, y, sample_weight)
            evaluated.append(result)
            return result[1]

        if not self.optimizer.params:
            # Every layer frozen: Keras logs the loss and its optimizer takes no step.
            closure()
        elif self.optimizer.needs_closure:
            self.optimizer.step(closure)
        else:
            descent = self._descent() if self.jit else None
            if descent is None:
                closure()
                self.optimizer.step()
            else:  # plain SGD: the plan updates the weights its products reach
                descent.rate = self.optimizer.current_learning_rate()
                descent.applied.clear()
                closure()
                self.optimizer.step(applied=tuple(descent.applied.values()))
        y_pred, value, components = evaluated[0]
        self._update_metrics(y, y_pred, sample_weight, value, components)

    def _forward_backward(self, x: Any, y: Any, sample_weight: Any):
        """The prediction, the objective and its components; the objective's gradient
        written over each parameter's ``.grad``. That is zero_grad then backward, in one
        pass instead of three (no fill of the gradient buffer, no read of it to add to),
        eager and compiled alike. A parameter the objective does not reach gets a zero
        gradient, as zero_grad would leave it."""
        y_pred = self(x, training=True)
        value, components = self._objective_and_components(y, y_pred, sample_weight)
        if getattr(value, "requires_grad", False):
            backward(value, accumulate=False, zero_unreached=self.optimizer.params)
        else:  # no weight reaches it (every layer frozen): Keras trains nothing, logs the loss
            self.optimizer.zero_grad()
        return y_pred, value, components

    def _predict_and_objective(self, x: Any, y: Any, sample_weight: Any) -> tuple:
        with no_grad():
            y_pred = self(x, training=False)
            return (y_pred, *self._objective_and_components(y, y_pred, sample_weight))

    def __deepcopy__(self, memo: dict) -> Any:
        """A copy with its own compiled steps to come: the ones made so far replay on this
        model's weights (their functions close over it), so the copy records its own."""
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            fresh = {} if name == "_compiled_steps" else copy.deepcopy(value, memo)
            object.__setattr__(clone, name, fresh)
        return clone

    @property
    def jit(self) -> bool:
        """Whether the training and evaluation steps run compiled: ``compile``'s ``jit``,
        with ``"auto"`` decided (once, at the first step after ``compile``) by whether all
        the code in the step is deepgrad's (``training/auto_jit.py``)."""
        if self._jit != "auto":
            return bool(self._jit)
        if self._jit_auto is None:
            model = cast("Layer", self)  # Steps is the training half of Model, a Layer
            self._jit_auto = self.device.kind == "cpu" and runs_only_deepgrad_code(model, self.loss)
        return self._jit_auto

    @jit.setter
    def jit(self, value: bool | str) -> None:
        if value not in (True, False, "auto"):
            raise ValueError(f"compile: jit must be True, False or 'auto', got {value!r}")
        self._jit, self._jit_auto = value, None

    def _run_compiled(self, kind: str, x: Any, y: Any, sample_weight: Any) -> Any:
        """The compiled step's result, or None where ``jit="auto"`` gives up compiling: a
        step called with ``MAX_SIGNATURES`` batch shapes already (the refusal comes before
        the step runs anything) is then run eagerly, now and from then on."""
        try:
            return self._compiled_step(kind)(x, y, sample_weight)
        except TooManySignatures:
            if self._jit != "auto":
                raise
            warnings.warn(
                f"{self.name}: the {kind} step met {MAX_SIGNATURES} batch shapes; "
                'jit="auto" runs it eagerly from now on (the same numbers, without the '
                "recording of every new shape)",
                stacklevel=2,
            )
            self._jit_auto = False
            return None

    def _compiled_step(self, kind: str) -> Any:
        """The compiled training ("train") or evaluation ("test") step."""
        if kind not in self._compiled_steps:
            if kind == "train":
                # _forward_backward overwrites .grad, which makes zero_grad unneeded and
                # lets the plan compute each gradient straight into the flat buffer.
                def step(x, y, sample_weight):
                    return self._forward_backward(x, y, sample_weight)

                descent = None
                if self.optimizer.applies_in_products():  # plain SGD: in the products
                    descent = InProductDescent(self.optimizer.params)
                self._compiled_steps[kind] = CompiledFunction(step, descent=descent)
            else:
                self._compiled_steps[kind] = CompiledFunction(self._predict_and_objective)
        return self._compiled_steps[kind]

    def _replan_compiled_steps(self) -> None:
        """Make the compiled steps' plans again from their recordings (when the kernels
        start mid-fit, so that the plans take their fused calls; the numbers stay the
        same, as nothing is recorded again)."""
        for compiled in self._compiled_steps.values():
            compiled.replan()

    def _descent(self) -> InProductDescent | None:
        """The compiled training step's plain SGD inside the gradient products, if it has
        one. A step compiled with one for an optimizer that no longer allows it (or without
        one for an optimizer that now does) is dropped, to be recorded again."""
        compiled = self._compiled_steps.get("train")
        descent = compiled.descent if compiled is not None else None
        if compiled is not None and (descent is not None) != self.optimizer.applies_in_products():
            del self._compiled_steps["train"]
            compiled = self._compiled_step("train")
            descent = compiled.descent
        return descent

    # ---- the running logs ---------------------------------------------------------------

    @property
    def metrics(self) -> list:
        """The metrics behind the logs, as Keras lists them: the loss tracker first (named
        "loss"), each output's loss tracker, then the compiled metrics. ``fit`` and
        ``evaluate`` reset them; override this property to list your own."""
        if self.optimizer is None:
            return []
        return [
            self._loss_tracker,
            *(tracker for _, tracker in self._output_loss_trackers),
            *self.compiled_metrics,
        ]

    def _metrics(self) -> list:
        """Every metric behind the logs (what the strategy merges across processes)."""
        return list(self.metrics)

    def _update_metrics(self, y, y_pred, sample_weight, loss_value, components=()) -> None:
        n = len(raw_data(structure.flatten(y_pred)[0]))
        self._loss_tracker.update_with(float(raw_data(loss_value)), n)
        if self._output_loss_trackers:  # one output has no <output>_loss log of its own
            trackers = self._output_loss_trackers
            for (_, tracker), component in zip(trackers, components, strict=True):
                tracker.update_with(float(raw_data(component)), n)
        if not self._metric_slots or y is None:
            return
        truths, predictions = self._per_output(y, "y"), self._per_output(y_pred, "y_pred")
        names = list(self.output_names)
        weights = [_host(w) for w in per_output_sample_weight(sample_weight, names)]
        for slot in self._metric_slots:
            slot.metric.update_state(
                _host(truths[slot.output]),
                _host(raw_data(predictions[slot.output])),
                weights[slot.output] if slot.weighted else None,
            )

    def _reset_metrics(self) -> None:
        self._custom_logs = None
        for metric in self._metrics():
            metric.reset_state()

    def _listed_first(self) -> list[str]:
        """The names ``evaluate``'s list starts with, in Keras 3's order: ``loss``, then a
        one-output model's metrics as compiled, or a multi-output model's loss per output.
        The rest follow by name: such a model's metrics (Keras lists them under their
        names before the output's is added, which are not in the logs), and what a custom
        step adds."""
        if len(self.output_names) == 1:
            return ["loss", *getattr(self, "_metric_names", [])]
        names = [self.output_names[i] for i, _ in self._output_loss_trackers]
        order = getattr(self, "_loss_dict_order", None) or names
        return ["loss", *(f"{name}_loss" for name in sorted(names, key=order.index))]

    def _logs(self) -> dict:
        """The running loss and metrics by name: Keras 3 sorts every logs dict it gives
        (the history, the callbacks', ``return_dict``'s, the progress line); only
        ``evaluate``'s list has an order of its own (``_listed_first``)."""
        if self._custom_logs is not None:
            return self._custom_logs
        logs = {"loss": self._loss_tracker.result()}
        for _, tracker in self._output_loss_trackers:
            logs[tracker.name] = tracker.result()
        for slot, name in zip(self._metric_slots, self._metric_names, strict=True):
            logs[name] = slot.metric.result()
        return by_name(logs)

    # ---- one batch, called directly -----------------------------------------------------

    def train_on_batch(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        class_weight: dict | None = None,
        return_dict: bool = False,
    ) -> Any:
        """One update on one batch; the loss and metrics on it (before the update).
        Keras 3's signature: ``class_weight`` (one output, without ``sample_weight``)
        weighs each sample by ``class_weight[label]``, as in ``fit``."""
        self._require_compiled("train_on_batch")
        self._reset_metrics()
        y = y if y is None or structure.is_structure(y) else np.asarray(y)
        if class_weight is not None:
            sample_weight = self._class_weighted(y, sample_weight, class_weight)
        logs = self.run_train_step(self._cast(structure.pack(x)), structure.pack(y), sample_weight)
        return logs if return_dict else as_list(logs, self._listed_first())

    def _class_weighted(self, y: Any, sample_weight: Any, class_weight: dict) -> np.ndarray:
        """``class_weight[label]`` for each sample, as the batch's sample weights."""
        if len(self.output_names) > 1:
            raise ValueError(
                f"{self.name}.train_on_batch: class_weight is only supported for a model "
                f"with one output (as in Keras 3); this one has {self.output_names}"
            )
        if y is None or structure.is_structure(y):
            raise ValueError(f"{self.name}.train_on_batch: class_weight needs labels y")
        if sample_weight is not None:  # as Keras 3 refuses them together here
            raise ValueError(
                f"{self.name}.train_on_batch: give sample_weight or class_weight, not both "
                "(as in Keras 3); multiply them yourself: "
                "sample_weight * [class_weight[label] for label in y]"
            )
        return class_weights_of(y, ClassWeighted.checked(class_weight))

    def test_on_batch(
        self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False
    ) -> Any:
        """The loss and metrics on one batch (no update)."""
        self._require_compiled("test_on_batch")
        self._reset_metrics()
        y = y if y is None or structure.is_structure(y) else np.asarray(y)
        logs = self.run_test_step(self._cast(structure.pack(x)), structure.pack(y), sample_weight)
        return logs if return_dict else as_list(logs, self._listed_first())

    def predict_on_batch(self, x: Any) -> np.ndarray:
        """The model's outputs for one batch, as a NumPy array."""
        return to_numpy(raw_data(self._predict_batch(self._cast(x))))

    @on_model_device
    def _predict_batch(self, x: Any) -> Any:
        with no_grad():
            return self(x, training=False)


def _first_sample(x: Any) -> Any:
    return x[:1] if hasattr(x, "__getitem__") else x


def _loss_dict_order(loss: Any, outputs: Any) -> list[str] | None:
    """The keys of a dict of losses for a dict of outputs: Keras 3 lists the outputs'
    losses in ``evaluate``'s list in that order (else in the outputs' order)."""
    if isinstance(outputs, dict) and _per_output(loss) and isinstance(loss, dict):
        return [*loss, *sorted(set(outputs) - set(loss))]
    return None


def _output_loss_trackers(loss: Any, names: list[str]) -> list:
    """``<output>_loss`` trackers, one per output with a loss, when more than one output
    has a loss (Keras 3 logs no ``<output>_loss`` for a lone loss)."""
    if not isinstance(loss, losses_module.OutputLosses) or len(names) < 2:
        return []
    trackers = [
        (i, metrics_module.Mean(f"{name}_loss"))
        for i, (name, output_loss) in enumerate(zip(names, loss.losses, strict=True))
        if output_loss is not None
    ]
    return trackers if len(trackers) > 1 else []


def _per_output(loss: Any) -> bool:
    """A list of losses, or a dict of them by output name (not one loss's saved config)."""
    return isinstance(loss, list | tuple) or (
        isinstance(loss, dict) and not losses_module.is_saved_loss(loss)
    )


def unpack_data(data: Any) -> tuple:
    """(x, y, sample_weight) from a batch ``data``: x, (x,), (x, y) or (x, y, sample_weight),
    as Keras' ``unpack_x_y_sample_weight``.

    >>> unpack_data((1, 2)), unpack_data(1)
    ((1, 2, None), (1, None, None))
    """
    if not isinstance(data, tuple):
        return data, None, None
    if not 1 <= len(data) <= 3:
        raise ValueError(
            f"a batch is x, (x,), (x, y) or (x, y, sample_weight); got a tuple of {len(data)}"
        )
    return (*data, *(None,) * (3 - len(data)))


def _as_floats(logs: dict) -> dict:
    """Logs with Tensors and arrays as floats; a nested dict (Keras' ``compile_metrics``)
    merged in."""
    flat: dict = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            flat.update(_as_floats(value))
        else:
            array = to_numpy(raw_data(value))
            flat[key] = float(array) if array.size == 1 else array
    return flat


def _the_one_entry(metrics: Any, name: str) -> Any:
    """A one-output model's metrics: as given, the one value of a dict, or the one list of a
    list of one list (``[["mae"]]``, per output, as Keras 3 takes it)."""
    if isinstance(metrics, list | tuple) and len(metrics) == 1:
        if isinstance(metrics[0], list | tuple):
            return metrics[0]
    if not isinstance(metrics, dict):
        return metrics
    if len(metrics) != 1:
        raise ValueError(f"compile: metrics {sorted(metrics)} name outputs; the output is {name}")
    return next(iter(metrics.values()))


class MetricSlot(NamedTuple):
    """One compiled metric: the output it reads, its name (before the output's name and
    ``weighted_`` are added), and whether ``sample_weight`` reaches it."""

    output: int
    name: str
    metric: Any
    weighted: bool


def _metric_slots(metrics: Any, names: list[str], loss: Any, weighted: bool) -> list[MetricSlot]:
    """A slot for each metric of ``metrics`` (``weighted_metrics`` when ``weighted``): one
    output's given as they are; several outputs' per output (a list of lists, or a dict
    keyed by output name), as Keras 3 asks."""
    argument = "weighted_metrics" if weighted else "metrics"
    if metrics is None:
        return []
    output_losses = loss.losses if isinstance(loss, losses_module.OutputLosses) else [loss]
    if len(names) == 1:
        per_output = [_the_one_entry(metrics, names[0])]
    elif isinstance(metrics, dict):
        unknown = sorted(set(metrics) - set(names))
        if unknown:
            raise ValueError(
                f"compile: {argument} names outputs {unknown}; the outputs are {names}"
            )
        per_output = [metrics.get(name) for name in names]
    elif isinstance(metrics, list | tuple) and len(metrics) == len(names):
        per_output = list(metrics)
    else:
        raise ValueError(
            f"compile: the model has {len(names)} outputs {names}; give {argument} as a list "
            "with one entry (a metric or a list of them) per output, or a dict keyed by "
            "output name"
        )
    slots = []
    for index, given in enumerate(per_output):
        items = [] if given is None else (given if isinstance(given, list | tuple) else [given])
        output_loss = output_losses[index] if index < len(output_losses) else None
        for item in items:
            metric = metrics_module.get(item, output_loss)
            name = item if isinstance(item, str) else metric.name
            slots.append(MetricSlot(index, name, metric, weighted))
    return slots


def _log_names(slots: list[MetricSlot], outputs: list[str]) -> list[str]:
    """Each slot's name in the logs, as Keras 3 gives it: ``<output>_<name>`` with several
    outputs; an unweighted name met before numbered (``accuracy_1``); a weighted one met
    before becomes ``weighted_<name>`` (``<output>_weighted_<name>``), numbered if that
    too was met.

    >>> slots = [MetricSlot(0, n, None, w) for n, w in [("acc", False), ("acc", True)]]
    >>> _log_names(slots, ["out"])
    ['acc', 'weighted_acc']
    """

    def prefixed(slot: MetricSlot, name: str) -> str:
        return name if len(outputs) == 1 else f"{outputs[slot.output]}_{name}"

    used: set[str] = set()
    log_names = []
    for slot in slots:
        name = prefixed(slot, slot.name)
        if name in used:
            name = prefixed(slot, f"weighted_{slot.name}") if slot.weighted else name
            numbered, k = name, 0
            while numbered in used:
                k += 1
                numbered = f"{name}_{k}"
            name = numbered
        used.add(name)
        log_names.append(name)
    return log_names


def by_name(logs: dict) -> dict:
    """The logs sorted by name, as Keras 3 gives every logs dict.

    >>> by_name({"loss": 0.5, "accuracy": 1.0})
    {'accuracy': 1.0, 'loss': 0.5}
    """
    return dict(sorted(logs.items()))


def list_order(names: Iterable[str], first: Sequence[str]) -> list[str]:
    """The names in Keras 3's list order: those of ``first`` that are there, in that order,
    then the rest by name.

    >>> list_order(["mae", "zeta", "loss", "alpha"], ["loss", "mae"])
    ['loss', 'mae', 'alpha', 'zeta']
    """
    names = list(names)
    listed = [name for name in first if name in names]
    return listed + sorted(set(names) - set(listed))


def as_list(logs: dict, first: Sequence[str] = ("loss",)) -> Any:
    """Keras' return value without ``return_dict``: the loss alone, or every value, those
    named in ``first`` first (``list_order``).

    >>> as_list({"loss": 0.5}), as_list({"accuracy": 1.0, "loss": 0.5})
    (0.5, [0.5, 1.0])
    """
    values = [logs[name] for name in list_order(logs, first)]
    return values[0] if len(values) == 1 else values

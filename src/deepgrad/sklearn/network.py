"""The network behind ``MLPClassifier`` and ``MLPRegressor``: a ``Sequential`` whose
objective is scikit-learn's, L2 penalty included.

scikit-learn's MLP minimises, on each batch B with sample weights w_i (1 without),

    (Σ_{i∈B} w_i ℓ_i + ½·alpha·Σ‖W‖²) / Σ_{i∈B} w_i

(``BaseMultilayerPerceptron._backprop``): the data term is the weighted mean of the
per-sample losses, and the penalty is divided by the batch's total weight, that is by the
number of samples in the batch (the last, smaller one included) when there are no weights.
A kernel regularizer has a fixed coefficient, so the penalty is added here instead, where
the batch's weights are known.

For its regressor, ℓ_i is ½ the mean of the squared errors over the k outputs, but the
gradient it steps on is that of their sum (its output delta is ŷ − y): ``data_gradient_scale``
= k gives the data term k times its gradient and keeps its value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from deepgrad import numpy as dnp
from deepgrad.autodiff.transforms import stop_gradient
from deepgrad.layers.base import register_serializable
from deepgrad.models import Sequential
from deepgrad.regularizers import sum_of_squares
from deepgrad.tensor import raw_data


@register_serializable
class PenalizedSequential(Sequential):
    """A ``Sequential`` whose objective adds ½·alpha·Σ‖kernel‖² / (the batch's total
    sample weight) to its compiled loss, which should be the weighted mean of the
    per-sample losses (``reduction="mean_with_sample_weight"``) for scikit-learn's
    objective.

    ``data_gradient_scale`` multiplies the gradient of the compiled loss, not its value
    (scikit-learn's regressor: the value of the mean over the outputs, the gradient of the
    sum).

    A batch whose weights sum to 0 has no such objective: it comes out NaN (or inf), and
    the estimator's stopping rule names it (scikit-learn raises ``ZeroDivisionError``).

    >>> import numpy as np
    >>> from deepgrad import layers, losses
    >>> model = PenalizedSequential([layers.Dense(1)], alpha=2.0)
    >>> model.build_for((None, 1))
    >>> model.set_weights([np.array([[3.0]]), np.array([0.0])])
    >>> model.compile("sgd", losses.MeanSquaredError(reduction="mean_with_sample_weight"))
    >>> x, y = np.ones((2, 1)), np.full((2, 1), 3.0)  # fitted exactly: only the penalty
    >>> float(model.evaluate(x, y, sample_weight=np.array([1.0, 3.0]), verbose=0))
    2.25
    """

    def __init__(
        self,
        layers: list | None = None,
        alpha: float = 0.0,
        data_gradient_scale: float = 1.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(layers, **kwargs)
        self.alpha = float(alpha)
        self.data_gradient_scale = float(data_gradient_scale)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "data_gradient_scale": self.data_gradient_scale,
        }

    def _objective_and_components(self, y: Any, y_pred: Any, sample_weight: Any) -> tuple:
        value, components = super()._objective_and_components(y, y_pred, sample_weight)
        scale = self.data_gradient_scale
        if scale != 1.0:
            # the loss's value, with `scale` times its gradient: scikit-learn reports the mean
            # of its regressor's squared error over the outputs but steps on the gradient of
            # their sum (its output delta is ŷ - y, whatever the number of outputs)
            value = value * scale - stop_gradient(value) * (scale - 1.0)
        # With alpha = 0 the term is still added when there are weights: it is 0 on a batch
        # that has weight and NaN on one whose weights sum to 0, which then cannot pass
        # unnoticed (the weighted mean of the losses is 0 there)
        if not self.alpha and sample_weight is None:
            return value, components
        kernels = [layer.kernel for layer in self.layers]
        squares = sum_of_squares(kernels[0])
        for kernel in kernels[1:]:
            squares = squares + sum_of_squares(kernel)
        penalty = (0.5 * self.alpha) * squares / self._total_weight(y_pred, sample_weight)
        return value + penalty, components

    @staticmethod
    def _total_weight(y_pred: Any, sample_weight: Any) -> Any:
        """Σ w_i over the batch, or its number of samples without weights. An array op,
        not a Python number, so that a compiled step reads each batch's weights."""
        if sample_weight is None:
            return float(np.shape(raw_data(y_pred))[0])
        weights = raw_data(sample_weight)
        return dnp.sum(dnp.astype(weights, raw_data(y_pred).dtype))

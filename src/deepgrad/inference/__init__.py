"""``deepgrad.inference``: uncertainty and inference for fitted nets.

The Laplace approximation around a fitted model's weights (``Laplace``), its predictive
distributions and prediction intervals, standard errors and a regression summary, the
model evidence with MacKay's hyperparameter updates, AIC and BIC, and per-example
gradients and Fisher information. See docs/inference.md.

>>> from deepgrad import inference
>>> inference.Laplace.__name__
'Laplace'
"""

from deepgrad.inference.laplace import Laplace
from deepgrad.inference.per_example import fisher_information, per_example_gradients
from deepgrad.inference.posteriors import SingularPosterior
from deepgrad.inference.summary import Summary

__all__ = [
    "Laplace",
    "SingularPosterior",
    "Summary",
    "fisher_information",
    "per_example_gradients",
]

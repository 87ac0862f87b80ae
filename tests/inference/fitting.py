"""Small fitted models for the inference tests, in float64."""

import numpy as np

import deepgrad as dg
from deepgrad import layers


def fitted(model, x, y, loss, epochs=1, optimizer="lbfgs", **fit):
    """Compile and fit ``model`` (full batch, L-BFGS by default)."""
    model.compile(optimizer=optimizer, loss=loss)
    model.fit(x, y, batch_size=fit.pop("batch_size", None), epochs=epochs, verbose=0, **fit)
    return model


def linear_model(x, y, loss, weights=None, **dense):
    """Dense(k) fitted briefly, then set to ``weights`` (kernel, bias) when given: the tests
    judge the inference at the exact optimum, not the optimiser's last digits."""
    outputs = 1 if np.ndim(y) == 1 else np.shape(y)[1]
    if isinstance(loss, dg.losses.SparseCategoricalCrossentropy):
        outputs = int(np.max(y)) + 1
    model = fitted(dg.Sequential([layers.Dense(outputs, **dense)]), x, y, loss)
    if weights is not None:
        model.set_weights([np.asarray(w, np.float64) for w in weights])
    return model


def design(x):
    """[x, 1]: θ holds the kernel first, then the bias."""
    return np.hstack([x, np.ones((len(x), 1))])

"""LBFGS refuses what it cannot optimise with an error that says what it got."""

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import optimizers


def test_parameters_of_two_dtypes_are_named():
    a = dg.tensor(np.ones(2, np.float32), requires_grad=True)
    b = dg.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="share one dtype, got float32, float64"):
        optimizers.LBFGS([a, b])


def test_building_on_no_parameters_says_so():
    # what compile does with a model whose every layer is frozen
    with pytest.raises(ValueError, match="no parameters to optimize"):
        optimizers.LBFGS().build([])

import numpy as np
import pytest

import deepgrad as dg


@pytest.fixture
def float64():
    """Models built inside the test are float64; the default is restored afterwards."""
    previous = dg.get_default_dtype()
    dg.set_default_dtype(np.float64)
    yield
    dg.set_default_dtype(previous)

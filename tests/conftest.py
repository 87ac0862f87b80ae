import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# CI: a fixed seed and a modest number of examples, so runs are reproducible and quick.
settings.register_profile(
    "ci",
    derandomize=True,
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=20, deadline=None)
settings.register_profile("nightly", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The tests that compare with Keras 3 run it on JAX (its default, TensorFlow, is not a
# dependency); set before any test imports keras.
os.environ.setdefault("KERAS_BACKEND", "jax")


@pytest.fixture(autouse=True)
def _quiet_numpy():
    with np.errstate(all="ignore"):
        yield

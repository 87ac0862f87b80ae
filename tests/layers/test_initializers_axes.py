"""Keras 3.15's ``input_axes`` / ``output_axes`` of the VarianceScaling family: the fans
of ``keras.src.initializers.random_initializers.compute_fans``, hence the same scale."""

import json
import math

import numpy as np
import pytest

from deepgrad import initializers

FAMILY = [
    initializers.VarianceScaling,
    initializers.GlorotUniform,
    initializers.GlorotNormal,
    initializers.HeUniform,
    initializers.HeNormal,
    initializers.LecunUniform,
    initializers.LecunNormal,
]

# (shape, input_axes, output_axes, Keras 3.15's compute_fans)
KERAS_FANS = [
    ((8, 5), [1], [0], (5, 8)),
    ((3, 4, 5), [0, 1], [2], (12, 5)),
    ((3, 4, 5), [-1], [0, 1], (5, 12)),
    ((2, 3, 4, 5), [0, 1, 2], [3], (24, 5)),
    ((2, 3, 4, 5), [2], [3], (4, 5)),
    ((2, 3, 4, 5), [0], [1, 2], (2, 12)),
    ((6, 7), [0, 1], [1], (42, 7)),  # Keras lets an axis count on both sides
    ((2, 3, 4, 5), None, None, (24, 30)),  # the default: the receptive field
]


@pytest.mark.parametrize(("shape", "input_axes", "output_axes", "fans"), KERAS_FANS)
def test_the_fans_are_keras_compute_fans(shape, input_axes, output_axes, fans):
    init = initializers.VarianceScaling(input_axes=input_axes, output_axes=output_axes)
    assert init.fans(shape) == fans


@pytest.mark.parametrize(
    ("cls", "limit", "std"),
    [  # Keras 3.15 (JAX), shape (30, 40, 50), input_axes=[0, 1], output_axes=[2], seed=1:
        # max |w| 0.0692818, 0.0928220, 0.0499999, 0.0909466; std 0.03983, 0.04065, ...
        (initializers.GlorotUniform, math.sqrt(3 / 625), math.sqrt(1 / 625)),
        (initializers.HeNormal, 2 * math.sqrt(2 / 1200) / 0.8796256610342398, math.sqrt(2 / 1200)),
        (initializers.LecunUniform, math.sqrt(3 / 1200), math.sqrt(1 / 1200)),
        (
            initializers.GlorotNormal,
            2 * math.sqrt(1 / 625) / 0.8796256610342398,
            math.sqrt(1 / 625),
        ),
    ],
)
def test_the_scale_follows_the_axes(cls, limit, std):
    weights = cls(seed=1, input_axes=[0, 1], output_axes=[2])((30, 40, 50))
    assert np.abs(weights).max() <= limit
    assert np.abs(weights).max() == pytest.approx(limit, rel=2e-3)
    assert weights.std() == pytest.approx(std, rel=0.02)
    assert weights.shape == (30, 40, 50)


def test_the_scale_matches_keras_run_here():
    keras = pytest.importorskip("keras")
    shape, axes = (20, 30, 40), {"input_axes": [2], "output_axes": [0, 1]}
    for name in ["GlorotUniform", "HeUniform", "LecunNormal"]:
        ours = getattr(initializers, name)(seed=3, **axes)(shape)
        theirs = np.asarray(getattr(keras.initializers, name)(seed=3, **axes)(shape))
        assert ours.std() == pytest.approx(theirs.std(), rel=0.03), name
        assert np.abs(ours).max() == pytest.approx(np.abs(theirs).max(), rel=0.01), name


@pytest.mark.parametrize("cls", FAMILY, ids=lambda cls: cls.__name__)
def test_a_keras_config_with_the_axes_loads_and_round_trips(cls):
    keras = pytest.importorskip("keras")
    config = getattr(keras.initializers, cls.__name__)(seed=2).get_config()
    assert config["input_axes"] is None and config["output_axes"] is None
    assert cls(**config).get_config() == config  # the same keys as Keras'
    init = cls(seed=2, input_axes=(0,), output_axes=[1])
    saved = json.loads(json.dumps(initializers.serialize(init)))
    loaded = initializers.deserialize(saved)
    assert isinstance(loaded, initializers.VarianceScaling)
    assert (loaded.input_axes, loaded.output_axes) == ([0], [1])
    np.testing.assert_array_equal(loaded((5, 6)), init((5, 6)))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"input_axes": [0]}, "go together"),
        ({"output_axes": [1]}, "go together"),
        ({"input_axes": 0, "output_axes": [1]}, "list of integers"),
        ({"input_axes": [0.5], "output_axes": [1]}, "list of integers"),
        ({"input_axes": [True], "output_axes": [1]}, "list of integers"),
    ],
)
def test_bad_axes_are_refused_at_construction(kwargs, message):
    with pytest.raises(ValueError, match=f"HeNormal: .*{message}"):
        initializers.HeNormal(**kwargs)


@pytest.mark.parametrize(
    ("input_axes", "output_axes", "message"),
    [
        ([3], [1], "input_axes=\\[3\\] has axis 3, out of range"),
        ([0], [1, -4], "has axis -4"),
        ([0, -3], [1], "names one axis"),
    ],
)
def test_axes_outside_the_shape_are_refused_naming_the_initializer(
    input_axes, output_axes, message
):
    init = initializers.GlorotUniform(input_axes=input_axes, output_axes=output_axes)
    with pytest.raises(ValueError, match=f"GlorotUniform: .*{message}"):
        init((2, 3, 4))

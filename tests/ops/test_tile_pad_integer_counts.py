"""``tile``'s reps and ``pad``'s pad_width must be integers, as in NumPy, which raises a
TypeError for a float. deepgrad truncated them: ``tile(x, 1.5)`` returned x unchanged
and ``pad(x, 1.5)`` padded by 1, silently."""

from typing import Any

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

X = np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize("reps", [1.5, (2.0, 1), np.float64(2.0)])
@pytest.mark.parametrize("x", [X, dg.tensor(X)], ids=["array", "tensor"])
def test_tile_refuses_float_reps(x, reps):
    with pytest.raises(TypeError):
        np.tile(X, reps)  # the reference refuses them
    with pytest.raises(TypeError, match=r"tile: reps must be integers, got .*(1\.5|2\.0)"):
        dnp.tile(x, reps)


@pytest.mark.parametrize("reps", [2, np.int64(2), np.array(2), (2, 1), np.array([2, 1]), True])
def test_tile_takes_integer_reps_as_numpy(reps):
    np.testing.assert_array_equal(dnp.tile(dg.tensor(X), reps).numpy(), np.tile(X, reps))


@pytest.mark.parametrize("width", [1.5, ((1.0, 2), (0, 0)), True])
@pytest.mark.parametrize("mode", ["constant", "reflect"])
@pytest.mark.parametrize("x", [X, dg.tensor(X)], ids=["array", "tensor"])
def test_pad_refuses_widths_not_of_integral_type(x, width, mode):
    with pytest.raises(TypeError):
        np.pad(X, width, mode=mode)
    with pytest.raises(TypeError, match="pad: pad_width must be of integral type"):
        dnp.pad(x, width, mode=mode)


def test_pad_takes_integer_width_arrays():
    widths = np.array([[1, 0], [0, 2]])
    np.testing.assert_array_equal(
        dnp.pad(dg.tensor(X), widths, mode="wrap").numpy(), np.pad(X, widths, mode="wrap")
    )


@pytest.mark.parametrize("axis", [1.5, 1.0, (0, 1.5)])
@pytest.mark.parametrize("x", [X, dg.tensor(X)], ids=["array", "tensor"])
def test_roll_refuses_a_float_axis(x, axis):
    """``roll(x, 1, axis=1.5)`` rolled axis 1; NumPy raises a TypeError."""
    with pytest.raises(TypeError):
        np.roll(X, 1, axis=axis)
    with pytest.raises(TypeError, match="roll: axis must be integers"):
        dnp.roll(x, 1, axis=axis)


def test_roll_truncates_a_float_shift_as_numpy():
    np.testing.assert_array_equal(dnp.roll(dg.tensor(X), 1.5, axis=0).numpy(), np.roll(X, 1, 0))
    shift: Any = 1.5  # NumPy's stubs say integers; NumPy truncates
    np.testing.assert_array_equal(dnp.roll(X, shift, axis=0), np.roll(X, shift, 0))

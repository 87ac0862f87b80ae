"""``eigh``, ``eig``, ``svd`` and ``qr`` of an empty stack of matrices (a batch axis of
length 0), and of a nested list: NumPy returns empty results (and takes lists); deepgrad
raised "cannot reshape array of size 0 into shape (0,newaxis)" (packing the results with
a -1 length, ambiguous when the batch is empty) and "'list' object has no attribute
'shape'"."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

SQUARE_ONLY = [("eigh", {}), ("eig", {}), ("eigvals", {})]
ANY_SHAPE = [("svd", {}), ("svd", {"full_matrices": False}), ("qr", {}), ("qr", {"mode": "r"})]
SQUARE_SHAPES = [(0, 3, 3), (2, 0, 2, 2)]
CASES = [(*case, shape) for case in SQUARE_ONLY for shape in SQUARE_SHAPES] + [
    (*case, shape) for case in ANY_SHAPE for shape in [*SQUARE_SHAPES, (0, 4, 3), (0, 3, 4)]
]


def _as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "kwargs", "shape"), CASES)
def test_empty_batch_gives_numpys_shapes_and_dtypes(name, kwargs, shape, dtype):
    a = np.zeros(shape, dtype=dtype)
    want = _as_tuple(getattr(np.linalg, name)(a, **kwargs))
    got = _as_tuple(getattr(dnp.linalg, name)(a, **kwargs))
    assert [(np.shape(g), np.asarray(g).dtype) for g in got] == [
        (w.shape, w.real.dtype) for w in want
    ]


def test_gradient_of_an_empty_batch_is_empty():
    def loss(a):
        u, s, vh = dnp.linalg.svd(a)
        eigen = dnp.sum(dnp.linalg.eigh(a)[1]) + dnp.sum(dnp.linalg.qr(a)[1])
        return eigen + dnp.sum(u) + dnp.sum(s) + dnp.sum(vh)

    a = np.zeros((0, 3, 3))
    assert dg.grad(loss)(a).shape == (0, 3, 3)


def test_nested_lists_as_numpy():
    w, v = dnp.linalg.eigh([[2, 1], [1, 2]])
    np.testing.assert_allclose(w, [1.0, 3.0])
    np.testing.assert_allclose(np.abs(v), np.full((2, 2), 0.5**0.5))
    np.testing.assert_allclose(dnp.linalg.svd([[3, 0], [0, 4]])[1], [4.0, 3.0])
    np.testing.assert_allclose(np.abs(dnp.linalg.qr([[3.0, 0.0], [4.0, 5.0]])[1]), [[5, 4], [0, 3]])
    np.testing.assert_allclose(sorted(dnp.linalg.eig([[2.0, 0.0], [1.0, 3.0]])[0]), [2.0, 3.0])

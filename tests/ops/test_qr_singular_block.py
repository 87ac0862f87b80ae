"""QR's derivative needs R⁻¹: where the leading square block of A is singular (R has an
exact zero on its diagonal) forward mode raised an error naming ``solve`` only, and
reverse mode one naming qr but blaming ``solve``; both now say what fails, naming qr."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

SINGULAR_BLOCK = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])  # the 2×2 block has rank 1


def test_reverse_mode_names_qr():
    with pytest.raises(np.linalg.LinAlgError, match=r"qr: no derivative where R \(shape"):
        dg.grad(lambda a: dnp.sum(dnp.linalg.qr(a)[0] ** 3))(SINGULAR_BLOCK)


def test_forward_mode_names_qr():
    with pytest.raises(np.linalg.LinAlgError, match="qr: no derivative where R"):
        dg.jvp(lambda a: dnp.linalg.qr(a)[0], (SINGULAR_BLOCK,), (np.ones((2, 3)),))

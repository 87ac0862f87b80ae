"""An error raised inside a derivative rule names the op the user called first."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad.autodiff.primitive import Primitive

SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])

pytestmark = pytest.mark.usefixtures("tape_engine")


def test_an_error_of_an_op_called_in_a_rule_names_the_op_the_user_called():
    # the rule calls inv, which refuses a singular matrix: the message used to start "inv:"
    scaled = Primitive(lambda a: 2.0 * a, "scaled")
    scaled.defvjp(lambda g, ans, a: dnp.linalg.inv(SINGULAR) @ g)
    expected = r"^scaled: the gradient with respect to argument 0 failed: inv: .*Singular"
    with pytest.raises(np.linalg.LinAlgError, match=expected):
        dg.grad(lambda a: dnp.sum(scaled(a)))(np.eye(2))
    x = dg.tensor(np.eye(2), requires_grad=True)
    with pytest.raises(np.linalg.LinAlgError, match=expected):
        dnp.sum(scaled(x)).backward()


def _primitive_whose_rule_raises(error):
    def rule(g, ans, x):
        raise error

    prim = Primitive(lambda x: x * 2.0, "double")
    prim.defvjp(rule)
    return prim


def test_a_rule_error_that_names_the_op_already_is_left_as_it_is():
    prim = _primitive_whose_rule_raises(ValueError("double: no gradient here"))
    with pytest.raises(ValueError, match=r"^double: no gradient here$"):
        dg.grad(lambda x: dnp.sum(prim(x)))(np.ones(2))


def test_an_error_type_that_takes_other_arguments_is_raised_as_it_is():
    class TwoPartError(ValueError):
        def __init__(self, what, why):
            super().__init__(f"{what} because {why}")

    prim = _primitive_whose_rule_raises(TwoPartError("no gradient", "a test"))
    with pytest.raises(TwoPartError, match=r"^no gradient because a test$"):
        dg.grad(lambda x: dnp.sum(prim(x)))(np.ones(2))

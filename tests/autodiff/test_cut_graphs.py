"""Ways a traced value left the graph without an error. ``float(x)``, ``x.item()`` and
``x.tolist()`` inside ``grad`` made a Python number whose derivative was taken as 0:
``grad(lambda x: float(x) * x)(1.5)`` gave 1.5, not 3. They raise now, as ``np.asarray``
of a traced value did already (JAX raises for them too). ``int(x)`` and comparisons stay:
they are piecewise constant, and their derivative is 0 wherever it exists. An argnums
that names an argument twice kept one of its gradients and answered 0 for the other."""

import math

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp

CUTS = {
    "float": lambda x: float(x) * x,
    "math": lambda x: math.exp(x),
    "item": lambda x: x.item() * x,
    "tolist": lambda x: dnp.sum(dnp.array(x.tolist()) * x),
    "complex": lambda x: complex(x).real * x,
}

pytestmark = pytest.mark.usefixtures("tape_engine")


@pytest.mark.parametrize("name", sorted(CUTS))
@pytest.mark.parametrize(
    "transform",
    [
        lambda f: dg.grad(f)(1.5),
        lambda f: dg.jvp(f, (1.5,), (1.0,)),
        lambda f: dg.hessian(f)(1.5),
        lambda f: dg.vjp(f, 1.5),
    ],
    ids=["grad", "jvp", "hessian", "vjp"],
)
def test_a_python_number_of_a_traced_value_raises(name, transform):
    with pytest.raises(TypeError, match="traced by a transform"):
        transform(CUTS[name])


def test_piecewise_constant_conversions_and_eager_tensors_still_work():
    assert dg.grad(lambda x: int(x) * x)(1.5) == 1.0
    assert dg.grad(lambda x: x * x if x > 1 else -x)(1.5) == 3.0
    x = dg.tensor(np.array(2.0), requires_grad=True)
    y = x * x
    assert float(y) == 4.0 and y.item() == 4.0 and y.tolist() == 4.0


def test_an_argnums_naming_an_argument_twice_is_refused():
    with pytest.raises(ValueError, match=r"argnums \(0, 0\) names an argument twice"):
        dg.grad(lambda a, b: a * b, argnums=(0, 0))(2.0, 3.0)
    with pytest.raises(ValueError, match="twice"):
        dg.grad(lambda a, b: a * b, argnums=(0, -2))(2.0, 3.0)


@pytest.mark.parametrize(
    "f",
    [
        lambda a: dnp.sum(dnp.abs(1j * a) ** 2),  # gave -2a, the answer is 2a
        lambda a: dnp.sum(dnp.abs(a * (1 + 2j))),
        lambda a: dnp.sum(dnp.abs(dnp.exp(1j * a))),
    ],
)
def test_a_derivative_through_complex_numbers_raises_instead_of_dropping_a_part(f):
    a = np.array([0.3, 1.2])
    with pytest.raises(TypeError, match="passed through complex numbers"):
        dg.grad(f)(a)
    with pytest.raises(TypeError, match="passed through complex numbers"):
        dg.jvp(f, (a,), (np.ones(2),))


def test_a_complex_input_is_refused():
    with pytest.raises(TypeError, match=r"input 0 is complex \(complex128\)"):
        dg.grad(lambda z: dnp.sum(dnp.abs(z)))(np.array([1 + 2j]))


def test_a_complex_tensor_cannot_require_grad():
    # the tape took it and gave d|z²|/dz = -4.4-0.8j at z = 1+2j; PyTorch's gradient is
    # 2+4j (d/dx + i d/dy of x² + y²) and JAX's its conjugate 2-4j
    with pytest.raises(TypeError, match=r"requires_grad: the tensor is complex \(complex128\)"):
        dg.tensor(np.array([1 + 2j]), requires_grad=True)
    z = dg.tensor(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="complex"):
        z.requires_grad = True


OUT_OF_GRAPH = {
    # grad gave [0, 0, 0] and jvp a tangent of 0 for these: the rules never saw out=
    "out= of a ufunc": lambda x, o: dnp.sum(o) + 0 * dnp.sum(dnp.multiply(x, 2.0, out=o)),
    "out= of matmul": lambda x, o: dnp.sum(dnp.matmul(x, x, out=o[0, ...])),
    "where= of a ufunc": lambda x, o: dnp.sum(dnp.multiply(x, x, where=x > 1.5)),
    "dtype= of a ufunc": lambda x, o: dnp.sum(dnp.add(x, x, dtype=np.float32)),
    "casting= of a ufunc": lambda x, o: dnp.sum(dnp.sqrt(x, casting="unsafe")),
}


@pytest.mark.parametrize("name", sorted(OUT_OF_GRAPH))
@pytest.mark.parametrize(
    "transform",
    [
        lambda f: dg.grad(f)(np.array([1.0, 2.0, 3.0])),
        lambda f: dg.jvp(f, (np.array([1.0, 2.0, 3.0]),), (np.ones(3),)),
        lambda f: f(dg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)).backward(),
    ],
    ids=["grad", "jvp", "tape"],
)
def test_numpy_call_options_on_a_differentiated_tensor_raise(name, transform):
    def f(x):
        return OUT_OF_GRAPH[name](x, np.zeros(3))

    option = name.split()[0]
    with pytest.raises(TypeError, match=rf"arguments \(3,\) float64.*call option {option}"):
        transform(f)


def test_numpy_call_options_without_a_differentiated_tensor_keep_numpys_meaning():
    out = np.zeros(3)
    assert dnp.multiply(np.array([1.0, 2.0, 3.0]), 2.0, out=out) is out
    np.testing.assert_array_equal(out, [2.0, 4.0, 6.0])
    constant = dg.tensor(np.array([1.0, 4.0]))
    np.testing.assert_array_equal(dnp.sqrt(constant, dtype=np.float32), [1.0, 2.0])


def test_jax_refuses_out_and_where_too():
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(NotImplementedError, match="out argument"):
        jnp.multiply(jnp.ones(2), jnp.ones(2), out=np.zeros(2))
    with pytest.raises(NotImplementedError, match="where argument"):
        jnp.multiply(jnp.ones(2), jnp.ones(2), where=np.array([True, False]))

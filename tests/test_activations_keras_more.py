"""Keras 3's further activations (glu, hard_shrink, soft_shrink, sparse_plus,
sparse_sigmoid, sparsemax, squareplus, tanh_shrink, threshold) and
activations.serialize / deserialize: Keras' numbers, the derivatives at the kinks, the
argument checks, use by name, and saving."""

import numpy as np
import pytest

import deepgrad as dg
import deepgrad.numpy as dnp
from deepgrad import activations as A
from deepgrad import layers

# At and around every kink (±threshold, ±1, 0).
POINTS = np.array([-3.0, -1.0, -0.7, -0.5, -0.25, 0.0, 0.25, 0.5, 0.7, 1.0, 3.0])

CASES = {
    "squareplus": A.squareplus,
    "squareplus_b1": lambda x: A.squareplus(x, b=1),
    "tanh_shrink": A.tanh_shrink,
    "hard_shrink": A.hard_shrink,
    "hard_shrink_0.7": lambda x: A.hard_shrink(x, threshold=0.7),
    "soft_shrink": A.soft_shrink,
    "soft_shrink_1": lambda x: A.soft_shrink(x, threshold=1.0),
    "threshold_0.5_-3": lambda x: A.threshold(x, 0.5, -3.0),
    "sparse_plus": A.sparse_plus,
    "sparse_sigmoid": A.sparse_sigmoid,
}

# (values at POINTS, derivatives at POINTS) from Keras 3.15 in float64 on its PyTorch
# backend (keras.activations.<name>, torch autograd). Its JAX backend gives the same
# numbers (to the last digit) except sparse_sigmoid's derivative at ±1, ¼ there from
# jnp.clip's tie rule; Keras on PyTorch and TensorFlow (torch.where / tf.where) give 0.
KERAS = {
    "squareplus": (
        [0.30277563773199456, 0.6180339887498949, 0.7094810050208545, 0.7807764064044151,
         0.8827822185373186, 1.0, 1.1327822185373186, 1.2807764064044151, 1.4094810050208544,
         1.618033988749895, 3.302775637731995],
        [0.08397485283107814, 0.27639320225002106, 0.3348247876359469, 0.3787321874818335,
         0.4379826327053958, 0.5, 0.5620173672946043, 0.6212678125181665, 0.6651752123640531,
         0.7236067977499789, 0.9160251471689218],
    ),
    "squareplus_b1": (
        [0.08113883008418976, 0.20710678118654757, 0.26032778078668517, 0.30901699437494745,
         0.3903882032022076, 0.5, 0.6403882032022076, 0.8090169943749475, 0.9603277807866851,
         1.2071067811865475, 3.08113883008419],
        [0.025658350974743116, 0.14644660940672627, 0.21326882781833584, 0.27639320225002106,
         0.3787321874818335, 0.5, 0.6212678125181665, 0.7236067977499789, 0.7867311721816641,
         0.8535533905932737, 0.9743416490252569],
    ),
    "tanh_shrink": (
        [-2.0049452463132695, -0.23840584404423515, -0.09563222288283646, -0.03788284273999026,
         -0.005081337596290869, 0.0, 0.005081337596290869, 0.03788284273999026,
         0.09563222288283646, 0.23840584404423515, 2.0049452463132695],
        [0.9901339628345598, 0.5800256583859739, 0.3652604100175414, 0.2135522670340726,
         0.05998515119362202, 0.0, 0.05998515119362202, 0.2135522670340726, 0.3652604100175414,
         0.5800256583859739, 0.9901339628345598],
    ),
    "hard_shrink": (
        [-3.0, -1.0, -0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.7, 1.0, 3.0],
        [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
    ),
    "hard_shrink_0.7": (
        [-3.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 3.0],
        [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0],
    ),
    "soft_shrink": (
        [-2.5, -0.5, -0.19999999999999996, 0.0, 0.0, 0.0, 0.0, 0.0, 0.19999999999999996, 0.5, 2.5],
        [1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
    ),
    "soft_shrink_1": (
        [-2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0],
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0],
    ),
    "threshold_0.5_-3": (
        [-3.0, -3.0, -3.0, -3.0, -3.0, -3.0, -3.0, -3.0, 0.7, 1.0, 3.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
    ),
    "sparse_plus": (
        [0.0, 0.0, 0.022500000000000006, 0.0625, 0.140625, 0.25, 0.390625, 0.5625,
         0.7224999999999999, 1.0, 3.0],
        [0.0, 0.0, 0.15000000000000002, 0.25, 0.375, 0.5, 0.625, 0.75, 0.85, 1.0, 1.0],
    ),
    "sparse_sigmoid": (
        [0.0, 0.0, 0.15000000000000002, 0.25, 0.375, 0.5, 0.625, 0.75, 0.85, 1.0, 1.0],
        [0.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0, 0.0],
    ),
}  # fmt: skip


def _value_and_derivative(fn, x):
    return fn(x), dg.grad(lambda t: dnp.sum(fn(t)))(x)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras_numbers_including_kinks(name):
    value, derivative = _value_and_derivative(CASES[name], POINTS)
    np.testing.assert_allclose(value, KERAS[name][0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(derivative, KERAS[name][1], rtol=1e-13, atol=1e-15)


# glu from Keras 3.15 (JAX backend, float64): keras.activations.glu(GLU_X) and the
# gradient of sum(glu(x) * GLU_WEIGHTS) by jax.grad; the same for axis=0 on GLU_X[:2].
GLU_X = np.array([[-1.0, 0.0, 1.0, 1.0], [0.5, -2.0, 3.0, -0.25], [2.0, 0.3, -0.7, 1.5]])
GLU_WEIGHTS = np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]])
GLU_KERAS = (
    [[-0.7310585786300049, 0.0], [0.4762870634112167, -0.8756469982284039],
     [0.6636244556636678, 0.24527234285809307]],
    [[0.7310585786300049, -1.4621171572600098, -0.19661193324148185, 0.0],
     [0.4762870634112167, 1.313470497342606, 0.011294164932728, -1.47680449642559],
     [-0.49771834174775087, 0.2043936190484109, -0.6651386198793272, 0.011185983905274964]],
)  # fmt: skip
GLU_AXIS0_WEIGHTS = np.array([[1.0, -2.0, 0.5, 3.0]])
GLU_AXIS0_KERAS = (
    [[-0.6224593312018546, 0.0, 0.9525741268224334, 0.43782349911420193]],
    [[0.6224593312018546, -0.2384058440442351, 0.4762870634112167, 1.313470497342606],
     [-0.2350037122015945, 0.0, 0.022588329865456, 0.738402248212795]],
)  # fmt: skip


@pytest.mark.parametrize(
    ("x", "axis", "weights", "expected"),
    [(GLU_X, -1, GLU_WEIGHTS, GLU_KERAS), (GLU_X[:2], 0, GLU_AXIS0_WEIGHTS, GLU_AXIS0_KERAS)],
)
def test_glu_matches_keras_numbers(x, axis, weights, expected):
    value = A.glu(x, axis=axis)
    gradient = dg.grad(lambda t: dnp.sum(A.glu(t, axis=axis) * weights))(x)
    np.testing.assert_allclose(value, expected[0], rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gradient, expected[1], rtol=1e-13, atol=1e-15)


def test_glu_refuses_an_odd_axis_as_keras_does():
    # Keras 3 (its op's shape check, and its NumPy and TensorFlow backends) raises
    # ValueError "axis size must be divisible by 2".
    with pytest.raises(ValueError, match=r"glu: axis size must be divisible by 2.*\(2, 3\)"):
        A.glu(np.ones((2, 3)))
    with pytest.raises(np.exceptions.AxisError, match="glu: axis 2 is out of range"):
        A.glu(np.ones((2, 4)), axis=2)
    with pytest.raises(TypeError, match="glu: axis must be an int"):
        A.glu(np.ones((2, 4)), axis=(0, 1))  # type: ignore[arg-type]


def test_threshold_needs_both_arguments_as_in_keras():
    with pytest.raises(TypeError, match="default_value"):
        A.threshold(np.ones(3), 0.5)  # type: ignore[call-arg]


def _simplex_projection(z):
    """Sparsemax by bisection on τ (Σ max(z − τ, 0) = 1), independent of the sorting
    algorithm: max(z − τ, 0) along the last axis."""
    low = np.min(z, axis=-1, keepdims=True) - 1
    high = np.max(z, axis=-1, keepdims=True)
    for _ in range(200):
        tau = (low + high) / 2
        too_low = np.sum(np.maximum(z - tau, 0), axis=-1, keepdims=True) > 1
        low, high = np.where(too_low, tau, low), np.where(too_low, high, tau)
    return np.maximum(z - (low + high) / 2, 0)


def test_sparsemax_is_the_projection_onto_the_simplex():
    z = np.random.default_rng(0).normal(size=(6, 5)) * np.array([[0.1], [0.5], [1], [2], [4], [8]])
    out = A.sparsemax(z)
    np.testing.assert_allclose(out, _simplex_projection(z), atol=1e-12)
    np.testing.assert_allclose(np.sum(out, axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(A.sparsemax(z.T, axis=0), out.T, atol=1e-15)
    # Keras 3.15 gives [0, 0, 0.25] here (keras-team/keras#23425, fixed upstream).
    np.testing.assert_allclose(A.sparsemax(np.array([0.0, 0.5, 1.0])), [0.0, 0.25, 0.75])


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.uint8, np.bool_])
def test_sparsemax_of_integers_is_not_truncated(dtype):
    # It was computed in the integers' dtype: [1, 1, 1] gave [0, 0, 0]. Keras 3.15 casts
    # integers to float32; deepgrad gives float64, as its softmax does.
    z = np.array([[1, 1, 1], [3, 1, 3], [0, 1, 0]]).astype(dtype)
    out = A.sparsemax(z)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, _simplex_projection(z.astype(np.float64)), atol=1e-12)
    np.testing.assert_allclose(np.sum(out, axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(
        layers.Activation("sparsemax", dtype="float64")(np.array([[1, 1, 1]])), [[1 / 3] * 3]
    )


def test_sparsemax_jacobian_is_diag_s_minus_s_s_over_support():
    z = np.array([0.2, -0.9, 0.5, 0.45, -0.1])  # support {0, 2, 3}: τ = 0.05
    jacobian = dg.jacobian(A.sparsemax)(z)
    s = (A.sparsemax(z) > 0).astype(float)
    np.testing.assert_array_equal(s, [1, 0, 1, 1, 0])
    np.testing.assert_allclose(jacobian, np.diag(s) - np.outer(s, s) / 3, atol=1e-15)
    dg.check_grads(A.sparsemax, (z,), order=2)


def test_sparsemax_axis_checks():
    with pytest.raises(np.exceptions.AxisError, match="sparsemax: axis 1 is out of range"):
        A.sparsemax(np.ones(3), axis=1)
    with pytest.raises(TypeError, match="sparsemax: axis must be an int"):
        A.sparsemax(np.ones((2, 3)), axis=None)  # type: ignore[arg-type]


NEW = [
    "squareplus", "tanh_shrink", "hard_shrink", "soft_shrink", "sparse_plus",
    "sparse_sigmoid", "glu", "sparsemax",
]  # fmt: skip


@pytest.mark.parametrize("name", NEW)
def test_by_name_in_a_layer_in_float32_and_saved(name, tmp_path):
    dg.random.seed(0)
    model = dg.Sequential(
        [layers.Dense(4, activation=name, input_shape=(3,)), layers.Activation(name)]
    )
    x = np.random.default_rng(1).normal(size=(5, 3)).astype(np.float32)
    out = model(x)
    width = 1 if name == "glu" else 4  # glu halves the last axis, twice here
    assert out.shape == (5, width) and out.dtype == np.float32
    assert model.compute_output_shape((None, 3)) == (None, width)
    model.save(tmp_path / "model.dg")
    restored = dg.load_model(tmp_path / "model.dg")
    np.testing.assert_array_equal(restored(x), out)


def test_float32_gradients_stay_float32():
    x = dg.tensor(np.array([[-2.0, -0.5, 0.3, 2.0]], np.float32), requires_grad=True)
    for name in NEW:
        x.grad = None
        y = A.get(name)(x)
        assert y.dtype == np.float32, name
        y.sum().backward()
        assert x.grad is not None
        assert x.grad.dtype == np.float32 and np.all(np.isfinite(x.grad.numpy())), name


def test_serialize_gives_the_canonical_name():
    assert A.serialize(A.swish) == "silu" and A.serialize(A.hard_swish) == "hard_silu"
    assert A.serialize(A.sparsemax) == "sparsemax"
    with pytest.raises(ValueError, match="has no registered name"):
        A.serialize(lambda x: x)
    with pytest.raises(ValueError, match="expects an activation function"):
        A.serialize("relu")  # type: ignore[arg-type]


def test_deserialize_by_name_only():
    assert A.deserialize("glu") is A.glu and A.deserialize("swish") is A.silu
    keras_config = {"module": "builtins", "class_name": "function", "config": "relu"}
    assert A.deserialize({**keras_config, "registered_name": "function"}) is A.relu
    mine = lambda x: x  # noqa: E731
    assert A.deserialize("relu", custom_objects={"relu": mine}) is mine
    # Looked up among the activations only: nothing is imported or run.
    with pytest.raises(ValueError, match="unknown activation 'system'"):
        A.deserialize({"module": "os", "class_name": "function", "config": "system"})
    with pytest.raises(ValueError, match="unknown activation 'nope'"):
        A.deserialize("nope")
    with pytest.raises(ValueError, match="class_name 'function'"):
        A.deserialize({"class_name": "Dense", "config": {}})
    with pytest.raises(TypeError, match="expects a name or a dict, got int"):
        A.deserialize(3)  # type: ignore[arg-type]


def test_get_and_layers_take_keras_serialized_form():
    config = {"module": "builtins", "class_name": "function", "config": "sparse_plus"}
    assert A.get(config) is A.sparse_plus
    assert layers.Dense(3, activation=config).activation is A.sparse_plus
    with pytest.raises(ValueError, match="unknown activation 'nope'"):
        A.get({**config, "config": "nope"})


# ---- the references themselves, run here -------------------------------------------------


def _keras():
    keras = pytest.importorskip("keras")
    jax = pytest.importorskip("jax")
    if keras.backend.backend() != "jax":
        pytest.skip("these comparisons run Keras on JAX")
    jax.config.update("jax_enable_x64", True)
    return keras, jax


KERAS_FUNCTIONS = {
    "squareplus": ("squareplus", {}),
    "squareplus_b1": ("squareplus", {"b": 1}),
    "tanh_shrink": ("tanh_shrink", {}),
    "hard_shrink": ("hard_shrink", {}),
    "hard_shrink_0.7": ("hard_shrink", {"threshold": 0.7}),
    "soft_shrink": ("soft_shrink", {}),
    "soft_shrink_1": ("soft_shrink", {"threshold": 1.0}),
    "threshold_0.5_-3": ("threshold", {"threshold": 0.5, "default_value": -3.0}),
    "sparse_plus": ("sparse_plus", {}),
    "sparse_sigmoid": ("sparse_sigmoid", {}),
}


@pytest.mark.parametrize("name", sorted(KERAS_FUNCTIONS))
def test_against_keras_run_here(name):
    keras, jax = _keras()
    function, kwargs = KERAS_FUNCTIONS[name]
    theirs = lambda x: getattr(keras.activations, function)(x, **kwargs)  # noqa: E731
    x = np.concatenate([POINTS, np.random.default_rng(2).uniform(-4, 4, 40)])
    expected_grad = np.array(jax.vmap(jax.grad(theirs))(jax.numpy.asarray(x)))
    if name == "sparse_sigmoid":  # JAX's clip: ¼ at ±1, where Keras on PyTorch gives 0
        expected_grad[np.abs(x) == 1] = 0.0
    value, derivative = _value_and_derivative(CASES[name], x)
    np.testing.assert_allclose(value, np.asarray(theirs(x)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(derivative, expected_grad, rtol=1e-12, atol=1e-15)


def test_glu_and_sparsemax_against_keras_run_here():
    keras, jax = _keras()
    x = np.random.default_rng(3).normal(size=(3, 4, 6))
    for axis in (-1, 1, 0):
        if x.shape[axis] % 2:
            continue
        weights = np.random.default_rng(4).normal(size=np.shape(A.glu(x, axis=axis)))
        theirs = lambda t: jax.numpy.sum(keras.activations.glu(t, axis=axis) * weights)  # noqa: B023, E731
        np.testing.assert_allclose(A.glu(x, axis=axis), keras.activations.glu(x, axis=axis))
        gradient = dg.grad(lambda t: dnp.sum(A.glu(t, axis=axis) * weights))(x)  # noqa: B023
        np.testing.assert_allclose(gradient, jax.grad(theirs)(x), rtol=1e-12, atol=1e-15)
    # Keras 3.15's sparsemax is right when the support is one element (#23425).
    spread = np.array([[1.0, 2.0, 3.0], [0.0, 5.0, -1.0]])
    for axis in (-1, 0):
        expected = keras.activations.sparsemax(spread, axis=axis)
        np.testing.assert_array_equal(A.sparsemax(spread, axis=axis), expected)


def test_against_pytorch_run_here():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    pairs = {
        "hard_shrink": F.hardshrink,
        "soft_shrink": F.softshrink,
        "tanh_shrink": F.tanhshrink,
        "threshold_0.5_-3": lambda t: F.threshold(t, 0.5, -3.0),
    }
    for name, theirs in pairs.items():
        t = torch.tensor(POINTS, requires_grad=True)
        expected = theirs(t)
        expected.sum().backward()
        value, derivative = _value_and_derivative(CASES[name], POINTS)
        np.testing.assert_allclose(value, expected.detach().numpy(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(derivative, t.grad.numpy(), rtol=1e-12, atol=1e-15)
    x = np.random.default_rng(5).normal(size=(2, 6, 3))
    t = torch.tensor(x, requires_grad=True)
    expected = F.glu(t, dim=1)
    expected.sum().backward()
    value, derivative = _value_and_derivative(lambda a: A.glu(a, axis=1), x)
    np.testing.assert_allclose(value, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(derivative, t.grad.numpy(), rtol=1e-12, atol=1e-15)

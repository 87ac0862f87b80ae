"""deepgrad: deep learning on NumPy with an automatic-differentiation engine you can read.

>>> import deepgrad as dg
>>> import deepgrad.numpy as dnp
>>> def f(x1, x2):
...     return dnp.log(x1) + x1 * x2 - dnp.sin(x2)
>>> dg.grad(f, argnums=(0, 1))(2.0, 5.0)
(array(5.5), array(1.71633781))
"""

import importlib
from typing import Any

from deepgrad import (
    activations,
    constraints,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    random,
    regularizers,
    utils,
)
from deepgrad.autodiff.anomaly import AnomalyError
from deepgrad.autodiff.check import check_grads
from deepgrad.autodiff.modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from deepgrad.autodiff.primitive import Primitive
from deepgrad.autodiff.trace import trace
from deepgrad.autodiff.transforms import (
    elementwise_grad,
    grad,
    hvp,
    jvp,
    stop_gradient,
    value_and_grad,
    vjp,
)
from deepgrad.autodiff.tree import tree_flatten, tree_map, tree_unflatten
from deepgrad.backend import get_default_dtype, set_default_dtype
from deepgrad.compiler import CompileError, compile
from deepgrad.compiler import compile as jit
from deepgrad.device import Device, DeviceError, get_device, set_device, using_device
from deepgrad.layers import Input
from deepgrad.models import Model, Sequential
from deepgrad.ops.jacobian import hessian, jacobian
from deepgrad.ops.jax_names import jacfwd, jacrev
from deepgrad.ops.vmap import vmap
from deepgrad.saving import load_model
from deepgrad.tensor import Tensor, tensor
from deepgrad.training import callbacks
from deepgrad.version import __version__ as __version__

__all__ = [
    "AnomalyError",
    "CompileError",
    "Device",
    "DeviceError",
    "Input",
    "Model",
    "Primitive",
    "Sequential",
    "Tensor",
    "activations",
    "callbacks",
    "check_grads",
    "compile",
    "constraints",
    "datasets",
    "detect_anomaly",
    "elementwise_grad",
    "enable_grad",
    "get_default_dtype",
    "get_device",
    "grad",
    "hessian",
    "hvp",
    "initializers",
    "is_grad_enabled",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jit",
    "jvp",
    "layers",
    "load_model",
    "losses",
    "metrics",
    "no_grad",
    "optimizers",
    "random",
    "regularizers",
    "set_default_dtype",
    "set_device",
    "stop_gradient",
    "tensor",
    "trace",
    "tree_flatten",
    "tree_map",
    "tree_unflatten",
    "using_device",
    "utils",
    "value_and_grad",
    "vjp",
    "vmap",
]


def __getattr__(name: str) -> Any:
    """``dg.inference`` is imported on first use: it sits above the models and most
    programs never need it."""
    if name == "inference":
        return importlib.import_module("deepgrad.inference")
    raise AttributeError(f"module 'deepgrad' has no attribute {name!r}")

"""``deepgrad.layers``: the building blocks of a net, with Keras' names and arguments."""

from deepgrad.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.layers.core import Activation, Dense, Embedding, Flatten, Reshape
from deepgrad.layers.elementwise import ActivityRegularization, Identity, Rescaling
from deepgrad.layers.input import Input, InputLayer
from deepgrad.layers.lambda_layer import Lambda
from deepgrad.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from deepgrad.layers.noise import AlphaDropout, Dropout, GaussianDropout, GaussianNoise
from deepgrad.layers.normalization import (
    BatchNormalization,
    LayerNormalization,
    RMSNormalization,
    UnitNormalization,
)
from deepgrad.layers.operation import Operation
from deepgrad.layers.reshaping import Permute, RepeatVector
from deepgrad.layers.standardization import Normalization
from deepgrad.layers.symbolic import SymbolicTensor
from deepgrad.layers.variable import Variable

__all__ = [
    "ELU",
    "Activation",
    "ActivityRegularization",
    "Add",
    "AlphaDropout",
    "Average",
    "BatchNormalization",
    "Concatenate",
    "Dense",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "Identity",
    "Input",
    "InputLayer",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Maximum",
    "Minimum",
    "Multiply",
    "Normalization",
    "Operation",
    "PReLU",
    "Permute",
    "RMSNormalization",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "Softmax",
    "Subtract",
    "SymbolicTensor",
    "UnitNormalization",
    "Variable",
    "add",
    "average",
    "concatenate",
    "dot",
    "maximum",
    "minimum",
    "multiply",
    "register_serializable",
    "subtract",
]

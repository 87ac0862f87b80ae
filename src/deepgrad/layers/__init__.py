"""``deepgrad.layers``: the building blocks of a net, with Keras' names and arguments."""

from deepgrad.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.layers.core import Activation, Dense, Embedding, Flatten, Reshape
from deepgrad.layers.input import Input, InputLayer
from deepgrad.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from deepgrad.layers.noise import AlphaDropout, Dropout, GaussianDropout, GaussianNoise
from deepgrad.layers.normalization import BatchNormalization, LayerNormalization, Normalization
from deepgrad.layers.operation import Operation
from deepgrad.layers.symbolic import SymbolicTensor
from deepgrad.layers.variable import Variable

__all__ = [
    "ELU",
    "Activation",
    "Add",
    "AlphaDropout",
    "Average",
    "BatchNormalization",
    "Concatenate",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "Input",
    "InputLayer",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Maximum",
    "Minimum",
    "Multiply",
    "Normalization",
    "Operation",
    "PReLU",
    "ReLU",
    "Reshape",
    "Softmax",
    "Subtract",
    "SymbolicTensor",
    "Variable",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "register_serializable",
    "subtract",
]

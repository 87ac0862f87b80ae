"""``deepgrad.layers``: the building blocks of a net, with Keras' names and arguments."""

from deepgrad.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from deepgrad.layers.base import Layer, register_serializable
from deepgrad.layers.core import Activation, Dense, Embedding, Flatten, Reshape
from deepgrad.layers.noise import Dropout, GaussianNoise
from deepgrad.layers.normalization import BatchNormalization, LayerNormalization, Normalization

__all__ = [
    "ELU",
    "Activation",
    "BatchNormalization",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianNoise",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Normalization",
    "PReLU",
    "ReLU",
    "Reshape",
    "Softmax",
    "register_serializable",
]

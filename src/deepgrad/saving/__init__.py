"""Saving and loading without pickle: safetensors files with JSON metadata."""

from deepgrad.layers.base import register_serializable
from deepgrad.saving.model_file import load_model
from deepgrad.saving.model_json import model_from_json, save_model
from deepgrad.serialization import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_object",
    "load_model",
    "model_from_json",
    "register_keras_serializable",
    "register_serializable",
    "save_model",
    "serialize_keras_object",
]

"""Saving and loading without pickle: safetensors files with JSON metadata."""

from deepgrad.layers.base import register_serializable
from deepgrad.saving.model_file import load_model

__all__ = ["load_model", "register_serializable"]

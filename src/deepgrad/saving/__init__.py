"""Saving and loading without pickle: safetensors files with JSON metadata."""

from deepgrad.layers.base import register_serializable
from deepgrad.saving.model_file import load_model
from deepgrad.saving.model_json import model_from_json, save_model

__all__ = ["load_model", "model_from_json", "register_serializable", "save_model"]

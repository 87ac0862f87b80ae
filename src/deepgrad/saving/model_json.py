"""A model's architecture as JSON (Keras' ``model.to_json`` and
``keras.models.model_from_json``), and ``save_model``, Keras' function form of
``model.save``.

The JSON has Keras' layout: ``module``, ``class_name``, ``config``, ``registered_name``,
``build_config`` (``input_shape``) and, for a compiled model, ``compile_config``. The
``config`` is deepgrad's (its layer configs and, for a functional model, its graph), so a
Keras JSON does not load in deepgrad nor a deepgrad JSON in Keras.
"""

from __future__ import annotations

import json
import os
from typing import Any

from deepgrad.saving import model_file
from deepgrad.serialization import CustomObjectScope


def model_to_json(model: Any, **kwargs: Any) -> str:
    """``model.to_json(**kwargs)``: the architecture (and compile settings) as a JSON
    string; ``kwargs`` go to ``json.dumps``."""
    description: dict[str, Any] = {
        "module": "deepgrad.models",
        "class_name": type(model).__name__,
        "config": model.get_config(),
        "registered_name": None,
        "build_config": {
            "input_shape": list(model.input_shape) if model.built and model.input_shape else None
        },
    }
    compile_config = model_file.compile_config_of(model)
    if compile_config is not None:
        description["compile_config"] = compile_config
    return json.dumps(description, **kwargs)


def model_from_json(json_string: str, custom_objects: dict[str, type] | None = None) -> Any:
    """The model ``model.to_json()`` describes, with new weights (Keras'
    ``models.model_from_json``): built for its input shape, and compiled with its saved
    settings if it was compiled (as Keras 3 does). Only registered layer classes and the
    ``custom_objects`` (name → Layer subclass) are instantiated; no code from the string
    runs.

    >>> import deepgrad as dg
    >>> model = dg.Sequential([dg.Input((3,)), dg.layers.Dense(2)])
    >>> copy = model_from_json(model.to_json())
    >>> copy.input_shape, copy.count_params()
    ((None, 3), 8)
    """
    try:
        description = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"model_from_json: not a JSON string ({error})") from None
    if not isinstance(description, dict) or not {"class_name", "config"} <= set(description):
        raise ValueError(
            "model_from_json: expected a JSON object with 'class_name' and 'config' (what "
            "model.to_json() writes)"
        )
    build_config = description.get("build_config") or {}
    architecture = {
        "class_name": description["class_name"],
        "config": description["config"],
        "build_input_shape": build_config.get("input_shape"),
    }
    model_file.check_layer_classes(
        {} if custom_objects is None else custom_objects, "model_from_json"
    )
    with CustomObjectScope(custom_objects):
        model = model_file.rebuild(architecture, "model_from_json")
        if description.get("compile_config") is not None:
            model_file.compile_with(model, description["compile_config"], "model_from_json")
    return model


def save_model(
    model: Any, filepath: str | os.PathLike, overwrite: bool = True, zipped: bool | None = None
) -> None:
    """``model.save(filepath)`` (Keras' ``models.save_model``): architecture, compile
    settings, weights and optimizer state in one file. ``overwrite=False`` refuses to
    replace an existing file (Keras asks at the terminal). Keras' ``zipped`` chooses
    between its zip and folder formats; deepgrad writes one safetensors file, so only
    ``zipped=None`` is taken.

    >>> import os, tempfile, deepgrad as dg
    >>> model = dg.Sequential([dg.Input((2,)), dg.layers.Dense(1)])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> save_model(model, path)
    >>> dg.models.load_model(path).count_params()
    3
    """
    if zipped is not None:
        raise ValueError(
            f"save_model: zipped={zipped!r} chooses a Keras file format; deepgrad writes one "
            "safetensors file (leave zipped=None)"
        )
    model_file.check_overwrite(filepath, overwrite, "save_model")
    model_file.save_model(model, filepath)

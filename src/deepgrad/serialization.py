"""Keras' custom-object registry and object serialization (``keras.saving`` and
``keras.utils``): ``register_keras_serializable``, ``get_custom_objects``,
``custom_object_scope`` / ``CustomObjectScope``, ``serialize_keras_object`` and
``deserialize_keras_object``.

A layer class registered, put in ``get_custom_objects()`` or in an open scope is found by
``load_model``, ``model_from_json`` and ``from_config`` under its class name, as deepgrad
saves it. Deserializing instantiates registered classes from their configs only: no code
from the config runs, whatever ``safe_mode`` says.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from deepgrad import (
    activations,
    constraints,
    initializers,
    losses,
    metrics,
    optimizers,
    regularizers,
)
from deepgrad.layers.base import LAYER_CLASSES, Layer, register_serializable
from deepgrad.optimizers import schedules

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_object",
    "register_keras_serializable",
    "serialize_keras_object",
]

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
_REGISTERED_NAMES: dict[Any, str] = {}  # object -> "package>name"
_SCOPES: list[dict[str, Any]] = []


def get_custom_objects() -> dict[str, Any]:
    """The global dict of custom objects (Keras' ``get_custom_objects``): what you add to it
    is found when loading, as a registered class is.

    >>> get_custom_objects() is get_custom_objects()
    True
    """
    return _GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Register a class (or function) under ``"package>name"`` (Keras'
    ``register_keras_serializable``; ``name`` defaults to the class name). A Layer class is
    also registered with ``deepgrad.layers.register_serializable``, so ``load_model``
    rebuilds it. A class must have ``get_config``, as Keras requires.

    >>> import deepgrad as dg
    >>> @register_keras_serializable(package="demo")
    ... class Twice(dg.layers.Layer):
    ...     def call(self, inputs, training=False):
    ...         return inputs * 2
    >>> get_custom_objects()["demo>Twice"] is Twice
    True
    """

    def decorator(obj: Any) -> Any:
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"register_keras_serializable: {obj.__name__} has no get_config method, so "
                "it cannot be registered"
            )
        registered_name = f"{package}>{name if name is not None else obj.__name__}"
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = obj
        _REGISTERED_NAMES[obj] = registered_name
        if inspect.isclass(obj) and _is_layer_class(obj):
            register_serializable(obj)
        _register_in_family(registered_name, obj)
        return obj

    return decorator


def _register_in_family(registered_name: str, obj: Any) -> None:
    """Let a layer using ``obj`` save and load, as Keras' do: a function is an activation
    and an initializer, regularizer or constraint class is one of its family, known to the
    family by ``"package>name"`` (the name a saved config then holds)."""
    if not inspect.isclass(obj):
        if callable(obj):
            activations.ACTIVATIONS[registered_name] = obj
    elif issubclass(obj, initializers.Initializer):
        initializers.INITIALIZERS[registered_name] = obj
    elif issubclass(obj, regularizers.Regularizer):
        regularizers.REGULARIZERS[registered_name] = obj
    elif issubclass(obj, constraints.Constraint):
        constraints.CONSTRAINTS[registered_name] = obj


class CustomObjectScope:
    """A ``with`` block in which the given custom objects (dicts of name → class or
    function) are found by loading and ``deserialize_keras_object``, as Keras'
    ``custom_object_scope``; they are forgotten when it ends.

    >>> with custom_object_scope({"Answer": int}):
    ...     get_registered_object("Answer")
    <class 'int'>
    >>> get_registered_object("Answer") is None
    True
    """

    def __init__(self, *custom_objects: dict[str, Any] | None) -> None:
        merged: dict[str, Any] = {}
        for objects in custom_objects:
            if objects is None:
                continue
            if not isinstance(objects, dict):
                raise TypeError(
                    f"custom_object_scope: expected dicts of name -> object, got "
                    f"{type(objects).__name__}"
                )
            merged.update(objects)
        self.custom_objects = merged

    def __enter__(self) -> CustomObjectScope:
        _SCOPES.append(self.custom_objects)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _SCOPES.remove(self.custom_objects)


custom_object_scope = CustomObjectScope  # Keras' two names for the same class


def get_registered_object(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """The object known as ``name``: in ``custom_objects``, the open scopes (innermost
    first), then ``get_custom_objects()``; None if none holds it."""
    for objects in (custom_objects or {}, *reversed(_SCOPES), _GLOBAL_CUSTOM_OBJECTS):
        if name in objects:
            return objects[name]
    return None


def layer_class(name: Any) -> type | None:
    """The layer class a saved config names: a custom object of that name that is a Layer
    class (scopes first), else the registered layer class; None if neither."""

    if not isinstance(name, str):
        return None
    found = get_registered_object(name)
    if inspect.isclass(found) and _is_layer_class(found):
        return found
    return LAYER_CLASSES.get(name)


def _is_layer_class(cls: type) -> bool:

    return issubclass(cls, Layer)


# ---- serializing objects -----------------------------------------------------------------


def _families() -> list[tuple[str, type, Callable[[Any], Any], Callable[[dict], Any]]]:
    """(module, base class, serialize, deserialize) of each kind of deepgrad object."""

    return [
        ("deepgrad.initializers", initializers.Initializer, initializers.serialize,
         initializers.get),
        ("deepgrad.losses", losses.Loss, losses.serialize, losses.get),
        ("deepgrad.metrics", metrics.Metric, metrics.serialize, metrics.get),
        ("deepgrad.optimizers", optimizers.Optimizer, optimizers.serialize, optimizers.get),
        ("deepgrad.optimizers.schedules", schedules.Schedule, schedules.serialize,
         schedules.get),
        ("deepgrad.regularizers", regularizers.Regularizer, regularizers.serialize,
         regularizers.get),
        ("deepgrad.constraints", constraints.Constraint, constraints.serialize,
         constraints.deserialize),
    ]  # fmt: skip


def serialize_keras_object(obj: Any) -> Any:
    """A deepgrad object as JSON-ready data in Keras' layout (``module``, ``class_name``,
    ``config``, ``registered_name``; a built layer adds ``build_config``): layers and
    models, initializers, losses, metrics, optimizers and schedules, regularizers,
    constraints, activations (by name), and plain values, lists and dicts of them.

    >>> import deepgrad as dg
    >>> serialize_keras_object(dg.regularizers.L2(0.5))
    {'module': 'deepgrad.regularizers', 'class_name': 'L2', 'config': {'l2': 0.5}, 'registered_name': None}
    """  # noqa: E501
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, list | tuple):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, dict):
        return {key: serialize_keras_object(value) for key, value in obj.items()}

    registered_name = _REGISTERED_NAMES.get(type(obj))
    if isinstance(obj, Layer):
        described = {
            "module": "deepgrad.layers",
            "class_name": type(obj).__name__,
            "config": obj.get_config(),
            "registered_name": registered_name,
        }
        if obj.built and obj.input_shape is not None:
            described["build_config"] = {"input_shape": list(obj.input_shape)}
        return described
    for module, base, serialize, _ in _families():
        if isinstance(obj, base):
            described = serialize(obj)  # refuses what is not deepgrad's own
            return {
                "module": module,
                "class_name": type(obj).__name__,  # Keras' name ("L2", not deepgrad's "l2")
                "config": described["config"],
                "registered_name": registered_name,
            }
    if callable(obj) and not inspect.isclass(obj):
        name = _REGISTERED_NAMES.get(obj)
        if name is None and any(fn is obj for fn in activations.ACTIVATIONS.values()):
            name = activations.name_of(obj)
        if name is not None:  # Keras' layout for a function
            return {"module": "builtins", "class_name": "function", "config": name,
                    "registered_name": "function"}  # fmt: skip
    raise TypeError(
        f"serialize_keras_object: cannot serialize {obj!r} (of type {type(obj).__name__}); "
        "deepgrad serializes its layers, models, initializers, losses, metrics, optimizers, "
        "schedules, regularizers, constraints, activations and registered functions"
    )


def deserialize_keras_object(
    config: Any, custom_objects: dict[str, Any] | None = None, safe_mode: bool = True
) -> Any:
    """The object ``serialize_keras_object`` described (Keras' ``deserialize_keras_object``),
    rebuilt from deepgrad's registered classes and ``custom_objects`` only. No code from
    ``config`` ever runs: ``safe_mode=False`` does not change that (Keras' lambdas are
    refused either way).

    >>> import deepgrad as dg
    >>> layer = deserialize_keras_object(serialize_keras_object(dg.layers.Dense(3)))
    >>> type(layer).__name__, layer.units
    ('Dense', 3)
    """
    if not isinstance(safe_mode, bool):
        raise TypeError(f"deserialize_keras_object: safe_mode must be a bool, got {safe_mode!r}")
    if isinstance(config, list):
        return [deserialize_keras_object(item, custom_objects) for item in config]
    if not isinstance(config, dict):
        return config  # plain values (a name stays a name, as in Keras)
    if "class_name" not in config or "config" not in config:
        return {key: deserialize_keras_object(v, custom_objects) for key, v in config.items()}
    with CustomObjectScope(custom_objects):
        return _rebuild_object(config)


def _rebuild_object(config: dict) -> Any:
    module, class_name = config.get("module"), config["class_name"]
    registered = config.get("registered_name")
    if class_name == "__lambda__":
        raise ValueError(
            "deserialize_keras_object: the config holds a lambda (code); deepgrad never "
            "runs code from a config"
        )
    if module == "builtins" and class_name == "function":
        return _function(config["config"])
    custom = get_registered_object(registered) if isinstance(registered, str) else None
    if custom is None and module not in _known_modules():
        custom = get_registered_object(class_name)
    if inspect.isclass(custom) and not _is_layer_class(custom):
        from_config = getattr(custom, "from_config", None)
        return from_config(config["config"]) if from_config else custom(**config["config"])
    if module in ("deepgrad.layers", "deepgrad.models") or inspect.isclass(custom):
        return _layer(config, custom)
    for family_module, _, _, deserialize in _families():
        if module == family_module:
            return deserialize({"class_name": class_name, "config": config["config"]})
    raise TypeError(
        f"deserialize_keras_object: could not locate class {class_name!r} (module "
        f"{module!r}); register it with register_keras_serializable or pass it in "
        "custom_objects. Keras' configs (module 'keras...') are not read by deepgrad"
    )


def _known_modules() -> set[str]:
    return {"deepgrad.layers", "deepgrad.models", *(family[0] for family in _families())}


def _layer(config: dict, custom: Any) -> Any:
    cls: Any = custom if inspect.isclass(custom) else layer_class(config["class_name"])
    if cls is None:
        raise TypeError(
            f"deserialize_keras_object: unknown layer class {config['class_name']!r}; "
            "register it with register_keras_serializable or pass it in custom_objects"
        )
    layer = cls.from_config(config["config"])
    input_shape = (config.get("build_config") or {}).get("input_shape")
    if input_shape is not None:
        layer.build_for(tuple(input_shape))
    return layer


def _function(name: Any) -> Callable:

    found = get_registered_object(name) if isinstance(name, str) else None
    if callable(found):
        return found
    if isinstance(name, str) and name in activations.ACTIVATIONS:
        return activations.ACTIVATIONS[name]
    raise TypeError(
        f"deserialize_keras_object: unknown function {name!r}; deepgrad knows its "
        "activations by name and functions registered with register_keras_serializable"
    )

"""Model files: architecture and compile settings as JSON metadata, weights and optimizer
state as tensors, all in one safetensors file.

Loading rebuilds only registered layer classes from JSON (no code runs), checks every
name, shape and dtype against the model before changing anything, and leaves the model
untouched if anything is wrong.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

from deepgrad import losses, metrics, optimizers
from deepgrad.layers.base import Layer
from deepgrad.saving.safetensors import load_file, save_file
from deepgrad.saving.weight_files import (
    assign_matching_layers,
    assign_weights,
    weight_tensors,
)
from deepgrad.serialization import CustomObjectScope, layer_class
from deepgrad.version import __version__

FORMAT = "deepgrad-model"
# "2": a functional model's weights (and so its optimizer state) in Keras' order by depth;
# "1" listed them in call order, which may differ (``Functional.weights_listed_otherwise_before``).
# "3": a dict of outputs walked in sorted key order, as Keras flattens it; "2" walked it in
# the dict's order (``Functional.weights_listed_otherwise_in_format_2``).
FORMAT_VERSION = "3"
READ_VERSIONS = ("1", "2", FORMAT_VERSION)
_CHANGED = "(the file was changed after it was saved, or not written by model.save)"


def compile_config_of(model: Any) -> dict | None:
    """What ``compile`` was given, as JSON-ready data (None: not compiled)."""
    if getattr(model, "optimizer", None) is None:
        return None
    arguments = getattr(model, "_compile_arguments", {})
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": _serialize(arguments.get("loss")),
        "loss_weights": arguments.get("loss_weights"),
        "metrics": _serialize(arguments.get("metrics"), metric_functions=True),
        "weighted_metrics": _serialize(arguments.get("weighted_metrics"), metric_functions=True),
        # True, False or "auto" as compile (or model.jit = ...) set it, as Keras saves its
        # jit_compile; run_eagerly=True was saved as False
        "jit": model._jit,
    }


def _serialize(value: Any, metric_functions: bool = False) -> Any:
    """What ``compile`` was given (names, Loss and Metric objects, lists and dicts of them
    per output) as JSON-ready data that ``compile`` accepts back. With
    ``metric_functions``, a metric class or one of deepgrad's metric functions is saved
    too, without it one of deepgrad's loss functions (a function of one's own is refused:
    a file holds no code)."""
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, list | tuple):
        return [_serialize(item, metric_functions) for item in value]
    if isinstance(value, dict):
        return {key: _serialize(item, metric_functions) for key, item in value.items()}
    if isinstance(value, losses.Loss):
        return losses.serialize(value)
    if not metric_functions and isinstance(value, type) and issubclass(value, losses.Loss):
        return losses.serialize(value())  # a loss class, made as compile made it
    if not metric_functions and callable(value):  # deepgrad's own loss function by name
        return losses.serialize(value)
    if isinstance(value, metrics.Metric):
        return metrics.serialize(value)
    if metric_functions and isinstance(value, type) and issubclass(value, metrics.Metric):
        return metrics.serialize(value())  # a metric class, made as compile made it
    if metric_functions and callable(value):  # deepgrad's own function by name, else refused
        return metrics.serialize(metrics.get(value))
    raise ValueError(
        f"save: {value!r} given to compile cannot be saved (only built-in losses and "
        "metrics, by name or object)"
    )


def model_metadata(model: Any) -> dict[str, str]:
    if not model.built:
        raise ValueError(f"save: {model.name} is not built yet; call it on data or fit it first")
    architecture = {
        "class_name": type(model).__name__,
        "config": model.get_config(),
        "build_input_shape": list(model.input_shape) if model.input_shape else None,
    }
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "deepgrad_version": __version__,
        "architecture": json.dumps(architecture),
    }
    compile_config = compile_config_of(model)
    if compile_config is not None:
        metadata["compile"] = json.dumps(compile_config)
    # Every layer's trainable flag, in the order _layers_within walks them: a subclassed
    # model's config holds its constructor's arguments only, not a frozen sublayer
    metadata["trainable"] = json.dumps(
        [[type(layer).__name__, layer.trainable] for layer in model._layers_within()]
    )
    return metadata


def _restore_trainable(model: Any, metadata: dict, path: Any) -> None:
    """Freeze or unfreeze the rebuilt model's layers as they were saved (files written
    before the flags were saved have none: their layers keep the config's flags)."""
    if "trainable" not in metadata:
        return
    saved = _metadata_json(metadata, "trainable", path)
    if not isinstance(saved, list) or not all(
        isinstance(entry, list) and len(entry) == 2 for entry in saved
    ):
        raise ValueError(
            f"{path}: the 'trainable' entry of its metadata is not a list of "
            f"[layer class, flag] pairs {_CHANGED}"
        )
    layers = model._layers_within()
    if [kind for kind, _ in saved] != [type(layer).__name__ for layer in layers]:
        raise ValueError(
            f"{path}: the rebuilt model's layers ({len(layers)}) are not the saved ones "
            f"({len(saved)}), so their trainable flags cannot be restored"
        )
    for layer, (_, trainable) in zip(layers, saved, strict=True):  # parents first
        if layer.trainable != trainable:
            layer.trainable = trainable


def optimizer_tensors(model: Any) -> dict[str, np.ndarray]:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return {}
    if not optimizer.params:
        # Not bound to the weights yet (the first training step binds it): its step count,
        # set by hand to resume a schedule, is all it holds. At 0 the file stays as before.
        iterations = np.array(optimizer.iterations, np.int64)
        return {"optimizer/iterations": iterations} if optimizer.iterations else {}
    _check_bound_to_trainable_weights(model)
    return {f"optimizer/{k}": np.asarray(v) for k, v in optimizer.state_arrays().items()}


def _check_bound_to_trainable_weights(model: Any) -> None:
    """Refuse to save an optimizer state that is flat over other weights than the ones the
    model trains now (a layer frozen or unfrozen since the optimizer was built): loaded,
    it would be laid over the weights trained now, one layer's moments on another's."""
    bound, trained = model.optimizer.params, model._parameters()
    if [id(p) for p in bound] != [id(p) for p in trained]:
        raise ValueError(
            f"save: the trainable weights of {model.name} changed since its optimizer was "
            f"built (a layer was frozen, unfrozen or added: {len(bound)} weights then, "
            f"{len(trained)} now), so its optimizer state fits other weights; call "
            "compile() again before saving (a new optimizer), or save_weights"
        )


def load_optimizer_state(model: Any, state: dict[str, np.ndarray], format_version: str) -> None:
    """Restore ``optimizer_tensors``' arrays (less their prefix) into the model's optimizer.
    A step count alone was saved before the optimizer was bound: it is set, and the state
    arrays are made on the first step, as they would have been in the saved model.

    The state arrays are flat over the weights in the order the model lists them: a file
    of format "1" listed a functional model's in call order, and where that differs from
    today's order its moments would land on other weights, so it is refused."""
    if set(state) != {"iterations"} and _listed_otherwise(model, format_version):
        how = {
            "1": "call order, not Keras' order by depth",
            "2": "a dict of outputs in the dict's order, not in sorted key order",
        }[format_version]
        raise ValueError(
            "its optimizer state was written by an earlier deepgrad, which listed this "
            f"functional model's weights in another order ({how}), so the state cannot be "
            "matched to the weights; load it with compile=False and compile it again (the "
            "weights load by name)"
        )
    if set(state) == {"iterations"}:
        iterations = state["iterations"]
        if np.shape(iterations) != ():
            raise ValueError(f"optimizer state 'iterations' has shape {np.shape(iterations)}")
        model.optimizer.iterations = int(iterations)
        return
    model._bind_optimizer()
    model.optimizer.load_state_arrays(state)


def _listed_otherwise(model: Any, format_version: str) -> bool:
    """Whether a functional model in ``model`` (itself or nested) lists its trainable
    weights otherwise than a file of ``format_version`` did."""
    checks = {
        "1": ("weights_listed_otherwise_before",),
        "2": ("weights_listed_otherwise_in_format_2",),
    }.get(format_version, ())
    stack = [model]
    while stack:
        layer = stack.pop()
        for check in checks:
            listed_before = getattr(layer, check, None)
            if listed_before is not None and listed_before():
                return True
        stack.extend(getattr(layer, "layers", []))
    return False


def save_model(model: Any, filepath: str | os.PathLike, extra_metadata: dict | None = None) -> None:
    metadata = {**model_metadata(model), **(extra_metadata or {})}
    save_file({**weight_tensors(model), **optimizer_tensors(model)}, filepath, metadata)


def check_overwrite(filepath: str | os.PathLike, overwrite: bool, what: str) -> None:
    """Keras' ``overwrite``: False refuses to replace an existing file (Keras asks at the
    terminal)."""
    if not isinstance(overwrite, bool):
        raise TypeError(f"{what}: overwrite must be True or False, got {overwrite!r}")
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{what}: {os.fspath(filepath)} exists and overwrite=False")


def save_weights(
    model: Any, filepath: str | os.PathLike, overwrite: bool = True, max_shard_size: Any = None
) -> None:
    if max_shard_size is not None:
        raise ValueError(
            f"save_weights: max_shard_size={max_shard_size!r} splits Keras' weights into "
            "several files; deepgrad writes one safetensors file (leave max_shard_size=None)"
        )
    check_overwrite(filepath, overwrite, "save_weights")
    if not model.built:
        raise ValueError(f"save_weights: {model.name} is not built yet")
    save_file(weight_tensors(model), filepath, {"format": FORMAT, "format_version": FORMAT_VERSION})


def _metadata_json(metadata: dict, key: str, path: Any) -> Any:
    """One JSON entry of a file's metadata, or a ValueError that names the file and the
    entry: a file changed after it was saved fails here, not with a bare KeyError or a
    JSONDecodeError from deep inside the load."""
    if key not in metadata:
        raise ValueError(f"{path}: its metadata has no {key!r} entry {_CHANGED}")
    try:
        return json.loads(metadata[key])
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path}: the {key!r} entry of its metadata is not JSON ({error})"
        ) from None


def _metadata_object(metadata: dict, key: str, path: Any, required: tuple[str, ...]) -> dict:
    """A JSON object entry of a file's metadata that holds the ``required`` keys."""
    value = _metadata_json(metadata, key, path)
    if not isinstance(value, dict):
        raise ValueError(f"{path}: the {key!r} entry of its metadata is not an object {_CHANGED}")
    missing = [name for name in required if name not in value]
    if missing:
        raise ValueError(
            f"{path}: the {key!r} entry of its metadata has no {', '.join(missing)} {_CHANGED}"
        )
    return value


def _check_format(metadata: dict, path: Any) -> None:
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not a deepgrad model file (format {metadata.get('format')!r})")
    if metadata.get("format_version") not in READ_VERSIONS:
        raise ValueError(
            f"{path}: format version {metadata.get('format_version')!r} is not supported"
        )


def load_weights(model: Any, filepath: str | os.PathLike, skip_mismatch: bool = False) -> None:
    tensors, metadata = load_file(filepath)
    _check_format(metadata, filepath)
    if not model.built:
        raise ValueError(
            f"load_weights: build {model.name} first (call it on data) so its weights exist"
        )
    if not isinstance(skip_mismatch, bool):
        raise TypeError(f"load_weights: skip_mismatch must be True or False, got {skip_mismatch!r}")
    if skip_mismatch:
        assign_matching_layers(model, tensors, filepath)
    else:
        assign_weights(model, tensors, filepath)


def load_model(
    filepath: str | os.PathLike,
    custom_objects: dict[str, type] | None = None,
    compile: bool = True,
    safe_mode: bool = True,
) -> Any:
    """Rebuild a model saved with ``model.save``: architecture, weights, and (with
    ``compile``) its optimizer, loss, metrics and optimizer state. Keras 3's arguments:
    ``custom_objects`` (name → Layer subclass) are found while the model is rebuilt, as
    registered classes are; ``safe_mode`` changes nothing, as no code from the file ever
    runs either way.

    Only registered layer classes are instantiated, from JSON; no code from the file runs.
    A file that is not a deepgrad model, or whose metadata was changed or cut short, raises
    a ``ValueError`` that names the file and the entry at fault.
    """
    if not isinstance(safe_mode, bool):
        raise TypeError(f"load_model: safe_mode must be True or False, got {safe_mode!r}")
    check_layer_classes({} if custom_objects is None else custom_objects, "load_model")
    tensors, metadata = load_file(filepath)
    _check_format(metadata, filepath)
    with CustomObjectScope(custom_objects):
        model = _rebuild(metadata, filepath)
        _restore_trainable(model, metadata, filepath)
        if compile and "compile" in metadata:
            _compile_as_saved(model, metadata, filepath)
    assign_weights(model, tensors, filepath)
    state = {
        k.removeprefix("optimizer/"): v for k, v in tensors.items() if k.startswith("optimizer/")
    }
    if compile and state and getattr(model, "optimizer", None) is not None:
        try:
            load_optimizer_state(model, state, metadata["format_version"])
        except ValueError as error:
            raise ValueError(f"{filepath}: {error}") from error
    return model


def check_layer_classes(custom_objects: dict[str, type], what: str) -> None:
    """``custom_objects`` must map names to Layer subclasses: deepgrad finds its other
    objects by their own modules' names."""
    if not isinstance(custom_objects, dict):
        hint = " (compile is the third argument, as in Keras: pass it by name)"
        raise TypeError(
            f"{what}: custom_objects must be a dict of name -> Layer subclass, got "
            f"{custom_objects!r}{hint if isinstance(custom_objects, bool) else ''}"
        )
    for name, value in custom_objects.items():
        if not (isinstance(value, type) and issubclass(value, Layer)):
            raise TypeError(
                f"{what}: custom_objects[{name!r}] is {value!r}; deepgrad takes "
                "Layer subclasses there (register other objects with their module)"
            )


def _rebuild(metadata: dict, path: Any) -> Any:
    """The model the 'architecture' entry describes, built for its saved input shape."""
    architecture = _metadata_object(metadata, "architecture", path, ("class_name", "config"))
    return rebuild(architecture, path)


def rebuild(architecture: dict, source: Any) -> Any:
    """The model of an architecture (``class_name``, ``config``, ``build_input_shape``),
    from registered classes only; ``source`` names where it came from in errors."""
    name = architecture["class_name"]
    cls = layer_class(name)
    if cls is None:
        raise ValueError(
            f"{source}: cannot rebuild the model (unknown class {name!r}); custom classes must "
            "be registered with deepgrad.layers.register_serializable"
        )
    try:
        model = cls.from_config(architecture["config"])
        if architecture.get("build_input_shape"):
            model.build_for(tuple(architecture["build_input_shape"]))
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{source}: cannot rebuild the {name} from its saved architecture "
            f"({type(error).__name__}: {error})"
        ) from error
    return model


def _compile_as_saved(model: Any, metadata: dict, path: Any) -> None:
    # loss_weights and weighted_metrics are newer: older files may lack them
    settings = _metadata_object(metadata, "compile", path, ("optimizer", "loss", "metrics"))
    _check_lists_for_unsorted_outputs(model, settings, metadata.get("format_version"), path)
    compile_with(model, settings, path)


def _check_lists_for_unsorted_outputs(model: Any, settings: dict, version: Any, path: Any) -> None:
    """Before format "3" a list of losses (or weights, or metrics) for a dict of outputs
    was read in the dict's order; it is now read in sorted key order, as Keras does, so
    where the two differ the saved settings would change meaning: refused."""
    outputs = model.__dict__.get("_outputs")  # a functional model's, as given
    if version not in ("1", "2") or not isinstance(outputs, dict):
        return
    if list(outputs) == sorted(outputs):
        return
    arguments = ("loss", "loss_weights", "metrics", "weighted_metrics")
    lists = [k for k in arguments if isinstance(settings.get(k), list | tuple)]
    if lists:
        raise ValueError(
            f"{path}: the model's outputs are a dict {list(outputs)} and its saved {lists} "
            "are lists, which this deepgrad reads in sorted key order (as Keras does) and "
            "the one that saved it read in the dict's order; load it with compile=False "
            "and compile it again with dicts keyed by output name"
        )


def compile_with(model: Any, settings: dict, source: Any) -> None:
    """Compile ``model`` with settings from ``compile_config_of`` (a new optimizer)."""
    try:
        model.compile(
            optimizer=settings["optimizer"],
            loss=settings["loss"],
            metrics=settings["metrics"],
            loss_weights=settings.get("loss_weights"),
            weighted_metrics=settings.get("weighted_metrics"),
            jit=settings.get("jit", "auto"),  # files written before it was saved: the default
        )
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{source}: cannot compile the model with its saved settings "
            f"({type(error).__name__}: {error}); load_model(path, compile=False) skips them"
        ) from error

"""A model's weights in a file: the names they are saved under, and copying them back
into a model, all of them checked first (``assign_weights``) or, with Keras'
``skip_mismatch``, layer by layer (``assign_matching_layers``)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from deepgrad.backend import to_numpy
from deepgrad.device import device_of, to_device
from deepgrad.tensor import mark_written, raw_data


def weight_tensors(model: Any) -> dict[str, np.ndarray]:
    """``model/<path>`` for each weight, ``loss/<name>`` for a loss's own parameters."""
    # A device's weights are copied to the host: the file is the same from every device.
    tensors = {f"model/{path}": to_numpy(raw_data(w)) for path, w, _, _ in model.named_weights()}
    loss = getattr(model, "loss", None)
    for i, w in enumerate(getattr(loss, "trainable_weights", [])):
        tensors[f"loss/{i}"] = to_numpy(raw_data(w))
    return tensors


def weight_targets(model: Any) -> dict[str, Any]:
    """The model's weights under the names ``weight_tensors`` saves them by."""
    targets = {name: w for name, w in ((f"model/{p}", w) for p, w, _, _ in model.named_weights())}
    for i, w in enumerate(getattr(getattr(model, "loss", None), "trainable_weights", [])):
        targets[f"loss/{i}"] = w
    return targets


def saved_weights(model: Any, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The file's weights (its optimizer state left out); a saved loss's weights (σ) only
    where the model has a loss to take them (a model loaded without compiling has none)."""
    kinds = ("model/", "loss/") if getattr(model, "loss", None) is not None else ("model/",)
    return {k: v for k, v in tensors.items() if k.startswith(kinds)}


def copy_weights(targets: dict[str, Any], given: dict[str, np.ndarray]) -> None:
    """Copy each checked array into its weight (on the weight's device)."""
    for name, target in targets.items():
        raw_data(target)[...] = to_device(given[name], device_of(raw_data(target)))
    mark_written(*targets.values())


def assign_weights(model: Any, tensors: dict[str, np.ndarray], source: Any) -> None:
    """Check that ``tensors`` match the model's weights exactly, then copy them in."""
    targets, given = weight_targets(model), saved_weights(model, tensors)
    missing, unexpected = sorted(set(targets) - set(given)), sorted(set(given) - set(targets))
    if missing or unexpected:
        raise ValueError(
            f"{source}: weights do not match the model: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}"
        )
    for name, target in targets.items():
        array = given[name]
        if array.shape != target.shape or array.dtype != target.dtype:
            raise ValueError(
                f"{source}: weight {name!r} is {array.dtype}{list(array.shape)} in the file, "
                f"but the model has {target.dtype}{list(target.shape)}"
            )
    copy_weights(targets, given)


def assign_matching_layers(model: Any, tensors: dict[str, np.ndarray], source: Any) -> None:
    """``load_weights(skip_mismatch=True)``, as Keras 3's: load each layer whose weights
    the file holds, as many and of the same shapes (and, in deepgrad, dtypes), skip the
    others whole, and warn naming each skipped layer and why, and the file's layers that
    the model does not have."""
    targets, given = weight_targets(model), saved_weights(model, tensors)
    in_model, in_file = _by_layer(targets), _by_layer(given)
    loaded, skipped = {}, []
    for layer, names in in_model.items():
        reason = _mismatch(names, in_file.get(layer, []), given, targets)
        if reason:
            skipped.append(f"{layer!r} ({reason})")
        else:
            loaded.update({name: targets[name] for name in names})
    unused = sorted(set(in_file) - set(in_model))
    if skipped or unused:
        warnings.warn(
            f"{source}: load_weights(skip_mismatch=True) skipped {len(skipped)} layer(s) of "
            f"{model.name}: {', '.join(skipped) or 'none'}; layers of the file not in the "
            f"model: {unused[:5] or 'none'}",
            stacklevel=3,
        )
    copy_weights(loaded, given)


def _by_layer(names: Any) -> dict[str, list[str]]:
    """Weight names grouped by the layer they belong to (``model/layers.1.kernel``:
    ``model/layers.1``)."""
    layers: dict[str, list[str]] = {}
    for name in names:
        layers.setdefault(name.rpartition(".")[0] or name, []).append(name)
    return layers


def _mismatch(names: list[str], saved: list[str], given: dict, targets: dict) -> str | None:
    """Why a layer's weights ``names`` cannot load from the file's ``saved`` (None: they
    can)."""
    if sorted(names) != sorted(saved):
        return f"{len(saved)} weight(s) in the file, {len(names)} in the model"
    for name in names:
        array, target = given[name], targets[name]
        if array.shape != target.shape or array.dtype != target.dtype:
            return (
                f"{name!r} is {array.dtype}{list(array.shape)} in the file, "
                f"{target.dtype}{list(target.shape)} in the model"
            )
    return None

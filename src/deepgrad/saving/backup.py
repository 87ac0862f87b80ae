"""Backups for ``BackupAndRestore``: a model file plus the epoch and the random state,
so that a resumed run continues exactly where the interrupted one stopped.

A backup is checked before anything is restored: a file whose metadata was changed after
it was written raises a ``ValueError`` that names it and the entry at fault, and leaves
the model's weights, its optimizer's state and the random state as they were. A backup
refused after the model was built for it (weights or optimizer state that do not match)
leaves an unbuilt model unbuilt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from deepgrad import random
from deepgrad.layers.weight_lists import structure_changed
from deepgrad.saving.model_file import (
    _CHANGED,
    _check_format,
    _metadata_json,
    _metadata_object,
    assign_weights,
    load_optimizer_state,
    model_metadata,
    optimizer_tensors,
    weight_tensors,
)
from deepgrad.saving.safetensors import load_file, save_file
from deepgrad.tensor import mark_written, raw_data


def write_backup(model: Any, path: Path, epoch: int) -> None:
    metadata = {
        **model_metadata(model),
        "epoch": str(epoch),
        "random_state": json.dumps(random.get_state()),
    }
    save_file({**weight_tensors(model), **optimizer_tensors(model)}, path, metadata)


def restore_backup(model: Any, path: Path) -> int:
    """Load the backup into ``model`` (weights, optimizer state, random state); return the
    epoch it was taken after. A model not built yet is built for the saved input shape; a
    refusal at any point leaves the model as it was (``_undone_if_refused``)."""
    tensors, metadata = load_file(path)
    _check_format(metadata, path)
    random_state, epoch = _random_state(metadata, path), _epoch(metadata, path)
    state = {
        k.removeprefix("optimizer/"): v for k, v in tensors.items() if k.startswith("optimizer/")
    }
    with _undone_if_refused(model):
        if not model.built:
            _build_as_saved(model, metadata, path)  # draws initial weights: random state
        assign_weights(model, tensors, path)
        if state:  # the optimizer's state is checked as it loads
            try:
                load_optimizer_state(model, state, metadata["format_version"])
            except ValueError as error:
                raise ValueError(f"{path}: {error}") from error
    random.set_state(random_state)  # a state the generator takes: tried above
    return epoch


@contextmanager
def _undone_if_refused(model: Any) -> Iterator[None]:
    """Put everything a refused restore changed back as it was: the weights' values (the
    model's and its loss's), the random state, the optimizer's binding to the weights
    (binding moves each weight's data into its buffers and gives it a gradient), and, for a
    model that was not built, the build: it is left unbuilt, as Keras leaves a model whose
    ``load_weights`` failed, and builds again on its first batch."""
    owners = [*model._layers_within()]
    if getattr(model, "optimizer", None) is not None:
        owners.append(model.optimizer)
    attributes = [(owner, _attributes(owner)) for owner in owners]
    weights = _weights_of(model)
    tensors = [(w, w._value, w.grad, raw_data(w).copy()) for w in weights]
    random_before = random.get_state()
    try:
        yield
    except BaseException:
        for owner, (values, contents) in attributes:
            vars(owner).clear()
            vars(owner).update(values)
            for name, items in contents.items():  # the same list or dict, as it was
                container = values[name]
                container.clear()
                if isinstance(container, dict):
                    container.update(items)
                else:
                    container.extend(items)
        for w, value, grad, saved in tensors:
            w._value, w.grad = value, grad
            value[...] = saved
        mark_written(*weights)
        structure_changed()  # the cached weight lists
        random.set_state(random_before)
        raise


def _attributes(owner: Any) -> tuple[dict, dict]:
    """An object's attributes, and the items of those that are lists or dicts (changed in
    place by a build: ``add_weight`` appends to the layer's own list of weights)."""
    values = dict(vars(owner))
    contents = {
        name: list(value) if isinstance(value, list) else dict(value)
        for name, value in values.items()
        if type(value) in (list, dict)
    }
    return values, contents


def _weights_of(model: Any) -> list[Any]:
    """The model's weights and its loss's (a learned σ), each once."""
    loss = getattr(model, "loss", None)
    every = [*model.weights, *getattr(loss, "trainable_weights", [])]
    return list({id(w): w for w in every}.values())


def _build_as_saved(model: Any, metadata: dict, path: Path) -> None:
    architecture = _metadata_object(metadata, "architecture", path, ("build_input_shape",))
    shape = architecture["build_input_shape"]
    try:
        model.build_for(tuple(shape))
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"{path}: cannot build {model.name} for the saved input shape {shape!r} "
            f"({type(error).__name__}: {error})"
        ) from error


def _epoch(metadata: dict, path: Path) -> int:
    epoch = _metadata_json(metadata, "epoch", path)
    if type(epoch) is not int or epoch < 0:
        raise ValueError(
            f"{path}: the 'epoch' entry of its metadata is not an epoch number ({epoch!r}) "
            f"{_CHANGED}"
        )
    return epoch


def _random_state(metadata: dict, path: Path) -> dict:
    """The saved random state, tried on a spare generator of the host's kind first: set
    last, a state the generator refuses would otherwise fail after the weights and the
    optimizer's state were restored."""
    state = _metadata_object(metadata, "random_state", path, ("bit_generator", "state"))
    spare = type(random.device_generator("cpu").bit_generator)()
    try:
        spare.state = state
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise ValueError(
            f"{path}: the 'random_state' entry of its metadata is not a state of the random "
            f"generator ({type(error).__name__}: {error}) {_CHANGED}"
        ) from None
    return state

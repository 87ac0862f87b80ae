"""Backups for ``BackupAndRestore``: a model file plus the epoch and the random state,
so that a resumed run continues exactly where the interrupted one stopped.

A backup is checked before anything is restored: a file whose metadata was changed after
it was written raises a ``ValueError`` that names it and the entry at fault, and leaves
the model's weights, its optimizer's state and the random state as they were.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deepgrad import random
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


def write_backup(model: Any, path: Path, epoch: int) -> None:
    metadata = {
        **model_metadata(model),
        "epoch": str(epoch),
        "random_state": json.dumps(random.get_state()),
    }
    save_file({**weight_tensors(model), **optimizer_tensors(model)}, path, metadata)


def restore_backup(model: Any, path: Path) -> int:
    """Load the backup into ``model`` (weights, optimizer state, random state); return the
    epoch it was taken after."""
    tensors, metadata = load_file(path)
    _check_format(metadata, path)
    random_state, epoch = _random_state(metadata, path), _epoch(metadata, path)
    state = {
        k.removeprefix("optimizer/"): v for k, v in tensors.items() if k.startswith("optimizer/")
    }
    random_before = random.get_state()  # building the model draws its initial weights
    try:
        if not model.built:
            _build_as_saved(model, metadata, path)
        before = model.get_weights()
        assign_weights(model, tensors, path)
        try:  # the optimizer's state is checked as it loads: a refusal changes nothing
            if state:
                load_optimizer_state(model, state)
        except BaseException as error:
            model.set_weights(before)
            if isinstance(error, ValueError):
                raise ValueError(f"{path}: {error}") from error
            raise
    except BaseException:
        random.set_state(random_before)
        raise
    random.set_state(random_state)  # a state the generator takes: tried above
    return epoch


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

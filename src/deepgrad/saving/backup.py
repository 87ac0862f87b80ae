"""Backups for ``BackupAndRestore``: a model file plus the epoch and the random state,
so that a resumed run continues exactly where the interrupted one stopped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from deepgrad import random
from deepgrad.saving.model_file import (
    _check_format,
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
    random_state, epoch = json.loads(metadata["random_state"]), int(metadata["epoch"])
    if not model.built:
        model.build_for(tuple(json.loads(metadata["architecture"])["build_input_shape"]))
    before = model.get_weights()
    assign_weights(model, tensors, path)
    state = {
        k.removeprefix("optimizer/"): v for k, v in tensors.items() if k.startswith("optimizer/")
    }
    try:  # the optimizer's state is checked as it loads: a refusal changes nothing
        if state:
            load_optimizer_state(model, state)
        random.set_state(random_state)
    except BaseException:
        model.set_weights(before)
        raise
    return epoch

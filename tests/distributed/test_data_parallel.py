"""Data-parallel training under mpiexec (2 and 3 processes) equals one process trained on
the same global batches, and a failing process stops the job instead of hanging it."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import deepgrad as dg
from deepgrad import distributed

pytest.importorskip("mpi4py")
MPIEXEC = shutil.which("mpiexec") or (
    str(Path(sys.executable).parent / "mpiexec")
    if (Path(sys.executable).parent / "mpiexec").exists()
    else None
)
if MPIEXEC is None:
    pytest.skip("no mpiexec", allow_module_level=True)

WORKER = Path(__file__).with_name("mpi_worker.py")
REPO = Path(__file__).parents[2]


def mpiexec(n, *command, timeout=120):
    assert MPIEXEC is not None  # the module is skipped without one
    flags = []
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version:
        flags = ["--oversubscribe"]  # 3 processes on a 2-core machine
    env = {
        **os.environ,
        "OMPI_ALLOW_RUN_AS_ROOT": "1",  # CI runs as root
        "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
        # this checkout's deepgrad (src layout), not another one installed in the environment
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
        "NUMBA_NUM_THREADS": "1",
    }
    return subprocess.run(
        [MPIEXEC, *flags, "-n", str(n), *command],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def run_worker(n, mode, tmp_path):
    out = tmp_path / f"{mode}-{n}.json"
    done = mpiexec(n, sys.executable, str(WORKER), mode, str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


@pytest.mark.parametrize("n", [2, 3])
@pytest.mark.parametrize("mode", ["fit-sgd", "fit-adam", "fit-adam-jit"])
def test_fit_equals_one_process_on_the_same_global_batches(mode, n, tmp_path):
    result = run_worker(n, mode, tmp_path)
    assert result["size"] == n
    assert result["identical_across_processes"]
    assert result["max_relative_difference"] < 1e-4  # float32 rounding of the sums
    # Metrics and validation are reduced: they describe the whole data, as one process's.
    for key, values in result["reference_history"].items():
        np.testing.assert_allclose(result["history"][key], values, rtol=1e-4, err_msg=key)


def test_early_stopping_stops_every_process_in_the_same_epoch(tmp_path):
    epochs = run_worker(3, "early", tmp_path)["epochs"]
    assert len(set(epochs)) == 1 and epochs[0] < 30


def test_stop_training_on_one_process_stops_every_process_after_the_same_batch(tmp_path):
    """Regression: stop_training set in on_train_batch_end on one process only used to leave
    the others waiting in the next batch's Allreduce."""
    result = run_worker(3, "stop-one-rank", tmp_path)
    assert result == {"steps": [3, 3, 3], "epochs": [1, 1, 1]}


def test_lbfgs_when_a_process_holds_no_sample(tmp_path):
    """Regression: a process with an empty shard stepped L-BFGS without a closure."""
    assert run_worker(3, "lbfgs-empty", tmp_path)["difference"] < 1e-4


def test_batch_normalization_statistics_agree_after_each_epoch(tmp_path):
    assert run_worker(2, "batchnorm", tmp_path)["identical_across_processes"]


def test_dropout_draws_differ_between_processes_and_shuffles_do_not(tmp_path):
    """Regression: every process drew its Dropout masks from the shared generator, so the
    processes drew the same masks for different samples, and shards of unequal size (203
    samples: a last batch of 11 on 2 processes) moved the generators apart, so that each
    process shuffled the next epoch differently (some samples trained twice, some never)."""
    result = run_worker(2, "dropout", tmp_path)
    first, second = result["states"]
    assert first == second  # the same shuffles on both processes
    assert result["masks"][0] != result["masks"][1]  # independent masks
    # Regression: a Dropout with a seed of its own drew the same masks on every process.
    seeded = result["seeded"]
    assert seeded["masks"][0] != seeded["masks"][1]
    assert seeded["states"][0] == seeded["states"][1]


def test_losses_that_are_not_a_mean_over_the_samples_are_refused(tmp_path):
    """Regression: each process's gradient is weighted by its share of the samples, right
    only for a mean over them: with reduction="sum" fit trained on half the gradient (on 2
    processes), and with "mean_with_sample_weight" or ignore_class on a slightly wrong one,
    silently; so was the loss in History."""
    first, second = run_worker(2, "losses-not-means", tmp_path)
    assert first == second  # every process refuses alike: none is left waiting
    assert "SparseCategoricalCrossentropy(reduction='sum')" in first["sum"]
    assert "MeanSquaredError(reduction='mean_with_sample_weight')" in first["weighted"]
    assert "ignore_class=2" in first["ignore_class"]
    assert "Dice(reduction='mean', axis=None)" in first["dice"]
    assert "MeanSquaredError" not in first["dice"]  # the other output's loss splits
    assert "not a mean of per-sample losses" in first["sum"]


def test_a_frozen_layers_weights_stay_as_they_were(tmp_path):
    """Regression: every non-trainable weight was replaced by its mean over the processes
    after each epoch, and the mean of three equal float32 numbers is not always that number:
    a frozen layer's weights moved by an ulp (12 of its 96 here), where one process leaves
    them untouched."""
    assert run_worker(3, "frozen", tmp_path)["changed"] == [0, 0, 0]


def test_logs_are_those_of_the_whole_data_on_every_process(tmp_path):
    """Regression: the logs callbacks got after each batch were each process's own (its
    shards' running loss and accuracy), and a custom train_step's History each process's
    own too (so EarlyStopping on it could stop one process alone, leaving the others
    waiting)."""
    result = run_worker(3, "logs", tmp_path)
    for kind in ("builtin", "custom", "empty"):
        first, *others = result[kind]
        assert all(other == first for other in others), kind
        (reference,) = result[f"{kind}_reference"]
        for key, values in reference["history"].items():
            np.testing.assert_allclose(first["history"][key], values, rtol=1e-6, err_msg=key)
        for batch, expected in zip(first["batches"], reference["batches"], strict=True):
            assert batch.keys() == expected.keys()
            for key, value in expected.items():
                np.testing.assert_allclose(batch[key], value, rtol=1e-6, err_msg=key)
    # A log of a custom step's own that differs between processes cannot be merged.
    first, *others = result["extra"]
    assert all(other == first for other in others)
    assert "the log 'samples' differs between the processes" in first


def test_plain_loop_with_data_parallel(tmp_path):
    result = run_worker(3, "loop", tmp_path)
    assert result["identical_across_processes"]
    assert result["max_relative_difference"] < 1e-4


def test_backup_and_restore_resumes_a_distributed_run(tmp_path):
    out = tmp_path / "backup.json"
    crashed = mpiexec(2, sys.executable, str(WORKER), "backup-crash", str(out))
    assert crashed.returncode != 0 and "killed on purpose" in crashed.stderr
    assert (tmp_path / "backup.json.backup").exists()
    resumed = mpiexec(2, sys.executable, str(WORKER), "backup-resume", str(out))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["epochs_run"] == 2  # epochs 3 and 4 only
    assert result["difference"] < 1e-4  # as if never interrupted (and on one process)


def test_a_failing_process_stops_the_job(tmp_path):
    done = mpiexec(2, sys.executable, str(WORKER), "raise", str(tmp_path / "x.json"), timeout=90)
    assert done.returncode != 0
    assert "rank 1 fails on purpose" in done.stderr
    assert "stopping the other processes" in done.stderr


def test_a_stuck_process_times_out(tmp_path):
    done = mpiexec(2, sys.executable, str(WORKER), "hang", str(tmp_path / "x.json"), timeout=90)
    assert done.returncode != 0
    assert "no answer from every process after 5 s" in done.stderr


def test_deepgrad_train_under_mpiexec(tmp_path):
    deepgrad = Path(sys.executable).parent / "deepgrad"
    command = [str(deepgrad)] if deepgrad.exists() else [sys.executable, "-m", "deepgrad.cli"]
    done = mpiexec(
        2,
        *command,
        "train",
        "--data",
        "iris",
        "--epochs",
        "3",
        "--verbose",
        "0",
        "--output",
        str(tmp_path / "run"),
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("saved ") == 1  # rank 0 alone reports and writes
    assert "2 processes" in done.stdout
    assert dg.load_model(tmp_path / "run" / "model.dg").predict(np.zeros((1, 4))).shape == (1, 3)


def test_one_process_without_mpiexec():
    assert (distributed.rank(), distributed.size(), distributed.is_main()) == (0, 1, True)
    x = np.arange(6.0).reshape(3, 2)
    np.testing.assert_array_equal(distributed.allreduce(x), x)
    np.testing.assert_array_equal(distributed.allgather(x), x)
    np.testing.assert_array_equal(distributed.broadcast(x), x)
    assert [distributed.shard_bounds(10, r, 4) for r in range(4)] == [
        (0, 3),
        (3, 6),
        (6, 8),
        (8, 10),
    ]
    with pytest.raises(ValueError, match="op must be 'mean' or 'sum'"):
        distributed.allreduce(x, op="max")

"""When ``fit`` starts numba's kernels (training/kernel_start.py).

The choice runs on a fake clock here, where it is only arithmetic; in fresh processes
below, on real fits with ``DEEPGRAD_FUSED`` unset, where what matters is that a short fit
never imports numba, that a long one starts the kernels and records its steps again, that
a cold cache holds them back where a warm one would start them, and that none of it
changes a bit of the weights or of the losses logged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import deepgrad as dg
from deepgrad import kernels, native
from deepgrad.training import kernel_start
from deepgrad.training.kernel_start import RECORDING_BATCHES, TIMED_BATCHES, KernelStart

pytest.importorskip("numba")

CHOICE_BATCH = RECORDING_BATCHES - 1 + TIMED_BATCHES  # the batch after which it chooses


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Model:
    replanned = 0

    def __init__(self, optimizer=None, trainable_weights=None) -> None:
        self.optimizer = optimizer
        if trainable_weights is not None:
            self.trainable_weights = trainable_weights

    def _replan_compiled_steps(self) -> None:
        self.replanned += 1


@pytest.fixture
def clock(monkeypatch, without_c_loops):
    """A fake clock, a process that has trained nothing yet, and kernels that may wait."""
    clock = Clock()
    monkeypatch.setattr(kernel_start.time, "perf_counter", clock)
    monkeypatch.setattr(kernel_start, "_trained_waiting", 0.0)
    monkeypatch.setattr(kernel_start, "machine_pace", lambda: 1.0)  # the constants' machine
    monkeypatch.setattr(kernels, "fit_may_wait", lambda: True)
    # numba's cache warm (a test that runs no fit on numba's kernels leaves it cold)
    monkeypatch.setattr(kernel_start, "cache_is_cold", lambda: False)
    monkeypatch.setattr(kernels, "_enabled", kernels._enabled)  # restored after the test
    monkeypatch.setattr(kernels, "_numba_held", kernels._numba_held)
    # No C loops (the machine may have a compiler): an update and fused calls that numba
    # alone speeds up.
    monkeypatch.setenv("DEEPGRAD_NATIVE", "0")
    return clock


def run_batches(
    start: KernelStart, clock: Clock, count: int, seconds_each: float, first: int = 0
) -> list:
    """Batches ``first``, ``first`` + 1, ... of ``seconds_each``; whether the kernels could
    run after each."""
    enabled = []
    for batch in range(first, first + count):
        clock.now += seconds_each
        start.batch_done(batch)
        enabled.append(kernels.enabled())
    return enabled


def test_a_short_fit_runs_without_the_kernels_to_its_end(clock):
    model = Model()
    start = KernelStart(model, epochs=2, batches_per_epoch=10)  # 20 batches of 10 ms: 0.2 s
    assert start.waiting and not kernels.enabled()
    assert run_batches(start, clock, 10, 0.01) == [False] * 10
    assert not start.choosing  # chosen, at the sixth batch: nothing more to time
    start.epoch_done()
    run_batches(start, clock, 10, 0.01)
    start.finish()
    assert kernels.enabled() and model.replanned == 0
    assert kernel_start._trained_waiting == pytest.approx(0.2)


def test_a_long_fit_starts_them_after_timing_its_first_batches(clock):
    model = Model()
    start = KernelStart(model, epochs=10, batches_per_epoch=100)  # 1,000 batches of 10 ms
    enabled = run_batches(start, clock, 10, 0.01)
    assert enabled == [False] * CHOICE_BATCH + [True] * (10 - CHOICE_BATCH)
    assert model.replanned == 1  # plans made again, to take the fused calls
    start.finish()
    assert kernels.enabled()


def test_the_recording_batches_are_not_timed(clock):
    """Two slow recording batches (0.3 s each), then fast ones (1 ms): ahead are 94 batches
    at the fast pace, 0.094 s, and with the 0.604 s trained the fit stays short. Timed from
    its start, the pace would be 0.1 s a batch, and 9.4 s ahead would start the kernels."""
    start = KernelStart(Model(), epochs=1, batches_per_epoch=100)
    assert run_batches(start, clock, RECORDING_BATCHES, 0.3) == [False] * RECORDING_BATCHES
    timed = run_batches(start, clock, TIMED_BATCHES, 0.001, first=RECORDING_BATCHES)
    assert timed == [False] * TIMED_BATCHES
    assert not start.choosing and not kernels.enabled()
    start.finish()


def test_a_fit_of_unknown_length_chooses_at_the_end_of_its_first_epoch(clock):
    start = KernelStart(Model(), epochs=5, batches_per_epoch=None)  # a generator
    assert run_batches(start, clock, 10, 0.1) == [False] * 10  # one epoch: 1 s
    start.epoch_done()  # 4 epochs ahead at 1 s: starts
    assert kernels.enabled()
    start.finish()


def test_short_fits_in_a_loop_start_them_once_they_have_trained_long_enough(clock):
    """A loop of one-epoch fits (as in a course's lab) is a long run in short pieces: the
    process counts what its fits trained without the kernels."""
    started_at = None
    for fit_number in range(100):
        start = KernelStart(Model(), epochs=1, batches_per_epoch=10)
        if not start.waiting:
            started_at = fit_number
            break
        run_batches(start, clock, 10, 0.01)  # 0.1 s per fit
        start.epoch_done()
        start.finish()
    assert started_at == pytest.approx(kernel_start.EARNS_WITH_PLAN_KERNELS / 0.1, abs=1)


@pytest.mark.parametrize(
    ("optimizer", "starts"),
    [
        (dg.optimizers.Adam(), True),  # its update runs a kernel: 1.5 s ahead earn it
        (dg.optimizers.SGD(momentum=0.9), True),
        (dg.optimizers.SGD(), False),  # only the plan's fused calls gain: 4 s
        (dg.optimizers.RMSprop(), False),
    ],
)
def test_an_optimizer_whose_update_runs_a_kernel_starts_them_sooner(clock, optimizer, starts):
    start = KernelStart(Model(optimizer), epochs=1, batches_per_epoch=400)  # 2 s ahead
    assert run_batches(start, clock, 10, 0.005)[-1] is starts
    start.finish()


@pytest.mark.skipif(not native.available(), reason="no C compiler here")
@pytest.mark.parametrize("optimizer", [dg.optimizers.Adam(), dg.optimizers.SGD(momentum=0.9)])
def test_an_update_that_runs_a_c_loop_waits_as_long_as_any_other(clock, monkeypatch, optimizer):
    """With a C compiler the update runs its C loop from the first step, so numba's kernels
    gain only the plan's fused calls: 2 s ahead do not earn them, 4 s do. A net too small
    for the C loop (under c_kernels.MIN_SIZE weights) still gains numba's update kernel:
    2 s ahead earn it, as without a compiler."""
    import numpy as np

    from deepgrad.optimizers import c_kernels

    monkeypatch.setenv("DEEPGRAD_NATIVE", "1")
    monkeypatch.setattr(native, "python_headers", lambda: None)  # the loop through ctypes
    large = [np.zeros(c_kernels.MIN_SIZE), np.zeros(10)]
    small = [np.zeros(c_kernels.MIN_SIZE - 20), np.zeros(10)]
    for weights, batches, starts in ((large, 400, False), (large, 900, True), (small, 400, True)):
        start = KernelStart(Model(optimizer, weights), epochs=1, batches_per_epoch=batches)
        assert run_batches(start, clock, 10, 0.005)[-1] is starts
        start.finish()


@pytest.mark.skipif(not native.available(), reason="no C compiler here")
def test_a_model_built_at_its_first_batch_has_its_weights_counted_at_the_choice(clock, monkeypatch):
    """A Sequential without an input shape has no weights when fit begins: counted then, a
    net large enough for the update's C loop looked too small, and Adam started numba's
    kernels at 1.5 s ahead where only the plan's fused calls gain (4 s)."""
    import numpy as np

    from deepgrad.optimizers import c_kernels

    monkeypatch.setenv("DEEPGRAD_NATIVE", "1")
    monkeypatch.setattr(native, "python_headers", lambda: None)  # the loop through ctypes
    model = Model(dg.optimizers.Adam(), trainable_weights=[])
    start = KernelStart(model, epochs=1, batches_per_epoch=400)  # 2 s ahead
    model.trainable_weights = [np.zeros(c_kernels.MIN_SIZE)]  # built at the first batch
    assert run_batches(start, clock, 10, 0.005)[-1] is False
    start.finish()


@pytest.mark.skipif(
    not native.available() or native.python_headers() is None,
    reason="no C compiler or no Python headers here",
)
@pytest.mark.parametrize("optimizer", [dg.optimizers.Adam(), dg.optimizers.SGD()])
def test_numba_never_starts_where_c_loops_run_the_update_and_the_plan(
    clock, monkeypatch, optimizer
):
    """With the plan's fused calls and the update both on C loops, numba gains nothing: a
    fit of any length leaves it held back, whatever the net's size (the update's loop, an
    extension module, runs at any size)."""
    import numpy as np

    from deepgrad import native_loops
    from deepgrad.optimizers import c_kernels

    monkeypatch.setenv("DEEPGRAD_NATIVE", "1")
    monkeypatch.setattr(native_loops.LOOPS, "tried", False)
    monkeypatch.setattr(native_loops.LOOPS, "build", None)
    assert native_loops.module() is not None
    assert c_kernels.min_size() == 1
    for weights in ([np.zeros(c_kernels.MIN_SIZE), np.zeros(10)], [np.zeros(100)]):
        start = KernelStart(Model(optimizer, weights), epochs=1, batches_per_epoch=10**7)
        assert run_batches(start, clock, 10, 0.005)[-1] is False
        start.finish()


@pytest.mark.parametrize(("pace", "starts"), [(1.0, False), (0.5, True)])
def test_the_seconds_that_earn_the_start_up_scale_with_the_machines_pace(
    clock, monkeypatch, pace, starts
):
    """A machine twice as fast starts the kernels and runs its fit's batches both in half
    the time: a fit with Adam 1 s ahead earns them there, not on the constants' machine."""
    monkeypatch.setattr(kernel_start, "machine_pace", lambda: pace)
    start = KernelStart(Model(dg.optimizers.Adam()), epochs=1, batches_per_epoch=207)
    assert run_batches(start, clock, CHOICE_BATCH + 1, 0.005)[-1] is starts  # 1 s ahead
    start.finish()


@pytest.mark.parametrize(
    ("seconds", "pace"),
    [(11e-6, 0.5), (1e-9, kernel_start.PACE_BOUNDS[0]), (1e-3, kernel_start.PACE_BOUNDS[1])],
)
def test_the_machines_pace_is_measured_once_and_kept_within_its_bounds(monkeypatch, seconds, pace):
    monkeypatch.setattr(kernel_start, "_pace", None)
    calls = iter(range(100))  # each run of the probe takes ``seconds``
    monkeypatch.setattr(kernel_start.time, "perf_counter", lambda: next(calls) * seconds)
    assert kernel_start.machine_pace() == pytest.approx(pace)
    monkeypatch.setattr(kernel_start.time, "perf_counter", lambda: 1 / 0)  # not measured again
    assert kernel_start.machine_pace() == pytest.approx(pace)


def test_nothing_waits_when_fit_may_not(monkeypatch):
    monkeypatch.setattr(kernels, "fit_may_wait", lambda: False)
    start = KernelStart(Model(), epochs=100, batches_per_epoch=100)
    assert not start.waiting and not start.choosing
    assert start.batch_done(CHOICE_BATCH) is False


def test_a_mistyped_setting_is_refused(monkeypatch):
    monkeypatch.setattr(kernels, "_setting", "yes")
    with pytest.raises(ValueError, match=r"DEEPGRAD_FUSED='yes'.*expected auto"):
        kernels.fit_may_wait()


def test_a_fit_that_fails_lets_the_kernels_run_again(clock):
    import numpy as np

    class Fail(dg.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            assert not dg.kernels.enabled()  # held back while the fit runs
            raise KeyboardInterrupt

    model = dg.Sequential([dg.layers.Dense(2)])
    model.compile("sgd", "mse")
    with pytest.raises(KeyboardInterrupt):
        model.fit(np.ones((4, 3), np.float32), np.ones((4, 2)), epochs=1, callbacks=[Fail()])
    assert dg.kernels.enabled()


# ---- real fits, in fresh processes with DEEPGRAD_FUSED unset ----------------------------

# Two nets: Adam on a small one; plain SGD on one whose products are large enough for the
# update to run inside them (compiler/descent.py), where a recording's update rounds
# otherwise than a replay's, so that recording again when the kernels start would change
# the bits. argv: the threshold, "disabled" or not, the net, the cold cache's factor.
FIT = r"""
import contextlib, json, sys
import numpy as np
import deepgrad as dg
from deepgrad import layers
from deepgrad.training import kernel_start

threshold, inside, net, cold_factor = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
kernel_start.EARNS_WITH_UPDATE_KERNEL = kernel_start.EARNS_WITH_PLAN_KERNELS = threshold
kernel_start.COLD_CACHE_FACTOR = float(cold_factor)
dg.random.seed(0)
rng = np.random.default_rng(0)
if net == "adam":
    model = dg.Sequential([layers.Dense(128, activation="relu"), layers.Dense(3)])
    x, batch = rng.standard_normal((96, 60)).astype(np.float32), 32
else:
    model = dg.Sequential([layers.Dense(256, activation="relu"), layers.Dense(3)])
    x, batch = rng.standard_normal((384, 784)).astype(np.float32), 128
model.compile(net, "sparse_categorical_crossentropy", jit=True)
y = rng.integers(0, 3, len(x))
seen = []

class Watch(dg.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        seen.append(dg.kernels.enabled())

context = dg.kernels.disabled() if inside == "disabled" else contextlib.nullcontext()
with context:
    history = model.fit(x, y, batch_size=batch, epochs=3, verbose=0, callbacks=[Watch()])
train = model._compiled_steps["train"]
plans = [plan.source for plan, *_ in train._plans.values()]
evaluation = model.evaluate(x, y, verbose=0)  # neither starts the kernels
prediction = model.predict(x, verbose=0).tolist()
print(json.dumps({
    "numba imported": "numba" in sys.modules,
    "in products": train.descent is not None,
    "fused": all("bias_relu" in source for source in plans),
    "evaluation": evaluation,
    "prediction": prediction,
    "kernels in each epoch": seen,
    "losses": history.history["loss"],
    "weights": [w.tolist() for w in model.get_weights()],
}))
"""


def _fit(
    net: str,
    threshold: float,
    setting: str | None,
    tmp_path,
    inside: str = "",
    cold_factor: float = kernel_start.COLD_CACHE_FACTOR,
    native_setting: str = "0",
    deepgrad_cache: str | None = None,
) -> dict:
    # DEEPGRAD_NATIVE=0: numba runs the fused calls and the update, as where no C compiler
    # is found (with C loops numba never starts: test_a_fit_with_c_loops_never_imports_numba)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "DEEPGRAD_NATIVE": native_setting}
    env.pop("DEEPGRAD_FUSED", None)
    if deepgrad_cache is not None:
        env["DEEPGRAD_CACHE_DIR"] = deepgrad_cache
    if setting is not None:
        env["DEEPGRAD_FUSED"] = setting
    done = subprocess.run(
        [sys.executable, "-c", FIT, str(threshold), inside or "as it is", net, str(cold_factor)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("net", ["adam", "sgd"])
def test_fits_short_and_long_train_to_the_same_bits_with_or_without_the_kernels(net, tmp_path):
    """Without the kernels (DEEPGRAD_FUSED=0, inside kernels.disabled(), or a fit too short
    to start them) numba is never imported, by the fit nor by the evaluate and predict
    after it; a long fit starts them after its first epoch (three batches an epoch, so it
    chooses at the end of the first) and its plans take the fused calls. The losses,
    weights, evaluation and predictions are the same bits in every case."""
    always = _fit(net, 2.0, "1", tmp_path)
    never = _fit(net, 2.0, "0", tmp_path)
    short = _fit(net, 1e6, None, tmp_path)  # never earns the start-up
    long = _fit(net, 1e-9, None, tmp_path)  # earns it at the first choice
    disabled = _fit(net, 1e-9, None, tmp_path, inside="disabled")  # kernels.disabled() wins
    assert always["in products"] is (net == "sgd")
    assert always["numba imported"] and always["kernels in each epoch"] == [True] * 3
    assert not never["numba imported"] and never["kernels in each epoch"] == [False] * 3
    assert not short["numba imported"] and short["kernels in each epoch"] == [False] * 3
    # three batches an epoch: chosen at the end of the first, then started for the next
    assert long["numba imported"] and long["kernels in each epoch"] == [False, True, True]
    assert not disabled["numba imported"] and disabled["kernels in each epoch"] == [False] * 3
    assert always["fused"] and long["fused"] and not short["fused"]
    for run in (never, short, long, disabled):
        for result in ("losses", "weights", "evaluation", "prediction"):
            assert run[result] == always[result], result


@pytest.mark.skipif(
    not native.available() or native.python_headers() is None,
    reason="no C compiler or no Python headers here",
)
@pytest.mark.parametrize("net", ["adam", "sgd"])
def test_a_fit_with_c_loops_never_imports_numba(net, tmp_path):
    """Where the plan's fused calls and the update run as C loops, a fit long enough to
    start numba's kernels without them never imports numba, its plans have the fused calls
    from the first epoch, and every number is the same bits as numba's and NumPy's, the
    fit that builds the C modules in the background on the way included."""
    # a new cache folder: the C modules built in the background while the fit goes on
    cold = _fit(net, 1e-9, None, tmp_path, native_setting="1", deepgrad_cache=str(tmp_path))
    with_c = _fit(net, 1e-9, None, tmp_path, native_setting="1", deepgrad_cache=str(tmp_path))
    numba = _fit(net, 1e-9, None, tmp_path)  # DEEPGRAD_NATIVE=0: numba starts
    never = _fit(net, 2.0, "0", tmp_path, native_setting="1")  # no kernel at all
    assert not cold["numba imported"] and cold["fused"]
    assert not with_c["numba imported"] and with_c["fused"]
    assert numba["numba imported"] and numba["fused"]
    assert any(
        p.name.startswith("deepgrad_native_loops-") for p in (tmp_path / "kernels").iterdir()
    )
    for result in ("losses", "weights", "evaluation", "prediction"):
        assert cold[result] == with_c[result] == numba[result] == never[result], result


def test_a_cold_cache_holds_back_the_kernels_a_warm_one_would_start(tmp_path):
    """A fit long enough to earn the kernels' start-up from a warm cache, but not from a
    cold one (the factor is made endless here), asks the cache: a new NUMBA_CACHE_DIR holds
    nothing, which is told without importing numba, and the fit runs to its end on the
    NumPy rules; once a fit has compiled the kernels there, the same fit starts them. Same
    bits throughout."""
    cold = _fit("adam", 1e-9, None, tmp_path, cold_factor=1e12)
    always = _fit("adam", 1e-9, "1", tmp_path)  # compiles them into tmp_path
    warm = _fit("adam", 1e-9, None, tmp_path, cold_factor=1e12)
    assert not cold["numba imported"]  # no index file where numba would keep it
    assert cold["kernels in each epoch"] == [False] * 3 and not cold["fused"]
    assert warm["kernels in each epoch"] == [False, True, True] and warm["fused"]
    for result in ("losses", "weights", "evaluation", "prediction"):
        assert cold[result] == always[result] == warm[result], result


def test_only_a_fit_between_the_warm_and_the_cold_threshold_asks_the_cache(clock, monkeypatch):
    """Below the warm cache's threshold nothing is asked (numba stays unimported); from the
    cold one on, the kernels start without asking; in between, the cache decides."""
    asked = []

    def cold() -> bool:
        asked.append(True)
        return True

    monkeypatch.setattr(kernel_start, "cache_is_cold", cold)
    factor = kernel_start.COLD_CACHE_FACTOR
    earns = kernel_start.EARNS_WITH_PLAN_KERNELS
    pace = 0.001  # a batch's seconds: the batches ahead set the seconds ahead
    for seconds_ahead, starts, asks in [
        (0.5 * earns, False, False),
        (2.0 * earns, False, True),  # would start from a warm cache: asked, and cold
        (2.0 * factor * earns, True, False),
    ]:
        asked.clear()
        batches = round(seconds_ahead / pace) + CHOICE_BATCH + 1
        start = KernelStart(Model(), epochs=1, batches_per_epoch=batches)
        assert run_batches(start, clock, CHOICE_BATCH + 1, pace)[-1] is starts
        assert bool(asked) is asks
        start.finish()
        monkeypatch.setattr(kernel_start, "_trained_waiting", 0.0)

    monkeypatch.setattr(kernel_start, "cache_is_cold", lambda: False)  # a warm cache
    start = KernelStart(Model(), epochs=1, batches_per_epoch=round(2 * earns / pace) + 10)
    assert run_batches(start, clock, CHOICE_BATCH + 1, pace)[-1] is True
    start.finish()


def test_a_kernel_in_a_file_is_cached_once_compiled_and_not_before(tmp_path):
    """``kernels.cached`` reads numba's own index: nothing in a new NUMBA_CACHE_DIR, the
    column sums' kernel once a process has run it there; and asking is not starting."""
    script = (
        "import sys, numpy as np\n"
        "from deepgrad import kernels\n"
        "from deepgrad.compiler.column_sums import add_rows, column_sum\n"
        "before = kernels.cached(add_rows)\n"
        "may_wait = kernels.fit_may_wait()\n"
        "if sys.argv[1] == 'run':\n"
        "    column_sum(np.ones((3, 4), np.float32))\n"
        "print(before, may_wait, kernels.fit_may_wait())\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "DEEPGRAD_NATIVE": "0"}
    env.pop("DEEPGRAD_FUSED", None)

    def run(argument: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, argument], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert run("ask") == ["False", "True", "True"]  # numba imported, no kernel started
    assert run("run") == ["False", "True", "False"]  # compiled into tmp_path, started
    assert run("ask") == ["True", "True", "True"]


def test_evaluate_and_predict_do_not_start_the_kernels(monkeypatch):
    """In a process where numba is not imported (faked here), evaluate and predict run the
    NumPy rules, and leave the kernels as they found them."""
    import numpy as np

    monkeypatch.setattr(kernels, "fit_may_wait", lambda: True)
    seen = []

    class Watch(dg.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append(("evaluate", kernels.enabled()))

        def on_predict_batch_end(self, batch, logs=None):
            seen.append(("predict", kernels.enabled()))

    model = dg.Sequential([dg.layers.Dense(2)])
    model.compile("sgd", "mse")
    x, y = np.ones((4, 3), np.float32), np.ones((4, 2), np.float32)
    model.evaluate(x, y, batch_size=2, verbose=0, callbacks=[Watch()])
    model.predict(x, batch_size=2, callbacks=[Watch()])
    assert seen == [("evaluate", False)] * 2 + [("predict", False)] * 2
    assert kernels.enabled()


@pytest.mark.parametrize(
    "chosen_folder", [False, True], ids=["beside the source", "NUMBA_CACHE_DIR"]
)
def test_an_empty_cache_is_told_without_importing_numba(tmp_path, chosen_folder):
    """``kernels.surely_uncached`` looks for numba's index file where numba keeps it: before
    numba has compiled a function in a file, it says so and numba stays unimported; once
    numba has, it defers to numba's own index, which then holds the function."""
    source_folder = tmp_path / "source"
    source_folder.mkdir()
    (source_folder / "kernel_module.py").write_text("def twice(values):\n    return 2 * values\n")
    script = (
        "import sys\n"
        f"sys.path.insert(0, {str(source_folder)!r})\n"
        "from kernel_module import twice\n"
        "from deepgrad import kernels\n"
        "surely = kernels.surely_uncached(twice)\n"
        "imported = 'numba' in sys.modules\n"
        "if sys.argv[1] == 'compile':\n"
        "    import numba, numpy as np\n"
        "    numba.njit(cache=True)(twice)(np.ones(3))\n"
        "print(surely, imported, kernels.cached(twice))\n"
    )
    env = {**os.environ}
    env.pop("NUMBA_CACHE_DIR", None)
    if chosen_folder:
        env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba cache")

    def run(argument: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script, argument],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert run("ask") == ["True", "False", "False"]
    assert run("compile") == ["True", "False", "True"]
    assert run("ask") == ["False", "False", "True"]  # the index is there: numba decides
    in_tree = list((source_folder / "__pycache__").glob("*.nbi"))
    assert bool(in_tree) is not chosen_folder


def test_a_cache_numba_may_keep_elsewhere_is_left_to_numba(tmp_path, monkeypatch):
    """Where numba may look elsewhere than the two folders known here (a settings file in
    the working directory, a folder that cannot be made), nothing is concluded."""

    def twice(values):
        return 2 * values

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert kernels._index_path(twice) is not None  # this test file's own __pycache__
    (tmp_path / ".numba_config.yaml").write_text("CACHE_DIR: elsewhere\n")
    assert kernels._index_path(twice) is None
    assert not kernels.surely_uncached(twice)
    (tmp_path / ".numba_config.yaml").unlink()
    blocked = tmp_path / "a file"
    blocked.write_text("")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(blocked / "cache"))  # a file in the way
    assert kernels._index_path(twice) is None
    assert not kernels.surely_uncached(twice)

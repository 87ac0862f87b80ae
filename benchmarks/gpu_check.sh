#!/usr/bin/env bash
# The GPU checks of deepgrad in one go, for a person with an NVIDIA GPU and a few minutes:
# install deepgrad from this working tree into the machine's Python (its CuPy, PyTorch and
# JAX built for CUDA stay as they are), run the GPU tests, then the GPU benchmark; every
# log goes to a file under $LOGS (default: gpu_logs/ beside this checkout's root).
#
#     bash benchmarks/gpu_check.sh                 # tests, then the benchmark (about 10 min)
#     QUICK=1 bash benchmarks/gpu_check.sh         # tests, then a short benchmark
#     LOGS=/tmp/out bash benchmarks/gpu_check.sh
#
# It stops at the first step that cannot run (no CuPy, no GPU) and says which; a failing
# test does not stop the benchmark. The exit status is that of the tests.
set -u
cd "$(dirname "$0")/.."
LOGS="${LOGS:-gpu_logs}"
mkdir -p "$LOGS"
PYTHON="${PYTHON:-python}"

step() { echo "== $1 ($(date -u +%H:%M:%S)), log: $LOGS/$2"; }

step "environment" environment.log
{
    date -u
    nvidia-smi || echo "nvidia-smi: not found"
    "$PYTHON" - <<'EOF'
import importlib, platform, sys
print("python", sys.version.split()[0], platform.machine())
for name in ("numpy", "cupy", "torch", "jax"):
    try:
        module = importlib.import_module(name)
        print(name, getattr(module, "__version__", "?"))
    except Exception as error:
        print(name, "not importable:", error)
try:
    import cupy
    print("CUDA devices:", cupy.cuda.runtime.getDeviceCount())
    print("device 0:", cupy.cuda.runtime.getDeviceProperties(0)["name"])
except Exception as error:
    print("CuPy sees no GPU:", error)
EOF
} >"$LOGS/environment.log" 2>&1
cat "$LOGS/environment.log"

step "install deepgrad from the working tree" install.log
if ! "$PYTHON" -m pip install -e . --no-deps >"$LOGS/install.log" 2>&1; then
    echo "pip install -e . --no-deps failed: see $LOGS/install.log"
    exit 2
fi
"$PYTHON" -m pip install --quiet "hypothesis>=6" pytest >>"$LOGS/install.log" 2>&1 || true

step "is there a GPU for deepgrad?" device.log
if ! "$PYTHON" -c "import deepgrad as dg; print(dg.set_device('gpu'))" >"$LOGS/device.log" 2>&1; then
    cat "$LOGS/device.log"
    echo "deepgrad cannot use a GPU here: nothing else to run"
    exit 3
fi
cat "$LOGS/device.log"

step "GPU tests" tests.log
"$PYTHON" -m pytest -p no:xdist -p no:cacheprovider -q -rs --no-header \
    -o addopts="" tests/gpu tests/test_device.py tests/backend >"$LOGS/tests.log" 2>&1
tests_status=$?
tail -n 15 "$LOGS/tests.log"

step "GPU benchmark" benchmark.log
if [ "${QUICK:-0}" = "1" ]; then
    options=(--configs tiny,medium,large-gpu --optimizers sgd --rounds 1 --steps 10)
else
    options=(--rounds 2)
fi
"$PYTHON" benchmarks/suite.py --device gpu "${options[@]}" --out "$LOGS" \
    >"$LOGS/benchmark.log" 2>&1
echo "benchmark exit status $?"
tail -n 30 "$LOGS/benchmark.log"

echo "== done ($(date -u +%H:%M:%S)): logs in $LOGS/ (suite_gpu.md, suite_gpu.json, *.log)"
exit "$tests_status"

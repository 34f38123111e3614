#!/usr/bin/env bash
# Creates the peers' virtual environment (PyTorch CPU, ONNX Runtime) once; later runs only
# check it. Usage: bash Benchmarks/peers/setup.sh   (venv: $CREMA_PEERS_VENV or /tmp/crema-peers-venv)
#
# torch is pinned to the CPU build, 2.13.0+cpu: this machine's pip finds that wheel in its local
# wheel folder (pip's find-links, /opt/wheels here), and the +cpu build depends on no CUDA
# packages. The plain `torch` from the index would pull gigabytes of nvidia-* wheels.
set -euo pipefail

VENV="${CREMA_PEERS_VENV:-/tmp/crema-peers-venv}"
PYTHON="${PYTHON:-python3}"
TORCH="torch==2.13.0+cpu"

if [ ! -x "$VENV/bin/python" ]; then
    echo "Creating the virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"

# Installs a requirement only when the module is missing (or, for torch, not the pinned CPU build).
need() {
    local module="$1" check="$2"
    ! "$PY" -c "import $module; $check" >/dev/null 2>&1
}

if need torch "import sys; sys.exit(0 if torch.__version__ == '2.13.0+cpu' else 1)"; then
    echo "Installing $TORCH"
    # --extra-index-url is not needed: find-links supplies the +cpu wheel. Refuse CUDA wheels.
    "$PY" -m pip install --quiet "$TORCH"
fi
if "$PY" -m pip list 2>/dev/null | grep -qi '^nvidia-'; then
    echo "error: CUDA packages (nvidia-*) were installed into $VENV; remove the venv and check that pip finds $TORCH" >&2
    exit 1
fi
for module in onnxruntime onnx numpy; do
    if need "$module" "pass"; then
        echo "Installing $module"
        "$PY" -m pip install --quiet "$module"
    fi
done
# torch.onnx.export's newer exporter needs onnxscript; the scripts use the classic one
# (dynamo=False), which does not.
"$PY" - <<'PY'
import torch, onnxruntime, onnx, numpy
print(f"peers ready: torch {torch.__version__}, onnxruntime {onnxruntime.__version__}, "
      f"onnx {onnx.__version__}, numpy {numpy.__version__}")
PY
echo "venv: $VENV"

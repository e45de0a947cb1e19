#!/usr/bin/env bash
# The GPU checks of the generator path, in one go (a machine with CUDA and PyTorch; the
# package from src/ needs no install): the CUDA-only tests, then bench/gan_speed.py on the
# GPU (textbook loop vs the project's path, float32 eager / CUDA graph / bf16, loss-curve
# agreement, and 4 per-class generators as 4 jobs side by side vs one job).
#
#     bash bench/gpu_check.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/out}
mkdir -p "$out"
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
python3 -m pytest -q -p no:cacheprovider tests/test_generators.py -k "iteration or tiny_run or same_seed" 2>&1 | tail -n 15
python3 bench/gan_speed.py --device cuda --iters "${ITERS:-1000}" --iters-per-epoch 20 \
    --variant default --variants eager,eager_bf16,graph_bf16 --compare-units 4 \
    --json "$out/gan_speed_cuda.json"

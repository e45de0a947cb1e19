#!/usr/bin/env bash
# Run by Snakemake right after it creates this env (`--sdm conda`): install the imbench
# package itself, which the rules' scripts import. Editable, from the workflow's own checkout
# (IMBENCH_SOURCE, exported by rules/common.smk), so the env follows the checkout; --no-deps
# because the env file already pins every dependency.
set -euo pipefail
: "${IMBENCH_SOURCE:?unset: create this env through the imbench Snakefile (snakemake --sdm conda)}"
python -m pip install --quiet --no-deps --editable "$IMBENCH_SOURCE"
# torch-fidelity for its Inception-v3 (imbench.inception) alone: its declared torchvision is
# not needed and would not work beside a CPU-only torch
python -m pip install --quiet --no-deps torch-fidelity==0.4.0

# The two set-up commands of the README: `make run` and `make test`.
# Each creates .venv/ (pip, pinned versions) when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 2

.PHONY: run test lint format bench reference clean-results

$(BIN)/snakemake: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[workflow,gan,nn,dev]"
	# torch-fidelity's Inception-v3 only (imbench.inception): without its declared
	# torchvision, which would not work beside the CPU torch
	$(BIN)/pip install --quiet --no-deps -c constraints.txt torch-fidelity==0.4.0
	@touch $@

## run: the main job, the default config on scikit-learn's embedded digits (no download)
run: $(BIN)/snakemake
	$(BIN)/snakemake --cores $(CORES)

## test: lint, format check and the test-suite (what .ci/run calls)
test: $(BIN)/snakemake
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint
	$(BIN)/python -m pytest -q
	# the Keras classifier tests again on the torch backend (what a PyTorch-only GPU
	# machine runs); eGAN's tests are TensorFlow-only and skip, saying so
	KERAS_BACKEND=torch $(BIN)/python -m pytest -q -m neural -p no:cacheprovider

lint: $(BIN)/snakemake
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile rules
	$(BIN)/snakemake --lint

format: $(BIN)/snakemake
	$(BIN)/ruff format src tests scripts bench
	$(BIN)/snakefmt Snakefile rules

## reference: docs/reference.md from the code's declarations (a test fails when it is stale)
reference: $(BIN)/snakemake
	$(BIN)/python -m imbench.reference > docs/reference.md

bench: $(BIN)/snakemake
	$(BIN)/python bench/dag_scale.py

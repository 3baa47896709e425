# Two commands do all set-up on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Pinned so pip takes the local CPU wheel; an unpinned torch pulls gigabytes of CUDA packages.
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: venv report test test-fast lint bench bench-heldout bench-ablation clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_PIN)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

report: $(STAMP)
	$(VENV)/bin/interpret-distill run --default --out reports

# the whole suite: unit tests, end-to-end runs, notebooks and (when Chromium is installed) the browser checks
test: $(STAMP)
	$(PY) -m pytest -q

# unit tests only, no whole experiment run, notebook or browser: a minute or two, for the edit-test loop
test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow and not browser and not notebook"

lint: $(STAMP)
	$(PY) -m ruff check interpret_distill tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/run_bench.py

# the bench settings on seeds that took no part in choosing them (HELDOUT_SEEDS in run_bench.py)
bench-heldout: $(STAMP)
	$(PY) benchmarks/run_bench.py --heldout --out benchmarks/heldout

# digits with every fitting regime, hard+transfer included: what the transfer rows add without soft labels
bench-ablation: $(STAMP)
	$(PY) benchmarks/run_bench.py --datasets digits --regimes ground_truth hard hard+transfer soft soft+transfer --out benchmarks/ablation

clean:
	rm -rf reports/*/ reports/index.html .cache

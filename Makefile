# Two commands do all set-up on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Pinned so pip takes the local CPU wheel; an unpinned torch pulls gigabytes of CUDA packages.
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: venv report test test-fast test-floor lint bench bench-heldout bench-ablation bench-compression bench-students bench-images bench-scale bench-defaults clean

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

# the unit tests against the lowest scikit-learn pyproject.toml allows, installed beside the venv's packages
SKLEARN_FLOOR := $(shell sed -n 's/.*"scikit-learn>=\([0-9.]*\)".*/\1/p' pyproject.toml)
test-floor: $(STAMP)
	$(PY) -m pip install -q --no-deps --target .cache/floor "scikit-learn==$(SKLEARN_FLOOR).*"
	PYTHONPATH=.cache/floor $(PY) -c "import sklearn; print('scikit-learn', sklearn.__version__)"
	PYTHONPATH=.cache/floor $(PY) -m pytest -q -m "not slow and not browser and not notebook" tests/surrogates tests/test_sweep.py tests/test_selection.py tests/test_config.py

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

# digits, seeds 0-2: distilled students beside the pruned and the int8-quantized teacher (benchmarks/compression/)
bench-compression: $(STAMP)
	$(PY) benchmarks/bench_compression.py

# digits, seeds 0-2: each scheme's student (KD MLP, soft decision trees of depths 4/6/8, born-again generations 1-2)
# beside its scratch twin, and the tree surrogate of each soft tree's depth (benchmarks/students/)
bench-students: $(STAMP)
	$(PY) benchmarks/bench_students.py

# the default pipeline on generated tables (10k, 100k, 1M rows) and 28x28 images (5k, 20k, 70k): long
bench-scale: $(STAMP)
	$(PY) benchmarks/bench_scale.py

# 28x28 synthetic digits with a ResNet teacher, small, one seed: pixel- vs patch-level surrogates and the attribution
# stage's time with patches vs pixels (benchmarks/images/results.md, a few minutes on two cores)
bench-images: $(STAMP)
	$(PY) benchmarks/bench_images.py

# default settings on data nobody tuned for (20k-row table, 5k images, 3 seeds): the default student candidates against
# the scratch twin, the distilled surrogates against their hard-label fits (benchmarks/defaults/results.md)
bench-defaults: $(STAMP)
	$(PY) benchmarks/bench_defaults.py

clean:
	rm -rf reports/*/ reports/index.html .cache

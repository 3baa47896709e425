# Two commands do all set-up on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Pinned so pip takes the local CPU wheel; an unpinned torch pulls gigabytes of CUDA packages.
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: venv report test bench bench-heldout bench-ablation bench-images clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q "$(TORCH_PIN)"
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

report: $(STAMP)
	$(VENV)/bin/interpret-distill run --default --out reports

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/run_bench.py

# the bench settings on seeds that took no part in choosing them (HELDOUT_SEEDS in run_bench.py)
bench-heldout: $(STAMP)
	$(PY) benchmarks/run_bench.py --heldout --out benchmarks/heldout

# digits with every fitting regime, hard+transfer included: what the transfer rows add without soft labels
bench-ablation: $(STAMP)
	$(PY) benchmarks/run_bench.py --datasets digits --regimes ground_truth hard hard+transfer soft soft+transfer --out benchmarks/ablation

# 28x28 synthetic digits with a ResNet teacher, small, one seed: pixel- vs patch-level surrogates and the attribution
# stage's time with patches vs pixels (benchmarks/images/results.md, a few minutes on two cores)
bench-images: $(STAMP)
	$(PY) benchmarks/bench_images.py

clean:
	rm -rf reports/*/ reports/index.html .cache

# Two commands do all set-up on a fresh machine: `make report` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Pinned so pip takes the local CPU wheel; an unpinned torch pulls gigabytes of CUDA packages.
TORCH_PIN ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: venv report test bench bench-heldout bench-ablation bench-compression clean

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

# the bench settings on seeds that took no part in choosing them
bench-heldout: $(STAMP)
	$(PY) benchmarks/run_bench.py --seeds 3 4 5 --out benchmarks/heldout

# digits with every fitting regime, hard+transfer included: what the transfer rows add without soft labels
bench-ablation: $(STAMP)
	$(PY) benchmarks/run_bench.py --datasets digits --regimes ground_truth hard hard+transfer soft soft+transfer --out benchmarks/ablation

# digits, seeds 0-2: distilled students beside the pruned and the int8-quantized teacher (benchmarks/compression/)
bench-compression: $(STAMP)
	$(PY) benchmarks/bench_compression.py

clean:
	rm -rf reports/*/ reports/index.html .cache

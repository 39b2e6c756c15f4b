# Quick start: `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

# torch and lightning come in the same pip call so the pinned CPU torch is the one chosen.
$(STAMP): pyproject.toml constraints/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints/dev.txt -e '.[dev,train]'
	touch $(STAMP)

demo: $(STAMP)
	cd examples && ../$(PY) quickstart.py print_config
	cd examples && ../$(PY) quickstart.py with hidden=64 -F ../runs -c "make demo"
	@echo "The run is recorded in runs/<id>/: run.json (status, times, result) and config.json."
	@echo "Try: cd examples && ../$(PY) quickstart.py --help"

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/cli_latency.py

clean:
	rm -rf $(VENV) runs

# Quick start: `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MLFLOW_VENV := .venv-mlflow
MLFLOW_STAMP := $(MLFLOW_VENV)/.installed

.PHONY: demo test bench clean postgresql

# torch and lightning come in the same pip call so the pinned CPU torch is the one chosen.
$(STAMP): pyproject.toml constraints/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints/dev.txt -e '.[dev,train]'
	touch $(STAMP)

# The MLflow server the tests start: the full mlflow package (~850 MB, with its own pandas and
# numpy pins) in an environment of its own, so the project's keeps only the client.
$(MLFLOW_STAMP): constraints/dev.txt
	$(PYTHON) -m venv $(MLFLOW_VENV)
	$(MLFLOW_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MLFLOW_VENV)/bin/python -m pip install --quiet -c constraints/dev.txt mlflow
	touch $(MLFLOW_STAMP)

demo: $(STAMP)
	cd examples && ../$(PY) quickstart.py print_config
	cd examples && ../$(PY) quickstart.py with hidden=64 -F ../runs -c "make demo"
	@echo "The run is recorded in runs/<id>/: run.json (status, times, code, host, result), config.json,"
	@echo "cout.txt (what it printed), metrics.json and info.json; see docs/runs.md."
	@echo "Try: cd examples && ../$(PY) quickstart.py --help"
	cd examples && BA3L_STORAGE_ROOT=../storage ../$(PY) digits.py

# The SQL tests start a private server from Debian's PostgreSQL package.
postgresql:
	bash tools/ensure-postgresql.sh

test: $(STAMP) $(MLFLOW_STAMP) postgresql
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/cli_latency.py
	$(PY) bench/resolve_scaling.py
	$(PY) bench/metrics_logging.py
	$(PY) bench/trainer_overhead.py

clean:
	rm -rf $(VENV) $(MLFLOW_VENV) runs

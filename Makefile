# Thước Đo — the two commands a newcomer needs:
#   make demo    set everything up and run the whole product on its embedded defaults
#   make test    set everything up and run the whole test suite
# Both install what is missing (system packages when run as root, then a virtualenv in .venv).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench setup system-deps lint clean

demo: setup
	$(PY) scripts/demo.py $(DEMO_ARGS)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

setup: system-deps $(STAMP)

system-deps:
	@scripts/install-system-deps

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[kiosk,tablet,server,dev]'
	@touch $(STAMP)

lint: setup
	$(VENV)/bin/ruff check kiosk tablet_rating sync tests bench scripts

clean:
	rm -rf $(VENV) .pytest_cache

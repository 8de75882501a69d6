# smsgate: every target is one line; the Makefile doubles as the list of commands.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint fmt typecheck imports bench bench-compare all clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/smsgate run

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit tests/property

lint: $(STAMP)
	$(BIN)/ruff check smsgate tests bench
	$(BIN)/ruff format --check smsgate tests bench
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff format smsgate tests bench
	$(BIN)/ruff check --fix smsgate tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/text_bench.py

bench-compare: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench.compare

all: lint typecheck test

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

# The two set-up commands of the README:
#   make example   — create .venv, install cppolicy, audit the bundled example archive
#   make test      — create .venv, install cppolicy with its test extras, check and test everything
#                    (ruff, mypy, the layer contract, the whole suite): what CI runs (.ci/run)
# and, while editing:
#   make test-fast — the suite without the tests marked slow (processes, wheels, many cases)
# durable-rules 2.0.28 needs CPython 3.11 (it segfaults on 3.12 and does not import on 3.13).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE := examples/archive-2024-2025.jsonl.gz
AS_OF := 2026-01-31T00:00:00+08:00
CHECKED := cppolicy tests bench examples plugins

.PHONY: example test test-fast lint venv clean

$(BIN)/.installed: pyproject.toml plugins/*/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "cppolicy needs CPython 3.11 (durable-rules 2.0.28 crashes on 3.12+): set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' -e plugins/cppolicy-webhook -e plugins/cppolicy-csv-import
	@touch $@

venv: $(BIN)/.installed

example: $(BIN)/.installed
	@mkdir -p out
	@$(BIN)/cppolicy audit $(EXAMPLE) --as-of $(AS_OF) --quarantine out/quarantine.jsonl; \
	 rc=$$?; \
	 if [ $$rc -eq 1 ]; then echo "exit 1: violations found — expected, the example archive contains every kind of breach"; \
	 elif [ $$rc -ne 0 ]; then echo "audit failed with exit code $$rc"; exit $$rc; fi

lint: $(BIN)/.installed
	$(BIN)/ruff check $(CHECKED)
	$(BIN)/ruff format --check $(CHECKED)
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

test-fast: $(BIN)/.installed
	$(BIN)/pytest -m "not slow" -q

clean:
	rm -rf $(VENV) out dist build

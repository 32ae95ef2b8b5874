# The two commands a newcomer types: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB := databases/openup.db
SAMPLE_DIR := databases/sample
HOST ?= 127.0.0.1
PORT ?= 8001

.PHONY: install run sample-db test bench bench-scale schema-doc clean

$(BIN)/openup: setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(BIN)/openup

install: $(BIN)/openup

sample-db: install
	rm -rf $(SAMPLE_DIR) $(DB) databases/exporter
	$(BIN)/openup sample $(SAMPLE_DIR) --rows 50000 --seed 1
	$(BIN)/openup load --db $(DB) $(SAMPLE_DIR)/*
	$(BIN)/openup export --db $(DB) databases/exporter > /dev/null

run: sample-db
	$(BIN)/openup serve $(DB) --host $(HOST) --port $(PORT) --exports databases/exporter

test: install
	$(BIN)/ruff check --no-cache scripts plugins tests benchmarks
	$(BIN)/pytest -q -p no:cacheprovider

bench: install
	$(BIN)/python benchmarks/load_benchmark.py --rows 1000000 --scale-rows 10000000

ROWS ?= 10000000
YEARS ?= 10
WORKERS ?= 2
bench-scale: install
	cd benchmarks && ../$(BIN)/python scale_benchmark.py --rows $(ROWS) --years $(YEARS) --build $(WORKERS)

schema-doc: install
	$(BIN)/openup schema-doc > docs/schema.md

clean:
	rm -rf $(VENV) databases/*.db $(SAMPLE_DIR)

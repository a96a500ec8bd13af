# Raumatlas: make install | app | build | test | bench
# The virtualenv is (re)installed when pyproject.toml changes (stamp file).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SERVE  := $(BIN)/python -m streamlit run streamlit_app.py --server.address 127.0.0.1 --server.port 8501

.PHONY: install app dev build check test bench clean-build

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

app: build
	$(SERVE)

# While editing the code: the app reloads on save (.streamlit/config.toml turns file watching off for serving).
dev: build
	$(SERVE) --server.fileWatcherType auto --server.runOnSave true

build: $(STAMP)
	$(BIN)/python -m pipelines build

check: $(STAMP)
	$(BIN)/python -m pipelines check

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_projects.py
	$(BIN)/python benchmarks/bench_app.py
	$(BIN)/python benchmarks/bench_exports.py

clean-build:
	rm -rf geodata/processed geodata/.cache geodata/staging

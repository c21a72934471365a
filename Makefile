# The two commands of README.md: `make serve` and `make test`. Both build .venv from the lock first.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed

.PHONY: serve test lint bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# Datasette (bench.peers' peer) and granian (a server bench.stack compares): in the same venv, from a
# lock of its own.
$(BENCH_STAMP): $(STAMP) bench/requirements.lock
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements.lock
	touch $(BENCH_STAMP)

serve: $(STAMP)
	$(VENV)/bin/lorecache serve

test: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	scripts/ensure-mediawiki
	scripts/ensure-chromium
	$(VENV)/bin/pytest

bench: $(BENCH_STAMP)
	$(VENV)/bin/python -m bench.ingest
	$(VENV)/bin/python -m bench.api_latency
	$(VENV)/bin/python -m bench.search_quality
	$(VENV)/bin/python -m bench.search_mix
	$(VENV)/bin/python -m bench.images
	$(VENV)/bin/python -m bench.scrape
	$(VENV)/bin/python -m bench.load
	$(VENV)/bin/python -m bench.peers
	$(VENV)/bin/python -m bench.stack

clean:
	rm -rf $(VENV) .lorecache

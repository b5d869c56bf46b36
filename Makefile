# Two commands for a fresh machine: `make serve` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
INDEX  ?= var/index
CORPUS ?= corpus
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test index rebuild update eval bench bench-quick lint clean install cluster

# A regular (not editable) install: setuptools warns about editable installs of a flat
# layout. It is redone whenever the packages' sources change.
SOURCES := $(shell find search indexer web -type f -not -path '*/__pycache__/*')
$(VENV)/.installed: pyproject.toml $(SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[test]'
	rm -rf build
	# Our modules' bytecode, compiled once: where PYTHONDONTWRITEBYTECODE is set (as on this
	# project's machines) every process would compile them again (0.06 s of each start).
	$(PY) -m compileall -q search indexer web benchmarks cluster
	touch $@

install: $(VENV)/.installed

# Built if missing, brought up to date if the corpus changed, rebuilt if it was made by
# another analyzer or splitter (an update of an unchanged corpus takes under a second).
index: $(VENV)/.installed
	$(PY) -m indexer update --corpus $(CORPUS) --index $(INDEX)

rebuild: $(VENV)/.installed
	$(PY) -m indexer rebuild --corpus $(CORPUS) --index $(INDEX)

update: $(VENV)/.installed
	$(PY) -m indexer update --corpus $(CORPUS) --index $(INDEX)

serve: index
	$(PY) -m web --index $(INDEX) --host $(HOST) --port $(PORT)

# Browser tests drive Debian's Chromium (no browser downloads) and inject axe-core from npm.
BROWSER_DEPS := tests/browser/node_modules/axe-core/axe.min.js
$(BROWSER_DEPS): tests/browser/package.json tests/browser/package-lock.json
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	npm ci --prefix tests/browser --no-audit --no-fund
	touch $@

test: $(VENV)/.installed $(BROWSER_DEPS)
	$(PY) -m ruff check .
	$(PY) -m pytest -q

# A SolrCloud on loopback (ZooKeeper and two Solr nodes; needs a JDK 17 and Maven), running
# until Ctrl-C; it prints the SOLR_URL to index and serve with (docs/scaling.md).
cluster: $(VENV)/.installed
	$(PY) -m cluster.launcher --dir var/cluster

SHARED ?= ../shared/relevance
# Relevance on the judged sets (needs ../shared): seed-dev per query, then PoQuAD test A.
eval: $(VENV)/.installed
	$(PY) -m benchmarks.evaluate --corpus $(CORPUS) --qrels $(SHARED)/seed-dev.json -v
	$(PY) -m benchmarks.evaluate --docs $(SHARED)/poquad-test-A/docs.jsonl \
		--qrels $(SHARED)/poquad-test-A/qrels.json

lint: $(VENV)/.installed
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) var

SIZES ?= 5000,20000,100000
HTTP_SECONDS ?= 10,30
# Optional, not part of `make test`: the project beside the naive baseline, Lucene 4.10
# (Debian's liblucene4.10-java) and current Lucene (Maven Central), in one run.
bench: $(VENV)/.installed
	$(PY) -m pip install --quiet '.[test,bench]'
	rm -rf build
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	test -f /usr/share/java/lucene-core-4.10.4.jar && command -v javac >/dev/null || \
		(apt-get update -qq && apt-get install -y -qq liblucene4.10-java default-jdk-headless maven)
	$(PY) -m benchmarks.run --sizes $(SIZES) --http-seconds $(HTTP_SECONDS)

# A few minutes: 2k articles, short HTTP runs.
bench-quick:
	$(MAKE) bench SIZES=2000 HTTP_SECONDS=5,5

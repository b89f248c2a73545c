# The two commands of the README, and the benchmarks.
#   make demo   creates .venv, installs xinlian, builds the sample database and serves it on 127.0.0.1:8000
#   make test   installs the test dependencies (Python packages, and Chromium + a CJK font through apt when
#               missing) and runs the whole suite on SQLite and on a throwaway PostgreSQL 15
#   make bench  runs every benchmark in bench/ (BENCH_SIZE=small for a quick run)
#   make crash  kills imports with SIGKILL at random moments and checks nothing is lost (SQLite, PostgreSQL)

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip
BENCH_SIZE ?= full
PYTEST_ARGS ?=

.PHONY: demo test bench crash install install-test system-deps clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(PIP) install --quiet -e . 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import xinlian.cli" && touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e ".[test]" 2>&1 | grep -v "is ignored" || true
	$(PY) -c "import pytest, xdist, hypothesis, playwright" && touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

system-deps:
	bash scripts/system-deps.sh

demo: $(VENV)/.installed
	$(VENV)/bin/xinlian demo

test: $(VENV)/.installed-test system-deps
	MPLCONFIGDIR=$$(mktemp -d) $(PY) -m pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	mkdir -p bench/results
	: > bench/results/latest.jsonl
	set -e; for f in bench/bench_*.py; do echo "== $$f" >&2; $(PY) $$f --size $(BENCH_SIZE); done

crash: $(VENV)/.installed-test
	$(PY) tests/crash/crash_import.py --trials 30 --rows 40000
	$(PY) tests/crash/crash_import.py --trials 10 --rows 40000 --backend postgres

clean:
	rm -rf $(VENV) xinlian-data build *.egg-info

# Coverage-guided fuzzing of the page cleaner and the sheet reader (outside CI; see fuzz/README.md).
FUZZ_SECONDS ?= 120
.PHONY: fuzz
fuzz: $(VENV)/.installed-test
	$(PY) -c "import atheris" 2>/dev/null || $(PIP) install --quiet atheris
	mkdir -p fuzz/corpus/clean fuzz/corpus/sheet
	$(PY) fuzz/fuzz_clean.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=3000 fuzz/corpus/clean
	$(PY) fuzz/fuzz_sheet.py -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=3000 fuzz/corpus/sheet

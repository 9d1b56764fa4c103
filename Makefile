# Second Opinion Assistant. `make run` and `make test` do all set-up themselves.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3

.PHONY: run test venv lint lint-venv train bench bench-load eval safety-eval fuzz clean

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt scripts/find-python310
	@py=$$(scripts/find-python310) && echo "Using $$py" && \
	  [ -x $(PY) ] || $$py -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip==24.2" "setuptools==70.3.0" "wheel==0.45.1"
	$(PY) -m pip install -q -r requirements.txt -c constraints.txt
	@touch $@

# ruff (lint + format check) and mypy (strict, on bot/ and actions/); settings in
# pyproject.toml, tools pinned in requirements-lint.txt under their own stamp. Every check
# runs; the exit code says whether all passed. .pre-commit-config.yaml runs the same.
LINT_STAMP := $(VENV)/.lint-installed
LINT_PATHS := .

lint-venv: $(LINT_STAMP)

$(LINT_STAMP): $(STAMP) requirements-lint.txt constraints.txt
	$(PY) -m pip install -q -r requirements-lint.txt -c constraints.txt
	@touch $@

lint: $(LINT_STAMP)
	@fail=0; \
	echo "ruff check"; $(VENV)/bin/ruff check $(LINT_PATHS) || fail=1; \
	echo "ruff format --check"; $(VENV)/bin/ruff format --check $(LINT_PATHS) || fail=1; \
	echo "mypy (strict) on bot/ and actions/"; $(VENV)/bin/mypy || fail=1; \
	exit $$fail

train: $(STAMP)
	$(PY) -m bot.train

run: $(STAMP)
	@scripts/run

# $(LINT_STAMP) too: tests/test_lint.py runs mypy with the project's settings. The model is
# trained (or found unchanged) first, once; then two pytest workers, a test module each
# (module fixtures start the servers once), since most of the time is spent waiting on
# Rasa servers. `$(PY) -m pytest tests/...` alone runs in one process.
test: $(LINT_STAMP)
	@scripts/ensure-browser
	$(PY) -m bot.train
	$(PY) -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(PY) -m bot.bench

# The product under load against the stock `rasa init` bot built in the same run (the
# floor): one member at a time, then 20 at once by web chat and by SMS; latency
# percentiles, throughput, errors, ratios to the floor, CPU per turn of each process.
# Prints figures. BENCH_LOAD_ARGS=--quick for a smoke run; --url uses a running product.
bench-load: $(STAMP)
	$(PY) -m bot.bench_load $(BENCH_LOAD_ARGS)

# The safety check on the held-out sets in tests/safety/: recall and false alarms by
# category and language, every miss listed. Exits non-zero if a target is missed.
safety-eval: $(STAMP)
	$(PY) -m bot.safety.evaluate

# The product judged by members' words, on held-out sets: the safety figures, rights
# questions (topic accuracy by language, confusion table; the second set was written
# blind, a third of it in Spanish) and simulated members who open a request (REST and
# SMS, English and Spanish, each language against the targets). Every part runs; the
# exit code says whether all reached their targets.
eval: $(STAMP)
	@fail=0; \
	$(PY) -m bot.safety.evaluate || fail=1; \
	$(PY) -m eval.rights || fail=1; \
	$(PY) -m eval.rights --questions eval/rights_questions_blind.yml || fail=1; \
	$(PY) -m eval.members || fail=1; \
	exit $$fail

# schemathesis against the gateway's OpenAPI schema, bounded; its own venv (scripts/fuzz).
fuzz: $(STAMP)
	@scripts/fuzz

clean:
	rm -rf models results var .pytest_cache .mypy_cache .ruff_cache

# Lakegate: `make help` lists the targets. Everything installs from pyproject.toml into .venv.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
CHECKOV_VENV ?= .venv-checkov
LAKE ?= lake
DATASET ?= transactions
# make test runs the suite in this many pytest-xdist workers (each its own Spark session).
TEST_WORKERS ?= 2
# Spark 3.5 needs Java 17; another JDK (e.g. 25) on the machine must not be picked up.
JAVA_HOME := $(shell $(PYTHON) -m lakegate_cli.javacheck --print 2>/dev/null)
export JAVA_HOME
export LAKEGATE_LAKE := $(LAKE)

.PHONY: help install java demo test test-fast chaos rehearse lint hooks artifact checkov export-quarantine retry-quarantine gold backfill promote bench bench-promotion browser screenshots clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "lakegate: Python 3.11 is required (Glue 5.1), found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

install: $(VENV)/.installed ## Create .venv with the project and its tools

$(CHECKOV_VENV)/.installed: tools/checkov-requirements.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/checkov-requirements.txt
	@touch $@

java: ## Check that Java 17 is available (one clear line if not)
	@$(PYTHON) -m lakegate_cli.javacheck

demo: install java ## Run the pipeline end to end on generated data in ./lake (LAKE=dir)
	$(BIN)/python -m lakegate_cli.demo --lake $(LAKE)

test: install java $(CHECKOV_VENV)/.installed ## Lint, then run every test (TEST_WORKERS=2 in parallel)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: install ## The inner loop: every test that needs neither Spark nor a subprocess end to end
	$(BIN)/pytest -q -m "not spark and not slow and not chaos"

chaos: install java ## Reliability: every crash point, hostile input, races (longer; make test runs a subset)
	$(BIN)/pytest -m "" tests/entry/test_chaos.py tests/spark/test_hostile_input.py tests/publish/test_races.py tests/entry/test_access.py

rehearse: install java ## The AWS path offline: moto with IAM on, the Glue job on s3://, every role under its policy
	$(BIN)/python -m rehearsal

lint: install checkov ## Static checks: ruff, mypy, import contracts (rings), statelint, Terraform (parse, fmt, schema, structure, personas, IAM lint, escalation), checkov, workflows
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m lakegate.asl --check
	$(BIN)/python tools/tf_schema_check.py
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive infra 2>/dev/null && echo "terraform fmt: clean"; \
	 else echo "terraform not installed: fmt check skipped"; fi
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/actionlint
	$(BIN)/zizmor --offline --min-severity medium .github/workflows
	$(BIN)/python tools/iam_lint.py
	$(BIN)/pytest -q -p no:cacheprovider tests/aws/test_infra.py tests/aws/test_terraform_schema.py tests/aws/test_iam_policies.py tests/aws/test_contracts.py tests/aws/test_workflows.py tests/aws/test_escalation.py tests/aws/test_audit_lock.py tests/aws/test_iam_lint.py

hooks: install ## Check each commit as make lint does (ruff, mypy, terraform fmt): pre-commit
	$(BIN)/pre-commit install

artifact: install ## Build dist/lakegate-<version>+g<sha>/ (wheel + Glue script) as CI does
	$(BIN)/python tools/build_artifact.py

checkov: $(CHECKOV_VENV)/.installed ## Scan infra/ with checkov (own virtual environment): 0 failed checks
	$(CHECKOV_VENV)/bin/checkov --directory infra --framework terraform --skip-download --compact --quiet

backfill: install ## Re-ingest one month: make backfill YEAR=2024 MONTH=03 [ENV=dev WAIT=1]
	@$(BIN)/lakegate backfill --dataset $(DATASET) --year "$(YEAR)" --month "$(MONTH)" $(if $(ENV),--env $(ENV) $(if $(WAIT),--wait),--lake $(LAKE))

export-quarantine: install ## Quarantined rows of a run as CSV to correct: make export-quarantine RUN_ID=... [OUT=corrections]
	@$(BIN)/lakegate quarantine export "$(RUN_ID)" --lake $(LAKE) --dataset $(DATASET) --out "$(or $(OUT),corrections)"

retry-quarantine: install java ## Re-ingest corrected rows as a retry run: make retry-quarantine FILE=corrections/<run>-2024-03.csv
	@$(BIN)/lakegate quarantine retry $(FILE) --lake $(LAKE) --dataset $(DATASET)

gold: install java ## Month-end balances from published silver into gold (a new gold run)
	@$(BIN)/lakegate gold --lake $(LAKE) --dataset $(DATASET)

bench: install java ## Benchmark: Lakegate vs DuckDB vs pandas on 1M and 10M rows, and scaling (ROWS="1000000")
	$(BIN)/python -m bench.run $(if $(ROWS),--rows $(ROWS))

bench-promotion: install ## Promotion time with 1x and 10x data per run (must be flat)
	$(BIN)/python -m bench.promotion

screenshots: install browser ## Screenshots of the demo's review and audit pages into docs/images (after make demo)
	$(BIN)/python -m tools.screenshots --lake $(LAKE) --out docs/images

browser: ## Install Debian's chromium (the review-page test renders in it)
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

promote: install ## Publish a run: make promote RUN_ID=... APPROVER="..." REASON="..."
	@$(BIN)/lakegate promote "$(RUN_ID)" --lake $(LAKE) --dataset $(DATASET) --approver "$(APPROVER)" --reason "$(REASON)"

clean: ## Remove the local lake and caches (keeps .venv)
	rm -rf $(LAKE) dist .pytest_cache .ruff_cache

# CSV pipeline: S3 -> Lambda -> AWS Batch -> DynamoDB, with a local harness.
# `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PYTHON := $(VENV)/bin/python
CDK := node_modules/.bin/cdk
CDK_FLAGS := --no-notices
PYTEST_ARGS ?=

# cdk.json runs `python -m infra.app`; the venv's python must come first.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := 1
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: help setup wheels engine-wheels test test-all test-unit test-integration test-aws lint synth local-up local-watch local-down demo console-screenshot bench bench-inner-loop bench-writers bench-console bench-smoke \
	deploy-aws destroy-aws clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: $(VENV)/.installed node_modules/.installed wheels engine-wheels ## Create .venv, install Python and npm tools, download wheels (idempotent)

$(PYTHON):
	@echo "==> creating $(VENV)"
	python3 -m venv $(VENV)

# The downloads below need only the venv's pip, so `make -j setup` runs them beside this.
$(VENV)/.installed: pyproject.toml constraints.txt | $(PYTHON)
	@echo "==> installing the harness (editable) and the pinned tools into $(VENV)"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[dev]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> installing the CDK CLI and cdklocal (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

wheels: $(VENV)/.wheels-downloaded ## Download the processor image's pinned wheels into batch/wheels

$(VENV)/.wheels-downloaded: batch/requirements.txt | $(PYTHON)
	@echo "==> downloading the processor's wheels into batch/wheels"
	$(PYTHON) -m pip download --quiet --disable-pip-version-check --no-deps \
		--only-binary=:all: -r batch/requirements.txt -d batch/wheels
	@touch $@

# The engine image (compose.yaml) installs these offline; Linux wheels for this machine's
# architecture and for the Python of either base image (3.11: Debian 12; 3.12: python:3.12-slim).
ENGINE_WHEELS := .cache/engine-wheels
ENGINE_ARCH := $(subst arm64,aarch64,$(shell uname -m))

engine-wheels: $(ENGINE_WHEELS)/.downloaded ## Download the engine image's wheels (for compose.yaml)

$(ENGINE_WHEELS)/.downloaded: harness/images/engine/requirements.txt | $(PYTHON)
	@echo "==> downloading the engine image's wheels into $(ENGINE_WHEELS)"
	@mkdir -p $(ENGINE_WHEELS)
	for version in 3.11 3.12; do \
		$(PYTHON) -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
			--python-version $$version --platform manylinux2014_$(ENGINE_ARCH) \
			--platform manylinux_2_17_$(ENGINE_ARCH) --platform manylinux_2_28_$(ENGINE_ARCH) \
			--platform any -r harness/images/engine/requirements.txt -d $(ENGINE_WHEELS) \
			|| exit 1; \
	done
	@touch $@

# The tests run on a local cloud of their own (started, deployed and stopped by them, never
# saved), so they never change the one `make local-up` started; HARNESS_PORT picks another.
TEST_PORT := 4599
test test-all test-integration: export HARNESS_PORT ?= $(TEST_PORT)

# The integration tests share one local cloud, so one worker runs them; a second runs beside
# it the modules that bring up a cloud of their own (an xdist_group mark names them, see
# tests/integration/conftest.py).
INTEGRATION_WORKERS := -n 2 --dist loadgroup

# The unit tests run on every core; those that synthesize the app share one worker (a jsii
# runtime each otherwise).
UNIT_WORKERS := -n auto --dist loadgroup

# Without PYTEST_ARGS, the unit tests run first.
test: setup ## Run the tests but those marked slow, on a local cloud of their own
ifeq ($(strip $(PYTEST_ARGS)),)
	$(PYTHON) -m pytest $(UNIT_WORKERS) -q tests/unit
	$(PYTHON) -m pytest $(INTEGRATION_WORKERS) -m "not slow" tests/integration
else
	$(PYTHON) -m pytest -m "not slow" $(PYTEST_ARGS)
endif

test-all: setup ## Run every test, the slow ones too (CI runs this)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

test-unit: setup ## Run the unit tests only (no Docker needed), on every core
	$(PYTHON) -m pytest $(UNIT_WORKERS) tests/unit $(PYTEST_ARGS)

test-integration: setup ## Run the integration tests but those marked slow
	$(PYTHON) -m pytest $(INTEGRATION_WORKERS) -m "not slow" tests/integration $(PYTEST_ARGS)

console-screenshot: export HARNESS_PORT ?= $(TEST_PORT)
console-screenshot: setup ## Regenerate docs/console.png (the README's) with the console's browser test
	CONSOLE_SCREENSHOT_TO_DOCS=1 $(PYTHON) -m pytest tests/integration/console -k "upload_through_the_page" $(PYTEST_ARGS)

test-aws: setup ## Run the integration tests against the stack `make deploy-aws` deployed
	PIPELINE_TARGET=aws $(PYTHON) -m pytest tests/integration $(PYTEST_ARGS)

lint: setup ## ruff check and format check, mypy, the import contracts (pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

synth: setup ## Synthesize the CloudFormation template into cdk.out/ (offline)
	$(CDK) synth $(CDK_FLAGS) --quiet
	@echo "==> template: $$(ls cdk.out/*.template.json)"

local-up: setup ## Start the local cloud (Docker, engine, Batch stand-in) and deploy the stack (HARNESS_ENGINE=localstack: LocalStack)
	$(PYTHON) -m harness up

local-watch: setup ## Bring the local cloud up, then redeploy on every change to infra/, lambda/, batch/
	$(PYTHON) -m harness watch

local-down: ## Stop the local cloud
	$(PYTHON) -m harness down

demo: ## Upload samples/Sample.csv to the local cloud and wait for its rows
	$(PYTHON) -m harness demo

bench-inner-loop: setup ## Seconds from a processor edit to its code running (make local-up and watch)
	$(PYTHON) -m bench.inner_loop

bench: setup ## The processor at scale vs naive PutItem and raw BatchWriteItem, latency, sharding; persistence on vs off, crash recovery (bench/results/)
	$(PYTHON) -m bench.processor
	$(PYTHON) -m bench.persistence

bench-writers: setup ## Processor rows/s with 1, 2, 4, 8 writers, with and without 10 ms per request (needs make local-up)
	$(PYTHON) -m bench.writers

bench-console: setup ## The console's pages with 1,000 jobs, an array of 1,000 and 100,000 items (needs make local-up)
	$(PYTHON) -m bench.console

bench-smoke: setup ## Every benchmark once at tiny sizes, checked, leaving the local cloud as found (CI runs it)
	$(PYTHON) -m bench.smoke

deploy-aws: setup ## Deploy to the AWS account of your credentials (bootstraps if needed)
	$(PYTHON) -m infra.preflight
	$(CDK) bootstrap $(CDK_FLAGS)
	$(CDK) deploy $(CDK_FLAGS) $(CDK_DEPLOY_FLAGS)

destroy-aws: setup ## Delete the stack from AWS (prod stage keeps the bucket and table)
	$(PYTHON) -m infra.preflight
	$(CDK) destroy $(CDK_FLAGS) --force

clean: ## Remove build output (keeps .venv, node_modules and the image cache); not while the local cloud runs
	@if [ -x $(PYTHON) ] && $(PYTHON) -m harness status --json 2>/dev/null | grep -q '"engine_running": true'; then \
		echo "make clean: the local cloud is running; stop it with make local-down first" \
			"(clean removes its pid files, after which nothing could stop it)" >&2; \
		exit 1; \
	fi
	rm -rf cdk.out .pytest_cache .ruff_cache .cache/local-cloud .cache/local-cloud-*

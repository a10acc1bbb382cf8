# Self-documenting: `make help` lists every target with the text after its `##`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TEST_CMD := PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pytest
# Test processes: one per core by default (`make test JOBS=0`: all in this one process).
JOBS ?= auto
PARALLEL := -n $(JOBS) --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help install lock remote repro test test-fast workflows lint format report exps params tune bench bench-scale bench-scale-model clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
		awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

install: ## Create .venv: the locked environment (requirements.lock), lockstep, dev tools
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install --quiet -e ".[dev]"

lock: ## Pin this venv's exact versions (with hashes, every extra) into requirements.lock; commit it
	@mkdir -p build
	$(BIN)/pip freeze --all --exclude-editable > build/lock-constraints.txt
	$(BIN)/uv pip compile pyproject.toml --all-extras --generate-hashes --quiet \
		--constraint build/lock-constraints.txt --custom-compile-command "make lock" \
		-o requirements.lock

remote: ## Point the default DVC remote at LOCKSTEP_REMOTE on this machine (.dvc/config.local)
	@test -n "$(LOCKSTEP_REMOTE)" || { echo "set LOCKSTEP_REMOTE=/path or s3://bucket/prefix"; exit 1; }
	$(BIN)/dvc remote modify --local local url "$(LOCKSTEP_REMOTE)"

repro: ## Run the pipeline (dvc repro) on the configured dataset
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/dvc repro

test: lint ## Lint, then run every test (slow integration tests included), one process per core
	$(TEST_CMD) $(PARALLEL)

test-fast: ## Run the tests not marked slow
	$(TEST_CMD) $(PARALLEL) -m "not slow"

workflows: ## Run pr, promote, deploy, drift, sweep and monitor workflows under act (offline, ~25 min)
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 $(TEST_CMD) -m "" -v \
		tests/integration/test_workflows.py tests/integration/test_workflows_more.py \
		tests/integration/test_workflows_monitor.py

lint: ## ruff check and format check; workflow schema and security audit (offline)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH="$(abspath $(BIN)):$$PATH" .ci/lint-workflows

format: ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

report: ## Preview the PR comment: working tree vs BASE (default HEAD~1)
	$(BIN)/lockstep report --base $(or $(BASE),HEAD~1)

exps: ## Compare experiments: key metrics and model params (dvc exp show)
	$(BIN)/dvc exp show --drop '.*' --keep 'Experiment|roc_auc|pr_auc|log_loss|model\.'

plots: ## Render the plots to dvc_plots/index.html with Vega inlined: no network needed
	$(BIN)/lockstep plots

params: ## Regenerate params.yaml from conf/ (commit the result)
	$(BIN)/lockstep params

tune: ## Tune FAMILY (default hist_gradient_boosting) by CV; writes conf/model/FAMILY_tuned.yaml
	$(BIN)/lockstep tune $(or $(FAMILY),hist_gradient_boosting) $(if $(WORKERS),--workers $(WORKERS))

bench: ## Run the benchmarks in bench/ and print their figures
	$(BIN)/python bench/pipeline_overhead.py
	$(BIN)/python bench/scaling.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/serve_abuse.py
	$(BIN)/python bench/tune.py
	$(BIN)/python bench/numerics.py
	$(BIN)/python bench/monitor.py
	$(BIN)/python bench/plot_size.py
	$(BIN)/python bench/verdicts.py
	$(BIN)/python bench/explain.py

bench-scale: ## The data stages on the dask engine at 1M, 3M and 10M rows (about 10 minutes)
	$(BIN)/python bench/scaling.py --engine dask --sizes 1000000,3000000,10000000 --train-max-rows 0

bench-scale-model: ## Train + evaluate of FAMILY (default hist_gradient_boosting) at 1M rows, BEFORE=rev vs this code
	$(BIN)/python bench/scaling.py --sizes 1000000 --train-max-rows 1000000 \
		--family $(or $(FAMILY),hist_gradient_boosting) $(if $(BEFORE),--before $(BEFORE) --repeats 2)

clean: ## Remove caches (keeps .venv, data and the DVC cache)
	rm -rf .pytest_cache .ruff_cache build dist src/*.egg-info

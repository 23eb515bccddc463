# Thin aliases so the README's commands stay short. Everything installs from uv.lock into .venv;
# uv itself is bootstrapped into .tools/ with pip when it is not on PATH.
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
# --locked: a uv.lock that no longer matches pyproject.toml is an error, not silently used.
RUN := $(UV) run --locked
export UV_PYTHON_DOWNLOADS := never

.PHONY: run test lint lint-imports bench schema

run: $(UV)
	$(RUN) --no-dev quire db upgrade
	$(RUN) --no-dev quire demo load --if-empty
	$(RUN) --no-dev quire serve

test: $(UV)
	$(RUN) pytest

lint: $(UV)
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy
	$(RUN) lint-imports

# The import contracts in pyproject.toml (also run by .ci/run).
lint-imports: $(UV)
	$(RUN) lint-imports

schema: $(UV)
	$(RUN) quire schema export

.tools/bin/uv:
	python3 -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

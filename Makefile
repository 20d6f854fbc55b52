# The two commands a newcomer needs: `make run` and `make test`. Both set up what they need.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format install services bench faults container-smoke compose-smoke clean test-sdk-js

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check uv==0.13.8
	$(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY) -e '.[server,dev]'
	@touch $(STAMP)

install: $(STAMP)  ## and the click tracker compiled with mypyc (needs gcc), when not up to date
	@$(PY) scripts/build_native.py

run: install  ## serve on http://localhost:8080 (SQLite + in-process cache: the whole system)
	$(VENV)/bin/shorturl serve --host 127.0.0.1 --port 8080

services:
	@scripts/ensure-services.sh

lint: install
	$(VENV)/bin/ruff check shorturl tests bench scripts
	$(VENV)/bin/ruff format --check shorturl tests bench scripts
	$(VENV)/bin/mypy shorturl

format: install
	$(VENV)/bin/ruff check --fix shorturl tests bench scripts
	$(VENV)/bin/ruff format shorturl tests bench scripts

test: install services lint  ## the whole suite, SQLite + in-process and PostgreSQL + Redis
	$(VENV)/bin/pytest $(PYTEST_ARGS)
	@$(MAKE) --no-print-directory test-sdk-js

test-sdk-js: install  ## the JavaScript SDK (sdk/js) on a real server; needs node >= 18 and npm
	scripts/test-sdk-js.sh

bench: install services
	$(PY) bench/redirect.py

faults: install  ## fault injection under load (minutes; own Redis and PostgreSQL): bench/README.md
	$(PY) bench/faults.py --write

container-smoke: install  ## build the image with podman (or docker), run it, shorten, redirect, stop
	$(PY) scripts/container_smoke.py

compose-smoke: install  ## compose.yaml under podman-compose: up, shorten, redirect, click, Redis restart, down
	$(PY) scripts/compose_smoke.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache shorturl.db* sdk/js/node_modules sdk/js/dist
	find shorturl -name '*.so' -delete

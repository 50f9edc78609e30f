# Every target runs inside the environment that uv.lock pins; `make test` builds it first.
# uv itself is bootstrapped into .tools/ at a pinned version, so nothing is installed by hand.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)
RUN := $(UV) run --frozen --no-sync

.PHONY: help env mock serve demo generate check-generated lint typecheck collect pytest test bench contract contract-traffic refresh spec-diff spec-lint spec-prism clean

help:
	@echo "make demo             the main job: local mock, kling-avatar generate for both providers, videos in out/"
	@echo "make test [V=1]       build the environment from uv.lock, then run every check and test (V=1: every test's name)"
	@echo "make wheel            build dist/kling_avatar-*.whl, to pip install elsewhere (see README, Installing)"
	@echo "make contract [PROVIDER=crun|apikley CONTRACT_BASE_URL=...]  the contract suite (mock by default)"
	@echo "make contract-traffic FILE=traffic.jsonl  check traffic a client recorded (record_traffic=) against the specs and the lifecycle"
	@echo "make mock [PORT=8123] [MOCK_ARGS=...]  the local mock of both providers on 127.0.0.1"
	@echo "make serve [PORT=8200] [WORKERS=2]  the reference video service (examples/service) on 127.0.0.1"
	@echo "make generate         regenerate generated/ from specs/"
	@echo "make check-generated  fail with a diff when generated/ is not what specs/ give"
	@echo "make lint             ruff on the hand-written code; import-linter on the package's layers"
	@echo "make spec-lint        Spectral and Redocly (pinned in package-lock.json) on every spec"
	@echo "make spec-prism       Prism compiles every schema and its proxy flags a wrong answer per operation"
	@echo "make typecheck        mypy --strict on the overlay, scripts, tests and generated clients"
	@echo "make refresh [APIKLEY_SOURCE=url-or-file]  rebuild specs/apikley.yaml, diff, regenerate, test"
	@echo "make refresh CRUN_SOURCE=file  diff a new copy of crun's page; name the spec elements whose sentence changed"
	@echo "make refresh FAL_SOURCE=published|kept|'url-or-file ...'  rebuild specs/fal.yaml from fal's documents, diff, regenerate, test"
	@echo "make spec-diff OLD=.. NEW=.. [FAIL_ON_BREAKING=1]  what changed between two specs, and what breaks"

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Compiled bytecode: this machine and CI set PYTHONDONTWRITEBYTECODE=1, so without it every one
# of the suite's Python processes compiles what it imports from source (about 2x its start).
env: $(UV)
	$(UV) sync --frozen --all-extras --compile-bytecode --quiet

# The local mock of both providers (kling_avatar.testing) in the foreground, on 127.0.0.1 only;
# MOCK_ARGS takes the module's other flags (--step, --seed, --credits, --fault ...).
PORT ?= 8123
mock: env
	$(RUN) python -m kling_avatar.testing --port $(PORT) $(MOCK_ARGS)

# The reference service (examples/service/app.py): FastAPI + the callback receiver, on
# 127.0.0.1; its own default port unless PORT is given. Its records in DATABASE_URL (SQLite;
# default out/service/videos.sqlite3). WORKERS=N: N processes on the port, sharing the records
# and, through REDIS_URL (unset: a redis-server of its own in out/service/redis), the seen-set,
# the rate limits and the wake bus. Reads CRUN_API_KEY, APIKLEY_API_KEY, *_BASE_URL,
# APIKLEY_WEBHOOK_KEY, SERVICE_PUBLIC_URL, SERVICE_CALLBACK_SECRET.
WORKERS ?= 1
serve: env
	$(RUN) python scripts/serve.py --workers $(WORKERS) --port $(if $(filter command line environment,$(origin PORT)),$(PORT),8200)

# The main job, end to end: the local mock (in-process, stopped however the runs end), then
# kling-avatar generate for both providers on examples/media/, the videos downloaded into out/.
demo: env
	$(RUN) python scripts/demo.py

generate: env
	$(RUN) python scripts/generate.py

check-generated: env
	$(RUN) python scripts/generate.py --check

lint: env
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) lint-imports --no-cache

typecheck: env
	$(RUN) mypy

# A dot per test and the failures by default; V=1 lists every test by name. The tests run on
# two pytest-xdist workers per core (JOBS=1 for one process): many of them wait on sockets or
# on processes of their own, and a second worker fills that time (2 cores: 72 s with four
# workers, 75 s with three, 86 s with two, for 142, 134 and 130 s of CPU).
JOBS ?= $(shell echo $$((2 * $$(nproc 2>/dev/null || echo 1))))
# MAKEFLAGS is emptied for the tests: the `make` some of them run is a user's, not one of this
# run's parallel jobs. PYTHONDONTWRITEBYTECODE is lifted for them: pytest rewrites the asserts
# of the test modules and of every package with a pytest plugin (schemathesis, Hypothesis, anyio
# and this one: about 490 modules), and keeps the result only as bytecode; without it, each
# worker and each pytest a test starts rewrites them all again (2.4 s of CPU each).
pytest: env
	MAKEFLAGS= PYTHONDONTWRITEBYTECODE= $(RUN) pytest $(if $(filter 1,$(V)),-v,-q) $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist worksteal)

# The tests collected once, with the checks: a collection error shows at once, and pytest's
# rewritten modules (see `pytest`) are then kept as bytecode for every worker, instead of each
# worker rewriting them at its start (4.5 s of CPU each; 1.7 s with them kept).
collect: env
	set -o pipefail; PYTHONDONTWRITEBYTECODE= $(RUN) pytest --collect-only -q -p no:cacheprovider | tail -n 1

# The environment and the spec tools first, then the checks side by side (none reads another's
# output; each one's output printed whole when it ends), then the tests. The tests come last
# and alone: they keep the machine busy on their own (two workers per core), and a check beside
# them only stretches them (2 cores: the checks beside them at a lower priority, the tests took
# 1 min 55 s; alone, 1 min 38 s). Every check and the tests run even when one before fails.
CHECKS := check-generated lint typecheck spec-lint spec-prism collect
test: env node_modules/.package-lock.json
	@status=0; \
	$(MAKE) --no-print-directory -k -j$(words $(CHECKS)) --output-sync=target $(CHECKS) || status=1; \
	$(MAKE) --no-print-directory pytest || status=1; \
	exit $$status

# The spec tools are npm packages pinned by package-lock.json; `npm ci` installs exactly those.
NODE_BIN := node_modules/.bin
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Every provider's spec: specs/<provider>.yaml (an *.additions.yaml is the overlay a spec is built
# with, not a spec).
SPECS := $(filter-out %.additions.yaml,$(wildcard specs/*.yaml))

# 0 errors and 0 warnings: a rule is fixed in the spec or turned off, with its reason, in
# .spectral.yaml / redocly.yaml.
spec-lint: node_modules/.package-lock.json
	$(NODE_BIN)/spectral lint --fail-severity=warn $(SPECS)
	$(NODE_BIN)/redocly lint $(SPECS)

spec-prism: env node_modules/.package-lock.json
	node scripts/spectools/prism_compile.cjs $(SPECS)
	$(RUN) python -m scripts.spectools.prism_proxy_check

# The contract suite (`kling-avatar contract run`, kling_avatar.contract): against the local mock,
# or CONTRACT_BASE_URL with PROVIDER=crun|apikley and CRUN_API_KEY / APIKLEY_API_KEY (each option
# also from the environment). Creates nothing on a real provider without CONTRACT_ALLOW_CREATE=1;
# JUnit XML, a HAR of every exchange and the coverage report in reports/.
contract: env
	$(RUN) kling-avatar contract run

# Traffic a client recorded (AvatarClient(record_traffic=FILE)): every exchange against the specs
# (openapi-core), each task's lifecycle; a coverage report in reports/.
contract-traffic: env
	$(if $(FILE),,$(error usage: make contract-traffic FILE=traffic.jsonl))
	$(RUN) kling-avatar contract traffic "$(FILE)"

# Each scripts/bench_*.py prints its own side-by-side ratios; none of them is a test.
bench: env
	@for script in scripts/bench_*.py; do [ -e "$$script" ] || continue; $(RUN) python "$$script" || exit 1; done

# Apikley's spec is built: its published document (kept verbatim) + specs/apikley.additions.yaml.
# Without APIKLEY_SOURCE it rebuilds from the upstream copy already kept. With CRUN_SOURCE it
# diffs a new copy of crun's page instead (scripts/refresh_crun.py) and fails naming the spec
# elements whose cited sentence (x-source-quote) is gone. With FAL_SOURCE it builds fal's spec
# (scripts/refresh_fal.py) from fal's per-endpoint documents: `published` fetches fal's own for
# every endpoint, `kept` rebuilds from the copies in specs/upstream/fal/, anything else is one or
# more URLs or files (separated by spaces), each taking the place of the endpoint it names.
refresh: env
	$(RUN) python -m scripts.refresh $(if $(APIKLEY_SOURCE),--source "$(APIKLEY_SOURCE)") $(if $(CRUN_SOURCE),--crun-source "$(CRUN_SOURCE)") $(if $(FAL_SOURCE),--fal-source "$(FAL_SOURCE)") $(if $(filter 1,$(FAIL_ON_BREAKING)),--fail-on-breaking)

# OLD and NEW: files, or git objects such as HEAD:specs/crun.yaml.
spec-diff: env
	$(if $(and $(OLD),$(NEW)),,$(error usage: make spec-diff OLD=<file|rev:path> NEW=<file|rev:path> [FAIL_ON_BREAKING=1]))
	$(RUN) python -m scripts.specdiff "$(OLD)" "$(NEW)" $(if $(filter 1,$(FAIL_ON_BREAKING)),--fail-on-breaking)

# The installable wheel (every generated client, the overlay, the mock's specs) in dist/.
.PHONY: wheel
wheel: $(UV)
	$(UV) build --wheel --out-dir dist

clean:
	rm -rf .venv .tools .mypy_cache .ruff_cache .pytest_cache dist

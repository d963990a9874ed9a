# Webcare: every set-up step a fresh Debian/Ubuntu machine needs, in one place.
# `make demo` and `make test` install what they need first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgres://postgres@127.0.0.1:5432/webcare
# Triage's text models are trained here from ../shared/data, never committed (docs/triage.md).
TRIAGE_MODELS := src/webcare/triage/trained/text_models.npz
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install demo sandbox serve test test-sqlite test-postgres test-fast system-deps lint format bench eval messages clean

install: $(STAMP) $(TRIAGE_MODELS)

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Webcare needs Python 3.11, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Without the shared data folder this prints why and writes nothing: triage then runs on its
# lexicons. Single-threaded and niced: it takes a minute or two on a 2-core machine.
$(TRIAGE_MODELS): $(STAMP) src/webcare/triage/training.py src/webcare/triage/features.py $(wildcard src/webcare/triage/lexicons/*.tsv)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nice -n 10 $(BIN)/python -m webcare.triage.training text

demo: install
	WEBCARE_ENV=demo $(BIN)/webcare demo

serve: install
	$(BIN)/webcare serve

# Webcare beside stand-ins of X, Facebook, Instagram and WhatsApp, in its own data directory.
sandbox: install
	WEBCARE_ENV=demo WEBCARE_DATA_DIR=$(CURDIR)/var/sandbox $(BIN)/webcare sandbox

# System packages the tests need, installed only when missing: Debian's chromium for the
# browser tests, and dovecot (its IMAP server) for the e-mail tests, which start their own
# instance on a free port of 127.0.0.1 (the package's system service is never used).
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi
	@if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then \
		echo "Installing Debian's dovecot-imapd for the e-mail tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dovecot-imapd >/dev/null; \
	fi

# The whole suite on SQLite, then on PostgreSQL, each on TEST_WORKERS processes (pytest-xdist;
# the slow load and crash tests start first). With CI=true PostgreSQL and Redis must be there;
# on a laptop without them the PostgreSQL run is skipped with a message.
# The crash test runs at its full size (10,000 events, 1,000 replies) on PostgreSQL, the
# scale-out setup, and at a quarter of it on SQLite, to keep the suite's length reasonable;
# the shorter run kills every 5-12 s instead of 15-30 s, so it still sees several crashes.
TEST_WORKERS ?= 2
PYTEST := $(BIN)/pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

test: install system-deps test-sqlite test-postgres

test-sqlite: install
	WEBCARE_ENV=test WEBCARE_DATA_DIR=$(CURDIR)/var/test-sqlite \
		WEBCARE_CRASH_EVENTS=$${WEBCARE_CRASH_EVENTS:-2500} WEBCARE_CRASH_REPLIES=$${WEBCARE_CRASH_REPLIES:-250} \
		WEBCARE_CRASH_KILL_EVERY=$${WEBCARE_CRASH_KILL_EVERY:-5-12} \
		$(PYTEST)

test-postgres: install
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		WEBCARE_ENV=test WEBCARE_DATA_DIR=$(CURDIR)/var/test-postgres DATABASE_URL=$(PG_URL) \
			$(PYTEST); \
	elif [ "$$CI" = "true" ]; then \
		echo "PostgreSQL is not reachable at $(PG_URL), and CI=true requires it."; exit 1; \
	else \
		echo "SKIPPED the PostgreSQL run: nothing answers at $(PG_URL) (set PG_URL to point elsewhere)."; \
	fi

# Quick loop while coding: SQLite, no browser.
test-fast: install
	WEBCARE_ENV=test WEBCARE_DATA_DIR=$(CURDIR)/var/test-sqlite $(BIN)/pytest -p no:cacheprovider -m "not browser and not slow" -x -q

lint: install
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	WEBCARE_ENV=development WEBCARE_DATA_DIR=$(CURDIR)/var/lint $(BIN)/webcare makemigrations --check --dry-run

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/run.py --pg-url $(PG_URL)
	$(BIN)/python bench/bench_triage.py

# Offline evaluations against ../shared/data: threading, and triage (writes docs/triage.md).
eval: install
	$(BIN)/python bench/eval_threading.py
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python bench/eval_triage.py

messages: install
	cd src/webcare && WEBCARE_ENV=development WEBCARE_DATA_DIR=$(CURDIR)/var/dev ../../$(BIN)/webcare makemessages -l nl && \
		WEBCARE_ENV=development WEBCARE_DATA_DIR=$(CURDIR)/var/dev ../../$(BIN)/webcare compilemessages

clean:
	rm -rf $(VENV) var test-artifacts

# missive — `make run` (set up + demo) and `make test` (set up + servers + every test).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = "0" ] || echo sudo)
STAMP := $(VENV)/.installed

.PHONY: run test lint sysdeps servers bench clean

$(STAMP): pyproject.toml setup.py
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
	  || (export DEBIAN_FRONTEND=noninteractive; $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3-venv)
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/missive demo

# tools the tests drive: openssl and gpgsm (S/MIME interop), tmux (the TUI as a user sees it), dnsmasq (SRV
# records for autoconfiguration; dnsmasq-base is the program without the system service), tnef (the reference
# winmail.dat decoder, tests/mail/test_tnef.py's peer)
sysdeps:
	@missing=""; for t in openssl:openssl gpgsm:gpgsm tmux:tmux mbsync:isync dnsmasq:dnsmasq-base tnef:tnef; do \
	  command -v $${t%%:*} >/dev/null || missing="$$missing $${t##*:}"; done; \
	if [ -n "$$missing" ]; then export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing; fi

servers: $(STAMP)
	@if [ -f tests/servers/__main__.py ]; then $(PY) -m tests.servers install; fi

# ruff, the import contracts, and mypy over core/ and tui/ (and the TUI fake's contract check): any error fails
lint: $(STAMP)
	$(VENV)/bin/ruff check core tui tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: $(STAMP) sysdeps servers lint
	$(PY) -m pytest -q -p no:cacheprovider

bench: $(STAMP)
	@for b in bench/[a-z]*.py; do echo "== $$b"; $(PY) -m bench.$$(basename $$b .py) || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache

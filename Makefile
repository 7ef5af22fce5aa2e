# The README's two commands: `make demo` and `make test`. Both set up
# everything they need (venv, Python packages, Debian packages) and are
# quick when run again.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# This checkout's xlcrm wins over any other install in the venv.
export PYTHONPATH := $(CURDIR)$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: demo test bench lint locale addin sysdeps-demo sysdeps-test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	touch $(STAMP)

sysdeps-demo:
	@scripts/sysdeps.sh demo

sysdeps-test:
	@scripts/sysdeps.sh test

demo: $(STAMP) sysdeps-demo
	mkdir -p out
	$(BIN)/xlcrm demo -o out/sample.xlsx
	$(BIN)/xlcrm analyze out/sample.xlsx -o out/sample.xlcrm.xlsx
	$(BIN)/xlcrm report out/sample.xlsx -o out/brief.pdf
	@echo "Wrote out/sample.xlsx, out/sample.xlcrm.xlsx and out/brief.pdf"

lint: $(STAMP)
	$(BIN)/ruff check xlcrm tests benchmarks
	$(BIN)/ruff format --check xlcrm tests benchmarks
	$(BIN)/mypy xlcrm

test: $(STAMP) sysdeps-test lint
	$(BIN)/python -m pytest -q

bench: $(STAMP) sysdeps-demo
	$(BIN)/python -m benchmarks

# The message catalogue: extract new strings from code and templates, merge
# them into each language's .po, compile the .mo files that run (committed).
BABEL_KEYWORDS := -k t -k tn:1,2 -k tp:1c,2 -k N_
locale: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
		--omit-header -o xlcrm/locale/xlcrm.pot .
	$(BIN)/pybabel -q update -i xlcrm/locale/xlcrm.pot -d xlcrm/locale -D xlcrm -l zh \
		--no-fuzzy-matching --ignore-obsolete
	# a fixed date keeps the compiled .mo byte-identical between runs
	sed -i 's/^"POT-Creation-Date: .*/"POT-Creation-Date: 2026-01-01 00:00+0000\\n"/' xlcrm/locale/*/LC_MESSAGES/xlcrm.po
	$(BIN)/pybabel -q compile -d xlcrm/locale -D xlcrm --statistics

# Everything generated from the code that is committed: the catalogue, the
# add-in and the xlwings Lite bundle (tests fail when they are stale).
addin: locale
	$(BIN)/xlcrm addin build
	$(BIN)/xlcrm addin lite -o workbook/lite

clean:
	rm -rf out build dist .pytest_cache .mypy_cache .ruff_cache

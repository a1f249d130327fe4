# Everything installs itself: `make demo` and `make test` work on a fresh clone and are idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MVN := mvn -q -B
BRIDGE_JAR := java/target/harness-bridge.jar
JAVA_SOURCES := $(shell find java/src -type f 2>/dev/null)

.PHONY: setup java demo test test-python test-java bench clean

setup: $(VENV)/.installed $(BRIDGE_JAR)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Builds the bridge, runs its JUnit tests, and copies every runtime jar to java/target/lib.
$(BRIDGE_JAR): java/pom.xml $(JAVA_SOURCES)
	cd java && $(MVN) package
	touch $@

java: $(BRIDGE_JAR)

demo: setup
	$(PY) -m fixtures.demo

test: setup
	$(PY) -m pytest -n 2 tests

bench: setup
	$(PY) -m bench.run

clean:
	rm -rf java/target .demo .bench

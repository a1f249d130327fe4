# Everything installs itself: `make demo` and `make test` work on a fresh clone and are idempotent.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
MVN := mvn -q -B
BRIDGE_JAR := java/target/harness-bridge.jar
JAVA_SOURCES := $(shell find java/src -type f 2>/dev/null)

.PHONY: setup java browser demo test bench detect clean

setup: $(VENV)/.installed $(BRIDGE_JAR)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,dl,boost,jvm-families]'
	touch $@

# Builds the bridge, runs its JUnit tests, and copies every runtime jar to java/target/lib.
$(BRIDGE_JAR): java/pom.xml $(JAVA_SOURCES)
	cd java && $(MVN) package
	touch $@

java: $(BRIDGE_JAR)

# Debian's Chromium, for the test that renders the HTML report in a real headless browser.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

demo: setup
	$(PY) -m fixtures.demo

test: setup browser
	$(PY) -m pytest -n 2 tests

bench: setup
	$(PY) -m bench.run
	$(PY) -m bench.detect

# The detection benchmark alone: injected and natural divergences vs a uniform-random baseline.
detect: setup
	$(PY) -m bench.detect

clean:
	rm -rf java/target .demo .bench .test-output

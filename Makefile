# SwiftKV RTL generator. `make` sets everything up and runs the main job on the default design;
# `make test` runs the whole suite. Both install what is missing (simulators via apt-get,
# node packages via npm ci), so they work on a fresh machine.

SHELL := /bin/bash
.DEFAULT_GOAL := all
NPM_STAMP := node_modules/.npm-ci-stamp
TOOLS := verilator iverilog yosys

.PHONY: all deps tools test typecheck sim lint bench example clean gen

all: deps
	node --import tsx scripts/gen.ts --heads 8 --pe 16
	node --import tsx scripts/example.ts

deps: tools $(NPM_STAMP)

# Install the simulators and Yosys when missing (Debian packages; needs root or sudo).
tools:
	@missing=""; \
	for t in $(TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" != 0 ] && SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing z3 >/dev/null \
	    || { echo "could not install$$missing: install them with apt-get install -y$$missing"; exit 1; }; \
	fi
	@verilator --version; iverilog -V 2>/dev/null | head -1; yosys -V

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

typecheck: $(NPM_STAMP)
	npx tsc -p tsconfig.json

# The whole suite; ends with `tests: N passed, N failed`.
test: deps
	@mkdir -p .cache
	@rm -f .cache/vitest-results.json
	@status=0; npx tsc -p tsconfig.json || status=$$?; \
	if [ $$status -ne 0 ]; then echo "typecheck failed"; echo "tests: 0 passed, 1 failed"; exit 1; fi; \
	npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest-results.json; \
	node scripts/test-summary.mjs .cache/vitest-results.json $$?

example: deps
	node --import tsx scripts/example.ts

# Verilator -Wall, Icarus -Wall and Yosys (check + synthesis, no latch) over a sweep of designs.
lint: deps
	node --import tsx scripts/lint.ts

# SwiftKV against native and blockwise attention (cycles in RTL, resources, accuracy, decode
# model, design space, tool speed): out/bench/report.md and bench.json. QUICK=1: fewer points.
bench: deps
	node --import tsx scripts/bench.ts $(if $(filter 1,$(QUICK)),--quick)

# The lane regression (Verilator matrix, Icarus subset, random register init) and accuracy.
sim: deps
	node --import tsx scripts/sim.ts

clean:
	rm -rf out .cache

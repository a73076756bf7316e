# sluice front door. `make run` and `make test` are the two commands a new machine needs.
.PHONY: all run test test-unit test-sdk build build-asan fuzz deps format check-format clean

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG ?= $(wildcard sluice.yaml)
FUZZ_SECONDS ?= 20

all: build

deps:
	@./scripts/deps

build: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)

run: build
	@mkdir -p data
	exec ./build/bin/sluice up $(if $(CONFIG),-c $(CONFIG))

# The release build is built too: -O2 finds warnings (-Werror) that the debug build cannot.
test: build build-asan
	@./scripts/check-format
	@cd build/asan && ctest --output-on-failure -j $(JOBS) --timeout 300

test-unit: build-asan
	@cd build/asan && ctest --output-on-failure -L unit -j $(JOBS)

# The official OpenAI and Anthropic SDKs against every provider kind (tests/sdk/README.md).
test-sdk: build-asan
	@cd build/asan && ctest --output-on-failure -L sdk

# Build the libFuzzer targets with clang and run each for FUZZ_SECONDS on its seed corpus.
fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@for t in build/fuzz/bin/*_fuzz; do \
	    n=$$(basename $$t); mkdir -p build/fuzz/corpus/$$n; \
	    echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
	    $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus/$$n \
	        tests/fuzz/corpus/$$n > build/fuzz/$$n.log 2>&1 \
	        || { tail -n 40 build/fuzz/$$n.log; exit 1; }; \
	    grep -E '^stat::number_of_executed_units' build/fuzz/$$n.log; \
	done

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

check-format:
	@./scripts/check-format

clean:
	rm -rf build

# sluice front door. `make run` and `make test` are the two commands a new machine needs.
.PHONY: all run test test-unit test-sdk chaos bench build build-asan fuzz fuzz-ci deps format check-format clean

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG ?= $(wildcard sluice.yaml)
FUZZ_SECONDS ?= 20

all: build

# scripts/bpe-deps: js-tiktoken, the tokenizer's vocabulary source (the build runs it too).
deps:
	@./scripts/deps
	@./scripts/bpe-deps

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
# The upstream parsers' fuzz targets run briefly first; CTest's summary is the last word.
test: build build-asan fuzz-ci
	@./scripts/check-format
	@cd build/asan && ctest --output-on-failure -j $(JOBS) --timeout 300

test-unit: build-asan
	@cd build/asan && ctest --output-on-failure -L unit -j $(JOBS)

# The official OpenAI and Anthropic SDKs against every provider kind (tests/sdk/README.md).
test-sdk: build-asan
	@cd build/asan && ctest --output-on-failure -L sdk

# Every actor killed and stopped at random moments under load: CHAOS_FAULTS faults, CHAOS_STREAMS
# concurrent streams a round, on the release build (docs/reliability.md has the last result).
# CHAOS_STORE=postgres runs it on a PostgreSQL store (a server started in /tmp for the run).
CHAOS_FAULTS ?= 200
CHAOS_STREAMS ?= 50
CHAOS_STORE ?= sqlite
chaos: build
	@set -e; pg=/tmp/sluice-chaos-pg-$$$$; rc=0; \
	if [ "$(CHAOS_STORE)" = postgres ]; then \
	    ./tests/support/pg-server start $$pg; export SLUICE_TEST_PG_DIR=$$pg; fi; \
	./build/release/tests/chaos_test build/bin/sluice build/bin/sluice-mockllm \
	    $(CHAOS_FAULTS) $(CHAOS_STREAMS) $(CHAOS_SEED) || rc=$$?; \
	if [ "$(CHAOS_STORE)" = postgres ]; then ./tests/support/pg-server stop $$pg; fi; \
	exit $$rc

# The paced matrix with the peer gateways in the same run (docs/benchmarks.md, "Peers in the same
# run"): BENCH_CONCURRENCY streams at once x BENCH_TOKENS tokens at each of BENCH_RATES tokens/s,
# one token per upstream write, through direct, sluice, HAProxy and Portkey with the same
# requests (scripts/bench-deps installs the peers). Each configuration prints its table and
# writes build/bench/c<C>-r<rate>.json, in under a minute; 3 measured rounds at 100 tokens/s or
# more, 2 below. BENCH_ARGS go to every run (e.g. --throughput). Then the floor: the same process
# shape with no sluice code in it (bench/floor.c) at 50 and 200 streams.
BENCH_CONCURRENCY ?= 1 50 200
BENCH_RATES ?= 250 50
BENCH_TOKENS ?= 200
BENCH_BIN ?= build/bin/sluice-bench
BENCH_ARGS ?=
bench: build
	@./scripts/bench-deps
	@mkdir -p build/bench
	@fail=0; for r in $(BENCH_RATES); do for c in $(BENCH_CONCURRENCY); do \
	    rounds=$$(( r >= 100 ? 3 : 2 )); \
	    echo "== bench: $$c streams x $(BENCH_TOKENS) tokens at $$r tokens/s, $$rounds rounds, with the peers"; \
	    $(BENCH_BIN) --peers --paced-concurrency $$c --paced-tokens $(BENCH_TOKENS) --rate $$r \
	        --paced-rounds $$rounds --json-out build/bench/c$$c-r$$r.json $(BENCH_ARGS) || fail=1; \
	    echo; \
	done; done; \
	for c in 50 200; do \
	    echo "== bench: the floor of sluice's process shape, $$c streams at 250 tokens/s (sluice-bench-floor)"; \
	    build/bin/sluice-bench-floor -c $$c -r 250 -t 3000 || fail=1; echo; \
	done; exit $$fail

# Build the libFuzzer targets with clang and run each for FUZZ_SECONDS on its seed corpus.
# FUZZ_TARGETS narrows the set (default: every *_fuzz target).
FUZZ_TARGETS ?=
# What CI runs: every parser of bytes from outside (upstream streams, the wire, SSE/NDJSON,
# prompt text through the tokenizer, image URLs).
CI_FUZZ_TARGETS = wire_fuzz sse_fuzz ndjson_fuzz jsonseq_fuzz provider_openai_fuzz \
	provider_anthropic_fuzz provider_gemini_fuzz provider_cohere_fuzz provider_ollama_fuzz \
	bpe_fuzz image_url_fuzz

fuzz-ci:
	@$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=5 FUZZ_TARGETS="$(CI_FUZZ_TARGETS)"

fuzz: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS) $(if $(FUZZ_TARGETS),--target $(FUZZ_TARGETS)) >/dev/null
	@for t in $(if $(FUZZ_TARGETS),$(addprefix build/fuzz/bin/,$(FUZZ_TARGETS)),build/fuzz/bin/*_fuzz); do \
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

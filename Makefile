# sluice front door. `make run` and `make test` are the two commands a new machine needs.
.PHONY: all run test test-unit build build-asan deps format check-format clean

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CONFIG ?= $(wildcard sluice.yaml)

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

test: build-asan
	@./scripts/check-format
	@cd build/asan && ctest --output-on-failure -j $(JOBS) --timeout 300

test-unit: build-asan
	@cd build/asan && ctest --output-on-failure -L unit -j $(JOBS)

format:
	@git ls-files '*.c' '*.h' | xargs clang-format -i

check-format:
	@./scripts/check-format

clean:
	rm -rf build
